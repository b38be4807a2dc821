"""The JSON API in process, on SQLite and PostgreSQL: what a client of the cell notices."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import PLANTED, SECRET_CASE, VISIBLE_CASE, Cell, version_of
from watchfloor.domain.users import Role
from watchfloor.entrypoints.web.auth import users_uow
from watchfloor.service import users as user_service


def _evidence(title: str = "Beacon to 203.0.113.7", **extra: Any) -> dict[str, Any]:
    return {
        "title": title,
        "source": "national CERT",
        "grade": "B2",
        "evidence_class": "infrastructure",
        "likelihoods": {"A": 0.7, "other": 0.05},
        "marking": {"classification": "NU", "releasable_to": ["NATO"], "tlp": "GREEN"},
        **extra,
    }


def _new_case(case_id: str = "C-NEW") -> dict[str, Any]:
    return {
        "id": case_id,
        "title": "Ground-station intrusion",
        "incident": {
            "title": "Ground station intrusion",
            "occurred": "2026-03-14T01:00:00Z",
            "detected": "2026-03-14T01:20:00Z",
            "countries": ["EST"],
            "sectors": ["space"],
        },
        "marking": {"classification": "NR", "releasable_to": ["NATO"], "tlp": "AMBER"},
    }


def test_analyst_opens_a_case_and_adds_evidence_that_moves_the_assessment(cell: Cell) -> None:
    api = cell.api(Role.WATCH_ANALYST)
    opened = api.post("/api/cases", json=_new_case())
    assert opened.status_code == 201, opened.text
    body = opened.json()
    assert body["version"] == 1 and body["status"] == "open"

    hyp = api.post(
        "/api/cases/C-NEW/hypotheses",
        json={
            "expected_version": 1,
            "actors": [{"id": "A", "name": "Actor A", "sponsor": "State A"}],
            "hypotheses": [{"id": "H-A", "label": "Actor A did it", "actor": "A"}],
        },
    )
    assert hyp.status_code == 200, hyp.text
    before = {h["id"]: h["posterior"] for h in hyp.json()["hypotheses"]}

    added = api.post(
        "/api/cases/C-NEW/evidence",
        json={"expected_version": hyp.json()["version"], "items": [_evidence(id="E-1")]},
    )
    assert added.status_code == 200, added.text
    after = added.json()
    assert [e["id"] for e in after["evidence"]] == ["E-1"]
    posterior = {h["id"]: h["posterior"] for h in after["hypotheses"]}
    assert posterior["H-A"] > before["H-A"]

    board = api.get("/api/cases").json()
    row = next(r for r in board if r["id"] == "C-NEW")
    assert row["lead"] == "Actor A did it" and row["time_left"] and row["tier"]


def test_a_stale_version_gets_409_naming_the_conflict_and_nothing_is_lost(cell: Cell) -> None:
    alice, bob = cell.api(Role.WATCH_ANALYST), cell.api(Role.SPACE_ANALYST)
    v = version_of(alice, VISIBLE_CASE)
    first = alice.post(
        f"/api/cases/{VISIBLE_CASE}/evidence",
        json={"expected_version": v, "items": [_evidence("alice's report", id="E-ALICE")]},
    )
    assert first.status_code == 200
    second = bob.post(
        f"/api/cases/{VISIBLE_CASE}/evidence",
        json={"expected_version": v, "items": [_evidence("bob's report", id="E-BOB")]},
    )
    assert second.status_code == 409
    assert "someone else changed it" in second.json()["detail"]
    ids = [e["id"] for e in bob.get(f"/api/cases/{VISIBLE_CASE}").json()["evidence"]]
    assert "E-ALICE" in ids and "E-BOB" not in ids


def test_bad_input_gets_4xx_naming_the_field(cell: Cell) -> None:
    api = cell.api(Role.WATCH_ANALYST)
    v = version_of(api, VISIBLE_CASE)
    url = f"/api/cases/{VISIBLE_CASE}/evidence"
    bad_grade = api.post(url, json={"expected_version": v, "items": [_evidence(grade="Z9")]})
    assert bad_grade.status_code == 400
    assert "invalid Admiralty grade 'Z9'" in bad_grade.json()["detail"]
    bad_p = api.post(
        url, json={"expected_version": v, "items": [_evidence(likelihoods={"A": 1.5})]}
    )
    assert bad_p.status_code == 422 and "likelihoods" in bad_p.json()["detail"]
    nul = api.post(url, json={"expected_version": v, "items": [_evidence("bad\x00title")]})
    assert nul.status_code == 422 and "control characters" in nul.json()["detail"]
    not_json = api.post(url, content=b"{not json", headers={"content-type": "application/json"})
    assert not_json.status_code == 422
    backwards = _new_case("C-BACK")
    backwards["incident"]["detected"] = "2026-03-13T00:00:00Z"
    r = api.post("/api/cases", json=backwards)
    assert r.status_code == 400 and "detected" in r.json()["detail"]
    assert api.get("/api/cases/..%2F..%2Fetc").status_code in (404, 422)


def test_no_credentials_get_401_and_a_bad_token_is_named(cell: Cell) -> None:
    anon = cell.api(None)
    assert anon.get("/api/cases").status_code == 401
    anon.headers["Authorization"] = "Bearer wf_not-a-token"
    r = anon.get("/api/cases")
    assert r.status_code == 401 and "not valid" in r.json()["detail"]


def test_role_decides_what_one_may_do(cell: Cell) -> None:
    partner, legal = cell.api(Role.PARTNER), cell.api(Role.LEGAL_ADVISER)
    v = version_of(legal, VISIBLE_CASE)
    review = {
        "expected_version": v,
        "option_id": "demarche",
        "outcome": "approved",
        "reasons": "proportionate",
    }
    r = partner.post(f"/api/cases/{VISIBLE_CASE}/reviews", json=review)
    assert r.status_code == 403 and "partner" in r.json()["detail"]
    r = legal.post(
        f"/api/cases/{VISIBLE_CASE}/evidence", json={"expected_version": v, "items": [_evidence()]}
    )
    assert r.status_code == 403
    assert partner.get("/api/audit").status_code == 403
    assert cell.api(Role.WATCH_ANALYST).get("/api/users").status_code == 403
    assert cell.api(Role.ADMINISTRATOR).get("/api/users").status_code == 200


def test_a_case_above_the_viewer_is_not_found_exactly_like_a_missing_one(cell: Cell) -> None:
    partner = cell.api(Role.PARTNER)
    hidden = partner.get(f"/api/cases/{SECRET_CASE}")
    missing = partner.get("/api/cases/C-NOPE")
    assert hidden.status_code == missing.status_code == 404
    assert "ZEBRA" not in hidden.text
    assert SECRET_CASE in [r["id"] for r in cell.api(Role.WATCH_ANALYST).get("/api/cases").json()]


def test_partner_view_drops_items_above_it_and_assesses_without_them(cell: Cell) -> None:
    partner = cell.api(Role.PARTNER).get(f"/api/cases/{VISIBLE_CASE}")
    full = cell.api(Role.DECISION_MAKER).get(f"/api/cases/{VISIBLE_CASE}")
    assert [e["id"] for e in partner.json()["evidence"]] == ["E-OPEN"]
    assert len(full.json()["evidence"]) == 4
    for s in PLANTED:
        assert s not in partner.text
    lead = {h["id"]: h["posterior"] for h in partner.json()["hypotheses"]}
    full_lead = {h["id"]: h["posterior"] for h in full.json()["hypotheses"]}
    # The only item the partner sees favours B; the withheld ones favour A.
    assert lead["H-B"] > lead["H-A"] and full_lead["H-A"] > full_lead["H-B"]
    assert partner.json()["view_marking"]["tlp"] == "TLP:GREEN"


def test_nobody_marks_an_item_above_their_own_clearance(cell: Cell) -> None:
    partner = cell.api(Role.PARTNER)
    v = version_of(partner, VISIBLE_CASE)
    r = partner.post(
        f"/api/cases/{VISIBLE_CASE}/evidence",
        json={
            "expected_version": v,
            "items": [_evidence(marking={"classification": "NS", "releasable_to": ["NATO"]})],
        },
    )
    assert r.status_code == 400 and "above your own clearance" in r.json()["detail"]
    ok = partner.post(
        f"/api/cases/{VISIBLE_CASE}/evidence",
        json={
            "expected_version": v,
            "items": [
                _evidence(
                    "partner's own report",
                    marking={
                        "classification": "NU",
                        "releasable_to": ["EST"],
                        "tlp": "GREEN",
                        "originator": "EST",
                    },
                )
            ],
        },
    )
    assert ok.status_code == 200, ok.text


def test_rotating_a_token_stops_the_old_one(cell: Cell) -> None:
    old = cell.api(Role.WATCH_ANALYST)
    assert old.get("/api/me").json()["role"] == "watch_analyst"
    with users_uow(cell.app) as uow:
        new = user_service.rotate_token(uow, "watch-analyst", "admin", cell.clock())
    assert old.get("/api/me").status_code == 401
    old.headers["Authorization"] = f"Bearer {new}"
    assert old.get("/api/me").status_code == 200


def test_legal_review_then_decision_then_pdf(cell: Cell) -> None:
    legal, decider = cell.api(Role.LEGAL_ADVISER), cell.api(Role.DECISION_MAKER)
    case = decider.get(f"/api/cases/{VISIBLE_CASE}").json()
    reviewable = [o for o in case["options"] if o["legal_review"] is not None]
    assert reviewable, "review tasks open while the analysis runs"
    opt = reviewable[0]["id"]
    r = legal.post(
        f"/api/cases/{VISIBLE_CASE}/reviews",
        json={
            "expected_version": case["version"],
            "option_id": opt,
            "outcome": "approved",
            "reasons": "lawful countermeasure",
        },
    )
    assert r.status_code == 200, r.text
    eligible_and_cleared = (
        [
            o["id"]
            for o in r.json()["options"]
            if o["eligible"] and o["legal_review"]["outcome"] == "approved"
        ]
        if r.json()["options"]
        else []
    )
    d = decider.post(
        f"/api/cases/{VISIBLE_CASE}/decision",
        json={
            "expected_version": r.json()["version"],
            "chosen": eligible_and_cleared,
            "rationale": "act now",
        },
    )
    assert d.status_code == 200, d.text
    assert d.json()["status"] == "decided"
    pdf = decider.get(f"/api/cases/{VISIBLE_CASE}/package.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    again = decider.post(
        f"/api/cases/{VISIBLE_CASE}/decision",
        json={"expected_version": d.json()["version"], "chosen": [], "rationale": "again"},
    )
    assert again.status_code == 400 and "decided" in again.json()["detail"]


def test_openapi_document_describes_the_api(cell: Cell) -> None:
    doc = cell.api(None).get("/openapi.json").json()
    assert "/api/cases/{case_id}/evidence" in doc["paths"]
    assert not any(p.startswith("/cases") for p in doc["paths"])  # pages stay out of it
