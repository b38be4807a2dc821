"""Indicator correlation on a Dask distributed cluster, for data beyond one machine.

The logs are cut into partitions — a run of Parquet row groups, a byte range
of a JSON-lines or Zeek log (its lines that start there, see ``splits``), or
a whole CSV file — and each partition runs the same kernel as the in-process
engine, on whichever worker Dask gives it. A byte range numbers its rows
within itself and counts its lines; the client numbers them in the file
once every range is done. The indicator keys are
broadcast once per run; each worker keeps the index it builds from them for
the runs that follow against the same keys (the last :data:`KERNELS_KEPT`
sets, known by their digest). Workers read the logs themselves, so the paths must
be reachable from them (a shared file system). Results are gathered on the
client: matches and rejects, not the rows.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections import Counter, OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from watchfloor.engines.correlation.base import (
    MATCH_SCHEMA,
    CorrelationResult,
    IndicatorCorrelator,
    ObservableLog,
    ObservableReader,
    Progress,
    tally_reasons,
)
from watchfloor.engines.correlation.indicator_set import IndicatorSet
from watchfloor.engines.correlation.kernel import (
    Kernel,
    correlate_batches,
    correlate_parquet,
    rows_in,
)
from watchfloor.engines.correlation.key_index import KeyIndex
from watchfloor.engines.correlation.keys import KeyPlan
from watchfloor.engines.correlation.model import RejectedRow
from watchfloor.engines.correlation.splits import byte_ranges, reads_whole, span_counts

__all__ = ["KERNELS_KEPT", "DaskCorrelator", "forget_kernels", "partition_logs"]

#: Kernels a worker process keeps (each holds an index of an indicator set),
#: the last used last: a cell runs one set, or a few, again and again.
KERNELS_KEPT = 2
#: The kernels, by what they were built from (the keys' digest, the plan, the
#: threads), each with the number of tasks using it (never closed while used).
_KERNELS: OrderedDict[tuple[str, KeyPlan, int | None], tuple[Kernel, int]] = OrderedDict()
_LOCK = threading.Lock()


def partition_logs(
    logs: Sequence[ObservableLog], row_groups_per_task: int, bytes_per_task: int | None = None
) -> list[ObservableLog]:
    """Parquet logs cut into runs of row groups; JSON-lines, Zeek and CSV logs
    of over ``bytes_per_task`` bytes into byte ranges (a CSV log's quoted
    field may hold a line end: each range tells whether it ends inside one,
    and the log is read again whole where a range starts inside one); logs
    compressed with gzip, or in UTF-16 (no byte of which is a place to start
    reading), whole."""
    out: list[ObservableLog] = []
    for log in logs:
        whole = log.format not in ("jsonl", "zeek", "csv") or log.byte_range is not None
        if bytes_per_task and not whole and not reads_whole(log.path):
            size = os.path.getsize(log.path)
            if size > bytes_per_task:
                out.extend(replace(log, byte_range=r) for r in byte_ranges(size, bytes_per_task))
                continue
        if log.format != "parquet":
            out.append(log)
            continue
        n = pq.ParquetFile(log.path).metadata.num_row_groups
        groups = list(log.row_groups) if log.row_groups is not None else list(range(n))
        for i in range(0, len(groups), row_groups_per_task) or [0]:
            out.append(replace(log, row_groups=tuple(groups[i : i + row_groups_per_task])))
    return out


@contextmanager
def _kernel(digest: str, keys: pa.Table, plan: KeyPlan, threads: int | None) -> Iterator[Kernel]:
    """A cursor of this worker's kernel for ``keys`` (whose digest is
    ``digest``), built once and kept for later runs; the least recently used
    beyond :data:`KERNELS_KEPT` and unused are closed."""
    name = (digest, plan, threads)
    with _LOCK:
        if name in _KERNELS:
            kernel, users = _KERNELS.pop(name)
        else:
            kernel, users = Kernel(KeyIndex.build(keys), plan, threads), 0
        _KERNELS[name] = (kernel, users + 1)  # the last used, last
        idle = [k for k, (_, n) in _KERNELS.items() if n == 0]
        for old in idle[: max(0, len(_KERNELS) - KERNELS_KEPT)]:
            _KERNELS.pop(old)[0].close()
    cursor = kernel.cursor()
    try:
        yield cursor
    finally:
        cursor.close()
        with _LOCK:
            kernel, users = _KERNELS[name]
            _KERNELS[name] = (kernel, users - 1)


def forget_kernels() -> int:
    """Close the kernels this worker process keeps that no task is using, and
    say how many: ``client.run(forget_kernels)`` frees the indexes kept on
    every worker (the next run builds its own again)."""
    with _LOCK:
        idle = [name for name, (_, users) in _KERNELS.items() if users == 0]
        for name in idle:
            _KERNELS.pop(name)[0].close()
    return len(idle)


#: What a task gives back: matches, rejected rows kept, rejected rows counted
#: by reason, rows read, and for a byte range the lines that start in it and,
#: for a CSV log's, whether it ends inside a quoted field (1, else 0; -1 where
#: no line starts in it).
_Done = tuple[pa.Table, list[RejectedRow], Counter[str], int, int, int]


def _run_partition(
    digest: str,
    keys: pa.Table,
    plan: KeyPlan,
    log: ObservableLog,
    reader: ObservableReader,
    threads: int | None,
) -> _Done:
    """One task (what it gives back: :data:`_Done`)."""
    with _kernel(digest, keys, plan, threads) as kernel:
        return _scan_partition(kernel, log, reader)


def _scan_partition(kernel: Kernel, log: ObservableLog, reader: ObservableReader) -> _Done:
    reader_rejects: list[RejectedRow] = []
    rows = 0

    def on_rows(n: int) -> None:
        nonlocal rows
        rows += n

    batches: list[pa.RecordBatch] = []
    rejects: list[RejectedRow] = []
    tally: Counter[str] = Counter()
    if log.format == "parquet":
        for matches, kept, n in correlate_parquet(kernel, log, on_rows):
            if matches.num_rows:
                batches.append(matches)
            rejects.extend(kept[: max(0, 1000 - len(rejects))])
            tally.update(n)
        return pa.Table.from_batches(batches, MATCH_SCHEMA), rejects, tally, rows, 0, 0
    stream = reader(log, reader_rejects.append)
    first = next(stream, None)
    if first is not None:

        def chained() -> Any:
            yield first
            yield from stream

        for matches, kept, n in correlate_batches(kernel, chained(), log, on_rows):
            if matches.num_rows:
                batches.append(matches)
            rejects.extend(kept[: max(0, 1000 - len(rejects))])
            tally.update(n)
    rejects.extend(reader_rejects[: max(0, 1000 - len(rejects))])
    tally.update(tally_reasons(reader_rejects))
    lines = inside = 0
    if log.byte_range is not None and log.format == "csv":  # its rows are its records
        lines, inside = span_counts(log.path, log.byte_range, b'"', log.delimiter.encode())
    elif log.byte_range is not None:
        lines = span_counts(log.path, log.byte_range)[0]
    return pa.Table.from_batches(batches, MATCH_SCHEMA), rejects, tally, rows, lines, inside


def _split_inside_quotes(parts: Sequence[ObservableLog], done: dict[int, _Done]) -> set[int]:
    """The CSV byte ranges of each log one of whose ranges starts inside a
    quoted field: the range before it (read from outside any, as the first
    is) ends inside one."""
    inside: dict[ObservableLog, bool] = {}
    spoilt: set[ObservableLog] = set()
    ranged = [n for n, part in enumerate(parts) if part.byte_range and part.format == "csv"]
    for n in sorted(ranged, key=lambda n: parts[n].byte_range or (0, 0)):
        whole = replace(parts[n], byte_range=None)
        if inside.get(whole, False):
            spoilt.add(whole)
        if done[n][5] >= 0:  # a range in which no line starts changes nothing
            inside[whole] = bool(done[n][5])
    return {n for n in ranged if replace(parts[n], byte_range=None) in spoilt}


def _renumbered(parts: Sequence[ObservableLog], done: dict[int, _Done]) -> None:
    """The rows of byte ranges, numbered within each range, numbered in the
    file: each range's rows come after the lines of the ranges before it."""
    before: dict[ObservableLog, int] = {}  # per log (a file and its columns)
    ranged = [n for n, part in enumerate(parts) if part.byte_range is not None and n in done]
    for n in sorted(ranged, key=lambda n: parts[n].byte_range or (0, 0)):
        table, rejects, rejected, rows, lines, inside = done[n]
        whole = replace(parts[n], byte_range=None)
        offset = before.get(whole, 0)
        before[whole] = offset + lines
        if offset:
            at = table.schema.get_field_index("row")
            table = table.set_column(at, "row", pc.add(table.column("row"), offset))
            rejects = [replace(r, row=r.row + offset) for r in rejects]
        done[n] = (table, rejects, rejected, rows, lines, inside)


