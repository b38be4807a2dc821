"""The STIX reader: typed records, light validation, whole-or-nothing bundles."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from watchfloor.adapters.stix import StixBundleError, parse_bundle, read_bundle

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "attack"
UUID = "00000000-0000-4000-8000-00000000000{}"


def _group(n: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "type": "intrusion-set",
        "id": f"intrusion-set--{UUID.format(n)}",
        "created": "2020-01-01T00:00:00.000Z",
        "modified": "2021-01-01T00:00:00.000Z",
        "name": f"Group {n}",
        "aliases": [f"Group {n}", f"Alias {n}"],
        "external_references": [
            {"source_name": "mitre-attack", "external_id": f"G000{n}", "url": "https://x"},
            {"source_name": "Some report", "description": "a citation"},
        ],
        **extra,
    }


def _bundle(*objects: dict[str, Any], spec: str | None = "2.0") -> dict[str, Any]:
    bundle: dict[str, Any] = {"type": "bundle", "id": "bundle--x", "objects": list(objects)}
    if spec:
        bundle["spec_version"] = spec
    return bundle


def test_reads_common_properties_into_a_typed_record() -> None:
    bundle = parse_bundle(json.dumps(_bundle(_group(revoked=True, x_mitre_deprecated=True))))

    (record,) = bundle.objects
    assert record.type == "intrusion-set"
    assert record.external_id == "G0001"
    assert record.aliases == ("Group 1", "Alias 1")
    assert record.revoked and record.deprecated and not record.is_active
    assert record.spec_version == "2.0"
    assert record.modified is not None and record.modified.year == 2021
    assert record.raw["name"] == "Group 1"
    assert bundle.info.sha256 is not None


def test_relationship_and_kill_chain_fields_are_read() -> None:
    pattern = {
        "type": "attack-pattern",
        "id": f"attack-pattern--{UUID.format(2)}",
        "spec_version": "2.1",
        "created": "2020-01-01T00:00:00Z",
        "modified": "2020-01-01T00:00:00Z",
        "name": "Phishing",
        "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "initial-access"}],
    }
    uses = {
        "type": "relationship",
        "id": f"relationship--{UUID.format(3)}",
        "spec_version": "2.1",
        "created": "2020-01-01T00:00:00Z",
        "modified": "2020-01-01T00:00:00Z",
        "relationship_type": "uses",
        "source_ref": f"intrusion-set--{UUID.format(1)}",
        "target_ref": pattern["id"],
    }
    group = _group(spec_version="2.1")

    bundle = parse_bundle(_bundle(group, pattern, uses, spec=None))

    assert bundle.by_id[pattern["id"]].kill_chain_phases[0].phase_name == "initial-access"
    rel = bundle.by_id[uses["id"]]
    assert (rel.relationship_type, rel.target_ref) == ("uses", pattern["id"])
    assert {o.spec_version for o in bundle.objects} == {"2.1"}


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda o: o.update(id="intrusion-set--not-a-uuid"), "'id' must be"),
        (lambda o: o.update(id=f"malware--{UUID.format(1)}"), "'id' must be"),
        (lambda o: o.pop("name"), "missing required property ['name']"),
        (lambda o: o.pop("created"), "missing required property ['created']"),
        (lambda o: o.update(modified="yesterday"), "'modified' is not an RFC 3339"),
        (lambda o: o.update(modified="2019-01-01T00:00:00Z"), "earlier than 'created'"),
        (lambda o: o.update(revoked="no"), "'revoked' must be a boolean"),
        (lambda o: o.update(aliases="APT1"), "'aliases' must be a list"),
        (lambda o: o.update(spec_version="1.0"), "unsupported spec_version"),
    ],
)
def test_a_malformed_object_is_reported_with_its_id_and_reason(mutate: Any, reason: str) -> None:
    bad = _group(2)
    mutate(bad)

    with pytest.raises(StixBundleError) as caught:
        parse_bundle(_bundle(_group(1), bad))

    (problem,) = caught.value.problems
    assert problem.index == 1
    assert problem.object_id == bad.get("id")
    assert reason in problem.reason


def test_a_bundle_imports_whole_or_not_at_all_and_names_every_failure() -> None:
    first, second = _group(2), _group(3)
    first.pop("created")
    second["id"] = "intrusion-set--bad"

    with pytest.raises(StixBundleError) as caught:
        parse_bundle(_bundle(_group(1), first, second))

    assert [p.index for p in caught.value.problems] == [1, 2]
    assert "2 invalid object(s), nothing imported" in str(caught.value)


def test_not_a_bundle_is_rejected() -> None:
    with pytest.raises(StixBundleError, match="not JSON"):
        parse_bundle(b"{oops")
    with pytest.raises(StixBundleError, match="not a STIX bundle"):
        parse_bundle({"type": "indicator"})


def test_the_latest_version_of_an_object_wins() -> None:
    old = _group(1)
    new = copy.deepcopy(old)
    new["modified"] = "2022-01-01T00:00:00Z"
    new["name"] = "Renamed"

    bundle = parse_bundle(_bundle(new, old))

    assert len(bundle) == 1
    assert bundle.by_id[old["id"]].name == "Renamed"


def test_marking_definitions_and_observables_need_no_modified() -> None:
    marking = {
        "type": "marking-definition",
        "id": f"marking-definition--{UUID.format(5)}",
        "created": "2017-01-20T00:00:00.000Z",
        "definition_type": "statement",
        "definition": {"statement": "(c)"},
    }
    observable = {"type": "ipv4-addr", "id": f"ipv4-addr--{UUID.format(6)}", "value": "192.0.2.1"}

    assert len(parse_bundle(_bundle(marking, observable, spec="2.1"))) == 2


def test_reads_attack_enterprise_and_ics_in_both_spec_versions() -> None:
    enterprise = read_bundle(DATA / "enterprise-attack-8.2.json")
    ics = read_bundle(DATA / "ics-attack-18.1.json")

    assert len(enterprise) == 10923
    assert enterprise.info.spec_version == "2.0"
    assert len(ics.of_type("intrusion-set")) == 16
    assert ics.info.collection_version == "18.1"
    assert {o.spec_version for o in ics.objects} == {"2.1"}
    apt28 = next(o for o in enterprise.of_type("intrusion-set") if o.external_id == "G0007")
    assert "Sofacy" in apt28.aliases
