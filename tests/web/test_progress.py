"""A long request's progress, asked under its token while it runs: the
report's owner alone sees it, and it is gone once the request ends."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import SCREEN, Cell, version_of
from tests.web.test_indicator_uploads import API, _files, _form
from watchfloor.domain.users import Role
from watchfloor.entrypoints.web import space
from watchfloor.entrypoints.web.progress import ProgressReport, read_report


def _token() -> str:
    return secrets.token_hex(16)


def test_a_report_is_shown_to_the_user_who_started_the_job_alone(cell: Cell) -> None:
    token = _token()
    analyst, other = cell.api(Role.WATCH_ANALYST), cell.api(Role.SPACE_ANALYST)
    with ProgressReport(token, cell.username(Role.WATCH_ANALYST)) as report:
        report.phase("Correlating the logs")
        r = analyst.get(f"/api/progress/{token}")
        assert r.status_code == 200, r.text
        assert r.json() == {
            "phase": "Correlating the logs",
            "unit": "rows",
            "done": 0,
            "total": None,
        }
        assert other.get(f"/api/progress/{token}").status_code == 404
    gone = analyst.get(f"/api/progress/{token}")
    assert gone.status_code == 404
    assert "no request of yours is running" in gone.json()["detail"]


def test_counts_are_written_between_phases_and_a_phase_starts_them_again() -> None:
    token = _token()
    with ProgressReport(token, "analyst") as report:
        report.phase("Correlating the logs")
        report._last = 0.0  # as if the last write were long ago
        report.count(1_000, 4_000)
        assert read_report(token, "analyst") == {
            "phase": "Correlating the logs",
            "unit": "rows",
            "done": 1_000,
            "total": 4_000,
        }
        report.count(2_000, 4_000)  # within a quarter second of the last: not written
        assert read_report(token, "analyst")["done"] == 1_000  # type: ignore[index]
        report.phase("Screening the catalog", unit="")
        assert read_report(token, "analyst") == {
            "phase": "Screening the catalog",
            "unit": "",
            "done": 0,
            "total": None,
        }


@pytest.mark.parametrize("token", ["", "ZEBRA", "../../etc/passwd", "A" * 32, "0" * 31])
def test_a_malformed_token_writes_and_finds_nothing(cell: Cell, token: str) -> None:
    with ProgressReport(token, "analyst") as report:
        report.phase("Correlating the logs")
        assert read_report(token, "analyst") is None
    if token:
        r = cell.api(Role.WATCH_ANALYST).get(f"/api/progress/{token}")
        assert r.status_code == 404


def test_an_upload_reports_its_step_while_it_runs_and_nothing_after(
    cell: Cell, tmp_path: Path, held_log_reader: tuple[threading.Event, threading.Event]
) -> None:
    entered, release = held_log_reader
    token = _token()
    poster, watcher = cell.api(Role.WATCH_ANALYST), cell.api(Role.WATCH_ANALYST)
    data = _form(version_of(poster, "C-SHARED"), progress_token=token)
    answers: list[Any] = []
    post: Callable[[], None] = lambda: answers.append(  # noqa: E731
        poster.post(API, data=data, files=_files(tmp_path))
    )
    thread = threading.Thread(target=post)
    thread.start()
    try:
        assert entered.wait(30), "the upload never reached the correlation"
        r = watcher.get(f"/api/progress/{token}")
        assert r.status_code == 200, r.text
        assert r.json()["phase"] == "Correlating the logs"
        assert cell.api(Role.LEGAL_ADVISER).get(f"/api/progress/{token}").status_code == 404
    finally:
        release.set()
        thread.join(60)
    [answer] = answers
    assert answer.status_code == 200, answer.text
    assert answer.json()["rows_read"] == 4
    assert watcher.get(f"/api/progress/{token}").status_code == 404


def test_a_screening_reports_its_step_while_it_runs(
    space_cell: Cell, monkeypatch: pytest.MonkeyPatch
) -> None:
    entered, release = threading.Event(), threading.Event()
    real = space.screen_victim

    def held(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        assert release.wait(60), "the test never released the screening"
        return real(*args, **kwargs)

    monkeypatch.setattr(space, "screen_victim", held)
    token = _token()
    viewer, watcher = space_cell.api(Role.SPACE_ANALYST), space_cell.api(Role.SPACE_ANALYST)
    answers: list[Any] = []
    thread = threading.Thread(
        target=lambda: answers.append(
            viewer.get("/space", params=SCREEN | {"progress_token": token})
        )
    )
    thread.start()
    try:
        assert entered.wait(30), "the page never started screening"
        r = watcher.get(f"/api/progress/{token}")
        assert r.status_code == 200, r.text
        assert r.json() == {"phase": "Screening the catalog", "unit": "", "done": 0, "total": None}
    finally:
        release.set()
        thread.join(60)
    [answer] = answers
    assert answer.status_code == 200 and "7727 COSMOS 724" in answer.text
    assert watcher.get(f"/api/progress/{token}").status_code == 404
