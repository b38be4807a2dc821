"""What the orbital engine finds: close approaches, manoeuvres, proximity operations."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class CloseApproach:
    """A local minimum of the distance between two objects, below the screening threshold.

    Positions are SGP4's (TEME); `norad_a < norad_b`. `at_window_edge` marks a
    minimum that falls on the window's start or end (the pair was closest
    there, inside the window).
    """

    norad_a: int
    norad_b: int
    tca: datetime
    miss_km: float
    rel_speed_km_s: float
    at_window_edge: bool = False
    name_a: str = ""
    name_b: str = ""
    owner_a: str = ""
    owner_b: str = ""


@dataclass(frozen=True, slots=True)
class Manoeuvre:
    """A change in an object's mean orbit between two element sets that noise does not explain."""

    norad_id: int
    name: str
    before_epoch: datetime
    after_epoch: datetime
    kind: str  # "in-plane" (semi-major axis), "out-of-plane" (inclination), or both joined by "+"
    delta_a_km: float
    delta_i_deg: float
    delta_v_m_s: float  # minimum impulsive delta-v that explains the change
    drift_before_deg_day: float | None = None  # GEO longitude drift (east positive)
    drift_after_deg_day: float | None = None
    significance: float = 0.0  # the change in units of the object's own noise
    owner: str = ""


@dataclass(frozen=True, slots=True)
class ProximityOperation:
    """An object that came near another and stayed near it (or a persistent co-location)."""

    norad_a: int
    norad_b: int
    start: datetime
    end: datetime
    min_distance_km: float
    median_distance_km: float
    approach_from_km: float  # distance at the start of the history
    kind: str  # "rendezvous" (approached, then stayed) or "co-location" (near throughout)
    name_a: str = ""
    name_b: str = ""
    owner_a: str = ""
    owner_b: str = ""
    manoeuvred: tuple[int, ...] = field(default=())  # which of the two manoeuvred before or during