class DaskCorrelator(IndicatorCorrelator):
    """Runs the correlation kernel as Dask tasks, one per partition of the logs.

    Give it a connected ``distributed.Client`` (the caller owns it), or a
    scheduler address to connect to for the duration of each run. A task
    takes ``row_groups_per_task`` row groups of a Parquet log, or about
    ``bytes_per_task`` bytes of a JSON-lines, Zeek or CSV log.
    """

    name = "dask"

    def __init__(
        self,
        reader: ObservableReader,
        *,
        client: Any | None = None,
        scheduler_address: str | None = None,
        row_groups_per_task: int = 8,
        bytes_per_task: int = 256 << 20,
        threads_per_task: int | None = 1,
    ) -> None:
        if client is None and scheduler_address is None:
            raise ValueError("DaskCorrelator needs a client or a scheduler address")
        self._reader = reader
        self._client = client
        self._address = scheduler_address
        self._row_groups_per_task = row_groups_per_task
        self._bytes_per_task = bytes_per_task
        self._threads = threads_per_task

    def _correlate(
        self,
        indicators: IndicatorSet,
        logs: Sequence[ObservableLog],
        progress: Progress | None,
    ) -> CorrelationResult:
        if self._client is not None:
            return self._run(self._client, indicators, logs, progress)
        from distributed import Client

        with Client(self._address) as client:  # type: ignore[no-untyped-call]
            return self._run(client, indicators, logs, progress)

    def _run(
        self,
        client: Any,
        indicators: IndicatorSet,
        logs: Sequence[ObservableLog],
        progress: Progress | None,
    ) -> CorrelationResult:
        from distributed import as_completed

        parts = partition_logs(logs, self._row_groups_per_task, self._bytes_per_task)
        run = uuid.uuid4().hex
        [keys] = client.scatter([indicators.keys], broadcast=True, hash=False)
        total = sum(rows_in(log) for log in logs) or None
        done: dict[int, _Done] = {}
        read = 0

        def gather(numbered: dict[int, ObservableLog]) -> None:
            nonlocal read
            futures = {
                client.submit(
                    _run_partition,
                    indicators.digest,
                    keys,
                    indicators.plan,
                    part,
                    self._reader,
                    self._threads,
                    key=f"correlate-{run}-{n}",
                    pure=False,
                ): n
                for n, part in numbered.items()
            }
            try:
                for future in as_completed(futures):  # type: ignore[no-untyped-call]
                    done[futures[future]] = future.result()
                    read += done[futures[future]][3]
                    if progress is not None:
                        progress(read, None if total is None else max(total, read))
            except BaseException:
                client.cancel(list(futures))
                raise

        try:
            gather(dict(enumerate(parts)))
            # a CSV log one of whose ranges started inside a quoted field: again, whole
            spoilt = _split_inside_quotes(parts, done)
            wholes = list(dict.fromkeys(replace(parts[n], byte_range=None) for n in spoilt))
            for n in spoilt:
                read -= done.pop(n)[3]
            again = dict(enumerate(wholes, start=len(parts)))
            parts = [*parts, *wholes]
            if again:
                gather(again)
        finally:
            keys = None  # released with the last reference, on every worker
        result = CorrelationResult(indicators, MATCH_SCHEMA.empty_table())
        _renumbered(parts, done)
        tally = sum((done[n][2] for n in done), Counter[str]())
        result.add_rejects([r for n in sorted(done) for r in done[n][1]], tally)
        result.rows_read = read
        tables = [done[n][0] for n in sorted(done)]
        result.table = pa.concat_tables([MATCH_SCHEMA.empty_table(), *tables])
        return result
