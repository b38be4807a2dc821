"""Close-approach screening: one victim against the catalog, or all against all.

Public functions validate and choose sizes; the kernels (`kernels`) do the
maths on time chunks wherever the propagator runs them.

Tolerances (exact for SGP4, TEME): every local minimum of the distance below
the threshold is found, given the interpolation bound of
`catalog.interpolation_error_km` and at most one minimum per refined piece
(5 s in catalog screening, 20 s in victim screening) for each pair; the time
of closest approach is SGP4's to 1e-4 s and the miss distance is SGP4's at
that time.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from watchfloor.engines.orbital.base import ProgressCallback, Propagator, TimeWindow
from watchfloor.engines.orbital.catalog import Catalog, FloatArray, interpolation_error_km
from watchfloor.engines.orbital.elements import EARTH_RADIUS_KM, SatcatEntry
from watchfloor.engines.orbital.findings import CloseApproach
from watchfloor.engines.orbital.kernels import CatalogKernel, ChunkResult, VictimKernel
from watchfloor.engines.orbital.propagation import SerialPropagator
from watchfloor.engines.orbital.refine import Approach

#: Padding of the apogee/perigee filter beyond SGP4's mean perigee and apogee in the window.
SHELL_MARGIN_KM = 30.0
#: Approaches of one pair closer in time than this are one approach.
_SAME_APPROACH_S = 0.01


@dataclass
class ScreeningResult:
    """Approaches found, and what the run did to find them."""

    approaches: list[CloseApproach]
    objects_screened: int
    propagations: int
    candidates: int
    elapsed_s: float
    skipped: dict[int, str] = field(default_factory=dict)  # NORAD id -> reason

    @property
    def propagations_per_s(self) -> float:
        return self.propagations / self.elapsed_s if self.elapsed_s > 0 else 0.0


def screen_victim(
    catalog: Catalog,
    victim_norad: int,
    window: TimeWindow,
    threshold_km: float,
    *,
    propagator: Propagator | None = None,
    satcat: Mapping[int, SatcatEntry] | None = None,
    sample_step_s: float = 600.0,
    piece_s: float = 20.0,
    chunk_s: float | None = None,
    progress: ProgressCallback | None = None,
) -> ScreeningResult:
    """Every object that comes within `threshold_km` of `victim_norad` in the window."""
    _check(threshold_km, sample_step_s, piece_s)
    victim = catalog.index_of(victim_norad)
    began = time.perf_counter()
    propagator = propagator or SerialPropagator()
    low, high, shell_props, skipped = _radius_ranges(catalog, window)
    others = np.flatnonzero(np.arange(len(catalog)) != victim)
    overlap = (low[others] <= high[victim] + threshold_km) & (
        high[others] >= low[victim] - threshold_km
    )
    rows = others[overlap & np.isfinite(low[others])]
    kernel = VictimKernel(
        victim_row=victim,
        rows=rows.astype(np.int64),
        threshold_km=threshold_km,
        sample_step_s=sample_step_s,
        piece_s=piece_s,
        error_km=interpolation_error_km(catalog, sample_step_s),
    )
    chunks = window.chunks(chunk_s or _chunk_s(window, propagator, sample_step_s), sample_step_s)
    parts = propagator.map_chunks(catalog, window, chunks, kernel, progress)
    return _collect(catalog, window, parts, satcat, began, shell_props, rows.size + 1, skipped)


def screen_catalog(
    catalog: Catalog,
    window: TimeWindow,
    threshold_km: float,
    *,
    propagator: Propagator | None = None,
    satcat: Mapping[int, SatcatEntry] | None = None,
    sample_step_s: float = 300.0,
    piece_s: float = 40.0,
    chunk_s: float | None = None,
    progress: ProgressCallback | None = None,
) -> ScreeningResult:
    """Every pair of catalog objects that comes within `threshold_km` in the window."""
    _check(threshold_km, sample_step_s, piece_s)
    began = time.perf_counter()
    propagator = propagator or SerialPropagator()
    low, high, shell_props, skipped = _radius_ranges(catalog, window)
    rows = np.flatnonzero(np.isfinite(low)).astype(np.int64)
    kernel = CatalogKernel(
        rows=rows,
        threshold_km=threshold_km,
        sample_step_s=sample_step_s,
        piece_s=piece_s,
        error_km=interpolation_error_km(catalog, sample_step_s),
        radius_low_km=low,
        radius_high_km=high,
    )
    chunks = window.chunks(chunk_s or _chunk_s(window, propagator, sample_step_s), sample_step_s)
    parts = propagator.map_chunks(catalog, window, chunks, kernel, progress)
    return _collect(catalog, window, parts, satcat, began, shell_props, rows.size, skipped)


def _check(threshold_km: float, sample_step_s: float, piece_s: float) -> None:
    if not (math.isfinite(threshold_km) and threshold_km > 0.0):
        raise ValueError(f"threshold must be a positive distance in km, got {threshold_km!r}")
    if not (0.0 < piece_s <= sample_step_s <= 900.0):
        raise ValueError(
            f"need 0 < piece ({piece_s} s) <= sample step ({sample_step_s} s) <= 900 s"
        )


def _chunk_s(window: TimeWindow, propagator: Propagator, step_s: float) -> float:
    """About four chunks per worker (load balance), none over six hours (memory)."""
    target = window.duration_s / (4 * max(1, propagator.workers))
    return max(step_s, min(target, 6 * 3600.0))


def _radius_ranges(
    catalog: Catalog, window: TimeWindow
) -> tuple[FloatArray, FloatArray, int, dict[int, str]]:
    """Lowest perigee and highest apogee radius of each object in the window, padded.

    From SGP4's own mean elements (`am`, `em` after a call) at the start,
    middle and end of the window (drag decay and the long-period J2 terms are
    monotonic over days), and every 12 h for deep-space objects, whose
    lunisolar terms are not;
    short-period terms move the true radius up to about 22 km outside the
    mean shell (measured over the 2024-11-01 catalog), hence the 30 km margin.
    Objects that SGP4 refuses at any sample get NaN and are reported.
    """
    jd0, fr0 = window.julian
    near = (np.linspace(0.0, window.duration_s, 3) / 86400.0).tolist()
    deep = sorted(set(near) | set((np.arange(0.0, window.duration_s, 43200.0) / 86400.0).tolist()))
    n = len(catalog)
    calls = 0
    low = np.full(n, np.inf)
    high = np.full(n, -np.inf)
    skipped: dict[int, str] = {}
    re = EARTH_RADIUS_KM
    for i, (sat, is_deep) in enumerate(zip(catalog.satrecs, catalog.is_deep_space, strict=True)):
        for t in deep if is_deep else near:
            calls += 1
            err, _, _ = sat.sgp4(jd0, fr0 + t)
            if err:
                skipped[int(catalog.norad_ids[i])] = f"SGP4 error {err}"
                low[i] = high[i] = np.nan
                break
            perigee = sat.am * (1.0 - sat.em) * re
            apogee = sat.am * (1.0 + sat.em) * re
            low[i] = min(low[i], perigee)
            high[i] = max(high[i], apogee)
    return low - SHELL_MARGIN_KM, high + SHELL_MARGIN_KM, calls, skipped


def _collect(
    catalog: Catalog,
    window: TimeWindow,
    parts: list[ChunkResult],
    satcat: Mapping[int, SatcatEntry] | None,
    began: float,
    shell_props: int,
    screened: int,
    skipped: dict[int, str],
) -> ScreeningResult:
    raw: list[Approach] = sorted(
        (a for p in parts for a in p.approaches), key=lambda a: (a.row_a, a.row_b, a.tca_s)
    )
    unique: list[Approach] = []
    for a in raw:
        last = unique[-1] if unique else None
        if (
            last is not None
            and (last.row_a, last.row_b) == (a.row_a, a.row_b)
            and abs(last.tca_s - a.tca_s) < _SAME_APPROACH_S
        ):
            continue
        unique.append(a)
    ids = catalog.norad_ids
    found = []
    for a in sorted(unique, key=lambda a: (a.tca_s, a.row_a, a.row_b)):
        ea, eb = catalog.elements[a.row_a], catalog.elements[a.row_b]
        found.append(
            CloseApproach(
                norad_a=int(ids[a.row_a]),
                norad_b=int(ids[a.row_b]),
                tca=window.at(a.tca_s),
                miss_km=a.miss_km,
                rel_speed_km_s=a.rel_speed_km_s,
                at_window_edge=a.at_window_edge,
                name_a=ea.name,
                name_b=eb.name,
                owner_a=_owner(satcat, ea.norad_id),
                owner_b=_owner(satcat, eb.norad_id),
            )
        )
    for p in parts:
        for row, reason in p.skipped.items():
            skipped.setdefault(int(ids[row]), reason)
    return ScreeningResult(
        approaches=found,
        objects_screened=screened,
        propagations=shell_props + sum(p.propagations for p in parts),
        candidates=sum(p.candidates for p in parts),
        elapsed_s=time.perf_counter() - began,
        skipped=skipped,
    )


def _owner(satcat: Mapping[int, SatcatEntry] | None, norad: int) -> str:
    if satcat is None:
        return ""
    entry = satcat.get(norad)
    return entry.owner if entry is not None else "UNKNOWN"
