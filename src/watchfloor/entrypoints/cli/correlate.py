"""`watchfloor correlate`: match observable logs against indicator sets."""

from __future__ import annotations

import csv
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from watchfloor.adapters.indicators import (
    IndicatorImport,
    IndicatorImportError,
    read_indicator_file,
)
from watchfloor.adapters.observables import (
    ObservableLogError,
    detect_logs,
    read_observables,
)
from watchfloor.engines.correlation import (
    TIME_UNITS,
    CorrelationResult,
    DaskCorrelator,
    DuckDBCorrelator,
    IndicatorCorrelator,
    IndicatorSet,
)
from watchfloor.entrypoints.cli._common import CaseTarget, app_from, case_options, clean_errors

__all__ = ["MATCH_COLUMNS", "correlate"]

MATCH_COLUMNS = (
    "file",
    "row",
    "observed_at",
    "observed_value",
    "observed_field",
    "observed_kind",
    "indicator_id",
    "indicator_kind",
    "indicator_value",
    "indicator_source",
    "valid_from",
    "valid_until",
    "tlp",
    "actor_ids",
    "actor_names",
)
_SHOWN = 20


class _Progress:
    """Rows read, rate and (when known) share done, on one stderr line."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.start = time.monotonic()
        self.last = 0.0

    def __call__(self, done: int, total: int | None) -> None:
        now = time.monotonic()
        if not self.enabled or now - self.last < 0.5:
            return
        self.last = now
        rate = done / max(now - self.start, 1e-9)
        share = f" ({100 * done / total:.0f}%)" if total else ""
        click.echo(f"\rread {done:,} rows{share}, {rate:,.0f} rows/s", err=True, nl=False)

    def finish(self, done: int) -> None:
        if self.enabled:
            elapsed = time.monotonic() - self.start
            click.echo(f"\rread {done:,} rows in {elapsed:.1f} s" + " " * 20, err=True)


def _load(paths: tuple[str, ...]) -> list[IndicatorImport]:
    imports = []
    failed = False
    for path in paths:
        try:
            imported = read_indicator_file(path)
        except IndicatorImportError as exc:
            failed = True
            click.echo(f"error: {exc.source}: nothing imported; invalid objects:", err=True)
            for p in exc.problems:
                click.echo(f"  {p}", err=True)
            continue
        imports.append(imported)
        _report(imported)
    if failed:
        raise SystemExit(2)
    return imports


def _report(imported: IndicatorImport) -> None:
    click.echo(imported.summary(), err=True)
    for what, problems in (("unsupported", imported.unsupported), ("skipped", imported.skipped)):
        for p in problems[:_SHOWN]:
            click.echo(f"  {what}: {p}", err=True)
        if len(problems) > _SHOWN:
            click.echo(f"  … and {len(problems) - _SHOWN} more {what}", err=True)


@contextmanager
def _engine(
    name: str, scheduler: str | None, threads: int | None, memory_limit: str | None
) -> Iterator[IndicatorCorrelator]:
    if name == "duckdb":
        yield DuckDBCorrelator(read_observables, threads=threads, memory_limit=memory_limit)
        return
    if scheduler is not None:
        yield DaskCorrelator(read_observables, scheduler_address=scheduler)
        return
    from distributed import Client, LocalCluster

    with (
        LocalCluster(processes=True, dashboard_address=":0") as cluster,  # type: ignore[no-untyped-call]
        Client(cluster) as client,  # type: ignore[no-untyped-call]
    ):
        yield DaskCorrelator(read_observables, client=client)


def _write_matches(result: CorrelationResult, out: Path) -> int:
    """Write atomically: a failed run leaves no half-written file."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".matches-", suffix=".csv", dir=out.parent)
    n = 0
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(MATCH_COLUMNS)
            for m in result.matches():
                ind = m.indicator
                w.writerow(
                    [
                        m.file,
                        m.row,
                        m.observed_at.isoformat(),
                        m.observed_value,
                        m.field,
                        m.observed_kind.label,
                        ind.id,
                        ind.kind.label,
                        ind.value,
                        ind.source,
                        ind.valid_from.isoformat() if ind.valid_from else "",
                        ind.valid_until.isoformat() if ind.valid_until else "",
                        ind.tlp or "",
                        ";".join(a.id for a in ind.actors),
                        ";".join(a.name for a in ind.actors),
                    ]
                )
                n += 1
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return n


