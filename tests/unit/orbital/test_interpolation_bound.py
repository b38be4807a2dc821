"""The interpolation error bound that screening pads by holds on the hardest real objects."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from watchfloor.engines.orbital.base import TimeWindow
from watchfloor.engines.orbital.catalog import interpolation_error_km
from watchfloor.engines.orbital.hermite import evaluate, hermite_coefficients
from watchfloor.engines.orbital.propagation import propagate_states

from ._data import catalog_of

# Low-perigee GTOs (fast at perigee), a decaying LEO object, a GEO object whose SDP4
# trajectory jumps (26058), Molniya and HEO objects, and ordinary LEO.
HARD = [10970, 28448, 61504, 55843, 54260, 55876, 26058, 28884, 25544, 13090]


@pytest.mark.parametrize("step_s", [300.0, 600.0])
def test_cubic_hermite_error_stays_inside_the_bound(step_s: float) -> None:
    catalog = catalog_of(HARD)
    window = TimeWindow(datetime(2024, 11, 1, tzinfo=UTC), 12 * 3600.0)
    t = np.arange(0.0, window.duration_s + 1.0, step_s)
    mid = t[:-1] + step_s / 2
    s = propagate_states(catalog, window, t)
    m = propagate_states(catalog, window, mid)
    coeffs = hermite_coefficients(
        s.position_km[:, :-1], s.velocity_km_s[:, :-1], s.position_km[:, 1:],
        s.velocity_km_s[:, 1:], step_s,
    )  # fmt: skip
    error = np.linalg.norm(evaluate(coeffs, 0.5) - m.position_km, axis=-1).max(axis=1)
    bound = interpolation_error_km(catalog, step_s)
    assert np.all(error <= bound), dict(zip(catalog.norad_ids.tolist(), error / bound, strict=True))
    # The bound is not vacuous: within a factor of ten of the worst real error somewhere.
    assert np.max(error / bound) > 0.1
