"""`watchfloor space`: close-approach screening and manoeuvre detection from the command line.

Contract (stable):

    watchfloor space screen --catalog FILE [--satcat FILE] --start ISO --hours H
        --threshold-km D [--victim NORAD_ID] --out EVENTS.csv

writes one row per close approach: norad_a, norad_b (norad_a < norad_b),
tca_utc (ISO 8601, UTC), miss_km, rel_speed_km_s, then (with --satcat)
owner_a, owner_b, and the names and a window-edge flag. Positions are SGP4's (TEME).

With `--case CASE_ID` (and, for `screen`, `--victim`) the findings are also
added to that case as evidence (`service.orbital.add_orbital_findings`), and
what was added is printed on standard output; the CSV is written as without it.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from watchfloor.adapters.orbital import read_catalog, read_satcat, read_tle
from watchfloor.engines.orbital import CloseApproach, Manoeuvre, ProximityOperation
from watchfloor.engines.orbital.base import ProgressCallback, TimeWindow
from watchfloor.engines.orbital.catalog import Catalog
from watchfloor.engines.orbital.elements import RecordError, SatcatEntry
from watchfloor.engines.orbital.manoeuvres import detect_manoeuvres, detect_proximity_operations
from watchfloor.engines.orbital.propagation import ProcessPoolPropagator, SerialPropagator
from watchfloor.engines.orbital.screening import screen_catalog, screen_victim
from watchfloor.entrypoints.cli._common import CaseTarget, case_options, clean_errors

SCREEN_COLUMNS = ["norad_a", "norad_b", "tca_utc", "miss_km", "rel_speed_km_s"]


class _CaseTarget(CaseTarget):
    """A case that takes orbital findings as evidence."""

    def add(
        self,
        findings: Sequence[CloseApproach | Manoeuvre | ProximityOperation],
        source: str,
        victim: int | None = None,
    ) -> None:
        from watchfloor.service.orbital import add_orbital_findings

        with self.app.uow() as uow:
            result = add_orbital_findings(
                uow,
                self.case_id,
                findings,
                source=source,
                grade=self.grade,
                marking=self.marking,
                by=self.by,
                now=self.app.clock(),
                victim=victim,
            )
        for item in result.added:
            owners = item.attributes.get("owners_linked")
            linked = ", ".join(str(o) for o in owners) if isinstance(owners, list) else ""
            click.echo(f"added {item.id}: {item.title} (owner {linked or 'unknown'})")
        for item_id in result.skipped:
            click.echo(f"skipped {item_id}: already in the case")
        click.echo(
            f"{len(result.added)} finding(s) added to case {self.case_id} as evidence "
            f"({self.grade.code}, {self.marking.banner()}), {len(result.skipped)} already there"
        )


@click.group()
def space() -> None:
    """Orbital forensics: close approaches, manoeuvres, proximity operations."""


def _report(errors: list[RecordError], limit: int = 20) -> None:
    for err in errors[:limit]:
        click.echo(f"skipped {err}", err=True)
    if len(errors) > limit:
        click.echo(f"... and {len(errors) - limit} more bad records", err=True)


def _satcat(path: Path | None) -> dict[int, SatcatEntry] | None:
    if path is None:
        return None
    loaded = read_satcat(path)
    _report(loaded.errors)
    return {e.norad_id: e for e in loaded.items}


def _start(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"not an ISO 8601 time: {text!r}", param_hint="--start") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@contextmanager
def _progress(label: str) -> Iterator[ProgressCallback]:
    bar: Any = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total, label=label, file=sys.stderr)
            bar.__enter__()
        bar.update(done - bar.pos)

    try:
        yield update
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


@space.command()
@click.option(
    "--catalog",
    "catalog_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="TLE or OMM (CSV, KVN, XML, JSON) file.",
)
@click.option(
    "--satcat",
    "satcat_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="SATCAT CSV, for owners.",
)
@click.option(
    "--start", "start_text", required=True, help="Window start, ISO 8601 (UTC if no offset)."
)
@click.option(
    "--hours",
    type=click.FloatRange(min=0.0, min_open=True),
    required=True,
    help="Window length in hours.",
)
@click.option(
    "--threshold-km",
    type=click.FloatRange(min=0.0, min_open=True),
    required=True,
    help="Report approaches closer than this.",
)
@click.option(
    "--victim",
    type=int,
    default=None,
    help="NORAD id to screen against the catalog (default: all against all).",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="CSV of close approaches.",
)
@click.option(
    "--workers", type=click.IntRange(min=1), default=None, help="Processes (default: all cores)."
)
@case_options
@click.pass_context
@clean_errors
def screen(
    ctx: click.Context,
    catalog_path: Path,
    satcat_path: Path | None,
    start_text: str,
    hours: float,
    threshold_km: float,
    victim: int | None,
    out_path: Path,
    workers: int | None,
    case_id: str | None,
    grade_text: str,
    marking_text: str,
    by: str | None,
) -> None:
    """Find close approaches in a time window and write them as CSV.

    With --case (which needs --victim), also add them to the case as evidence
    pointing at the owner of each object that came near the victim.
    """
    window = TimeWindow(_start(start_text), hours * 3600.0)
    target = None
    if case_id is not None:
        if victim is None:
            raise click.UsageError("--case needs --victim: the evidence is about what came near it")
        target = _CaseTarget(ctx, case_id, grade_text, marking_text, by)
    loaded = read_catalog(catalog_path)
    _report(loaded.errors)
    if not loaded.items:
        raise click.ClickException(f"no usable element sets in {catalog_path}")
    catalog = Catalog(loaded.items)
    satcat = _satcat(satcat_path)
    propagator = ProcessPoolPropagator(workers) if (workers or 2) > 1 else SerialPropagator()
    with _progress("screening") as progress:
        if victim is not None:
            try:
                catalog.index_of(victim)
            except KeyError as exc:
                raise click.BadParameter(str(exc.args[0]), param_hint="--victim") from None
            result = screen_victim(
                catalog,
                victim,
                window,
                threshold_km,
                propagator=propagator,
                satcat=satcat,
                progress=progress,
            )
        else:
            result = screen_catalog(
                catalog,
                window,
                threshold_km,
                propagator=propagator,
                satcat=satcat,
                progress=progress,
            )
    columns = [*SCREEN_COLUMNS]
    if satcat is not None:
        columns += ["owner_a", "owner_b"]
    columns += ["name_a", "name_b", "at_window_edge"]
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with out_path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        for a in result.approaches:
            row: list[object] = [
                a.norad_a,
                a.norad_b,
                a.tca.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                f"{a.miss_km:.6f}",
                f"{a.rel_speed_km_s:.6f}",
            ]
            if satcat is not None:
                row += [a.owner_a, a.owner_b]
            row += [a.name_a, a.name_b, int(a.at_window_edge)]
            writer.writerow(row)
    for norad, reason in sorted(result.skipped.items())[:20]:
        click.echo(f"not screened: NORAD {norad}: {reason}", err=True)
    click.echo(
        f"{len(result.approaches)} close approaches under {threshold_km} km among "
        f"{result.objects_screened} objects in {result.elapsed_s:.1f} s "
        f"({result.propagations_per_s / 1e6:.2f} M SGP4 propagations/s) -> {out_path}",
        err=True,
    )
    if target is not None:
        source = f"public catalog {catalog_path.name}" + (
            f" with SATCAT {satcat_path.name}" if satcat_path is not None else ""
        )
        target.add(result.approaches, f"{source}, SGP4 screening", victim=victim)


@space.command()
@click.option(
    "--history",
    "history_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="TLE history (many element sets per object).",
)
@click.option(
    "--satcat",
    "satcat_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="SATCAT CSV, for owners.",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="CSV of manoeuvres and proximity operations.",
)
@click.option(
    "--near-km",
    type=click.FloatRange(min=0.0, min_open=True),
    default=50.0,
    show_default=True,
    help="Proximity distance.",
)
@case_options
@click.pass_context
@clean_errors
def manoeuvres(
    ctx: click.Context,
    history_path: Path,
    satcat_path: Path | None,
    out_path: Path,
    near_km: float,
    case_id: str | None,
    grade_text: str,
    marking_text: str,
    by: str | None,
) -> None:
    """Detect manoeuvres and proximity operations in element-set histories.

    With --case, also add every finding to the case as evidence.
    """
    from watchfloor.engines.orbital.manoeuvres import ProximitySettings

    target = _CaseTarget(ctx, case_id, grade_text, marking_text, by) if case_id else None
    loaded = read_tle(history_path)
    _report(loaded.errors)
    satcat = _satcat(satcat_path)
    found = detect_manoeuvres(loaded.items, satcat)
    prox = detect_proximity_operations(
        loaded.items, satcat, found, ProximitySettings(near_km=near_km, far_km=4 * near_km)
    )
    columns = [
        "finding", "norad_a", "norad_b", "name_a", "name_b", "owner_a", "owner_b", "start_utc",
        "end_utc", "kind", "delta_a_km", "delta_i_deg", "delta_v_m_s", "drift_before_deg_day",
        "drift_after_deg_day", "significance", "min_distance_km", "approach_from_km", "manoeuvred",
    ]  # fmt: skip

    def iso(d: datetime) -> str:
        return d.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")

    def num(x: float | None, digits: int = 4) -> str:
        return "" if x is None else f"{x:.{digits}f}"

    out_path.parent.mkdir(parents=True, exist_ok=True)
    with out_path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        for m in found:
            writer.writerow(
                [
                    "manoeuvre",
                    m.norad_id,
                    "",
                    m.name,
                    "",
                    m.owner,
                    "",
                    iso(m.before_epoch),
                    iso(m.after_epoch),
                    m.kind,
                    num(m.delta_a_km),
                    num(m.delta_i_deg, 5),
                    num(m.delta_v_m_s),
                    num(m.drift_before_deg_day),
                    num(m.drift_after_deg_day),
                    num(m.significance, 1),
                    "",
                    "",
                    "",
                ]
            )
        for p in prox:
            writer.writerow(
                [
                    "proximity",
                    p.norad_a,
                    p.norad_b,
                    p.name_a,
                    p.name_b,
                    p.owner_a,
                    p.owner_b,
                    iso(p.start),
                    iso(p.end),
                    p.kind,
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    num(p.min_distance_km, 2),
                    num(p.approach_from_km, 1),
                    " ".join(str(n) for n in p.manoeuvred),
                ]
            )
    click.echo(
        f"{len(found)} manoeuvres and {len(prox)} proximity operations "
        f"({sum(p.kind == 'rendezvous' for p in prox)} rendezvous) -> {out_path}",
        err=True,
    )
    if target is not None:
        source = f"element-set history {history_path.name}" + (
            f" with SATCAT {satcat_path.name}" if satcat_path is not None else ""
        )
        target.add([*found, *prox], f"{source}, manoeuvre and proximity detection")
