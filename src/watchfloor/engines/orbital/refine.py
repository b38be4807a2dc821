r"""Exact times of closest approach, on SGP4 itself.

The squared distance d^2(t) = |dr|^2 of two objects has derivative
2 g(t), g = dr . dv. A closest approach is a root of g where it passes from
negative to positive. Given a bracket [lo, hi] with g(lo) < 0 <= g(hi), a
safeguarded Newton iteration finds it, with

    g'(t) = |dv|^2 + dr . da,

da from two-body plus J2 (only the step size depends on it; the root is
SGP4's). Steps that leave the bracket fall back to bisection. The
iteration stops when the step is below 1e-4 s, far inside the 1 s tolerance.
At a window edge, a receding pair (g >= 0 at the start) or an approaching one
(g < 0 at the end) has its minimum on the edge, and that is reported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from sgp4.api import Satrec

from watchfloor.engines.orbital.elements import EARTH_RADIUS_KM, MU_KM3_S2

J2 = 0.001082616
_TIME_TOLERANCE_S = 1e-4
_MAX_ITERATIONS = 60
_SLOW_KM_S = 0.1
_DIFF_STEP_S = 0.5
_VECTOR_FROM_PIECES = 16

Vec = tuple[float, float, float]


class PropagationError(Exception):
    """SGP4 refused an object at a time (decayed, or elements out of range)."""


@dataclass(frozen=True, slots=True)
class Approach:
    """One refined closest approach between catalog rows a and b."""

    row_a: int
    row_b: int
    tca_s: float
    miss_km: float
    rel_speed_km_s: float
    at_window_edge: bool


class PairClock:
    """Evaluates the relative state of two objects at seconds from the window start."""

    __slots__ = ("calls", "fr0", "jd0", "sat_a", "sat_b", "slow")

    def __init__(self, sat_a: Satrec, sat_b: Satrec, jd0: float, fr0: float) -> None:
        self.sat_a, self.sat_b, self.jd0, self.fr0 = sat_a, sat_b, jd0, fr0
        self.calls = 0
        self.slow: bool | None = None

    def range_rate(self, t_s: float) -> tuple[float, Vec, Vec, Vec, Vec]:
        """(g, dr, dv, ra, rb) with g = dr . d(dr)/dt, half the derivative of the squared distance.

        SGP4's velocity is not exactly the derivative of its position (the
        short-period terms are differentiated approximately). For fast pairs the
        difference is immaterial; for slow ones (under 100 m/s) it moves the root
        by seconds, so there g comes from a central difference of positions.
        """
        dr, dv, ra, rb = self.relative(t_s)
        if self.slow is None:
            self.slow = _dot(dv, dv) < _SLOW_KM_S**2
        if self.slow:
            ahead, _, _, _ = self.relative(t_s + _DIFF_STEP_S)
            behind, _, _, _ = self.relative(t_s - _DIFF_STEP_S)
            scale = 0.5 / _DIFF_STEP_S
            dv = tuple((x - y) * scale for x, y in zip(ahead, behind, strict=True))  # type: ignore[assignment]
        return _dot(dr, dv), dr, dv, ra, rb

    def relative(self, t_s: float) -> tuple[Vec, Vec, Vec, Vec]:
        fr = self.fr0 + t_s / 86400.0
        ea, ra, va = self.sat_a.sgp4(self.jd0, fr)
        eb, rb, vb = self.sat_b.sgp4(self.jd0, fr)
        self.calls += 2
        if ea or eb:
            raise PropagationError(f"SGP4 error {ea or eb} at t={t_s:.1f} s")
        dr = (ra[0] - rb[0], ra[1] - rb[1], ra[2] - rb[2])
        dv = (va[0] - vb[0], va[1] - vb[1], va[2] - vb[2])
        return dr, dv, ra, rb


def _dot(a: Vec, b: Vec) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _gravity(r: Vec) -> Vec:
    x, y, z = r
    r2 = x * x + y * y + z * z
    rn = math.sqrt(r2)
    k = -MU_KM3_S2 / (r2 * rn)
    f = 1.5 * J2 * EARTH_RADIUS_KM * EARTH_RADIUS_KM / r2
    zz = 5.0 * z * z / r2
    return (k * x * (1 + f * (1 - zz)), k * y * (1 + f * (1 - zz)), k * z * (1 + f * (3 - zz)))


def refine_pieces(
    sats: list[Satrec],
    jd0: float,
    fr0: float,
    window_s: float,
    pieces: list[tuple[int, int, float, float]],
) -> tuple[list[tuple[int, int, float, Vec, Vec, bool]], int, dict[int, str]]:
    """Closest approaches inside candidate pieces (row_a, row_b, lo_s, hi_s).

    The range-rate sign g = dr . dv is evaluated exactly at every piece
    boundary (once, as neighbouring pieces share boundaries); only pieces where
    g passes from negative to non-negative hold a minimum and get the Newton
    iteration. Returns (row_a, row_b, tca_s, dr, dv, at_edge) per
    approach, the number of SGP4 evaluations, and rows SGP4 refused.
    """
    found: list[tuple[int, int, float, Vec, Vec, bool]] = []
    calls = 0
    skipped: dict[int, str] = {}
    cache: dict[tuple[int, int, float], tuple[float, Vec, Vec]] = {}
    clocks: dict[tuple[int, int], PairClock] = {}
    runs: dict[tuple[int, int], list[tuple[float, float]]] = {}
    for a, b, lo, hi in pieces:
        runs.setdefault((a, b), []).append((lo, hi))
    rest: list[tuple[int, int, float, float]] = []
    for (a, b), spans in runs.items():
        if len(spans) < _VECTOR_FROM_PIECES:
            rest.extend((a, b, lo, hi) for lo, hi in spans)
            continue
        # Long runs (docked or co-located pairs): g at every boundary in a few
        # vectorised SGP4 calls, then Newton only where g changes sign.
        bounds = np.asarray(spans, dtype=np.float64)
        times = np.unique(bounds)
        prefilled, n_calls = _prefill(sats[a], sats[b], jd0, fr0, times)
        calls += n_calls
        if prefilled is None:  # SGP4 refused somewhere: the careful path reports it
            rest.extend((a, b, lo, hi) for lo, hi in spans)
            continue
        g, dr, dv = prefilled
        i_lo = np.searchsorted(times, bounds[:, 0])
        i_hi = np.searchsorted(times, bounds[:, 1])
        run_lo, run_hi = g[i_lo], g[i_hi]
        bracket = (run_lo < 0.0) & (run_hi >= 0.0)
        at_start = ~bracket & (bounds[:, 0] <= 0.0) & (run_lo >= 0.0)
        at_end = ~bracket & ~at_start & (bounds[:, 1] >= window_s) & (run_hi < 0.0)
        for k in np.flatnonzero(bracket | at_start | at_end).tolist():
            lo, hi = float(bounds[k, 0]), float(bounds[k, 1])
            if at_start[k]:
                found.append((a, b, lo, _vec(dr[i_lo[k]]), _vec(dv[i_lo[k]]), True))
            elif at_end[k]:
                found.append((a, b, hi, _vec(dr[i_hi[k]]), _vec(dv[i_hi[k]]), True))
            else:
                clock = clocks.get((a, b))
                if clock is None:
                    clock = clocks[(a, b)] = PairClock(sats[a], sats[b], jd0, fr0)
                try:
                    t, dr_t, dv_t = _newton(clock, lo, hi, float(run_lo[k]), float(run_hi[k]))
                except PropagationError as exc:
                    skipped.setdefault(b, f"SGP4 error while refining: {exc}")
                    continue
                found.append((a, b, t, dr_t, dv_t, False))
    for a, b, lo, hi in sorted(rest):
        clock = clocks.get((a, b))
        if clock is None:
            clock = clocks[(a, b)] = PairClock(sats[a], sats[b], jd0, fr0)
        try:
            g_lo, dr_lo, dv_lo = _range_rate(clock, cache, a, b, lo)
            g_hi, dr_hi, dv_hi = _range_rate(clock, cache, a, b, hi)
            if g_lo < 0.0 <= g_hi:
                t, dr_t, dv_t = _newton(clock, lo, hi, g_lo, g_hi)
                found.append((a, b, t, dr_t, dv_t, False))
            elif lo <= 0.0 and g_lo >= 0.0:
                found.append((a, b, lo, dr_lo, dv_lo, True))
            elif hi >= window_s and g_hi < 0.0:
                found.append((a, b, hi, dr_hi, dv_hi, True))
        except PropagationError as exc:
            skipped.setdefault(b, f"SGP4 error while refining: {exc}")
    calls += sum(c.calls for c in clocks.values())
    return found, calls, skipped


def _prefill(
    sat_a: Satrec,
    sat_b: Satrec,
    jd0: float,
    fr0: float,
    times: np.ndarray,
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray] | None, int]:
    """(g, dr, dv) at many times for one pair, in three vectorised SGP4 calls per object.

    None when SGP4 refuses either object at any of them.
    """
    offsets = (0.0, _DIFF_STEP_S, -_DIFF_STEP_S)
    stacked = np.concatenate([times + o for o in offsets])
    jd = np.full(stacked.shape, jd0)
    fr = fr0 + stacked / 86400.0
    ea, ra, va = sat_a.sgp4_array(jd, fr)
    eb, rb, vb = sat_b.sgp4_array(jd, fr)
    calls = 2 * stacked.size
    if np.any(ea != 0) or np.any(eb != 0):
        return None, calls
    n = times.size
    dr_all = ra - rb
    dr, ahead, behind = dr_all[:n], dr_all[n : 2 * n], dr_all[2 * n :]
    dv_sgp4 = (va - vb)[:n]
    slow = float(np.median(np.einsum("ij,ij->i", dv_sgp4, dv_sgp4))) < _SLOW_KM_S**2
    dv = (ahead - behind) * (0.5 / _DIFF_STEP_S) if slow else dv_sgp4
    g = np.einsum("ij,ij->i", dr, dv)
    return (g, dr, dv), calls


def _range_rate(
    clock: PairClock,
    cache: dict[tuple[int, int, float], tuple[float, Vec, Vec]],
    a: int,
    b: int,
    t: float,
) -> tuple[float, Vec, Vec]:
    """g = dr . dv at t, remembered: neighbouring pieces share their boundaries."""
    key = (a, b, t)
    hit = cache.get(key)
    if hit is None:
        g, dr, dv, _, _ = clock.range_rate(t)
        hit = cache[key] = (g, dr, dv)
    return hit


def _vec(x: np.ndarray) -> Vec:
    return (float(x[0]), float(x[1]), float(x[2]))


def _newton(
    clock: PairClock, lo: float, hi: float, g_lo: float, g_hi: float
) -> tuple[float, Vec, Vec]:
    """The root of g in [lo, hi] (g(lo) < 0 <= g(hi)); safeguarded Newton from the secant root."""
    t = lo + (hi - lo) * (-g_lo) / (g_hi - g_lo)
    for _ in range(_MAX_ITERATIONS):
        g, dr, dv, ra, rb = clock.range_rate(t)
        if g < 0.0:
            lo = t
        else:
            hi = t
        ga, gb = _gravity(ra), _gravity(rb)
        da = (ga[0] - gb[0], ga[1] - gb[1], ga[2] - gb[2])
        slope = _dot(dv, dv) + _dot(dr, da)
        new = t - g / slope if slope > 0.0 else 0.5 * (lo + hi)
        if not (lo < new < hi):
            new = 0.5 * (lo + hi)
        converged = abs(new - t) < _TIME_TOLERANCE_S or hi - lo < _TIME_TOLERANCE_S
        t = new
        if converged:
            break
    dr, dv, _, _ = clock.relative(t)  # report SGP4's own relative velocity
    return t, dr, dv


def norm(v: Vec) -> float:
    return math.sqrt(_dot(v, v))
