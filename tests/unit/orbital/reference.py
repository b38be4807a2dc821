"""A brute-force reference for close approaches, independent of the engine's method.

Dense sampling of every pair (1 s), local minima of the sampled distance,
then each refined by bounded scalar minimisation of the exact SGP4 distance.
Slow but simple: only for small catalogs in tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize_scalar
from sgp4.api import SatrecArray

from watchfloor.engines.orbital.base import TimeWindow
from watchfloor.engines.orbital.catalog import Catalog


@dataclass(frozen=True)
class RefApproach:
    norad_a: int
    norad_b: int
    tca_s: float
    miss_km: float


def brute_force(
    catalog: Catalog,
    window: TimeWindow,
    threshold_km: float,
    *,
    victim: int | None = None,
    step_s: float = 1.0,
) -> list[RefApproach]:
    jd0, fr0 = window.julian
    t = np.arange(0.0, window.duration_s + 1e-9, step_s)
    sats = catalog.satrecs
    err, r, _ = SatrecArray(sats).sgp4(np.full(t.size, jd0), fr0 + t / 86400.0)
    assert not err.any(), "reference catalog must propagate cleanly"
    n = len(catalog)
    ids = catalog.norad_ids
    out: list[RefApproach] = []
    pairs = (
        [(i, j) for i in range(n) for j in range(i + 1, n)]
        if victim is None
        else [
            (min(i, v), max(i, v)) for v in [catalog.index_of(victim)] for i in range(n) if i != v
        ]
    )
    for i, j in pairs:
        d = np.linalg.norm(r[i] - r[j], axis=1)
        if d.min() > threshold_km + 50.0:
            continue

        def dist(x: float, i: int = i, j: int = j) -> float:
            _, ra, _ = sats[i].sgp4(jd0, fr0 + x / 86400.0)
            _, rb, _ = sats[j].sgp4(jd0, fr0 + x / 86400.0)
            return float(np.linalg.norm(np.subtract(ra, rb)))

        interior = np.flatnonzero((d[1:-1] <= d[:-2]) & (d[1:-1] <= d[2:])) + 1
        for k in interior:
            res = minimize_scalar(
                dist, bounds=(t[k - 1], t[k + 1]), method="bounded", options={"xatol": 1e-4}
            )
            if res.fun <= threshold_km:
                out.append(RefApproach(int(ids[i]), int(ids[j]), float(res.x), float(res.fun)))
        for k, inward in ((0, d[1] >= d[0]), (t.size - 1, d[-2] >= d[-1])):
            if inward and d[k] <= threshold_km:
                out.append(RefApproach(int(ids[i]), int(ids[j]), float(t[k]), float(d[k])))
    return out
