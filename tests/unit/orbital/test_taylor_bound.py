"""The Taylor bound that screening now applies before the hull test never drops a real approach.

`taylor_distance_km` claims a lower bound on a cubic's distance from the
origin; screening drops a piece when that bound exceeds the threshold plus the
interpolation errors. Checked on random cubics against dense evaluation, and on
the real catalog slice of `test_screening_reference` against dense SGP4 and
against every approach of the brute-force reference, at the sample steps and
pieces the kernels use.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from watchfloor.engines.orbital.catalog import interpolation_error_km
from watchfloor.engines.orbital.hermite import (
    derivative,
    evaluate,
    hermite_coefficients,
    second_derivative,
    taylor_distance_km,
    taylor_of_states,
)
from watchfloor.engines.orbital.propagation import propagate_states

from ._data import catalog_of
from .reference import RefApproach, brute_force
from .test_screening_reference import IDS, THRESHOLD_KM, WINDOW


def _taylor_of_coeffs(coeffs: np.ndarray) -> np.ndarray:
    at0, at1 = second_derivative(coeffs, 0.0), second_derivative(coeffs, 1.0)
    curvature = np.maximum(np.linalg.norm(at0, axis=-1), np.linalg.norm(at1, axis=-1))
    return taylor_distance_km(evaluate(coeffs, 0.5), derivative(coeffs, 0.5), curvature)


def test_bound_holds_on_random_cubics() -> None:
    rng = np.random.default_rng(7)
    scales = np.array([1.0, 30.0, 300.0, 3000.0])
    coeffs = rng.normal(size=(4000, 4, 3)) * rng.choice(scales, size=(4000, 4, 1))
    w = np.linspace(0.0, 1.0, 4001)
    sampled = np.linalg.norm(evaluate(coeffs[:, None], w[None, :]), axis=-1).min(axis=1)
    bound = _taylor_of_coeffs(coeffs)
    assert np.all(bound <= sampled + 1e-9 * np.abs(coeffs).max())
    # and it is not vacuous: it proves most of these random pieces far from the origin
    assert np.mean(bound > 0.5 * sampled) > 0.3


@pytest.fixture(scope="module")
def slice_states():  # type: ignore[no-untyped-def]
    catalog = catalog_of(IDS)
    dense_t = np.arange(0.0, WINDOW.duration_s + 0.5, 1.0)
    dense = propagate_states(catalog, WINDOW, dense_t).position_km
    return catalog, dense_t, dense


@pytest.fixture(scope="module")
def reference(slice_states) -> list[RefApproach]:  # type: ignore[no-untyped-def]
    return brute_force(slice_states[0], WINDOW, THRESHOLD_KM)


@pytest.mark.parametrize("step_s", [300.0, 600.0])
def test_interval_bound_never_exceeds_true_distance(slice_states, step_s: float) -> None:  # type: ignore[no-untyped-def]
    """Every pair, every sample interval: bound <= dense SGP4 minimum + both error bounds."""
    catalog, dense_t, dense = slice_states
    t = np.arange(0.0, WINDOW.duration_s + 0.5, step_s)
    s = propagate_states(catalog, WINDOW, t)
    eps = interpolation_error_km(catalog, step_s)
    n = len(catalog)
    a, b = np.triu_indices(n, 1)
    dp = s.position_km[a] - s.position_km[b]
    dv = s.velocity_km_s[a] - s.velocity_km_s[b]
    bound = taylor_of_states(dp[:, :-1], dv[:, :-1], dp[:, 1:], dv[:, 1:], step_s)
    for k in range(t.size - 1):
        inside = (dense_t >= t[k]) & (dense_t <= t[k + 1])
        true_min = np.linalg.norm(dense[a][:, inside] - dense[b][:, inside], axis=-1).min(axis=1)
        assert np.all(bound[:, k] <= true_min + eps[a] + eps[b])


@pytest.mark.parametrize(("step_s", "piece_s"), [(300.0, 40.0), (600.0, 600.0)])
def test_no_reference_approach_is_dropped(  # type: ignore[no-untyped-def]
    slice_states, reference, step_s: float, piece_s: float
) -> None:
    """The piece holding each brute-force approach passes the bound, as screening applies it."""
    catalog, _, _ = slice_states
    assert reference
    t = np.arange(0.0, WINDOW.duration_s + 0.5, step_s)
    s = propagate_states(catalog, WINDOW, t)
    eps = interpolation_error_km(catalog, step_s)
    p, v = s.position_km, s.velocity_km_s
    coeffs = hermite_coefficients(p[:, :-1], v[:, :-1], p[:, 1:], v[:, 1:], step_s)
    m = max(1, math.ceil(step_s / piece_s - 1e-9))
    for ref in reference:
        i, j = catalog.index_of(ref.norad_a), catalog.index_of(ref.norad_b)
        k = min(int(ref.tca_s // step_s), t.size - 2)
        u = (ref.tca_s - t[k]) / step_s
        piece = min(int(u * m), m - 1)
        u0, u1 = piece / m, (piece + 1) / m
        rel = coeffs[i, k] - coeffs[j, k]
        at0, at1 = second_derivative(rel, u0), second_derivative(rel, u1)
        curvature = max(float(np.linalg.norm(at0)), float(np.linalg.norm(at1))) / (m * m)
        mid = evaluate(rel, 0.5 * (u0 + u1))
        slope = derivative(rel, 0.5 * (u0 + u1)) / m
        bound = float(taylor_distance_km(mid, slope, curvature))
        assert bound <= THRESHOLD_KM + eps[i] + eps[j], (ref, bound)
