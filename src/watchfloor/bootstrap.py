"""The composition root: the one place where adapters are wired to the service layer."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine

from watchfloor.adapters.db.engine import default_url, ensure_schema, make_engine
from watchfloor.adapters.db.kb_repository import KnowledgeBaseRecord, KnowledgeBaseRepository
from watchfloor.adapters.db.uow import SqlUnitOfWork, utcnow
from watchfloor.adapters.indicators import INDICATOR_TYPES, IndicatorImport, bundle_indicators
from watchfloor.adapters.policies import read_policy_texts
from watchfloor.adapters.stix import bundle_of
from watchfloor.domain.errors import NotFound
from watchfloor.engines.attribution import (
    AttackKnowledge,
    AttackProfileScorer,
    KnowledgeBaseVersion,
)
from watchfloor.service import cases

Clock = Callable[[], datetime]


@dataclass
class App:
    """What an entry point needs: the engine, a unit-of-work factory and the clock."""

    engine: Engine
    clock: Clock = utcnow
    _scorers: dict[tuple[int, str | None], AttackProfileScorer] = field(
        default_factory=dict, repr=False
    )
    _scorers_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def uow(self, clock: Clock | None = None, read_only: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, clock or self.clock, read_only)

    def attack_scorer(self, reference: str | None = None) -> AttackProfileScorer:
        """The ATT&CK profile scorer over a stored knowledge base (``NAME``,
        ``NAME@VERSION``, or the one loaded last), built on first use and kept."""
        repository = KnowledgeBaseRepository(self.engine)
        record = repository.lookup(reference)
        if record is None:
            what = f"knowledge base {reference!r}" if reference else "knowledge base"
            raise NotFound(f"no {what} is loaded; load one with `watchfloor kb load BUNDLE`")
        key = (record.id, record.sha256)
        with self._scorers_lock:
            scorer = self._scorers.get(key)
            if scorer is None:
                scorer = AttackProfileScorer(stored_knowledge(repository, record))
                if len(self._scorers) >= 2:  # a few MB each: keep the two last used
                    self._scorers.pop(next(iter(self._scorers)))
                self._scorers[key] = scorer
            return scorer

    def stored_indicators(self, reference: str) -> IndicatorImport:
        """The indicators of a stored knowledge base, with their actors: ``NAME``
        gathers every load of it (a TAXII feed stores each poll as one; of an
        object's versions the latest wins), ``NAME@VERSION`` takes that load
        alone. A bad indicator in stored data is skipped with its reason, not
        fatal. All its matches share one dependence group."""
        repository = KnowledgeBaseRepository(self.engine)
        name, _, version = reference.partition("@")
        if version:
            record = repository.find(name, version)
            records = repository.objects(record.id, INDICATOR_TYPES) if record else None
        else:
            records = repository.objects_named(name, INDICATOR_TYPES)
            if not records and repository.find(name) is None:
                records = None
        if records is None:
            raise NotFound(
                f"no knowledge base {reference!r} is stored; load one with `watchfloor kb "
                "load BUNDLE` or poll a feed into it with `watchfloor taxii poll`"
            )
        # one source (and so one dependence group) per knowledge base, whichever loads
        source = f"knowledge base {name}"
        return bundle_indicators(bundle_of(records), source=source, strict=False)

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)


def stored_knowledge(
    repository: KnowledgeBaseRepository, record: KnowledgeBaseRecord
) -> AttackKnowledge:
    """The attribution knowledge of one stored knowledge base."""
    return AttackKnowledge.from_objects(
        repository.objects(record.id),
        KnowledgeBaseVersion(record.name, record.version, record.sha256),
    )


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
