"""A cell for web tests: the app in process, one user per role, and planted secrets.

`PLANTED` strings sit only in items a partner (NR, EST, TLP:GREEN) may not
see: above its classification, above its TLP, outside its releasability, or in
a case marked above it. Access-control tests assert none of them ever reaches
a partner.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette: "install httpx2" (we use httpx, as locked)
    from fastapi.testclient import TestClient

from tests.conftest import SHARED_DATA, FixedClock
from watchfloor.bootstrap import App, bootstrap
from watchfloor.domain.case import Incident
from watchfloor.domain.evidence import CostToFake, EvidenceClass, EvidenceItem
from watchfloor.domain.grading import AdmiraltyGrade
from watchfloor.domain.hypotheses import Actor, Hypothesis, HypothesisKind
from watchfloor.domain.markings import NATO, TLP, Classification, Clearance, Marking
from watchfloor.domain.thresholds import Estimate
from watchfloor.domain.users import Role
from watchfloor.entrypoints.web.app import create_app
from watchfloor.entrypoints.web.auth import users_uow
from watchfloor.entrypoints.web.space import SpaceCatalog
from watchfloor.service import cases
from watchfloor.service import users as user_service

PASSWORD = "test-password-1"
VISIBLE_CASE = "C-SHARED"
SECRET_CASE = "C-SECRET"

NS_NATO = Marking(Classification.SECRET, frozenset({NATO}), TLP.GREEN)
RED_NATO = Marking(Classification.UNCLASSIFIED, frozenset({NATO}), TLP.RED)
USA_ONLY = Marking(Classification.UNCLASSIFIED, frozenset({"USA"}), TLP.GREEN)
SECRET_CASE_MARKING = Marking(Classification.SECRET, frozenset({NATO}), TLP.AMBER)

#: Distinctive strings, each only in an item (or case) of the given marking.
PLANTED_MARKINGS = {
    "ZEBRA-NS-TITLE": NS_NATO,
    "ZEBRA-NS-SOURCE": NS_NATO,
    "ZEBRA-RED-TITLE": RED_NATO,
    "ZEBRA-RED-SOURCE": RED_NATO,
    "ZEBRA-USA-TITLE": USA_ONLY,
    "ZEBRA-USA-SOURCE": USA_ONLY,
    "ZEBRA-SECRET-CASE": SECRET_CASE_MARKING,
    "ZEBRA-SECRET-CASE-EVIDENCE": SECRET_CASE_MARKING,
}
PLANTED = tuple(PLANTED_MARKINGS)

ROLE_CLEARANCE = {
    Role.WATCH_ANALYST: Clearance(Classification.SECRET),
    Role.SPACE_ANALYST: Clearance(Classification.SECRET),
    Role.LEGAL_ADVISER: Clearance(Classification.SECRET),
    Role.DECISION_MAKER: Clearance(Classification.COSMIC_TOP_SECRET, frozenset({NATO, "USA"})),
    Role.PARTNER: Clearance(Classification.RESTRICTED, frozenset({"EST"}), TLP.GREEN),
    Role.EXERCISE_DIRECTOR: Clearance(Classification.SECRET),
    Role.ADMINISTRATOR: Clearance(Classification.RESTRICTED),
}


def incident() -> Incident:
    t0 = datetime(2026, 3, 14, 2, 0, tzinfo=UTC)
    return Incident(
        "Terminal wipe",
        "Terminals wiped in three allies",
        t0,
        t0.replace(minute=30),
        assets=("ground segment",),
        countries=("EST", "LVA", "LTU"),
        sectors=("space", "energy", "telecommunications"),
        impact={
            "people_affected": Estimate(500_000, 200_000, 900_000),
            "coercive_intent": Estimate(0.6, 0.4, 0.8),
        },
    )


def item(
    eid: str, title: str, source: str, marking: Marking, actor: str = "A", p: float = 0.6
) -> EvidenceItem:
    return EvidenceItem(
        id=eid,
        title=title,
        source=source,
        grade=AdmiraltyGrade.parse("B2"),
        evidence_class=EvidenceClass.INFRASTRUCTURE,
        likelihoods={actor: p, "other": 0.05},
        marking=marking,
        baseline=0.05,
        cost_to_fake=CostToFake.HIGH,
    )


GREEN_NATO = Marking(Classification.UNCLASSIFIED, frozenset({NATO}), TLP.GREEN)


@dataclass
class Cell:
    app: App
    clock: FixedClock
    tokens: dict[Role, str] = field(default_factory=dict)
    clients: list[TestClient] = field(default_factory=list)
    space: Any = None  # a web.space.SpaceCatalog for the space page, or None
    max_upload_bytes: int | None = None  # None: the service's default

    def asgi(self) -> Any:
        if self.max_upload_bytes is None:
            return create_app(self.app, space=self.space)
        return create_app(self.app, space=self.space, max_upload_bytes=self.max_upload_bytes)

    def username(self, role: Role) -> str:
        return role.code.replace("_", "-")

    def api(self, role: Role | None) -> TestClient:
        """A client authenticated by the role's API token (None: no credentials)."""
        c = TestClient(self.asgi(), raise_server_exceptions=False)
        self.clients.append(c)
        if role is not None:
            c.headers["Authorization"] = f"Bearer {self.tokens[role]}"
        return c

    def browser(self, role: Role) -> TestClient:
        """A client signed in through the sign-in form, as a browser would be."""
        c = TestClient(self.asgi(), raise_server_exceptions=False)
        self.clients.append(c)
        page = c.get("/login")
        nonce = csrf_of(page.text)
        r = c.post(
            "/login",
            data={"username": self.username(role), "password": PASSWORD, "csrf_token": nonce},
        )
        assert r.status_code == 200, r.text
        return c


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF field in the page"
    return m.group(1)


