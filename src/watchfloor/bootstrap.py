"""The composition root: the one place where adapters are wired to the service layer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from watchfloor.adapters.db.engine import default_url, ensure_schema, make_engine
from watchfloor.adapters.db.uow import SqlUnitOfWork, utcnow
from watchfloor.adapters.policies import read_policy_texts
from watchfloor.service import cases

Clock = Callable[[], datetime]


@dataclass
class App:
    """What an entry point needs: the engine, a unit-of-work factory and the clock."""

    engine: Engine
    clock: Clock = utcnow

    def uow(self, clock: Clock | None = None, read_only: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, clock or self.clock, read_only)

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)


def bootstrap(database_url: str | None = None, clock: Clock = utcnow, migrate: bool = True) -> App:
    """Connect, bring the schema to head and make sure default policies are active."""
    engine = make_engine(database_url or default_url())
    app = App(engine, clock)
    if migrate:
        ensure_schema(engine)
        with app.uow() as uow:
            if len(uow.policies.active()) < 3:
                cases.install_policies(uow, read_policy_texts(), "system", clock())
    return app
