"""STIX 2.1 export of a case at a chosen marking, checked by the OASIS validator (strict)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from stix2validator import ValidationOptions, validate_instance

from tests.sharing.builders import NATO_RESTRICTED, NOW, SECRET_STRINGS, shareable_case
from watchfloor.adapters.stix.tlp import tlp_marking_definition, tlp_problems
from watchfloor.adapters.stix.writer import StixExport, export_case
from watchfloor.domain.confidence import DNI, LikelihoodTerm
from watchfloor.domain.fusion import ConfidenceRules, fuse
from watchfloor.domain.markings import NATO, TLP, Classification, Marking
from watchfloor.domain.tearline import parse_marking

NU_AMBER = Marking(Classification.UNCLASSIFIED, frozenset({NATO}), TLP.AMBER)


def export(target: Marking, case_marking: Marking = NATO_RESTRICTED) -> StixExport:
    case = shareable_case(case_marking)
    kept = [e for e in case.evidence if e.marking.at_most(target)]
    fusion = fuse(case.hypotheses, kept, case.actors, ConfidenceRules())
    return export_case(case, target, NOW, fusion)


def assert_valid(bundle: dict[str, Any]) -> None:
    results = validate_instance(bundle, ValidationOptions(strict=True, version="2.1"))
    assert results.is_valid, [str(e) for e in results.errors]
    assert tlp_problems(bundle["objects"]) == []


def of_type(x: StixExport, t: str) -> list[dict[str, Any]]:
    return [o for o in x.objects if o["type"] == t]


@pytest.mark.parametrize(
    "target",
    [
        "NR//REL TO NATO//TLP:AMBER",
        "NU//REL TO NATO//TLP:AMBER",
        "NU//REL TO NATO//TLP:GREEN",
        "TLP:CLEAR",
        "NS//REL TO NATO//TLP:RED",
    ],
)
def test_every_export_validates_strictly_and_names_tlp_correctly(target: str) -> None:
    assert_valid(export(parse_marking(target)).bundle)


def test_export_carries_the_case_as_report_incident_observables_and_indicators() -> None:
    x = export(parse_marking("NR//REL TO NATO//TLP:AMBER"))
    (report,) = of_type(x, "report")
    ids = {o["id"] for o in x.objects}
    assert set(report["object_refs"]) <= ids
    assert of_type(x, "incident")[0]["name"] == "Grid control outage in two Baltic states"
    assert {o["value"] for o in of_type(x, "ipv4-addr")} == {"203.0.113.5"}
    assert of_type(x, "file")[0]["hashes"]["SHA-256"].startswith("4bac2739")
    (indicator,) = of_type(x, "indicator")
    assert indicator["pattern"].startswith("[file:hashes.'SHA-256'")
    assert len(of_type(x, "observed-data")) == 2
    assert {o["name"] for o in of_type(x, "intrusion-set")} == {"Ursa Group", "Lynx Team"}
    assert of_type(x, "campaign")


def test_attribution_confidence_is_the_dni_scale_value_of_the_icd203_term() -> None:
    target = parse_marking("NR//REL TO NATO//TLP:AMBER")
    case = shareable_case()
    kept = [e for e in case.evidence if e.marking.at_most(target)]
    fusion = fuse(case.hypotheses, kept, case.actors, ConfidenceRules())
    x = export_case(case, target, NOW, fusion)
    names = {o["id"]: o["name"] for o in of_type(x, "intrusion-set")}
    attributed = {
        names[r["target_ref"]]: r
        for r in of_type(x, "relationship")
        if r["relationship_type"] == "attributed-to"
    }
    ursa = LikelihoodTerm.for_probability(fusion.probability("H-ursa"))
    assert attributed["Ursa Group"]["confidence"] == DNI.to_stix(ursa.term)
    assert ursa.term in attributed["Ursa Group"]["description"]


def test_notes_and_opinions_grade_sources_without_naming_them() -> None:
    x = export(parse_marking("NR//REL TO NATO//TLP:AMBER"))
    text = json.dumps(x.bundle)
    assert "Open registry records" not in text and "Partner CERT Alpha" not in text
    notes = {n["abstract"]: n for n in of_type(x, "note")}
    c2 = notes["Command servers rented through a known reseller"]
    assert "graded A2" in c2["content"]
    assert c2["confidence"] == 70  # Admiralty Credibility scale: 2 -> 70
    opinions = {o["object_refs"][0]: o["opinion"] for o in of_type(x, "opinion")}
    assert opinions[c2["id"]] == "agree"
    (analytic,) = [n for n in notes.values() if n["abstract"].startswith("Analytic confidence")]
    level = analytic["abstract"].rsplit(" ", 1)[-1]
    assert analytic["confidence"] == {"low": 15, "moderate": 50, "high": 85}[level]


def test_nothing_above_the_target_reaches_the_export() -> None:
    target = parse_marking("NR//REL TO NATO//TLP:AMBER")
    x = export(target)
    text = json.dumps(x.bundle)
    assert x.dropped == ("EV-tasking",)
    for secret in SECRET_STRINGS:
        assert secret not in text
    assert "standing tasking" not in text  # the NS paragraph of the summary
    assert all(m.at_most(target) for m in x.markings.values())


def test_a_more_sensitive_description_gets_a_granular_marking() -> None:
    x = export(NU_AMBER)  # the case (NR) is above the target: its title stays home
    (incident,) = of_type(x, "incident")
    assert incident["name"] == "Incident under assessment"
    assert TLP.CLEAR.stix_id in incident["object_marking_refs"]
    assert incident["granular_markings"] == [
        {"marking_ref": TLP.AMBER.stix_id, "selectors": ["description"]}
    ]
    assert "backup sites" in incident["description"]
    assert not of_type(x, "intrusion-set")  # hypotheses carry the case's marking


def test_public_export_holds_only_public_items() -> None:
    x = export(Marking.public())
    assert {n["abstract"] for n in of_type(x, "note")} == {
        "Command servers rented through a known reseller"
    }
    assert of_type(x, "incident")[0]["description"].startswith("Substation control")
    markings = {o["id"] for o in of_type(x, "marking-definition")}
    assert TLP.AMBER.stix_id not in markings and TLP.CLEAR.stix_id in markings


def test_tlp_check_catches_what_the_validator_lets_through() -> None:
    wrong = tlp_marking_definition(TLP.GREEN) | {"name": "TLP:RED"}
    bundle = {"type": "bundle", "id": "bundle--6f2ffbf5-6c02-4a1c-9d2b-6b7f8b0b9a11"}
    bundle["objects"] = [wrong]
    assert validate_instance(bundle, ValidationOptions(strict=True, version="2.1")).is_valid
    assert tlp_problems([wrong]) == [f"{TLP.GREEN.stix_id}: is TLP:GREEN but is named 'TLP:RED'"]
    not_official = "marking-definition--11111111-1111-4111-8111-111111111111"
    fake = tlp_marking_definition(TLP.RED) | {"id": not_official}
    assert "not the official TLP 2.0 id" in tlp_problems([fake])[0]
