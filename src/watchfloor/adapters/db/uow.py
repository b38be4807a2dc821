"""The unit of work: one transaction; audit events sealed into the chain on commit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, event

from watchfloor.adapters.db.repository import SqlAuditLog, SqlCaseRepository, SqlPolicyStore
from watchfloor.service.viewcache import ViewCache


def utcnow() -> datetime:
    return datetime.now(UTC)


def serialise_sqlite_writers(engine: Engine) -> None:
    """SQLite: begin every transaction IMMEDIATE so concurrent writers wait instead of failing."""
    if engine.dialect.name != "sqlite" or getattr(engine, "_wf_immediate", False):
        return

    @event.listens_for(engine, "connect")
    def _no_implicit_begin(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN" if conn.info.get("wf_read_only") else "BEGIN IMMEDIATE")

    engine._wf_immediate = True  # type: ignore[attr-defined]


_VIEW_CACHES: WeakKeyDictionary[Engine, ViewCache] = WeakKeyDictionary()


class SqlUnitOfWork:
    cases: SqlCaseRepository
    audit: SqlAuditLog
    policies: SqlPolicyStore

    def __init__(
        self, engine: Engine, clock: Callable[[], datetime] = utcnow, read_only: bool = False
    ) -> None:
        """`read_only` units of work never write; on SQLite they do not take the write lock."""
        self.engine = engine
        self.clock = clock
        self.read_only = read_only
        serialise_sqlite_writers(engine)
        self.views = _VIEW_CACHES.setdefault(engine, ViewCache())

    def __enter__(self) -> SqlUnitOfWork:
        self.conn = self.engine.connect()
        self.conn.info["wf_read_only"] = self.read_only
        self.tx = self.conn.begin()
        self.cases = SqlCaseRepository(self.conn)
        self.audit = SqlAuditLog(self.conn)
        self.policies = SqlPolicyStore(self.conn)
        return self

    def commit(self) -> None:
        if self.read_only:
            raise RuntimeError("a read-only unit of work cannot commit changes")
        now = self.clock()
        for case in list(self.cases.seen.values()):
            events = case.drain_events()
            if events:
                self.cases.save(case, now)
                self.audit.append(events)
        self.tx.commit()
        self.tx = self.conn.begin()

    def rollback(self) -> None:
        self.tx.rollback()
        self.tx = self.conn.begin()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.tx.rollback()
        finally:
            self.conn.close()
