"""The space page on a small slice of the real catalog: screening, views, approaches into a case."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import (
    PASSWORD,
    SCREEN,
    SECRET_CASE,
    SPACE,
    VISIBLE_CASE,
    Cell,
    csrf_of,
)
from watchfloor.domain.assessment import CaseAssessment
from watchfloor.domain.evidence import EvidenceClass
from watchfloor.domain.markings import Classification, Clearance
from watchfloor.domain.users import Role
from watchfloor.entrypoints.web.auth import users_uow
from watchfloor.service import cases
from watchfloor.service import users as user_service

pytestmark = pytest.mark.skipif(
    not (SPACE / "celestrak_full_catalog_omm_20241101.csv").exists(),
    reason=f"shared space data not found at {SPACE}",
)


def _approach_ids(html: str) -> list[str]:
    return re.findall(r'name="approach" value="([^"]+)"', html)


def test_the_page_screens_the_victim_and_shows_views_and_the_table(space_cell: Cell) -> None:
    analyst = space_cell.api(Role.SPACE_ANALYST)
    r = analyst.get("/space", params=SCREEN)
    assert r.status_code == 200, r.text
    html = r.text
    assert html.count("<svg") == 3  # timeline, relative distance, ground track
    assert "<title>Close approaches</title>" in html
    assert "<title>Distance 6126 / 7727 COSMOS 724</title>" in html
    assert "<title>Ground track 7727 COSMOS 724" in html
    assert "7727 COSMOS 724" in html and "CIS" in html and "(Russia)" in html
    # the views are drawn without script; the page's one script is the packaged
    # progress of the screening form
    assert all("<script" not in svg for svg in re.findall(r"<svg.*?</svg>", html, re.S))
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/progress.js" defer>']
    ids = _approach_ids(html)
    assert ids and all(i.startswith("ORB-CA-6126-7727-20241101T") for i in ids)
    # Choosing a pair by its approach id shows that pair; an unknown one is named.
    assert analyst.get("/space", params=SCREEN | {"show": ids[-1]}).status_code == 200
    r = analyst.get("/space", params=SCREEN | {"show": "ORB-CA-1-2-20241101T000000Z"})
    assert r.status_code == 404 and "not in this screening" in r.text


def test_the_bare_page_is_a_form_with_the_catalogs_epoch(space_cell: Cell) -> None:
    r = space_cell.api(Role.PARTNER).get("/space")
    assert r.status_code == 200
    assert 'name="victim"' in r.text
    assert re.search(r'name="start" value="2024-1\d-\d\dT\d\d:00Z"', r.text)
    assert "9 objects" in r.text


def test_without_a_catalog_the_page_says_so(cell: Cell) -> None:
    analyst = cell.api(Role.SPACE_ANALYST)
    r = analyst.get("/space")
    assert r.status_code == 200 and "No orbital catalog is configured" in r.text
    r = analyst.get("/space", params=SCREEN)
    assert r.status_code == 404 and "No orbital catalog is configured" in r.text


@pytest.mark.parametrize(
    ("field", "value", "status", "message"),
    [
        ("victim", "ISS", 400, "victim: 'ISS' is not a NORAD catalog number"),
        ("victim", "99999", 404, "NORAD 99999 is not in this server's catalog"),
        ("start", "yesterday", 400, "start: 'yesterday' is not an ISO 8601 time"),
        ("start", "2031-01-01T00:00Z", 400, "days from them says nothing"),
        ("hours", "169", 400, "hours: must be more than 0 and at most 168"),
        ("hours", "nan", 400, "hours: must be a finite number"),
        ("threshold_km", "0", 400, "threshold_km: must be more than 0 and at most 50"),
        ("threshold_km", "500", 400, "threshold_km: must be more than 0 and at most 50"),
        ("threshold_km", "x" * 41, 422, "threshold_km"),
    ],
)
def test_bad_input_is_named_with_a_4xx(
    space_cell: Cell, field: str, value: str, status: int, message: str
) -> None:
    r = space_cell.api(Role.SPACE_ANALYST).get("/space", params=SCREEN | {field: value})
    assert r.status_code == status, r.text
    assert message in r.text.replace("&#39;", "'")


def _add_form(html: str, csrf: str | None = None, **extra: str) -> dict[str, str | list[str]]:
    """The add-to-case form of a screening page (its CSRF nonce unless `csrf` is given)."""
    return {
        "csrf_token": csrf_of(html) if csrf is None else csrf,
        **SCREEN,
        "approach": _approach_ids(html)[:1],
        "case_id": VISIBLE_CASE,
        "grade": "B2",
        "marking": "NU//REL TO NATO//TLP:GREEN",
        **extra,
    }


def _orbital_items(cell: Cell) -> list[str]:
    with cell.app.uow(read_only=True) as uow:
        case = uow.cases.get(VISIBLE_CASE)
    return [e.id for e in case.evidence if e.evidence_class is EvidenceClass.ORBITAL]


def test_an_analyst_adds_an_approach_to_a_case_once(space_cell: Cell) -> None:
    browser = space_cell.browser(Role.SPACE_ANALYST)
    page = browser.get("/space", params=SCREEN)
    assert f'<option value="{VISIBLE_CASE}">' in page.text
    with space_cell.app.uow(read_only=True) as uow:
        _, before = cases.get_assessment(uow, VISIBLE_CASE, space_cell.clock())
    r = browser.post("/space/evidence", data=_add_form(page.text))
    assert r.status_code == 200 and "Close approaches added as evidence" in r.text
    chosen = _approach_ids(page.text)[0]
    assert chosen in r.text and "Close approach 6126 / 7727" in r.text
    assert _orbital_items(space_cell) == [chosen]
    with space_cell.app.uow(read_only=True) as uow:
        _, after = cases.get_assessment(uow, VISIBLE_CASE, space_cell.clock())
        item = next(e for e in uow.cases.get(VISIBLE_CASE).evidence if e.id == chosen)
    # Cosmos 724 is owned by CIS: the Russian-sponsored actor gains on every other one.
    assert item.likelihoods["R"] > max(item.likelihoods["A"], item.likelihoods["B"])

    def odds(a: CaseAssessment, other: str) -> float:
        return a.fusion.probability("H-R") / a.fusion.probability(other)

    assert odds(after, "H-A") > odds(before, "H-A")
    assert odds(after, "H-B") > odds(before, "H-B")
    again = browser.post("/space/evidence", data=_add_form(page.text))
    assert again.status_code == 200
    assert _orbital_items(space_cell) == [chosen]


def test_adding_is_refused_without_csrf_or_with_bad_fields(space_cell: Cell) -> None:
    browser = space_cell.browser(Role.SPACE_ANALYST)
    page = browser.get("/space", params=SCREEN)
    r = browser.post("/space/evidence", data=_add_form(page.text, csrf="forged"))
    assert r.status_code == 403 and "CSRF" in r.text
    for extra, status, message in [
        ({"approach": "ORB-CA-1-2-20241101T000000Z"}, 400, "not in this screening"),
        ({"approach": ""}, 400, "choose at least one close approach"),
        ({"grade": "Z9"}, 400, "invalid Admiralty grade"),
        ({"marking": "CTS//REL TO NATO"}, 400, ""),  # above the analyst's own clearance
        ({"case_id": "C-NONE"}, 404, "C-NONE"),
        ({"case_id": "../etc"}, 422, "case_id"),
        ({"hours": "1000"}, 400, "hours"),
    ]:
        form = _add_form(page.text, **extra)
        r = browser.post("/space/evidence", data=form)
        assert r.status_code == status, (extra, r.text)
        assert message in r.text
    assert _orbital_items(space_cell) == []


def test_a_partner_sees_the_screening_but_cannot_add_evidence(space_cell: Cell) -> None:
    partner = space_cell.browser(Role.PARTNER)
    page = partner.get("/space", params=SCREEN)
    assert page.status_code == 200 and "COSMOS 724" in page.text
    assert 'name="approach"' not in page.text and "Add to case" not in page.text
    analyst_page = space_cell.api(Role.SPACE_ANALYST).get("/space", params=SCREEN).text
    form = _add_form(analyst_page, csrf=csrf_of(page.text))
    r = partner.post("/space/evidence", data=form)
    assert r.status_code == 403 and "may not add screening results" in r.text
    token = space_cell.api(Role.PARTNER).post("/space/evidence", data=form)
    assert token.status_code == 403
    assert _orbital_items(space_cell) == []


def test_an_analyst_cleared_below_a_case_can_neither_pick_nor_reach_it(space_cell: Cell) -> None:
    with users_uow(space_cell.app) as uow:
        user_service.add_user(
            uow,
            "low-analyst",
            "low",
            Role.SPACE_ANALYST,
            Clearance(Classification.RESTRICTED),
            PASSWORD,
            "t",
            space_cell.clock(),
        )
        token = user_service.rotate_token(uow, "low-analyst", "t", space_cell.clock())
    client = space_cell.api(None)
    client.headers["Authorization"] = f"Bearer {token}"
    page = client.get("/space", params=SCREEN).text
    assert VISIBLE_CASE in page and SECRET_CASE not in page and "ZEBRA" not in page
    r = client.post("/space/evidence", data=_add_form(page, csrf="", case_id=SECRET_CASE))
    assert r.status_code == 404 and "ZEBRA" not in r.text
