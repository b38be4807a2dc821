"""Progress of a long request, reported to the page that sent it.

A page that posts a long job by script (``static/progress.js``: a log upload
to correlate, say) sends a random token with the form, ``progress_token``.
The route reports its step, and how much of it is done, under that token;
the page asks ``GET /api/progress/{token}`` twice a second while it waits
and shows the answer. A client of the API may do the same.

The reports are small JSON files in a directory that only this server's
user may read, so that every worker process answers for every job
(``watchfloor serve --workers N``). Each names the user who started the job
and is shown to that user alone; it is removed when the job ends, and one
left behind by a killed worker is removed a day later.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException

from watchfloor.entrypoints.web.auth import Principal, current_user

__all__ = ["TOKEN", "ProgressReport", "read_report", "router"]

router = APIRouter()

#: A job's token: 128 random bits as 32 lower-case hex digits (the page makes it).
TOKEN = re.compile(r"[0-9a-f]{32}")
_EVERY_S = 0.25  # counts are written at most this often (phases always)
_STALE_S = 86_400.0


def _directory() -> Path | None:
    """This user's private report directory, or None where it cannot be
    trusted (another user made it, or others may read or write it)."""
    path = Path(tempfile.gettempdir()) / f"watchfloor-progress-{os.getuid()}"
    try:
        path.mkdir(mode=0o700, exist_ok=True)
        info = path.lstat()
    except OSError:
        return None
    private = stat.S_ISDIR(info.st_mode) and not info.st_mode & 0o077
    return path if private and info.st_uid == os.getuid() else None


class ProgressReport:
    """One job's progress, written under its token; a report without a
    token (or with a malformed one) writes nothing, so routes call it alike
    whether or not the caller asked to follow the job."""

    def __init__(self, token: str | None, owner: str) -> None:
        directory = _directory() if token and TOKEN.fullmatch(token) else None
        self._path = directory / f"{token}.json" if directory else None
        self._owner = owner
        self._phase = ""
        self._unit = ""
        self._last = 0.0
        if directory is not None:
            _remove_stale(directory)

    def phase(self, text: str, unit: str = "rows") -> None:
        """The job's step now, in words ("Correlating the logs"), and what its
        counts count ("": parts, shown as a share); counts start again."""
        self._phase, self._unit = text, unit
        self._write(0, None)

    def count(self, done: int, total: int | None) -> None:
        """How much of this step is done, of ``total`` where known (a
        correlator's or a screening's progress callback)."""
        if time.monotonic() - self._last >= _EVERY_S:
            self._write(done, total)

    def _write(self, done: int, total: int | None) -> None:
        if self._path is None:
            return
        self._last = time.monotonic()
        body = {
            "owner": self._owner,
            "phase": self._phase,
            "unit": self._unit,
            "done": done,
            "total": total,
        }
        part = self._path.with_suffix(f".{os.getpid()}.part")
        with contextlib.suppress(OSError):  # progress is a courtesy; the job goes on
            fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as out:
                json.dump(body, out)
            os.replace(part, self._path)

    def close(self) -> None:
        if self._path is not None:
            self._path.unlink(missing_ok=True)
            self._path = None

    def __enter__(self) -> ProgressReport:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _remove_stale(directory: Path) -> None:
    cutoff = time.time() - _STALE_S
    for path in directory.glob("*.json"):
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < cutoff:
                path.unlink()


def read_report(token: str, owner: str) -> dict[str, Any] | None:
    """The report under ``token`` if ``owner`` started its job, else None."""
    directory = _directory() if TOKEN.fullmatch(token) else None
    if directory is None:
        return None
    try:
        body = json.loads((directory / f"{token}.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(body, dict) or body.pop("owner", None) != owner:
        return None
    return body


@router.get(
    "/api/progress/{token}",
    tags=["api"],
    summary="The progress of a long request of yours, sent with this progress_token",
)
def progress(token: str, user: Annotated[Principal, Depends(current_user)]) -> dict[str, Any]:
    """`phase` (the step, in words), `done` and `total` (how much of the step
    is done, in `unit`s — "rows", or "" for parts of the work; `total` null
    where unknown) of a request you sent with `progress_token` = `token` (32
    lower-case hex digits you choose at random) while it runs; 404 before it
    starts, after it ends, and for anyone else's."""
    report = read_report(token, user.username)
    if report is None:
        raise HTTPException(404, "no request of yours is running under this progress token")
    return report