def make_cell(database_url: str, clock: FixedClock) -> Cell:
    app = bootstrap(database_url, clock=clock)
    cell = Cell(app, clock)
    with users_uow(app) as uow:
        for role, clearance in ROLE_CLEARANCE.items():
            name = cell.username(role)
            user_service.add_user(uow, name, name, role, clearance, PASSWORD, "test", clock())
            cell.tokens[role] = user_service.rotate_token(uow, name, "test", clock())
    plant(app, clock)
    return cell


def plant(app: App, clock: FixedClock) -> None:
    """A case the partner may see, with items it may not; and a case above it."""
    now = clock()
    with app.uow() as uow:
        cases.open_case(uow, VISIBLE_CASE, "Shared wiper case", incident(), GREEN_NATO, "t", now)
        cases.add_hypotheses(
            uow,
            VISIBLE_CASE,
            [
                Hypothesis("H-A", HypothesisKind.ACTOR, "Actor A did it", "A"),
                Hypothesis("H-B", HypothesisKind.ACTOR, "Actor B did it", "B"),
            ],
            "t",
            now,
            actors=[Actor("A", "Actor A", "State A", "UNC-1"), Actor("B", "Actor B")],
        )
        cases.add_evidence(
            uow,
            VISIBLE_CASE,
            [
                item("E-OPEN", "Shared wiper hash", "partner CERT", GREEN_NATO, "B", 0.7),
                item("E-NS", "ZEBRA-NS-TITLE", "ZEBRA-NS-SOURCE", NS_NATO),
                item("E-RED", "ZEBRA-RED-TITLE", "ZEBRA-RED-SOURCE", RED_NATO),
                item("E-USA", "ZEBRA-USA-TITLE", "ZEBRA-USA-SOURCE", USA_ONLY),
            ],
            "t",
            now,
        )
        secret = SECRET_CASE_MARKING
        cases.open_case(uow, SECRET_CASE, "ZEBRA-SECRET-CASE", incident(), secret, "t", now)
        cases.add_evidence(
            uow,
            SECRET_CASE,
            [item("E-S1", "ZEBRA-SECRET-CASE-EVIDENCE", "ZEBRA-SECRET-CASE-EVIDENCE", secret)],
            "t",
            now,
        )


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing() -> Iterator[None]:
    """Production argon2 costs ~0.4 s a hash on a small machine; tests need no such cost."""
    user_service.use_password_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    yield
    user_service.use_password_hasher(PasswordHasher())


@pytest.fixture
def cell(database_url: str, clock: FixedClock) -> Iterator[Cell]:
    c = make_cell(database_url, clock)
    yield c
    for client in c.clients:
        client.close()
    c.app.engine.dispose()


def version_of(client: TestClient, case_id: str) -> int:
    r = client.get(f"/api/cases/{case_id}")
    assert r.status_code == 200, r.text
    v: Any = r.json()["version"]
    return int(v)


SPACE = SHARED_DATA / "space"
# Landsat 1 (US) and Cosmos 724 (CIS) pass within 10 km early on 2024-11-01; the rest are
# other real pairs (ISS modules, MEV-1 on Intelsat 901, Starlinks, a decayed Cosmos).
IDS = {"25544", "49044", "26824", "44625", "46546", "58783", "6126", "7727", "10970"}
SCREEN = {"victim": "6126", "start": "2024-11-01T00:00Z", "hours": "1", "threshold_km": "10"}


def _slice(source: Path, column: int, target: Path) -> Path:
    lines = source.read_text(encoding="utf-8").splitlines()
    keep = [ln for ln in lines[1:] if ln.split(",")[column] in IDS]
    target.write_text("\n".join([lines[0], *keep]) + "\n", encoding="utf-8")
    return target


def nine_object_catalog(directory: Path) -> SpaceCatalog:
    """The space page's catalog of the :data:`IDS` objects, sliced from the
    shared catalog and SATCAT into ``directory`` (the test is skipped without them)."""
    source = SPACE / "celestrak_full_catalog_omm_20241101.csv"
    if not source.exists():
        pytest.skip(f"shared space data not found at {SPACE}")
    catalog = _slice(source, 11, directory / "catalog.csv")
    satcat = _slice(SPACE / "satcat_20260123.csv", 2, directory / "satcat.csv")
    return SpaceCatalog.from_files(catalog, satcat)


@pytest.fixture
def space_cell(cell: Cell, tmp_path: Path) -> Cell:
    """The planted cell, serving a nine-object catalog, its case with a Russian-sponsored actor."""
    cell.space = nine_object_catalog(tmp_path)
    with cell.app.uow() as uow:
        cases.add_hypotheses(
            uow,
            VISIBLE_CASE,
            [Hypothesis("H-R", HypothesisKind.ACTOR, "Unit R did it", "R")],
            "t",
            cell.clock(),
            actors=[Actor("R", "Space unit R", sponsor="Russia")],
        )
    return cell
