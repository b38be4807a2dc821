"""The unit of work: one transaction; audit events sealed into the chain on commit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self
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


class Transaction:
    """One connection and one transaction, rolled back unless committed.

    `read_only` transactions never write; on SQLite they do not take the write lock.
    Subclasses open their repositories in `_open` and seal their events in `_flush`.
    """

    def __init__(
        self, engine: Engine, clock: Callable[[], datetime] = utcnow, read_only: bool = False
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.read_only = read_only
        serialise_sqlite_writers(engine)

    def __enter__(self) -> Self:
        self.conn = self.engine.connect()
        self.conn.info["wf_read_only"] = self.read_only
        self.tx = self.conn.begin()
        self._open(self.conn)
        return self

    def _open(self, conn: Connection) -> None:
        """Open the repositories over the connection."""

    def _flush(self) -> None:
        """Write what is pending before the commit."""

    def commit(self) -> None:
        if self.read_only:
            raise RuntimeError("a read-only unit of work cannot commit changes")
        self._flush()
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


class SqlUnitOfWork(Transaction):
    """The cases, the audit chain and the policies in one transaction."""

    cases: SqlCaseRepository
    audit: SqlAuditLog
    policies: SqlPolicyStore

    def __init__(
        self, engine: Engine, clock: Callable[[], datetime] = utcnow, read_only: bool = False
    ) -> None:
        super().__init__(engine, clock, read_only)
        self.views = _VIEW_CACHES.setdefault(engine, ViewCache())

    def _open(self, conn: Connection) -> None:
        self.cases = SqlCaseRepository(conn)
        self.audit = SqlAuditLog(conn)
        self.policies = SqlPolicyStore(conn)

    def _flush(self) -> None:
        now = self.clock()
        for case in list(self.cases.seen.values()):
            events = case.drain_events()
            if events:
                self.cases.save(case, now)
                self.audit.append(events)
