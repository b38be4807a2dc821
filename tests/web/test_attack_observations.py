"""ATT&CK observations into a case through the API and the case page, against
the real ATT&CK for ICS 18.1 knowledge base stored in the cell's database."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pytest

from tests.conftest import SHARED_DATA
from tests.web.conftest import VISIBLE_CASE, Cell, csrf_of, version_of
from watchfloor.adapters.db.kb_repository import KnowledgeBaseRepository
from watchfloor.adapters.stix import read_bundle
from watchfloor.domain.users import Role
from watchfloor.engines.attribution import AttackKnowledge, KnowledgeBaseVersion

ICS = SHARED_DATA / "attack" / "ics-attack-18.1.json"
PATH = f"/api/cases/{VISIBLE_CASE}/attack-observations"


def _load_ics(cell: Cell) -> None:
    KnowledgeBaseRepository(cell.app.engine).add(read_bundle(ICS), "ics-attack", "18.1")


@functools.cache
def _sandworm() -> tuple[list[str], list[str]]:
    """Sandworm Team's (G0034) recorded ICS techniques and software, read from the bundle."""
    version = KnowledgeBaseVersion("ics-attack", "18.1")
    knowledge = AttackKnowledge.from_objects(read_bundle(ICS).objects, version)
    row = knowledge.actor_index["G0034"]
    techniques = [knowledge.techniques[j] for j in np.nonzero(knowledge.actor_technique[row])[0]]
    software = [knowledge.software[j] for j in np.nonzero(knowledge.actor_software[row])[0]]
    return techniques[:6], software[:2]


def _hypotheses(cell: Cell) -> int:
    """Two more hypotheses: Sandworm under a vendor's name, Lazarus by its ATT&CK id."""
    api = cell.api(Role.WATCH_ANALYST)
    r = api.post(
        f"/api/cases/{VISIBLE_CASE}/hypotheses",
        json={
            "expected_version": version_of(api, VISIBLE_CASE),
            "actors": [
                {"id": "VOODOO", "name": "Voodoo Bear", "sponsor": "State R"},
                {"id": "LAZ", "name": "Lazarus", "aliases": ["G0032"]},
            ],
            "hypotheses": [
                {"id": "H-V", "label": "Voodoo Bear did it", "actor": "VOODOO"},
                {"id": "H-L", "label": "Lazarus did it", "actor": "LAZ"},
            ],
        },
    )
    assert r.status_code == 200, r.text
    assert {
        "id": "LAZ",
        "name": "Lazarus",
        "sponsor": None,
        "cluster": None,
        "aliases": ["G0032"],
    } in r.json()["actors"]
    return int(r.json()["version"])


def _body(version: int, **extra: Any) -> dict[str, Any]:
    techniques, software = _sandworm()
    return {
        "expected_version": version,
        "techniques": [*techniques, "T9999"],
        "software": software,
        "source": "utility CERT forensic report",
        "grade": "B2",
        "marking": {"classification": "NU", "releasable_to": ["NATO"], "tlp": "GREEN"},
        **extra,
    }


def test_observations_of_sandworm_tradecraft_raise_the_hypothesis_that_names_it(
    cell: Cell,
) -> None:
    _load_ics(cell)
    version = _hypotheses(cell)
    api = cell.api(Role.WATCH_ANALYST)
    before = {
        h["id"]: h["posterior"] for h in api.get(f"/api/cases/{VISIBLE_CASE}").json()["hypotheses"]
    }

    r = api.post(PATH, json=_body(version, knowledge_base="ics-attack@18.1"))

    assert r.status_code == 200, r.text
    case = r.json()
    item = next(e for e in case["evidence"] if e["kind"] == "attack-profile")
    assert item["evidence_class"] == "tradecraft"
    assert item["grade"] == "B2"
    assert "VOODOO = G0034" in item["description"]
    assert "LAZ = G0032" in item["description"]
    assert "T9999" in item["description"]
    assert item["likelihoods"]["VOODOO"] == pytest.approx(1.0)
    after = {h["id"]: h["posterior"] for h in case["hypotheses"]}
    assert after["H-V"] > before["H-V"]
    assert after["H-V"] > after["H-L"]
    assert after["H-V"] == max(after.values())


def test_without_a_knowledge_base_the_answer_says_how_to_load_one(cell: Cell) -> None:
    api = cell.api(Role.WATCH_ANALYST)
    r = api.post(PATH, json=_body(version_of(api, VISIBLE_CASE)))
    assert r.status_code == 404
    assert "watchfloor kb load" in r.json()["detail"]
    _load_ics(cell)
    r = api.post(
        PATH, json=_body(version_of(api, VISIBLE_CASE), knowledge_base="enterprise-attack")
    )
    assert r.status_code == 404
    assert "'enterprise-attack'" in r.json()["detail"]


