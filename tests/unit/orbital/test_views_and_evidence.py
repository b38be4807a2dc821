"""SVG views are self-contained; findings become ORBITAL evidence linked to the owner's sponsor."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np

from watchfloor.domain.evidence import OTHER, CostToFake, EvidenceClass
from watchfloor.domain.hypotheses import Actor
from watchfloor.domain.markings import Marking
from watchfloor.engines.orbital.evidence import evidence_from_finding, owner_matches
from watchfloor.engines.orbital.findings import CloseApproach, ProximityOperation
from watchfloor.engines.orbital.plots import (
    close_approach_timeline_svg,
    ground_track_svg,
    relative_distance_svg,
)

T0 = datetime(2024, 11, 1, tzinfo=UTC)
APPROACH = CloseApproach(
    norad_a=26824, norad_b=44625, tca=T0 + timedelta(hours=3), miss_km=0.16,
    rel_speed_km_s=0.00004, name_a="INTELSAT 901", name_b="MEV-1 <servicer>", owner_a="ITSO",
    owner_b="US",
)  # fmt: skip
ACTORS = [
    Actor("apt-x", "X", sponsor="United States"),
    Actor("apt-y", "Y", sponsor="CHN"),
    Actor("crew", "Crew", sponsor=None),
]


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert "<script" not in svg and "http://" not in svg.replace("http://www.w3.org/2000/svg", "")
    return root


def test_timeline_places_each_approach_and_escapes_names() -> None:
    svg = close_approach_timeline_svg([APPROACH], T0, T0 + timedelta(hours=6), threshold_km=10.0)
    root = _parse(svg)
    circles = [
        c for c in root.iter("{http://www.w3.org/2000/svg}circle") if c.find("*") is not None
    ]
    assert len(circles) == 1
    assert "MEV-1 <servicer>" in (circles[0][0].text or "")  # escaped in the source, intact here
    assert abs(float(circles[0].get("cx", "0")) - (56 + (720 - 72) / 2)) < 1.0


def test_ground_track_breaks_at_the_date_line() -> None:
    times = [T0 + timedelta(minutes=m) for m in range(0, 100, 2)]
    angle = np.linspace(0.0, 2 * np.pi, len(times))
    pos = np.stack([7000 * np.cos(angle), 7000 * np.sin(angle), np.zeros_like(angle)], axis=1)
    root = _parse(ground_track_svg(times, pos, label="test"))
    lines = list(root.iter("{http://www.w3.org/2000/svg}polyline"))
    assert len(lines) >= 2  # one orbit in ~100 min crosses the antimeridian at least once
    for line in lines:
        for point in (line.get("points") or "").split():
            y = float(point.split(",")[1])
            assert abs(y - 180.0) < 1e-6  # equatorial orbit: latitude zero


def test_relative_distance_marks_threshold_and_tca() -> None:
    times = [T0 + timedelta(minutes=m) for m in range(61)]
    dist = [abs(m - 30) * 2.0 + 1.0 for m in range(61)]
    svg = relative_distance_svg(times, dist, threshold_km=10.0, tca=times[30], label="a/b")
    root = _parse(svg)
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "TCA" in texts and "10 km" in texts


def test_owner_codes_match_sponsors_by_name_or_iso_code() -> None:
    assert owner_matches("PRC", "CHN") and owner_matches("CIS", "Russian Federation")
    assert owner_matches("US", "united states") and not owner_matches("US", "CHN")
    assert owner_matches("KAS", "Republic of Kastor", {"KAS": ["Republic of Kastor"]})


def test_slow_approach_points_at_the_owners_actors_and_fast_ones_barely() -> None:
    marking = Marking()
    slow = evidence_from_finding(
        APPROACH, actors=ACTORS, item_id="orb-1", source="CelesTrak", marking=marking
    )
    assert slow.evidence_class is EvidenceClass.ORBITAL
    assert slow.cost_to_fake is CostToFake.HIGH
    assert slow.likelihood("apt-x") > slow.likelihood("apt-y") == slow.likelihood(OTHER)
    fast = evidence_from_finding(
        replace(APPROACH, rel_speed_km_s=12.0),
        actors=ACTORS,
        item_id="orb-2",
        source="CelesTrak",
        marking=marking,
    )
    ratio_slow = slow.likelihood("apt-x") / slow.likelihood(OTHER)
    ratio_fast = fast.likelihood("apt-x") / fast.likelihood(OTHER)
    assert 1.0 < ratio_fast < ratio_slow
    assert slow.dependence_group == fast.dependence_group  # same pair, same source: one group


def test_rendezvous_weighs_on_the_object_that_manoeuvred() -> None:
    op = ProximityOperation(
        norad_a=49062, norad_b=64467, start=T0, end=T0 + timedelta(days=3), min_distance_km=6.0,
        median_distance_km=12.0, approach_from_km=900.0, kind="rendezvous", owner_a="PRC",
        owner_b="CIS", manoeuvred=(64467,),
    )  # fmt: skip
    actors = [Actor("bear", "B", sponsor="RUS"), Actor("panda", "P", sponsor="China")]
    item = evidence_from_finding(op, actors=actors, item_id="o", source="s", marking=Marking())
    assert item.likelihood("bear") > item.likelihood("panda") == item.likelihood(OTHER)
    assert item.attributes["owners_linked"] == ["CIS"]
