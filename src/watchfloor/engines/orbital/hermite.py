r"""Cubic Hermite pieces of SGP4 trajectories, and the convex-hull test on them.

Between two SGP4 samples (p0, v0) at u = 0 and (p1, v1) at u = 1 (u = t/h),
the cubic Hermite interpolant in power form is

    p(u) = c0 + c1 u + c2 u^2 + c3 u^3,
    c0 = p0, c1 = h v0, c2 = 3(p1 - p0) - h(2 v0 + v1), c3 = 2(p0 - p1) + h(v0 + v1).

The relative motion of two objects is the difference of their cubics, again a
cubic. Written as a Bezier curve its four control points

    B0 = c0, B1 = c0 + c1/3, B2 = c0 + 2c1/3 + c2/3, B3 = c0 + c1 + c2 + c3

enclose it (convex-hull property). If a plane separates the hull from the
origin by more than the threshold plus the interpolation errors, the pair
cannot come that close during the piece: that is the whole screening test.
Pieces that pass are halved (de Casteljau) and tested again.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


def hermite_coefficients(
    p0: FloatArray, v0: FloatArray, p1: FloatArray, v1: FloatArray, step_s: float | FloatArray
) -> FloatArray:
    """Power-form coefficients (..., 4, 3) of the cubic between two states."""
    h = np.asarray(step_s, dtype=np.float64)
    if h.ndim:
        h = h[..., None]
    shape = np.broadcast_shapes(p0.shape, (v0 * h).shape)
    out = np.empty((*shape[:-1], 4, 3))
    out[..., 0, :] = p0
    out[..., 1, :] = v0 * h
    out[..., 3, :] = p0 - p1
    out[..., 2, :] = -3.0 * out[..., 3, :] - (2.0 * v0 + v1) * h
    out[..., 3, :] = 2.0 * out[..., 3, :] + (v0 + v1) * h
    return out


def restrict(coeffs: FloatArray, u0: float | FloatArray, u1: float | FloatArray) -> FloatArray:
    """Coefficients of q(w) = p(u0 + (u1 - u0) w): the piece [u0, u1] reparametrised to [0, 1]."""
    a = np.asarray(u0, dtype=np.float64)[..., None]
    s = np.asarray(u1, dtype=np.float64)[..., None] - a
    c0, c1, c2, c3 = coeffs[..., 0, :], coeffs[..., 1, :], coeffs[..., 2, :], coeffs[..., 3, :]
    d0 = c0 + a * (c1 + a * (c2 + a * c3))
    d1 = (c1 + a * (2.0 * c2 + 3.0 * a * c3)) * s
    d2 = (c2 + 3.0 * a * c3) * s * s
    d3 = c3 * s * s * s
    return np.stack([d0, d1, d2, d3], axis=-2)


def evaluate(coeffs: FloatArray, u: float | FloatArray) -> FloatArray:
    """Position at parameter u (broadcast over the leading axes)."""
    w = np.asarray(u, dtype=np.float64)[..., None]
    return coeffs[..., 0, :] + w * (
        coeffs[..., 1, :] + w * (coeffs[..., 2, :] + w * coeffs[..., 3, :])
    )


def derivative(coeffs: FloatArray, u: float | FloatArray) -> FloatArray:
    """dp/du at u (divide by the piece's duration for km/s)."""
    w = np.asarray(u, dtype=np.float64)[..., None]
    return coeffs[..., 1, :] + w * (2.0 * coeffs[..., 2, :] + 3.0 * w * coeffs[..., 3, :])


def second_derivative(coeffs: FloatArray, u: float | FloatArray) -> FloatArray:
    """d2p/du2 at u (linear in u)."""
    w = np.asarray(u, dtype=np.float64)[..., None]
    return 2.0 * coeffs[..., 2, :] + 6.0 * w * coeffs[..., 3, :]


def bezier_points(coeffs: FloatArray) -> FloatArray:
    """The four Bezier control points (..., 4, 3) of a cubic piece over [0, 1]."""
    out = np.empty_like(coeffs)
    c0, c1, c2, c3 = coeffs[..., 0, :], coeffs[..., 1, :], coeffs[..., 2, :], coeffs[..., 3, :]
    out[..., 0, :] = c0
    out[..., 1, :] = c0 + c1 / 3.0
    out[..., 2, :] = c0 + (2.0 * c1 + c2) / 3.0
    out[..., 3, :] = c0 + c1 + c2 + c3
    return out


def _plane_distance(points: FloatArray, direction: FloatArray) -> FloatArray:
    norm = np.sqrt(np.einsum("...i,...i->...", direction, direction))
    n = direction / np.where(norm > 0.0, norm, 1.0)[..., None]
    low = np.einsum("...ki,...i->...k", points, n).min(axis=-1)
    return np.where(norm > 0.0, np.maximum(low, 0.0), 0.0)


def hull_distance_km(coeffs: FloatArray) -> FloatArray:
    """A lower bound on the curve's distance from the origin, from its Bezier hull.

    The best of four separating directions: the control points' centroid, the
    two end points, and the point of the chord B0-B3 nearest the origin (which
    is nearly optimal for the thin hulls of fast encounters). Zero when no
    direction separates.
    """
    points = bezier_points(coeffs)
    best = _plane_distance(points, points.mean(axis=-2))
    for direction in (points[..., 0, :], points[..., 3, :], _chord_nearest(points)):
        best = np.maximum(best, _plane_distance(points, direction))
    return best


def _chord_nearest(points: FloatArray) -> FloatArray:
    a, b = points[..., 0, :], points[..., 3, :]
    ab = b - a
    den = np.einsum("...i,...i->...", ab, ab)
    s = -np.einsum("...i,...i->...", a, ab) / np.where(den > 0.0, den, 1.0)
    return np.asarray(a + np.clip(s, 0.0, 1.0)[..., None] * ab, dtype=np.float64)


def _dot(a: FloatArray, b: FloatArray) -> FloatArray:
    return np.asarray(np.einsum("...i,...i->...", a, b), dtype=np.float64)


def taylor_distance_km(
    mid: FloatArray, slope: FloatArray, curvature_km: FloatArray | float
) -> FloatArray:
    r"""A lower bound on min |q(w)|, w in [0, 1], for a cubic known at its middle.

    `mid` = q(1/2), `slope` = q'(1/2) (per unit w), `curvature_km` = an upper
    bound A on |q''| over the piece. Taylor with the integral remainder gives
    |q(w) - q(1/2) - q'(1/2)(w - 1/2)| <= A (w - 1/2)^2 / 2 <= A / 8, so
    |q(w)| >= (min over |s| <= 1/2 of |q(1/2) + s q'(1/2)|) - A / 8.
    For a cubic q'' is linear in w, so max(|q''(0)|, |q''(1)|) is such an A
    (the norm of a linear function peaks at an end). No approximation: a
    conservative bound like the hull test, and far cheaper.
    """
    den = _dot(slope, slope)
    s = np.clip(-_dot(mid, slope) / np.where(den > 0.0, den, 1.0), -0.5, 0.5)
    closest = mid + s[..., None] * slope
    return np.asarray(np.sqrt(_dot(closest, closest)) - np.asarray(curvature_km) / 8.0)


def taylor_of_states(
    p0: FloatArray, v0: FloatArray, p1: FloatArray, v1: FloatArray, step_s: float | FloatArray
) -> FloatArray:
    """`taylor_distance_km` of the cubic Hermite between two states, without its coefficients."""
    h = np.asarray(step_s, dtype=np.float64)
    if h.ndim:
        h = h[..., None]
    # With a = h v0, b = h v1, c = p1 - p0: q'' at the ends is S + D and D - S,
    # S = 6c - 3(a + b), D = b - a; so max |q''|^2 = |S|^2 + |D|^2 + 2|S.D|.
    total = (v0 + v1) * h  # a + b
    diff = (v1 - v0) * h  # D
    chord = p1 - p0
    s_term = 6.0 * chord - 3.0 * total
    curvature = np.sqrt(_dot(s_term, s_term) + _dot(diff, diff) + 2.0 * np.abs(_dot(s_term, diff)))
    chord *= 1.5
    chord -= 0.25 * total  # the slope q'(1/2)
    mid = p0 + p1
    mid *= 0.5
    mid -= 0.125 * diff  # (a - b) / 8
    return taylor_distance_km(mid, chord, curvature)


def _taylor_of(coeffs: FloatArray) -> FloatArray:
    c1, c2, c3 = coeffs[..., 1, :], coeffs[..., 2, :], coeffs[..., 3, :]
    mid = coeffs[..., 0, :] + 0.5 * c1 + 0.25 * c2 + 0.125 * c3
    slope = c1 + c2 + 0.75 * c3
    at0 = 2.0 * c2
    at1 = at0 + 6.0 * c3
    curvature = np.sqrt(np.maximum(_dot(at0, at0), _dot(at1, at1)))
    return taylor_distance_km(mid, slope, curvature)


def hull_may_reach(coeffs: FloatArray, limit_km: FloatArray) -> NDArray[np.bool_]:
    """False where a bound proves the piece stays farther than `limit_km` from the origin.

    The Taylor bound (`taylor_distance_km`) first, as it is cheap; then, on
    what is left, the hull test of `hull_distance_km`, direction by direction.
    """
    maybe = _taylor_of(coeffs) <= limit_km
    rows = np.flatnonzero(maybe)
    if not rows.size:
        return maybe
    points = bezier_points(coeffs[rows])
    for k in (-2, -1, 0, 3):
        if k == -2:
            direction = _chord_nearest(points)
        else:
            direction = points.mean(axis=-2) if k < 0 else points[:, k, :]
        near = _plane_distance(points, direction) <= limit_km[rows]
        maybe[rows[~near]] = False
        rows, points = rows[near], points[near]
        if not rows.size:
            break
    return maybe


def screen_pieces(
    coeffs: FloatArray, limit_km: FloatArray, min_fraction: float
) -> tuple[NDArray[np.int64], FloatArray, FloatArray]:
    """Sub-pieces [u0, u1] of each relative cubic that may come within `limit_km` of the origin.

    Pieces are halved until they are at most `min_fraction` long; each survivor is
    returned as (row into `coeffs`, u0, u1). Conservative: no part of a curve
    that comes within the limit is dropped.
    """
    rows = np.arange(coeffs.shape[0], dtype=np.int64)
    u0 = np.zeros(coeffs.shape[0])
    u1 = np.ones(coeffs.shape[0])
    pieces = coeffs
    limits = limit_km
    done_rows: list[NDArray[np.int64]] = [rows[:0]]
    done_u0: list[FloatArray] = [u0[:0]]
    done_u1: list[FloatArray] = [u1[:0]]
    while rows.size:
        keep = hull_may_reach(pieces, limits)
        rows, u0, u1, pieces, limits = rows[keep], u0[keep], u1[keep], pieces[keep], limits[keep]
        small = (u1 - u0) <= min_fraction * (1.0 + 1e-9)
        done_rows.append(rows[small])
        done_u0.append(u0[small])
        done_u1.append(u1[small])
        big = ~small
        rows, u0, u1, pieces, limits = rows[big], u0[big], u1[big], pieces[big], limits[big]
        if not rows.size:
            break
        mid = 0.5 * (u0 + u1)
        left = restrict(pieces, 0.0, 0.5)
        right = restrict(pieces, 0.5, 1.0)
        rows = np.concatenate([rows, rows])
        u0, u1 = np.concatenate([u0, mid]), np.concatenate([mid, u1])
        pieces = np.concatenate([left, right])
        limits = np.concatenate([limits, limits])
    return np.concatenate(done_rows), np.concatenate(done_u0), np.concatenate(done_u1)
