"""Matches become evidence: one group per indicator source, cheap indicators weighed as such."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from watchfloor.domain.evidence import CostToFake, EvidenceClass, EvidenceItem
from watchfloor.domain.grading import AdmiraltyGrade
from watchfloor.domain.markings import TLP, Marking
from watchfloor.engines.correlation import ActorRef, Indicator, Match
from watchfloor.engines.correlation import ObservableKind as K
from watchfloor.engines.correlation.evidence import matches_to_evidence

T0 = datetime(2025, 3, 1, tzinfo=UTC)
APT = ActorRef("intrusion-set--a", "intrusion-set", "APT A")


def _match(ind: Indicator, value: str, minutes: int, file: str = "proxy.csv") -> Match:
    return Match(file, minutes, T0 + timedelta(minutes=minutes), value, ind.kind, ind)


def _evidence(matches: list[Match]) -> list[EvidenceItem]:
    return matches_to_evidence(
        matches,
        grades={"feed-a": AdmiraltyGrade.parse("B2")},
        default_grade=AdmiraltyGrade.parse("C3"),
        marking=Marking(tlp=TLP.GREEN),
    )


def test_matches_of_one_source_share_a_dependence_group() -> None:
    ip = Indicator("ind-1", K.IPV4, "198.51.100.7", "feed-a", actors=(APT,))
    dom = Indicator("ind-2", K.DOMAIN, "evil.example", "feed-a", actors=(APT,))
    other = Indicator("ind-3", K.SHA256, "e" * 64, "feed-b", actors=(APT,), tlp="TLP:AMBER")
    items = _evidence(
        [
            _match(ip, "198.51.100.7", 1),
            _match(ip, "198.51.100.7", 9, "fw.parquet"),
            _match(dom, "www.evil.example", 3),
            _match(other, "E" * 64, 4),
        ]
    )
    by_value = {i.attributes["indicator_value"]: i for i in items}
    assert len(items) == 3
    assert (
        by_value["198.51.100.7"].group
        == by_value["evil.example"].group
        == ("indicator-source:feed-a")
    )
    assert by_value["e" * 64].group == "indicator-source:feed-b"
    first = by_value["198.51.100.7"]
    assert first.attributes["sightings"] == 2
    assert first.observed_at == T0 + timedelta(minutes=1)
    assert first.likelihood("intrusion-set--a") > first.likelihood("someone-else")
    assert str(first.grade) == "B2" and str(by_value["e" * 64].grade) == "C3"


def test_a_single_address_is_cheap_to_fake_and_a_hash_is_not() -> None:
    ip = Indicator("ind-1", K.IPV4, "198.51.100.7", "feed-a", actors=(APT,))
    h = Indicator("ind-3", K.MD5, "d" * 32, "feed-a", actors=(APT,), tlp="TLP:AMBER")
    items = {
        i.attributes["indicator_kind"]: i
        for i in _evidence([_match(ip, "198.51.100.7", 1), _match(h, "d" * 32, 2)])
    }
    assert items["ipv4"].cost_to_fake is CostToFake.LOW
    assert items["ipv4"].evidence_class is EvidenceClass.INFRASTRUCTURE
    assert items["md5"].cost_to_fake is CostToFake.HIGH
    assert items["md5"].evidence_class is EvidenceClass.MALWARE
    assert items["ipv4"].weight < items["md5"].weight
    assert items["md5"].marking.tlp is TLP.AMBER  # the indicator's TLP raises the floor
    assert items["ipv4"].marking.tlp is TLP.GREEN


def test_matches_without_an_actor_give_no_evidence() -> None:
    lone = Indicator("ind-9", K.URL, "http://x.example/", "feed-a")
    assert _evidence([_match(lone, "http://x.example/", 1)]) == []
