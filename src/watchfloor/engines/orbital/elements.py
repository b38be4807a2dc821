"""Element sets and catalog facts: the records that orbital readers produce.

An `ElementSet` holds SGP4 mean elements as published (TLE or CCSDS OMM), with
units in the field names. It knows how to build the `sgp4` satellite record
that reproduces the publisher's SGP4 (from the original TLE lines when there
are any, from `sgp4init` otherwise), so the same elements always give the
same positions. Standard library and `sgp4` only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Generic, TypeVar

from sgp4.api import WGS72, Satrec

#: Earth's gravitational parameter and equatorial radius as SGP4 uses them (WGS-72).
MU_KM3_S2 = 398600.8
EARTH_RADIUS_KM = 6378.135

T = TypeVar("T")

_EPOCH_1949 = datetime(1949, 12, 31, tzinfo=UTC)
_NDOT_UNITS = 1036800.0 / math.pi  # rev/day^2 -> rad/min^2, as SGP4.cpp
_NDDOT_UNITS = 2985984000.0 / 2.0 / math.pi
#: Orbital period from which SGP4 switches to its deep-space branch (SDP4).
DEEP_SPACE_PERIOD_MIN = 225.0


@dataclass(frozen=True, slots=True)
class RecordError:
    """A record that could not be loaded: where it is and why."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass(frozen=True, slots=True)
class ElementSet:
    """SGP4 mean elements of one object at one epoch (TEME, WGS-72)."""

    norad_id: int
    name: str
    epoch: datetime
    mean_motion_rev_day: float
    eccentricity: float
    inclination_deg: float
    raan_deg: float
    arg_perigee_deg: float
    mean_anomaly_deg: float
    bstar_per_earth_radius: float = 0.0
    mean_motion_dot_rev_day2: float = 0.0
    mean_motion_ddot_rev_day3: float = 0.0
    object_id: str = ""
    classification: str = "U"
    ephemeris_type: int = 0
    element_set_no: int = 999
    rev_at_epoch: int = 0
    tle_line1: str | None = None
    tle_line2: str | None = None
    source: str = ""

    def satrec(self) -> Satrec:
        """The `sgp4` record; from the TLE lines when the set came from a TLE."""
        if self.tle_line1 is not None and self.tle_line2 is not None:
            return Satrec.twoline2rv(self.tle_line1, self.tle_line2, WGS72)
        sat = Satrec()
        sat.classification = self.classification
        sat.intldesg = self.object_id[2:].replace("-", "")
        sat.ephtype = self.ephemeris_type
        sat.elnum = self.element_set_no
        sat.revnum = self.rev_at_epoch
        epoch_days = (self.epoch - _EPOCH_1949).total_seconds() / 86400.0
        deg = math.pi / 180.0
        sat.sgp4init(
            WGS72,
            "i",
            self.norad_id,
            epoch_days,
            self.bstar_per_earth_radius,
            self.mean_motion_dot_rev_day2 / _NDOT_UNITS,
            self.mean_motion_ddot_rev_day3 / _NDDOT_UNITS,
            self.eccentricity,
            self.arg_perigee_deg * deg,
            self.inclination_deg * deg,
            self.mean_anomaly_deg * deg,
            self.mean_motion_rev_day / 720.0 * math.pi,
            self.raan_deg * deg,
        )
        return sat

    @property
    def period_min(self) -> float:
        return 1440.0 / self.mean_motion_rev_day

    @property
    def semi_major_axis_km(self) -> float:
        """Kozai mean semi-major axis from the mean motion (two-body; about 1 km off Brouwer)."""
        n_rad_s = self.mean_motion_rev_day * 2.0 * math.pi / 86400.0
        return float((MU_KM3_S2 / (n_rad_s * n_rad_s)) ** (1.0 / 3.0))

    @property
    def is_deep_space(self) -> bool:
        return self.period_min >= DEEP_SPACE_PERIOD_MIN


@dataclass(frozen=True, slots=True)
class SatcatEntry:
    """Catalog facts for one object, in CelesTrak SATCAT terms."""

    norad_id: int
    name: str
    object_id: str
    object_type: str  # PAY, R/B, DEB, UNK
    ops_status: str
    owner: str  # CelesTrak owner / source code: US, CIS, PRC, FR, ...
    launch_date: date | None
    decay_date: date | None

    @property
    def decayed(self) -> bool:
        return self.decay_date is not None


@dataclass(frozen=True, slots=True)
class LoadResult(Generic[T]):
    """What a reader loaded, and the records it could not load."""

    items: list[T]
    errors: list[RecordError]


def parse_epoch(text: str) -> datetime:
    """An OMM / ISO 8601 epoch, as aware UTC; accepts 'Z', offsets and day-of-year forms."""
    s = text.strip()
    if not s:
        raise ValueError("empty epoch")
    if s.endswith("Z"):
        s = s[:-1]
    # CCSDS allows YYYY-DDDThh:mm:ss (day of year).
    if len(s) >= 8 and s[4] == "-" and s[8:9] in ("T", "") and s[5:8].isdigit():
        year, doy = int(s[:4]), int(s[5:8])
        rest = s[9:] or "00:00:00"
        base = datetime(year, 1, 1, tzinfo=UTC) + timedelta(days=doy - 1)
        hh, mm, ss = rest.split(":")
        return base + timedelta(hours=int(hh), minutes=int(mm), seconds=float(ss))
    dt = datetime.fromisoformat(s)
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def elements_from_satrec(sat: Satrec, *, name: str, source: str, **extra: Any) -> ElementSet:
    """Read the mean elements back from an initialised `sgp4` record (used for TLEs)."""
    deg = 180.0 / math.pi
    jd = sat.jdsatepoch + sat.jdsatepochF
    epoch = datetime(2000, 1, 1, 12, tzinfo=UTC) + timedelta(days=jd - 2451545.0)
    return ElementSet(
        norad_id=int(sat.satnum),
        name=name,
        epoch=epoch,
        mean_motion_rev_day=sat.no_kozai * 720.0 / math.pi,
        eccentricity=sat.ecco,
        inclination_deg=sat.inclo * deg,
        raan_deg=sat.nodeo * deg,
        arg_perigee_deg=sat.argpo * deg,
        mean_anomaly_deg=sat.mo * deg,
        bstar_per_earth_radius=sat.bstar,
        mean_motion_dot_rev_day2=sat.ndot * _NDOT_UNITS,
        mean_motion_ddot_rev_day3=sat.nddot * _NDDOT_UNITS,
        source=source,
        **extra,
    )
