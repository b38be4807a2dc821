"""The screening work done on one time chunk (runs in worker processes).

Both kernels sample SGP4 every `sample_step_s`, join the samples with cubic
Hermite pieces, discard what the Taylor bound or the convex-hull test
(`hermite`) proves cannot come within the threshold (plus both objects'
interpolation error bounds: the margin that covers the cubic's distance from
SGP4, so dropping is safe), and refine
what is left on SGP4 itself (`refine`). The catalog kernel first pairs
objects with a k-d tree at the middle of every `piece_s` piece, with a
radius padded by how far each object can move in half a piece.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from watchfloor.engines.orbital.base import TimeChunk, TimeWindow
from watchfloor.engines.orbital.catalog import Catalog, FloatArray, IntArray
from watchfloor.engines.orbital.elements import MU_KM3_S2
from watchfloor.engines.orbital.hermite import (
    derivative,
    evaluate,
    hermite_coefficients,
    restrict,
    screen_pieces,
    second_derivative,
    taylor_distance_km,
    taylor_of_states,
)
from watchfloor.engines.orbital.propagation import propagate_states, sample_times
from watchfloor.engines.orbital.refine import Approach, norm, refine_pieces

#: Speeds above this (km/s) are treated apart in the tree query (eccentric orbits near perigee).
_FAST_KM_S = 8.0


@dataclass
class ChunkResult:
    approaches: list[Approach] = field(default_factory=list)
    propagations: int = 0
    candidates: int = 0
    skipped: dict[int, str] = field(default_factory=dict)  # catalog row -> reason


def _refine_all(
    catalog: Catalog,
    window: TimeWindow,
    pieces: list[tuple[int, int, float, float]],
    threshold_km: float,
    result: ChunkResult,
) -> None:
    jd0, fr0 = window.julian
    ids = catalog.norad_ids
    ordered = [(a, b, lo, hi) if ids[a] < ids[b] else (b, a, lo, hi) for a, b, lo, hi in pieces]
    found, calls, skipped = refine_pieces(catalog.satrecs, jd0, fr0, window.duration_s, ordered)
    result.propagations += calls
    for row, reason in skipped.items():
        result.skipped.setdefault(row, reason)
    for a, b, t, dr, dv, edge in found:
        miss = norm(dr)
        if miss <= threshold_km:
            result.approaches.append(Approach(a, b, t, miss, norm(dv), edge))


def _valid_rows(error: NDArray[np.uint8], rows: IntArray, result: ChunkResult) -> NDArray[np.bool_]:
    bad = (error != 0).any(axis=1)
    for r, e in zip(rows[bad], error[bad], strict=True):
        code = int(e[e != 0][0])
        result.skipped.setdefault(int(r), f"SGP4 error {code} in the chunk")
    return np.asarray(~bad, dtype=bool)


@dataclass(frozen=True)
class VictimKernel:
    """One object against candidate rows (already through the apogee/perigee filter)."""

    victim_row: int
    rows: IntArray
    threshold_km: float
    sample_step_s: float
    piece_s: float
    error_km: FloatArray  # interpolation error bound per catalog row

    def __call__(self, catalog: Catalog, window: TimeWindow, chunk: TimeChunk) -> ChunkResult:
        result = ChunkResult()
        t = sample_times(chunk, self.sample_step_s)
        rows = np.concatenate([self.rows, [self.victim_row]]).astype(np.int64)
        states = propagate_states(catalog, window, t, rows)
        result.propagations += rows.size * t.size
        ok = _valid_rows(states.error, rows, result)
        if not ok[-1] or rows.size < 2:
            return result
        keep = np.flatnonzero(ok[:-1])
        p, v = states.position_km, states.velocity_km_s
        dp = p[keep] - p[-1][None]  # relative states (n, K, 3)
        dv = v[keep] - v[-1][None]
        dt = np.diff(t)
        limit = self.threshold_km + self.error_km[rows[keep]] + self.error_km[self.victim_row]
        # Cheap Taylor bound on every sample interval of every object; the
        # hull tests and halving then run only on the few intervals left.
        may = taylor_of_states(dp[:, :-1], dv[:, :-1], dp[:, 1:], dv[:, 1:], dt[None, :])
        obj, interval = np.nonzero(may <= limit[:, None])
        rel = hermite_coefficients(
            dp[obj, interval],
            dv[obj, interval],
            dp[obj, interval + 1],
            dv[obj, interval + 1],
            dt[interval],
        )
        which, u0, u1 = screen_pieces(rel, limit[obj], self.piece_s / self.sample_step_s)
        obj, interval = obj[which], interval[which]
        start = t[interval]
        lo = start + u0 * dt[interval]
        hi = start + u1 * dt[interval]
        result.candidates += int(which.size)
        victim = self.victim_row
        pairs = [
            (int(rows[keep[o]]), victim, float(a), float(b))
            for o, a, b in zip(obj, lo, hi, strict=True)
        ]
        _refine_all(catalog, window, pairs, self.threshold_km, result)
        return result


@dataclass(frozen=True)
class CatalogKernel:
    """All rows against all, through a k-d tree per piece."""

    rows: IntArray
    threshold_km: float
    sample_step_s: float
    piece_s: float
    error_km: FloatArray
    radius_low_km: FloatArray  # per catalog row: lowest radius in the window (padded)
    radius_high_km: FloatArray
    refine_s: float = 5.0  # pieces handed to the exact refinement are at most this long

    def __call__(self, catalog: Catalog, window: TimeWindow, chunk: TimeChunk) -> ChunkResult:
        result = ChunkResult()
        t = sample_times(chunk, self.sample_step_s)
        states = propagate_states(catalog, window, t, self.rows)
        result.propagations += self.rows.size * t.size
        ok = _valid_rows(states.error, self.rows, result)
        rows = self.rows[ok]
        p, v = states.position_km[ok], states.velocity_km_s[ok]
        eps = self.error_km[rows]
        eps_max = float(eps.max()) if eps.size else 0.0
        low, high = self.radius_low_km[rows], self.radius_high_km[rows]
        d = self.threshold_km
        found: list[tuple[int, int, float, float]] = []
        for i in range(t.size - 1):
            step = float(t[i + 1] - t[i])
            coeffs = hermite_coefficients(p[:, i], v[:, i], p[:, i + 1], v[:, i + 1], step)
            m = max(1, math.ceil(step / self.piece_s - 1e-9))
            for j in range(m):
                u0, u1 = j / m, (j + 1) / m
                half = 0.5 * step / m
                mid = evaluate(coeffs, 0.5 * (u0 + u1))
                slope = derivative(coeffs, 0.5 * (u0 + u1)) / m  # per unit of the piece
                vel = slope / (step / m)
                r2 = np.einsum("ij,ij->i", mid, mid)
                speed = np.sqrt(np.einsum("ij,ij->i", vel, vel)) + MU_KM3_S2 / r2 * half + 0.01
                # |p''| over the piece (per unit of the piece squared): linear in u, so an end.
                at0, at1 = second_derivative(coeffs, u0), second_derivative(coeffs, u1)
                curvature = np.sqrt(
                    np.maximum(np.einsum("ij,ij->i", at0, at0), np.einsum("ij,ij->i", at1, at1))
                ) / (m * m)
                a, b = _tree_pairs(mid, speed, half, d + 2.0 * eps_max)
                if a.size == 0:
                    continue
                # Classic apogee/perigee filter, then the Taylor bound of the relative cubic
                # (|q''| <= |p_a''| + |p_b''|), then the hull tests.
                shells = np.maximum(low[a], low[b]) - np.minimum(high[a], high[b]) <= d
                a, b = a[shells], b[shells]
                limit = d + eps[a] + eps[b]
                near = (
                    taylor_distance_km(
                        mid[a] - mid[b], slope[a] - slope[b], curvature[a] + curvature[b]
                    )
                    <= limit
                )
                a, b, limit = a[near], b[near], limit[near]
                if a.size == 0:
                    continue
                piece = restrict(coeffs[a] - coeffs[b], u0, u1)
                # Halve what is left down to `refine_s` pieces before refining on SGP4.
                which, w0, w1 = screen_pieces(piece, limit, self.refine_s * m / step)
                lo = float(t[i]) + (j + w0) * step / m
                hi = float(t[i]) + (j + w1) * step / m
                found.extend(
                    zip(
                        rows[a[which]].tolist(),
                        rows[b[which]].tolist(),
                        lo.tolist(),
                        hi.tolist(),
                        strict=True,
                    )
                )
        result.candidates += len(found)
        _refine_all(catalog, window, found, d, result)
        return result


def _tree_pairs(
    mid: FloatArray, speed: FloatArray, half_s: float, base_km: float
) -> tuple[IntArray, IntArray]:
    """Index pairs (i < j) whose positions may be within reach during the piece.

    One tree query for the common speed, plus ball queries for the few fast
    objects, so the radius is not set by the fastest object in the catalog.
    """
    tree = cKDTree(mid, balanced_tree=False, compact_nodes=False)
    top = float(speed.max())
    slow_cap = min(_FAST_KM_S, top)
    pairs = tree.query_pairs(base_km + 2.0 * slow_cap * half_s, output_type="ndarray")
    is_fast = speed > slow_cap
    fast = np.flatnonzero(is_fast)
    if fast.size:
        # Pairs with a fast member come from the wider ball queries below, once each.
        pairs = pairs[~(is_fast[pairs[:, 0]] | is_fast[pairs[:, 1]])]
        hits = tree.query_ball_point(mid[fast], base_km + 2.0 * top * half_s)
        lengths = np.fromiter((len(h) for h in hits), dtype=np.int64, count=len(hits))
        if lengths.sum():
            i = np.repeat(fast, lengths)
            j = np.concatenate([np.asarray(h, dtype=np.int64) for h in hits if len(h)])
            keep = (i != j) & (~is_fast[j] | (i < j))
            i, j = i[keep], j[keep]
            extra = np.stack([np.minimum(i, j), np.maximum(i, j)], axis=1)
            pairs = np.concatenate([pairs, extra])
    if pairs.size == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int64)
