"""Manoeuvre and proximity-operation detection on synthetic and real GEO histories."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from watchfloor.adapters.orbital import read_tle_text
from watchfloor.engines.orbital.elements import ElementSet
from watchfloor.engines.orbital.manoeuvres import (
    ProximitySettings,
    detect_manoeuvres,
    detect_proximity_operations,
)

from ._data import GEO_HISTORY


def _history(norad: int) -> list[ElementSet]:
    text = GEO_HISTORY.read_text(encoding="utf-8").splitlines()
    picked: list[str] = []
    for k in range(0, len(text) - 2, 3):
        if text[k + 1][2:7].strip() == str(norad):
            picked += text[k : k + 3]
    return read_tle_text("\n".join(picked)).items


def _synthetic(base: ElementSet, count: int = 12) -> list[ElementSet]:
    """A quiet GEO history: the same elements re-epoched every 12 h (SGP4 predicts no change)."""
    sets = []
    for k in range(count):
        sets.append(
            replace(
                base,
                epoch=base.epoch + timedelta(hours=12 * k),
                mean_motion_rev_day=base.mean_motion_rev_day * (1 + 1e-7 * ((-1) ** k)),
                tle_line1=None,
                tle_line2=None,
            )
        )
    return sets


def test_a_semi_major_axis_step_is_one_in_plane_manoeuvre_with_its_delta_v() -> None:
    quiet = _synthetic(_history(19548)[0])
    # Raise the orbit by about 5 km from the seventh set on: n changes by -1.5 da/a.
    bumped = [
        replace(s, mean_motion_rev_day=s.mean_motion_rev_day * (1 - 1.5 * 5.0 / 42164.0))
        if k >= 6
        else s
        for k, s in enumerate(quiet)
    ]
    [m] = detect_manoeuvres(bumped)
    assert m.kind == "in-plane"
    assert m.before_epoch == quiet[5].epoch and m.after_epoch == quiet[6].epoch
    assert m.delta_a_km == pytest.approx(5.0, rel=0.02)
    # v da / 2a at GEO: 3.075 km/s * 5 km / 84328 km = 0.182 m/s.
    assert m.delta_v_m_s == pytest.approx(0.182, rel=0.03)
    assert m.drift_after_deg_day is not None and m.drift_before_deg_day is not None
    assert m.drift_after_deg_day < m.drift_before_deg_day  # higher orbit drifts west


def test_a_single_bad_element_set_is_an_outlier_not_two_manoeuvres() -> None:
    quiet = _synthetic(_history(19548)[0])
    spiked = [
        replace(s, inclination_deg=s.inclination_deg + 0.3) if k == 5 else s
        for k, s in enumerate(quiet)
    ]
    assert detect_manoeuvres(spiked) == []


def test_real_geo_history_finds_the_sj21_orbit_change() -> None:
    found = detect_manoeuvres(_history(49330))
    assert any(m.norad_id == 49330 and abs(m.delta_a_km) > 4.0 for m in found)


def test_servicing_vehicle_and_its_client_are_a_proximity_operation() -> None:
    # MEV-2 is docked to Intelsat 10-02 (28358); TDRS 3 is far away from both.
    sets = _history(46113) + _history(28358) + _history(19548)
    ops = detect_proximity_operations(sets, settings=ProximitySettings(min_hours=12.0))
    [op] = ops
    assert (op.norad_a, op.norad_b) == (28358, 46113)
    assert op.kind == "co-location"
    assert op.min_distance_km < 5.0


def test_an_approach_from_afar_is_a_rendezvous() -> None:
    client = _history(28358)
    # A chaser on the client's orbit, 2 degrees behind, that matches it from the 8th set on.
    chaser = [
        replace(s, norad_id=99001, name="CHASER", tle_line1=None, tle_line2=None,
                mean_anomaly_deg=s.mean_anomaly_deg - (2.0 if k < 8 else 0.0))
        for k, s in enumerate(client)
    ]  # fmt: skip
    ops = detect_proximity_operations(
        client + chaser, settings=ProximitySettings(near_km=50.0, far_km=200.0, min_hours=12.0)
    )
    [op] = [o for o in ops if 99001 in (o.norad_a, o.norad_b)]
    assert op.kind == "rendezvous"
    assert op.approach_from_km > 1000.0
