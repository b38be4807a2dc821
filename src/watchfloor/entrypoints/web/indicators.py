"""Indicator matches from uploaded files: the case page's form and the API.

An analyst uploads one or more forensic logs (CSV, JSON lines, Parquet) and
names the indicators: uploaded sets (STIX 2.0/2.1 bundles, MISP exports),
knowledge bases stored on the server (`watchfloor kb load`, a partner's TAXII
feed polled with `watchfloor taxii poll`), or both. The logs are correlated
in this process (DuckDB and the compiled kernel, as `watchfloor correlate`
does) and the actor-linked matches are added to the case
(`service.cyber.add_indicator_matches`). The page then shows what matched,
what was added, what was left out and why, and the malformed rows skipped.

Uploads are written to a private temporary directory for the run and removed
after it; files keep the names they were uploaded with in everything shown
and stored.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path as FilePath
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse

from watchfloor.adapters.indicators import (
    IndicatorImport,
    IndicatorImportError,
    Problem,
    parse_indicator_file,
)
from watchfloor.adapters.observables import ObservableLogError, detect_logs, read_observables
from watchfloor.adapters.observables.archive import is_zip, unpack_logs
from watchfloor.bootstrap import App
from watchfloor.domain.evidence import EvidenceItem
from watchfloor.domain.grading import AdmiraltyGrade
from watchfloor.domain.markings import TLP, Clearance, Marking
from watchfloor.domain.users import Permission
from watchfloor.engines.correlation import DuckDBCorrelator, IndicatorSet, ObservableLog
from watchfloor.engines.correlation.model import Match, RejectedRow
from watchfloor.entrypoints.web.api import CaseId, check_own_marking
from watchfloor.entrypoints.web.auth import Principal, require, watchfloor_app
from watchfloor.entrypoints.web.progress import ProgressReport
from watchfloor.entrypoints.web.schemas import MarkingIn
from watchfloor.service import cases
from watchfloor.service.cyber import add_indicator_matches

__all__ = ["IndicatorUploadResult", "correlate_uploads", "router"]

router = APIRouter()

AppDep = Annotated[App, Depends(watchfloor_app)]
Adder = Annotated[Principal, Depends(require(Permission.ADD_EVIDENCE))]
Uploads = Annotated[list[UploadFile | str], File()]
Stored = Annotated[list[str], Form(max_length=40)]
Version = Annotated[int, Form(ge=0, le=2**31)]
Grade = Annotated[str, Form(max_length=8)]
Classification = Annotated[str, Form(max_length=32)]
Audiences = Annotated[str, Form(max_length=300)]
Tlp = Annotated[str, Form(max_length=32)]
Token = Annotated[str, Form(max_length=32)]
Column = Annotated[str, Form(max_length=200)]

#: Malformed rows and matches listed in a result (all are counted).
SHOWN = 50
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class IndicatorUploadResult:
    """What one upload did: the indicator sets read, the rows read and matched,
    the items added, left out (their actors are not the case's) or already there,
    the rows without a value, and the malformed rows skipped (the first
    :data:`SHOWN`)."""

    case_id: str
    marking: Marking
    imports: list[IndicatorImport]
    logs: list[str]
    indicator_values: int
    rows_read: int
    matches: list[Match]
    rejected_count: int
    rejected: list[RejectedRow]
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    without_value: int = 0
    added: list[EvidenceItem] = field(default_factory=list)
    unlinked: list[tuple[EvidenceItem, list[str]]] = field(default_factory=list)
    already: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "indicator_sets": [
                {
                    "source": i.source,
                    "indicators": len({x.id for x in i.indicators}),
                    "values": len(i.indicators),
                    "unsupported": [str(p) for p in i.unsupported[:SHOWN]],
                    "skipped": [str(p) for p in i.skipped[:SHOWN]],
                }
                for i in self.imports
            ],
            "logs": self.logs,
            "rows_read": self.rows_read,
            "without_value": self.without_value,
            "matches": len(self.matches),
            "rejected_rows": self.rejected_count,
            "rejected_by_reason": self.rejected_by_reason,
            "rejected": [
                {"file": r.file, "row": r.row, "value": r.value, "reason": r.reason}
                for r in self.rejected
            ],
            "added": [
                {"id": i.id, "title": i.title, "actors": sorted(i.likelihoods)} for i in self.added
            ],
            "left_out": [
                {"id": i.id, "title": i.title, "indicator_actors": names}
                for i, names in self.unlinked
            ],
            "already_in_case": self.already,
        }


@dataclass(frozen=True)
class LogColumns:
    """The columns the uploader named for every log (empty: found by name, as
    `watchfloor correlate --ts-column/--value-column/--type-column`); several
    value columns separated by commas, each read as a log of its own."""

    ts: str = ""
    value: str = ""
    type: str = ""
    ts_unit: str = ""  # `--ts-unit`: s, ms, us or ns; empty: times as written
    ts_format: str = ""  # `--ts-format`: strptime's; empty: ISO 8601
    ts_zone: str = ""  # `--ts-zone`: of times without an offset; empty: UTC

    def detect(self, path: str) -> list[ObservableLog]:
        return detect_logs(
            path,
            ts_column=self.ts.strip() or None,
            value_columns=[v.strip() for v in self.value.split(",") if v.strip()],
            type_column=self.type.strip() or None,
            ts_unit=self.ts_unit.strip() or None,
            ts_format=self.ts_format.strip() or None,
            ts_zone=self.ts_zone.strip() or None,
        )


def _chosen(files: Sequence[UploadFile | str]) -> list[UploadFile]:
    """The files actually chosen (a file part without a file name arrives as text)."""
    return [f for f in files if not isinstance(f, str)]


def _safe_name(name: str | None, n: int) -> str:
    """The upload's own file name, reduced to safe characters (its suffix kept)."""
    base = FilePath((name or "").replace("\\", "/")).name
    return _UNSAFE.sub("_", base).strip("._") or f"upload-{n}"


def _read_indicators(files: Sequence[UploadFile]) -> list[IndicatorImport]:
    imports = []
    for n, upload in enumerate(files, 1):
        name = _safe_name(upload.filename, n)
        try:
            imports.append(parse_indicator_file(upload.file.read(), source=name))
        except IndicatorImportError as exc:
            raise HTTPException(422, str(exc)) from None
    return imports


def _within(imported: IndicatorImport, clearance: Clearance) -> IndicatorImport:
    """A stored knowledge base's indicators as ``clearance`` may use them:
    those marked above its TLP are left out, counted but not shown (the
    uploader's own files are theirs to use)."""
    usable = [
        i for i in imported.indicators if i.tlp is None or TLP.parse(i.tlp) <= clearance.max_tlp
    ]
    hidden = len(imported.indicators) - len(usable)
    if hidden:
        imported.skipped.append(
            Problem(f"{hidden} indicator value(s)", "marked above your TLP clearance; not used")
        )
    imported.indicators = usable
    return imported


def _saved_logs(files: Sequence[UploadFile], directory: FilePath) -> dict[str, str]:
    """Each log written under ``directory``: its path there -> the name it was
    uploaded as; the logs of a ZIP archive taken out of it, each named
    ``archive.zip/its/path`` (see :func:`unpack_logs`)."""
    names: dict[str, str] = {}
    for n, upload in enumerate(files, 1):
        name = _safe_name(upload.filename, n)
        path = directory / f"{n}" / name
        path.parent.mkdir()
        with path.open("wb") as out:
            shutil.copyfileobj(upload.file, out, 1 << 20)
        if is_zip(path):
            unpacked = unpack_logs(path, directory / f"{n}-unpacked", name)
            path.unlink()
            names.update((str(log), shown) for log, shown in unpacked)
        else:
            names[str(path)] = name
    return names


def correlate_uploads(
    app: App,
    user: Principal,
    case_id: str,
    indicator_files: Sequence[UploadFile | str],
    log_files: Sequence[UploadFile | str],
    *,
    stored: Sequence[str] = (),
    columns: LogColumns = LogColumns(),
    grade: AdmiraltyGrade,
    marking: Marking,
    expected_version: int,
    progress: ProgressReport | None = None,
) -> IndicatorUploadResult:
    """Correlate the uploaded logs against the uploaded indicator sets and the
    ``stored`` knowledge bases' indicators (:meth:`App.stored_indicators`), and
    add the actor-linked matches to the case as `user` (the API and the case page).

    Checked before any work: the caller may see the case, the marking is within
    the caller's clearance, at least one log and one indicator source. A malformed
    indicator set or an unreadable log answers 422, naming the file and the
    objects, and nothing is added. ``progress`` hears each step, and the rows
    correlated."""
    report = progress or ProgressReport(None, user.username)
    check_own_marking(user, marking, "indicator matches")
    with app.uow(read_only=True) as uow:
        cases.view_case(uow, case_id, user.clearance, app.clock())
    chosen_indicators, chosen_logs = _chosen(indicator_files), _chosen(log_files)
    stored = [s.strip() for s in stored if s.strip()]
    if not chosen_indicators and not stored:
        raise HTTPException(
            422,
            "choose the indicators: a file (STIX bundle or MISP export) "
            "or a knowledge base stored on this server",
        )
    if not chosen_logs:
        raise HTTPException(
            422, "choose at least one log of observables (CSV, JSON lines or Parquet)"
        )
    report.phase("Reading the indicators")
    kept = [_within(app.stored_indicators(ref), user.clearance) for ref in stored]
    imports = [*_read_indicators(chosen_indicators), *kept]
    indicators = IndicatorSet.build(i for imp in imports for i in imp.indicators)
    with tempfile.TemporaryDirectory(prefix="watchfloor-upload-") as tmp:
        report.phase("Saving the uploaded logs")
        names: dict[str, str] = {}
        try:
            names = _saved_logs(chosen_logs, FilePath(tmp))
            logs = [log for path in names for log in columns.detect(path)]
        except ObservableLogError as exc:
            message = str(exc)
            for path, name in names.items():
                message = message.replace(path, name)
            raise HTTPException(422, message) from None
        report.phase("Correlating the logs")
        result = DuckDBCorrelator(read_observables).correlate(
            indicators, logs, progress=report.count
        )

        def named(matches: Iterator[Match]) -> Iterator[Match]:
            for m in matches:
                yield replace(m, file=names.get(m.file, m.file))

        matches = list(named(result.matches()))
    out = IndicatorUploadResult(
        case_id=case_id,
        marking=marking,
        imports=imports,
        logs=list(names.values()),
        indicator_values=len(indicators),
        rows_read=result.rows_read,
        matches=matches,
        rejected_count=result.rejected_count,
        rejected=[replace(r, file=names.get(r.file, r.file)) for r in result.rejected[:SHOWN]],
        rejected_by_reason=dict(result.rejected_by_reason.most_common()),
        without_value=result.without_value,
    )
    report.phase("Adding the matches to the case")
    now = app.clock()
    with app.uow() as uow:
        cases.view_case(uow, case_id, user.clearance, now)
        added = add_indicator_matches(
            uow,
            case_id,
            matches,
            grades={},
            default_grade=grade,
            marking=marking,
            by=user.username,
            now=now,
            expected_version=expected_version,
            clearance=user.clearance,
        )
    out.added, out.unlinked, out.already = added.added, added.unlinked, added.already
    return out


def _from_form(
    app: App,
    user: Principal,
    case_id: str,
    form: tuple[list[UploadFile | str], list[UploadFile | str], list[str]],
    expected_version: int,
    grade: str,
    marking: tuple[str, str, str],
    progress_token: str,
    columns: LogColumns,
) -> IndicatorUploadResult:
    """:func:`correlate_uploads` of the fields the API and the page share:
    (indicator files, logs, stored knowledge bases), the marking as
    (classification, releasable to, TLP), the token its progress is
    reported under (see :mod:`.progress`; empty: none), and the logs' columns."""
    from watchfloor.entrypoints.web.pages import _audiences, validated

    classification, releasable_to, tlp = marking
    body: MarkingIn = validated(
        MarkingIn,
        {"classification": classification, "releasable_to": _audiences(releasable_to), "tlp": tlp},
        "marking",
    )
    indicators, observables, stored = form
    with ProgressReport(progress_token, user.username) as report:
        return correlate_uploads(
            app,
            user,
            case_id,
            indicators,
            observables,
            stored=stored,
            columns=columns,
            grade=AdmiraltyGrade.parse(grade),
            marking=body.to_domain(),
            expected_version=expected_version,
            progress=report,
        )


@router.post(
    "/api/cases/{case_id}/indicator-matches",
    tags=["api"],
    summary="Correlate uploaded logs against uploaded or stored indicator sets; add the matches",
)
def add_indicator_matches_api(
    case_id: CaseId,
    user: Adder,
    app: AppDep,
    observables: Uploads,
    expected_version: Version,
    indicators: Uploads = [],  # noqa: B006 (FastAPI copies defaults)
    knowledge_base: Stored = [],  # noqa: B006
    grade: Grade = "B2",
    classification: Classification = "NU",
    releasable_to: Audiences = "NATO",
    tlp: Tlp = "AMBER",
    progress_token: Token = "",
    ts_column: Column = "",
    value_column: Column = "",
    type_column: Column = "",
    ts_unit: Column = "",
    ts_format: Column = "",
    ts_zone: Column = "",
) -> dict[str, Any]:
    """A multipart form: `observables` (logs as .csv, .jsonl or .parquet,
    columns found by name) and the indicators: `indicators` (STIX 2.0/2.1
    bundles or MISP exports) and `knowledge_base` (`NAME` or `NAME@VERSION` of
    a stored knowledge base, e.g. a polled TAXII feed), each repeatable, at
    least one of the two. Every match whose indicator points at an actor of
    the case (by id, name or alias) becomes one evidence item per indicator
    value, graded `grade` and marked as given (an indicator's TLP raises it);
    items already in the case are skipped. The answer lists what was added,
    left out and skipped, and the malformed rows (the first 50). With
    `progress_token` (32 lower-case hex digits chosen at random),
    `GET /api/progress/{progress_token}` tells the request's step and rows
    while it runs. `ts_column`, `value_column`, `type_column` name the logs'
    columns where their names are not the usual ones (a Zeek log's
    `id.resp_h`; several value columns separated by commas, each read in
    turn; in JSON lines a dotted name also reads nested objects); `ts_unit`
    (`s`, `ms`, `us`, `ns`) says the times are numbers in that unit, as
    `watchfloor correlate --ts-unit`; `ts_format` that they are text in that
    strptime format (`%m/%d/%Y %I:%M:%S %p`), as `--ts-format`; `ts_zone` the
    zone of times without an offset (`Europe/Brussels`), as `--ts-zone`."""
    form = (indicators, observables, knowledge_base)
    marking = (classification, releasable_to, tlp)
    columns = LogColumns(ts_column, value_column, type_column, ts_unit, ts_format, ts_zone)
    token = progress_token
    return _from_form(
        app, user, case_id, form, expected_version, grade, marking, token, columns
    ).to_json()


@router.post("/cases/{case_id}/indicator-matches", include_in_schema=False)
def add_indicator_matches_page(
    request: Request,
    case_id: CaseId,
    user: Adder,
    app: AppDep,
    observables: Uploads,
    expected_version: Version,
    indicators: Uploads = [],  # noqa: B006 (FastAPI copies defaults)
    knowledge_base: Stored = [],  # noqa: B006
    grade: Grade = "B2",
    classification: Classification = "NU",
    releasable_to: Audiences = "NATO",
    tlp: Tlp = "AMBER",
    progress_token: Token = "",
    ts_column: Column = "",
    value_column: Column = "",
    type_column: Column = "",
    ts_unit: Column = "",
    ts_format: Column = "",
    ts_zone: Column = "",
) -> HTMLResponse:
    from watchfloor.entrypoints.web.pages import render

    form = (indicators, observables, knowledge_base)
    marking = (classification, releasable_to, tlp)
    columns = LogColumns(ts_column, value_column, type_column, ts_unit, ts_format, ts_zone)
    token = progress_token
    result = _from_form(app, user, case_id, form, expected_version, grade, marking, token, columns)
    shown = [*result.added, *(item for item, _ in result.unlinked)]
    return render(
        request,
        "indicator_matches.html",
        banner=Marking.most_restrictive([result.marking, *(i.marking for i in shown)]),
        result=result,
        case_url=f"/cases/{quote(case_id)}",
        shown=SHOWN,
    )