@click.command()
@click.option(
    "--indicators",
    "indicator_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="A STIX 2.0/2.1 bundle or a MISP JSON export (repeatable).",
)
@click.option(
    "--kb",
    "stored",
    multiple=True,
    metavar="NAME[@VERSION]",
    help="Also the indicators of a stored knowledge base: every load of NAME "
    "(a TAXII feed's polls add up), or that one load (repeatable).",
)
@click.option(
    "--observables",
    "observable_files",
    multiple=True,
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="A log of observables: .csv/.tsv, .jsonl, .json (JSON lines or one array of "
    "objects), .parquet or a Zeek log; the text ones may be compressed with gzip, "
    "bzip2 or xz (conn.log.gz), and in UTF-16 with its byte-order mark (repeatable).",
)
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Matches CSV to write.")
@click.option(
    "--engine",
    type=click.Choice(["duckdb", "dask"]),
    default="duckdb",
    show_default=True,
    help="duckdb: in this process; dask: on a Dask cluster (same matches).",
)
@click.option(
    "--dask-scheduler", default=None, help="Dask scheduler address (default: a local cluster)."
)
@click.option("--ts-column", default=None, help="Timestamp column (default: found by name).")
@click.option(
    "--value-column",
    "value_columns",
    multiple=True,
    help="Value column (default: found by name); repeat it to read several, as a "
    "Zeek conn.log's id.orig_h and id.resp_h. In JSON lines a dotted name also "
    "reads nested objects (destination.ip), and the objects of an array on its path "
    "(dns.answers.rdata). A field of several values (a Zeek set, a JSON array: "
    "dns.log's answers) gives each value.",
)
@click.option("--type-column", default=None, help="Type column (default: found by name, optional).")
@click.option(
    "--ts-unit",
    type=click.Choice(list(TIME_UNITS)),
    default=None,
    help="The times are numbers (or their text) in this unit, as epoch milliseconds "
    "(ms) in many EDR exports (default: ISO 8601 text; JSON and Parquet numbers and "
    "Zeek time fields as seconds).",
)
@click.option(
    "--ts-format",
    default=None,
    help="The times are text in this strptime format, as '%m/%d/%Y %I:%M:%S %p' "
    "(Windows Event Viewer) or '%d/%b/%Y:%H:%M:%S %z' (web servers); without %z "
    "they are UTC, or in --ts-zone (default: ISO 8601).",
)
@click.option(
    "--ts-zone",
    default=None,
    help="The time zone of times written without an offset, as local exports write "
    "them: an IANA name such as Europe/Brussels (default: UTC).",
)
@click.option(
    "--threads",
    type=int,
    default=None,
    help="Threads for DuckDB and the matching kernel (default: all cores).",
)
@click.option("--memory-limit", default=None, help="DuckDB memory limit, e.g. 2GB.")
@click.option(
    "--progress/--no-progress", default=None, help="Progress on stderr (default: on a tty)."
)
@case_options
@click.pass_context
@clean_errors
def correlate(
    ctx: click.Context,
    indicator_files: tuple[str, ...],
    stored: tuple[str, ...],
    observable_files: tuple[str, ...],
    out: str,
    engine: str,
    dask_scheduler: str | None,
    ts_column: str | None,
    value_columns: tuple[str, ...],
    type_column: str | None,
    ts_unit: str | None,
    ts_format: str | None,
    ts_zone: str | None,
    threads: int | None,
    memory_limit: str | None,
    progress: bool | None,
    case_id: str | None,
    grade_text: str,
    marking_text: str,
    by: str | None,
) -> None:
    """Match observables (IPs, CIDR ranges, domains and subdomains, URLs, hashes)
    against indicators, within their validity windows, and write the matches
    with the actors the indicators point to.

    Indicators come from files (--indicators) and from knowledge bases stored
    with `kb load` or `taxii poll` (--kb), at least one of either. Malformed
    indicator files are refused whole (exit 2, each bad object named); a bad
    indicator in a stored knowledge base is skipped and reported. Malformed log
    rows are skipped and reported by line.

    With --case, the matches whose indicators point at actors of the case
    (by id, name or alias) are also added to it as evidence, one item per
    indicator value; what was added and what was left out is printed.
    """
    if not indicator_files and not stored:
        raise click.UsageError("give indicators: --indicators FILE or --kb NAME (or both)")
    target = CaseTarget(ctx, case_id, grade_text, marking_text, by) if case_id else None
    imports = _load(indicator_files)
    if stored:
        app = target.app if target is not None else app_from(ctx)
        for reference in stored:
            imports.append(app.stored_indicators(reference))
            _report(imports[-1])
    indicators = IndicatorSet.build(i for imp in imports for i in imp.indicators)
    try:
        logs = [
            log
            for p in observable_files
            for log in detect_logs(
                p,
                ts_column=ts_column,
                value_columns=value_columns,
                type_column=type_column,
                ts_unit=ts_unit,
                ts_format=ts_format,
                ts_zone=ts_zone,
            )
        ]
    except ObservableLogError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from exc
    bar = _Progress(sys.stderr.isatty() if progress is None else progress)
    with _engine(engine, dask_scheduler, threads, memory_limit) as correlator:
        result = correlator.correlate(indicators, logs, progress=bar)
    bar.finish(result.rows_read)
    written = _write_matches(result, Path(out))
    columns = max(1, len(value_columns))  # each value column reads the logs once
    read = f"{result.rows_read // columns:,} row(s)" + (f" × {columns} columns" * (columns > 1))
    click.echo(
        f"{written:,} match(es) of {len(indicators):,} indicator value(s) in {read}; "
        f"written to {out}",
        err=True,
    )
    if result.without_value:
        click.echo(
            f"{result.without_value:,} row(s) without a value (null, unset, blank, "
            "or an event without the column): skipped",
            err=True,
        )
    if result.rejected_count:
        tally = "; ".join(f"{why} {n:,}" for why, n in result.rejected_by_reason.most_common())
        click.echo(f"{result.rejected_count:,} malformed row(s) skipped ({tally}):", err=True)
        for r in result.rejected[:_SHOWN]:
            click.echo(f"  {r}", err=True)
        if result.rejected_count > _SHOWN:
            click.echo(f"  … and {result.rejected_count - _SHOWN:,} more", err=True)
    if target is not None:
        _add_to_case(target, result)


def _add_to_case(target: CaseTarget, result: CorrelationResult) -> None:
    from watchfloor.service.cyber import add_indicator_matches

    with target.app.uow() as uow:
        out = add_indicator_matches(
            uow,
            target.case_id,
            result.matches(),
            grades={},
            default_grade=target.grade,
            marking=target.marking,
            by=target.by,
            now=target.app.clock(),
        )
    for item in out.added:
        click.echo(f"added {item.id}: {item.title} (for {', '.join(item.likelihoods)})")
    for item, names in out.unlinked:
        click.echo(
            f"left out {item.id}: {item.title}: its actors ({', '.join(names)}) are not "
            "actors of the case; add them (or an alias) to weigh it"
        )
    for item_id in out.already:
        click.echo(f"skipped {item_id}: already in the case")
    click.echo(
        f"{len(out.added)} indicator match item(s) added to case {target.case_id} as evidence "
        f"({target.grade.code}, {target.marking.banner()}), {len(out.unlinked)} left out, "
        f"{len(out.already)} already there"
    )
