"""The space page: "What came near this satellite?" — screening, views, and evidence for a case.

The server screens against the one catalog it was started with (`watchfloor
serve --catalog FILE [--satcat FILE]`, or `WATCHFLOOR_CATALOG` /
`WATCHFLOOR_SATCAT`); a request names a victim, a window and a threshold,
never a file. Work per request is bounded (`MAX_HOURS`, `MAX_THRESHOLD_KM`,
one screening at a time per process, results of recent screenings kept), and
every problem with the input answers 4xx with the field named.

Adding approaches to a case re-screens on the server (from the cache): the
form sends only the ids of the chosen approaches, never their numbers, so
nobody can post an approach that the catalog does not show.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import numpy as np
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from watchfloor.adapters.orbital import read_catalog, read_satcat
from watchfloor.bootstrap import App
from watchfloor.domain.errors import DomainError, NotFound
from watchfloor.domain.grading import AdmiraltyGrade
from watchfloor.domain.markings import Marking
from watchfloor.domain.tearline import parse_marking
from watchfloor.domain.users import Permission
from watchfloor.engines.orbital import (
    Catalog,
    CloseApproach,
    SatcatEntry,
    ScreeningResult,
    SerialPropagator,
    TimeWindow,
    screen_victim,
)
from watchfloor.engines.orbital.base import ProgressCallback
from watchfloor.engines.orbital.evidence import OWNER_STATES
from watchfloor.engines.orbital.plots import (
    close_approach_timeline_svg,
    ground_track_svg,
    relative_distance_svg,
)
from watchfloor.entrypoints.web.api import check_own_marking
from watchfloor.entrypoints.web.auth import Forbidden, Principal, require, watchfloor_app
from watchfloor.entrypoints.web.pages import render
from watchfloor.entrypoints.web.progress import ProgressReport
from watchfloor.entrypoints.web.schemas import IDENT_PATTERN
from watchfloor.service import cases
from watchfloor.service.orbital import add_orbital_findings, finding_id

router = APIRouter(include_in_schema=False)

#: The longest window and the largest threshold one request may ask for.
MAX_HOURS = 168.0
MAX_THRESHOLD_KM = 50.0
#: How far from the catalog's newest epoch a window may start (SGP4 degrades by km a day).
MAX_EPOCH_GAP = timedelta(days=30)
#: A request waits this long for another screening to finish, then answers 429.
BUSY_WAIT_S = 60.0
DEFAULT_MARKING = "NU//REL TO NATO//TLP:AMBER"
NOT_CONFIGURED = (
    "No orbital catalog is configured on this server. An administrator starts it with "
    "`watchfloor serve --catalog FILE [--satcat FILE]` (or sets WATCHFLOOR_CATALOG and "
    "WATCHFLOOR_SATCAT)."
)

AppDep = Annotated[App, Depends(watchfloor_app)]
Text = Annotated[str, Query(max_length=40)]
FormText = Annotated[str, Form(max_length=40)]


@dataclass(frozen=True)
class ScreenQuery:
    """One victim screening, validated: what the page and the evidence form ask for."""

    victim: int
    start: datetime
    hours: float
    threshold_km: float

    @property
    def window(self) -> TimeWindow:
        return TimeWindow(self.start, self.hours * 3600.0)

    def params(self) -> dict[str, str]:
        return {
            "victim": str(self.victim),
            "start": self.start.strftime("%Y-%m-%dT%H:%MZ"),
            "hours": f"{self.hours:g}",
            "threshold_km": f"{self.threshold_km:g}",
        }


@dataclass
class SpaceCatalog:
    """The catalog (and SATCAT) a server screens against, with its recent results.

    Screenings run one at a time in this process (SGP4 work holds the
    interpreter); the last `keep` results are kept so that choosing a pair
    or adding approaches to a case does not screen again.
    """

    catalog: Catalog
    satcat: dict[int, SatcatEntry] | None
    label: str
    bad_records: int = 0
    keep: int = 16
    _results: OrderedDict[ScreenQuery, ScreeningResult] = field(default_factory=OrderedDict)
    _busy: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def from_files(cls, catalog_path: Path, satcat_path: Path | None = None) -> SpaceCatalog:
        """Load the files (bad records are counted and skipped); at least one element set."""
        loaded = read_catalog(catalog_path)
        if not loaded.items:
            raise DomainError(f"no usable element sets in {catalog_path}")
        satcat = None
        label = catalog_path.name
        bad = len(loaded.errors)
        if satcat_path is not None:
            entries = read_satcat(satcat_path)
            satcat = {e.norad_id: e for e in entries.items}
            bad += len(entries.errors)
            label += f" with SATCAT {satcat_path.name}"
        return cls(Catalog(loaded.items), satcat, label, bad)

    @property
    def newest_epoch(self) -> datetime:
        return self.catalog.epoch_span()[1]

    def screen(self, q: ScreenQuery, progress: ProgressCallback | None = None) -> ScreeningResult:
        """The screening ``q`` asks for (kept: the latest :attr:`keep`), told
        to ``progress`` in parts of its window as it runs."""
        hit = self._results.get(q)
        if hit is not None:
            return hit
        if not self._busy.acquire(timeout=BUSY_WAIT_S):
            raise HTTPException(429, "another screening is running on this server; try again")
        try:
            hit = self._results.get(q)  # someone may have screened it while we waited
            if hit is None:
                hit = screen_victim(
                    self.catalog,
                    q.victim,
                    q.window,
                    q.threshold_km,
                    propagator=SerialPropagator(),
                    satcat=self.satcat,
                    progress=progress,
                )
                self._results[q] = hit
                while len(self._results) > self.keep:
                    self._results.popitem(last=False)
            return hit
        finally:
            self._busy.release()

    def positions_km(self, norad: int, times: list[datetime]) -> np.ndarray:
        """SGP4 positions (TEME, km) of one object; NaN where SGP4 refuses."""
        sat = self.catalog.elements[self.catalog.index_of(norad)].satrec()  # own record: threads
        jd = np.array([t.timestamp() / 86400.0 + 2440587.5 for t in times])
        whole = np.floor(jd - 0.5) + 0.5
        err, r, _ = sat.sgp4_array(whole, jd - whole)
        r[err != 0] = np.nan
        return np.asarray(r, dtype=np.float64)

    def period_min(self, norad: int) -> float:
        return self.catalog.elements[self.catalog.index_of(norad)].period_min

    def name(self, norad: int) -> str:
        return self.catalog.elements[self.catalog.index_of(norad)].name

    def owner(self, norad: int) -> str:
        if self.satcat is None:
            return ""
        entry = self.satcat.get(norad)
        return entry.owner if entry is not None else "UNKNOWN"


def space_catalog(request: Request) -> SpaceCatalog | None:
    found = getattr(request.app.state, "space", None)
    return found if isinstance(found, SpaceCatalog) else None


# --- input ---------------------------------------------------------------------------


def _number(text: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise DomainError(f"{name}: {text[:40]!r} is not a number") from None
    if not math.isfinite(value):
        raise DomainError(f"{name}: must be a finite number")
    return value


def parse_query(
    space: SpaceCatalog, victim: str, start: str, hours: str, threshold_km: str
) -> ScreenQuery:
    """The screening a form asks for, or a DomainError naming the field and the problem."""
    if not victim.strip().isdigit() or not 0 < int(victim) < 10**9:
        raise DomainError(f"victim: {victim[:40]!r} is not a NORAD catalog number")
    try:
        moment = datetime.fromisoformat(start.strip().replace("Z", "+00:00"))
    except ValueError:
        raise DomainError(
            f"start: {start[:40]!r} is not an ISO 8601 time (e.g. 2024-11-01T00:00Z)"
        ) from None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    newest = space.newest_epoch
    if abs(moment - newest) > MAX_EPOCH_GAP:
        raise DomainError(
            f"start: the catalog's element sets are of {newest:%Y-%m-%d}; a window more than "
            f"{MAX_EPOCH_GAP.days} days from them says nothing (SGP4 degrades by km a day)"
        )
    h = _number(hours, "hours")
    if not 0 < h <= MAX_HOURS:
        raise DomainError(f"hours: must be more than 0 and at most {MAX_HOURS:g} (7 days)")
    km = _number(threshold_km, "threshold_km")
    if not 0 < km <= MAX_THRESHOLD_KM:
        raise DomainError(f"threshold_km: must be more than 0 and at most {MAX_THRESHOLD_KM:g}")
    return ScreenQuery(int(victim), moment, h, km)


def _check_victim(space: SpaceCatalog, victim: int) -> None:
    try:
        space.catalog.index_of(victim)
    except KeyError:
        raise NotFound(f"victim: NORAD {victim} is not in this server's catalog") from None


# --- views ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ApproachRow:
    id: str
    approach: CloseApproach
    other: int
    other_name: str
    owner: str
    owner_state: str


def _row(a: CloseApproach, victim: int) -> ApproachRow:
    mine = a.norad_a == victim
    owner = a.owner_b if mine else a.owner_a
    states = OWNER_STATES.get(owner)
    return ApproachRow(
        finding_id(a),
        a,
        a.norad_b if mine else a.norad_a,
        a.name_b if mine else a.name_a,
        owner,
        states[1] if states else "",
    )


def _times(centre: datetime, span: timedelta, n: int = 361) -> list[datetime]:
    return [centre - span / 2 + span * (k / (n - 1)) for k in range(n)]


def _pair_views(space: SpaceCatalog, q: ScreenQuery, row: ApproachRow) -> tuple[str, str]:
    """The distance over about one victim orbit around the TCA, and the suspect's ground track."""
    a = row.approach
    span = timedelta(minutes=min(max(space.period_min(q.victim), 30.0), 1440.0))
    times = _times(a.tca, span)
    rel = space.positions_km(q.victim, times) - space.positions_km(row.other, times)
    distance = relative_distance_svg(
        times,
        np.linalg.norm(rel, axis=1).tolist(),
        threshold_km=q.threshold_km,
        tca=a.tca,
        label=f"{q.victim} / {row.other} {row.other_name}",
    )
    orbit = timedelta(minutes=min(space.period_min(row.other), 1440.0))
    track_times = _times(a.tca, orbit)
    track = ground_track_svg(
        track_times,
        space.positions_km(row.other, track_times),
        label=f"{row.other} {row.other_name}, one orbit around the TCA",
    )
    return distance, track


