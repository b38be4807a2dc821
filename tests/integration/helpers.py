"""A stored case for the command-line tests that add evidence to one."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from watchfloor.bootstrap import bootstrap
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
