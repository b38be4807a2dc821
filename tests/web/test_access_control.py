"""Every route of the app's own route table × every role: nothing above the viewer leaks.

Routes are read from the built application, so a route added later (by any
router) is enumerated here without anyone remembering to add it. Each is
called with the planted cases' ids in its path and "ZEBRA" in every required
query parameter (the search looks for the planted strings themselves); the
bodies, PDF text included, must hold no planted string the role's clearance
may not see, and no request may fail with 5xx.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from pypdf import PdfReader

from tests.conftest import FixedClock
from tests.web.conftest import (
    PLANTED_MARKINGS,
    ROLE_CLEARANCE,
    SECRET_CASE,
    VISIBLE_CASE,
    Cell,
    TestClient,
    make_cell,
)
from watchfloor.domain.users import Role
from watchfloor.entrypoints.web.app import create_app

#: Routes anyone may reach without signing in.
PUBLIC_ROUTES = {("GET", "/login"), ("POST", "/login"), ("GET", "/openapi.json")}
PARAM = re.compile(r"{([^}:]+)(?::[^}]*)?}")


@pytest.fixture(scope="module")
def shared_cell(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cell]:
    """One planted cell per module (reads only), on SQLite."""
    url = f"sqlite:///{tmp_path_factory.mktemp('acl') / 'watchfloor.sqlite'}"
    cell = make_cell(url, FixedClock())
    yield cell
    for c in cell.clients:
        c.close()
    cell.app.engine.dispose()


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    required_query: tuple[str, ...]


def _routes(cell: Cell) -> list[Endpoint]:
    """Every method of every route the built app serves (included routers flattened)."""
    app = create_app(cell.app)
    out = []
    for rc in iter_route_contexts(app.routes):
        route = rc.original_route
        query: tuple[str, ...] = ()
        if isinstance(route, APIRoute):
            query = tuple(
                p.alias for p in route.dependant.query_params if p.field_info.is_required()
            )
        for method in sorted((rc.methods or set()) - {"HEAD"}):
            out.append(Endpoint(method, rc.path, query))
    assert len(out) > 20, "the route table should hold the API and the pages"
    return out


def _urls(e: Endpoint) -> list[str]:
    names = PARAM.findall(e.path)
    urls = []
    for case_id in (VISIBLE_CASE, SECRET_CASE):
        url = e.path
        for name in names:
            value = case_id if "case" in name else "ZEBRA"
            url = re.sub(r"{" + name + r"(?::[^}]*)?}", value, url)
        urls.append(url)
    if e.required_query:
        urls = [u + "?" + "&".join(f"{k}=ZEBRA" for k in e.required_query) for u in urls]
    return sorted(set(urls))


def _text(response_content: bytes, content_type: str) -> str:
    if content_type.startswith("application/pdf"):
        reader = PdfReader(io.BytesIO(response_content))
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    return response_content.decode("utf-8", errors="replace")


def _forbidden_for(role: Role) -> list[str]:
    clearance = ROLE_CLEARANCE[role]
    return [s for s, m in PLANTED_MARKINGS.items() if not clearance.may_see(m)]


def _call(client: TestClient, method: str, url: str) -> tuple[int, str]:
    r = client.get(url) if method == "GET" else client.request(method, url, json={})
    return r.status_code, _text(r.content, r.headers.get("content-type", ""))


def test_every_route_but_sign_in_needs_credentials(shared_cell: Cell) -> None:
    anon = shared_cell.api(None)
    anon.follow_redirects = False
    open_routes = []
    for e in _routes(shared_cell):
        if (e.method, e.path) in PUBLIC_ROUTES:
            continue
        for url in _urls(e):
            status, _ = _call(anon, e.method, url)
            if status not in (401, 303):
                open_routes.append(f"{e.method} {url} -> {status}")
    assert not open_routes, "reachable without signing in:\n" + "\n".join(open_routes)


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.code)
def test_no_route_returns_anything_above_the_viewer(shared_cell: Cell, role: Role) -> None:
    forbidden = _forbidden_for(role)
    clients = [("token", shared_cell.api(role))]
    if role is Role.PARTNER:
        clients.append(("session", shared_cell.browser(role)))
    leaks, errors, seen_ok = [], [], 0
    for via, client in clients:
        for e in _routes(shared_cell):
            method = e.method
            for url in _urls(e):
                if method != "GET" and via == "session":
                    continue  # session writes are refused by CSRF before any read
                status, text = _call(client, method, url)
                if status >= 500:
                    errors.append(f"{via} {method} {url} -> {status}")
                if status == 200:
                    seen_ok += 1
                found = [s for s in forbidden if s in text]
                if found:
                    leaks.append(f"{via} {method} {url} -> {status} contains {found}")
    assert not errors, "server errors:\n" + "\n".join(errors)
    assert not leaks, f"{role.code} saw what its clearance forbids:\n" + "\n".join(leaks)
    assert seen_ok > 3, "the role should be able to read something"


def test_partner_cannot_write_to_a_case_above_it(shared_cell: Cell) -> None:
    partner = shared_cell.api(Role.PARTNER)
    r = partner.post(
        f"/api/cases/{SECRET_CASE}/evidence",
        json={
            "expected_version": 2,
            "items": [
                {
                    "title": "probe",
                    "source": "probe",
                    "grade": "B2",
                    "evidence_class": "external",
                    "marking": {
                        "classification": "NU",
                        "releasable_to": ["EST"],
                        "originator": "EST",
                        "tlp": "GREEN",
                    },
                }
            ],
        },
    )
    assert r.status_code == 404
    assert "ZEBRA" not in r.text


def test_cleared_viewers_do_see_the_planted_items(shared_cell: Cell) -> None:
    """The planted strings are reachable at all: otherwise the leak tests prove nothing."""
    decider = shared_cell.api(Role.DECISION_MAKER)
    text = decider.get(f"/cases/{VISIBLE_CASE}").text + decider.get(f"/cases/{SECRET_CASE}").text
    assert all(s in text for s in PLANTED_MARKINGS)
    hits = decider.get("/api/search", params={"q": "ZEBRA"}).json()
    assert len(hits) >= 4
    audit = decider.get("/api/audit").text
    assert "ZEBRA-NS-SOURCE" in audit
