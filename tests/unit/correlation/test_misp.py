"""MISP events: the general reader, and the indicators drawn from them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from watchfloor.adapters.indicators import (
    IndicatorImportError,
    misp_indicators,
    parse_misp_events,
    read_indicator_file,
)
from watchfloor.engines.correlation import ObservableKind as K


def _attr(uuid: str, type_: str, value: str, to_ids: bool = True, **extra: Any) -> dict[str, Any]:
    return {
        "uuid": uuid,
        "type": type_,
        "category": "Network activity",
        "value": value,
        "to_ids": to_ids,
        **extra,
    }


def _event(
    *attributes: dict[str, Any], objects: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "Event": {
            "uuid": "5f0c0000-0000-4000-8000-000000000001",
            "info": "Phishing wave",
            "date": "2025-02-01",
            "Orgc": {"name": "CERT-X"},
            "Tag": [{"name": "tlp:green"}, {"name": 'misp-galaxy:threat-actor="APT X"'}],
            "Galaxy": [
                {
                    "type": "threat-actor",
                    "GalaxyCluster": [
                        {
                            "uuid": "7cdd0000-0000-4000-8000-000000000002",
                            "type": "threat-actor",
                            "value": "APT X",
                            "meta": {"synonyms": ["Xenon Bear", " ", 7]},
                        }
                    ],
                }
            ],
            "Attribute": list(attributes),
            "Object": objects or [],
        }
    }


def test_reader_keeps_event_object_tags_and_galaxies() -> None:
    data = _event(
        _attr("a1", "ip-dst", "192.0.2.1"),
        objects=[
            {
                "uuid": "o1",
                "name": "file",
                "Attribute": [
                    _attr(
                        "a2",
                        "sha256",
                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                        object_relation="sha256",
                    )
                ],
            }
        ],
    )
    [event] = parse_misp_events({"response": [data]})
    assert event.info == "Phishing wave" and event.org == "CERT-X"
    assert event.tlp == "TLP:GREEN"
    assert [c.value for c in event.galaxy_clusters] == ["APT X"]
    assert [a.uuid for a in event.all_attributes()] == ["a1", "a2"]
    assert event.objects[0].attributes[0].object_uuid == "o1"


def test_matchable_attributes_become_indicators_with_validity_and_actor() -> None:
    data = _event(
        _attr(
            "a1",
            "ip-src|port",
            "2001:db8::5|443",
            first_seen="2025-01-01T00:00:00Z",
            last_seen="2025-03-01T00:00:00Z",
        ),
        _attr("a2", "domain|ip", "evil.example|192.0.2.9"),
        _attr("a3", "filename|md5", "x.exe|D41D8CD98F00B204E9800998ECF8427E"),
        _attr("a4", "hostname", "c2.evil.example", to_ids=False),
        _attr("a5", "mutex", "Global\\x"),
    )
    result = misp_indicators(parse_misp_events(data))
    got = [(i.id, i.kind, i.value) for i in result.indicators]
    assert got == [
        ("a1", K.IPV6, "2001:db8::5"),
        ("a2", K.DOMAIN, "evil.example"),
        ("a2", K.IPV4, "192.0.2.9"),
        ("a3", K.MD5, "D41D8CD98F00B204E9800998ECF8427E"),
    ]
    first = result.indicators[0]
    assert first.valid_from == datetime(2025, 1, 1, tzinfo=UTC)
    assert first.valid_until == datetime(2025, 3, 1, tzinfo=UTC)
    assert [(a.name, a.aliases) for a in first.actors] == [("APT X", ("Xenon Bear",))]
    assert first.tlp == "TLP:GREEN"
    assert first.source == "misp-event--5f0c0000-0000-4000-8000-000000000001"
    assert [p.item.split()[-1] for p in result.skipped] == ["a4"]
    assert [p.item.split()[-1] for p in result.unsupported] == ["a5"]


def test_a_malformed_attribute_refuses_the_file_and_names_it(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_text(
        json.dumps(_event(_attr("good", "ip-dst", "192.0.2.1"), _attr("bad", "sha1", "1234")))
    )
    with pytest.raises(IndicatorImportError) as err:
        read_indicator_file(path)
    [problem] = err.value.problems
    assert problem.item.endswith("attribute bad")
    assert "40 hex digits" in problem.reason


def test_a_file_that_is_neither_stix_nor_misp_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"hello": 1}')
    with pytest.raises(IndicatorImportError, match="neither a STIX bundle nor a MISP export"):
        read_indicator_file(path)