def test_bad_observations_are_refused_naming_the_problem_and_nothing_is_added(cell: Cell) -> None:
    _load_ics(cell)
    api = cell.api(Role.WATCH_ANALYST)
    version = version_of(api, VISIBLE_CASE)
    nothing = api.post(PATH, json=_body(version, techniques=[], software=[]))
    assert nothing.status_code == 400
    assert "at least one technique" in nothing.json()["detail"]
    unknown = api.post(PATH, json=_body(version, techniques=["T9999"], software=[]))
    assert unknown.status_code == 400
    assert "none of the ids is in the knowledge base ics-attack 18.1" in unknown.json()["detail"]
    malformed = api.post(PATH, json=_body(version, techniques=["T1059; DROP"]))
    assert malformed.status_code == 422
    stale = api.post(PATH, json=_body(version - 1))
    assert stale.status_code == 409
    assert version_of(api, VISIBLE_CASE) == version


def test_a_lawyer_may_not_add_observations_and_nobody_marks_above_themselves(cell: Cell) -> None:
    _load_ics(cell)
    analyst = cell.api(Role.WATCH_ANALYST)
    version = version_of(analyst, VISIBLE_CASE)
    assert cell.api(Role.LEGAL_ADVISER).post(PATH, json=_body(version)).status_code == 403
    body = _body(version, marking={"classification": "CTS", "releasable_to": ["NATO"]})
    r = analyst.post(PATH, json=body)
    assert r.status_code == 400
    assert "above your own clearance" in r.json()["detail"]
    assert version_of(analyst, VISIBLE_CASE) == version


def test_the_case_page_form_scores_and_adds_the_observation(cell: Cell) -> None:
    browser = cell.browser(Role.WATCH_ANALYST)
    page = browser.get(f"/cases/{VISIBLE_CASE}")
    assert "No ATT&amp;CK knowledge base is loaded" in page.text
    _load_ics(cell)
    _hypotheses(cell)
    page = browser.get(f"/cases/{VISIBLE_CASE}")
    assert '<option value="ics-attack@18.1">' in page.text
    techniques, software = _sandworm()
    r = browser.post(
        f"/cases/{VISIBLE_CASE}/attack-observations",
        data={
            "csrf_token": csrf_of(page.text),
            "expected_version": str(version_of(cell.api(Role.WATCH_ANALYST), VISIBLE_CASE)),
            "techniques": "\n".join(techniques),
            "software": ", ".join(software),
            "knowledge_base": "ics-attack@18.1",
            "source": "utility CERT",
            "grade": "B2",
            "classification": "NU",
            "releasable_to": "NATO",
            "tlp": "TLP:GREEN",
        },
        follow_redirects=True,
    )
    assert r.status_code == 200, r.text
    assert "ATT&amp;CK observation scored and added as evidence" in r.text
    assert "VOODOO = G0034" in r.text


def test_an_alias_given_to_an_existing_actor_links_later_observations_to_it(cell: Cell) -> None:
    _load_ics(cell)
    api = cell.api(Role.WATCH_ANALYST)
    path = f"/api/cases/{VISIBLE_CASE}/actors/A/aliases"
    r = api.post(
        path,
        json={"expected_version": version_of(api, VISIBLE_CASE), "aliases": ["G0034", "a"]},
    )
    assert r.status_code == 200, r.text
    actor = next(x for x in r.json()["actors"] if x["id"] == "A")
    assert actor["aliases"] == ["G0034"]  # "a" is the actor's own id
    version = int(r.json()["version"])

    observed = api.post(PATH, json=_body(version))
    assert observed.status_code == 200, observed.text
    item = next(e for e in observed.json()["evidence"] if e["kind"] == "attack-profile")
    assert "A = G0034" in item["description"]

    unknown = api.post(
        f"/api/cases/{VISIBLE_CASE}/actors/NOBODY/aliases",
        json={"expected_version": version_of(api, VISIBLE_CASE), "aliases": ["x"]},
    )
    assert unknown.status_code == 400 and "no actor 'NOBODY'" in unknown.json()["detail"]
    stale = api.post(path, json={"expected_version": version, "aliases": ["Voodoo Bear"]})
    assert stale.status_code == 409
    partner = cell.api(Role.PARTNER).post(
        path, json={"expected_version": version_of(api, VISIBLE_CASE), "aliases": ["x"]}
    )
    assert partner.status_code == 403


def test_the_case_page_adds_aliases_to_an_actor(cell: Cell) -> None:
    browser = cell.browser(Role.WATCH_ANALYST)
    page = browser.get(f"/cases/{VISIBLE_CASE}")
    r = browser.post(
        f"/cases/{VISIBLE_CASE}/aliases",
        data={
            "csrf_token": csrf_of(page.text),
            "expected_version": str(version_of(cell.api(Role.WATCH_ANALYST), VISIBLE_CASE)),
            "actor_id": "B",
            "aliases": "G0032, Lazarus Group",
        },
        follow_redirects=True,
    )
    assert r.status_code == 200, r.text
    assert "Aliases added to the actor." in r.text
    assert "B — Actor B (also G0032, Lazarus Group)" in r.text