def _open_cases(app: App, user: Principal) -> list[tuple[str, str]]:
    with app.uow(read_only=True) as uow:
        return [(s.id, s.title) for s in uow.cases.summaries(user.clearance) if s.status == "open"]


def may_add_findings(user: Principal) -> bool:
    """Screening results are analysis: adding them needs the analysts' hypothesis permission
    as well as evidence (a partner adds only its own reports)."""
    return user.may(Permission.ADD_EVIDENCE) and user.may(Permission.ADD_HYPOTHESES)


@router.get("/space")
def space_page(
    request: Request,
    user: Annotated[Principal, Depends(require(Permission.VIEW_CASES))],
    app: AppDep,
    victim: Text = "",
    start: Text = "",
    hours: Text = "24",
    threshold_km: Text = "10",
    show: Annotated[str, Query(max_length=64)] = "",
    progress_token: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    space = space_catalog(request)
    form = {"victim": victim, "start": start, "hours": hours, "threshold_km": threshold_km}
    context: dict[str, Any] = {
        "space": space,
        "form": form,
        "error": "",
        "q": None,
        "result": None,
        "rows": [],
        "chosen": None,
        "views": None,
        "cases": [],
        "may_add": may_add_findings(user),
        "default_marking": DEFAULT_MARKING,
        "max_hours": MAX_HOURS,
        "max_km": MAX_THRESHOLD_KM,
        "not_configured": NOT_CONFIGURED,
    }
    if space is None:
        return render(request, "space.html", status=404 if victim else 200, **context)
    if not start:
        form["start"] = space.newest_epoch.strftime("%Y-%m-%dT%H:00Z")
    if not victim:
        return render(request, "space.html", **context)
    try:
        q = parse_query(space, victim, form["start"], hours, threshold_km)
        _check_victim(space, q.victim)
    except DomainError as e:
        status = 404 if isinstance(e, NotFound) else 400
        return render(request, "space.html", status=status, **(context | {"error": str(e)}))
    with ProgressReport(progress_token, user.username) as report:
        report.phase("Screening the catalog", unit="")
        result = space.screen(q, report.count)
    rows = [_row(a, q.victim) for a in result.approaches]
    chosen = next((r for r in rows if r.id == show), None)
    if show and chosen is None:
        message = f"show: approach {show!r} is not in this screening"
        return render(request, "space.html", status=404, **(context | {"error": message}))
    if chosen is None and rows:
        chosen = min(rows, key=lambda r: r.approach.miss_km)
    context |= {
        "q": q,
        "result": result,
        "rows": rows,
        "chosen": chosen,
        "victim_name": space.name(q.victim),
        "victim_owner": space.owner(q.victim),
        "timeline": close_approach_timeline_svg(
            result.approaches,
            q.start,
            q.window.end,
            threshold_km=q.threshold_km,
            victim=q.victim,
        ),
        "views": _pair_views(space, q, chosen) if chosen else None,
        "link": lambda row: "/space?" + urlencode(q.params() | {"show": row.id}),
        "cases": _open_cases(app, user) if may_add_findings(user) else [],
    }
    return render(request, "space.html", **context)


def _adder(
    user: Annotated[Principal, Depends(require(Permission.ADD_EVIDENCE))],
) -> Principal:
    if not may_add_findings(user):
        raise Forbidden(
            f"{user.username} ({user.role.label}) may not add screening results to a case"
        )
    return user


@router.post("/space/evidence")
def add_approaches(
    request: Request,
    user: Annotated[Principal, Depends(_adder)],
    app: AppDep,
    case_id: Annotated[str, Form(pattern=IDENT_PATTERN, max_length=64)],
    victim: FormText,
    start: FormText,
    hours: FormText,
    threshold_km: FormText,
    approach: Annotated[list[str], Form(max_length=500)] = [],  # noqa: B006 - FastAPI copies
    grade: Annotated[str, Form(max_length=8)] = "B2",
    marking: Annotated[str, Form(max_length=200)] = DEFAULT_MARKING,
) -> Response:
    space = space_catalog(request)
    if space is None:
        raise HTTPException(404, NOT_CONFIGURED)
    q = parse_query(space, victim, start, hours, threshold_km)
    _check_victim(space, q.victim)
    wanted = {a.strip() for a in approach if a.strip()}
    if not wanted:
        raise DomainError("approach: choose at least one close approach to add")
    if any(len(a) > 64 for a in wanted):
        raise DomainError("approach: an approach id has at most 64 characters")
    evidence_grade = AdmiraltyGrade.parse(grade)
    try:
        evidence_marking: Marking = parse_marking(marking)
    except ValueError as e:
        raise DomainError(f"marking: {e}") from None
    check_own_marking(user, evidence_marking, "evidence")
    found = [a for a in space.screen(q).approaches if finding_id(a) in wanted]
    unknown = wanted - {finding_id(a) for a in found}
    if unknown:
        raise DomainError(f"approach: not in this screening: {', '.join(sorted(unknown)[:5])}")
    now = app.clock()
    with app.uow() as uow:
        cases.view_case(uow, case_id, user.clearance, now)  # 404 for a case the user may not see
        add_orbital_findings(
            uow,
            case_id,
            found,
            source=f"public catalog {space.label}, SGP4 screening (space page)",
            grade=evidence_grade,
            marking=evidence_marking,
            by=user.username,
            now=now,
            victim=q.victim,
        )
    return RedirectResponse(f"/cases/{quote(case_id)}?done=orbital#evidence", status_code=303)
