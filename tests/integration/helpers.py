"""A stored case for the command-line tests that add evidence to one, and a
partner feed polled into the store."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from tests.unit.correlation.helpers import indicator_bundle, sdo
from watchfloor.adapters.taxii.poller import knowledge_base_sink
from watchfloor.bootstrap import App, bootstrap
from watchfloor.domain.case import Incident
from watchfloor.domain.hypotheses import Actor, Hypothesis, HypothesisKind
from watchfloor.domain.markings import Marking
from watchfloor.service import cases


def case_db(
    tmp_path: Path, case_id: str, title: str, at: datetime, suspects: list[tuple[str, str, Actor]]
) -> str:
    """A SQLite database holding one open case, incident at ``at``, with an
    actor hypothesis per suspect: (hypothesis id, label, actor)."""
    url = f"sqlite:///{tmp_path / 'cell.sqlite'}"
    app = bootstrap(url)
    with app.uow() as uow:
        cases.open_case(uow, case_id, title, Incident(title, "", at, at), Marking(), "t", at)
        cases.add_hypotheses(
            uow,
            case_id,
            [Hypothesis(h, HypothesisKind.ACTOR, label, a.id) for h, label, a in suspects],
            "t",
            at,
            actors=[a for _, _, a in suspects],
        )
    app.engine.dispose()
    return url


FEED = "partner-feed"
FIRST, SECOND = "2025-01-01T00:00:00Z", "2025-02-01T00:00:00Z"


def poll_feed(app: App) -> None:
    """Two polls: Actor A's indicator, then a later version of it and a bad one."""
    sink = knowledge_base_sink(app.engine, FEED)
    objects = indicator_bundle(actor="Actor A")["objects"]
    assert isinstance(objects, list)
    sink(objects, FIRST)
    newer = {
        **objects[1],
        "modified": "2025-02-01T00:00:00.000Z",
        "pattern": "[domain-name:value = 'evil2.example']",
    }
    bad = sdo(
        "indicator", 4, pattern="[domain-name:value = ", pattern_type="stix", valid_from=FIRST
    )
    sink([newer, bad], SECOND)
