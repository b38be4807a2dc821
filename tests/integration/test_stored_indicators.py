"""Indicators kept in the store: a partner's TAXII feed polled twice into a
knowledge base, then correlated from the command line (`correlate --kb`)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.integration.helpers import FEED, FIRST, poll_feed
from tests.unit.correlation.helpers import write_log
from watchfloor.bootstrap import App, bootstrap
from watchfloor.domain.errors import NotFound
from watchfloor.entrypoints.cli import main


@pytest.fixture
def app(database_url: str) -> Iterator[App]:
    a = bootstrap(database_url)
    poll_feed(a)
    yield a
    a.engine.dispose()


def test_a_feed_gathers_every_poll_and_the_latest_version_of_each_indicator(app: App) -> None:
    imported = app.stored_indicators(FEED)
    assert [(i.value, [a.name for a in i.actors]) for i in imported.indicators] == [
        ("evil2.example", ["Actor A"])
    ]
    # stored data is not refused for one bad indicator: it is skipped, with its reason
    assert [(p.item, p.reason) for p in imported.skipped] == [
        (
            "indicator--00000000-0000-4000-8000-000000000004",
            "malformed pattern: unterminated observation expression",
        )
    ]
    assert {i.source for i in imported.indicators} == {f"knowledge base {FEED}"}
    first = app.stored_indicators(f"{FEED}@{FIRST}")  # one poll alone
    assert [i.value for i in first.indicators] == ["evil.example"]
    assert first.skipped == []
    with pytest.raises(NotFound, match="no knowledge base 'other-feed' is stored"):
        app.stored_indicators("other-feed")


def test_correlate_takes_indicators_from_a_stored_feed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cell.sqlite'}"
    a = bootstrap(url)
    poll_feed(a)
    a.engine.dispose()
    log = write_log(
        tmp_path / "dns.csv",
        [
            ("2025-02-02T00:00:00Z", "www.evil2.example", None),
            ("2025-02-02T00:00:01Z", "evil.example", None),
        ],
    )
    out = tmp_path / "m.csv"
    args = ["--db", url, "correlate", "--kb", FEED, "--observables", str(log), "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "knowledge base partner-feed: 1 indicator(s), 1 value(s); 0 unsupported, 1 skipped" in (
        result.output
    )
    assert "skipped: indicator--00000000-0000-4000-8000-000000000004: malformed pattern" in (
        result.output
    )
    with out.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["observed_value"], r["actor_names"]) for r in rows] == [
        ("www.evil2.example", "Actor A")
    ]

    unknown = CliRunner().invoke(main, [*args[:3], "--kb", "nope", *args[5:]])
    assert unknown.exit_code != 0 and "no knowledge base 'nope' is stored" in unknown.output
    nothing = CliRunner().invoke(main, ["--db", url, "correlate", *args[5:]])
    assert nothing.exit_code == 2 and "--indicators FILE or --kb NAME" in nothing.output
