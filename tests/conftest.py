"""Shared fixtures: a real database on SQLite and, where configured, on PostgreSQL.

`database_url` is parametrised over both back-ends; each PostgreSQL test gets
its own schema on the server named by WATCHFLOOR_TEST_PG_URL (the test script
sets it to the local server), dropped afterwards.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
SCENARIOS = REPO / "scenarios"
PG_URL = os.environ.get("WATCHFLOOR_TEST_PG_URL")


class FixedClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 3, 14, 3, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


def pg_schema_url(base: str) -> Iterator[str]:
    schema = f"wf_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'watchfloor.sqlite'}"
        return
    if not PG_URL:
        pytest.skip("WATCHFLOOR_TEST_PG_URL not set (scripts/test.sh sets it)")
    yield from pg_schema_url(PG_URL)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'watchfloor.sqlite'}"


@pytest.fixture
def held_log_reader(
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[threading.Event, threading.Event]]:
    """(entered, release): the web upload route's log reader sets ``entered``
    when the correlation starts reading a log, then waits for ``release``, so
    that a test sees the request while it runs (set on teardown in any case)."""
    from watchfloor.entrypoints.web import indicators

    entered, release = threading.Event(), threading.Event()
    real = indicators.read_observables

    def held(*args: Any) -> Iterator[Any]:
        entered.set()
        assert release.wait(60), "the test never released the log reader"
        yield from real(*args)

    monkeypatch.setattr(indicators, "read_observables", held)
    yield entered, release
    release.set()
