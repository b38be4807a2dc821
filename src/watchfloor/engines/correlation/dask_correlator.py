"""Indicator correlation on a Dask distributed cluster, for data beyond one machine.

The logs are cut into partitions — a run of Parquet row groups, a byte range
of a JSON-lines or Zeek log (its lines that start there, see ``splits``), or
a whole CSV file — and each partition runs the same kernel as the in-process
engine, on whichever worker Dask gives it. A byte range numbers its rows
within itself and counts its lines; the client numbers them in the file
once every range is done. The indicator keys are
broadcast once per run. Workers read the logs themselves, so the paths must
be reachable from them (a shared file system). Results are gathered on the
client: matches and rejects, not the rows.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Sequence
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
from watchfloor.engines.correlation.splits import byte_ranges, count_lines, is_gzip

__all__ = ["DaskCorrelator", "partition_logs"]

# One kernel per worker process and run: the index is built once.
_KERNELS: dict[str, Kernel] = {}
_LOCK = threading.Lock()


def partition_logs(
    logs: Sequence[ObservableLog], row_groups_per_task: int, bytes_per_task: int | None = None
) -> list[ObservableLog]:
    """Parquet logs cut into runs of row groups; JSON-lines and Zeek logs of
    over ``bytes_per_task`` bytes into byte ranges; CSV logs (whose quoted
    fields may hold line ends) and logs compressed with gzip (no byte of
    which is a place to start reading) whole."""
    out: list[ObservableLog] = []
    for log in logs:
        whole = log.format not in ("jsonl", "zeek") or log.byte_range is not None
        if bytes_per_task and not whole and not is_gzip(log.path):
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


def _kernel(run: str, keys: pa.Table, plan: KeyPlan, threads: int | None) -> Kernel:
    with _LOCK:
        kernel = _KERNELS.get(run)
        if kernel is None:
            for old in list(_KERNELS):  # one run at a time per worker is plenty
                _KERNELS.pop(old).close()
            kernel = _KERNELS[run] = Kernel(KeyIndex.build(keys), plan, threads)
        return kernel


def _run_partition(
    run: str,
    keys: pa.Table,
    plan: KeyPlan,
    log: ObservableLog,
    reader: ObservableReader,
    threads: int | None,
) -> tuple[pa.Table, list[RejectedRow], int, int, int]:
    """One task: (matches, rejected rows kept, rejected count, rows read, and
    for a byte range the lines that start in it)."""
    kernel = _kernel(run, keys, plan, threads).cursor()
    reader_rejects: list[RejectedRow] = []
    rows = 0

    def on_rows(n: int) -> None:
        nonlocal rows
        rows += n

    batches: list[pa.RecordBatch] = []
    rejects: list[RejectedRow] = []
    count = 0
    try:
        if log.format == "parquet":
            for matches, kept, n in correlate_parquet(kernel, log, on_rows):
                if matches.num_rows:
                    batches.append(matches)
                rejects.extend(kept[: max(0, 1000 - len(rejects))])
                count += n
            return pa.Table.from_batches(batches, MATCH_SCHEMA), rejects, count, rows, 0
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
                count += n
    finally:
        kernel.close()
    rejects.extend(reader_rejects[: max(0, 1000 - len(rejects))])
    count += len(reader_rejects)
    lines = count_lines(log.path, log.byte_range) if log.byte_range is not None else 0
    return pa.Table.from_batches(batches, MATCH_SCHEMA), rejects, count, rows, lines


def _renumbered(
    parts: Sequence[ObservableLog], done: dict[int, tuple[pa.Table, list[RejectedRow], int]]
) -> None:
    """The rows of byte ranges, numbered within each range, numbered in the
    file: each range's rows come after the lines of the ranges before it."""
    before: dict[ObservableLog, int] = {}  # per log (a file and its columns)
    ranged = [n for n, part in enumerate(parts) if part.byte_range is not None]
    for n in sorted(ranged, key=lambda n: parts[n].byte_range or (0, 0)):
        table, rejects, lines = done[n]
        whole = replace(parts[n], byte_range=None)
        offset = before.get(whole, 0)
        before[whole] = offset + lines
        if offset:
            at = table.schema.get_field_index("row")
            table = table.set_column(at, "row", pc.add(table.column("row"), offset))
            rejects = [replace(r, row=r.row + offset) for r in rejects]
        done[n] = (table, rejects, lines)


class DaskCorrelator(IndicatorCorrelator):
    """Runs the correlation kernel as Dask tasks, one per partition of the logs.

    Give it a connected ``distributed.Client`` (the caller owns it), or a
    scheduler address to connect to for the duration of each run. A task
    takes ``row_groups_per_task`` row groups of a Parquet log, or about
    ``bytes_per_task`` bytes of a JSON-lines or Zeek log.
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
        futures = [
            client.submit(
                _run_partition,
                run,
                keys,
                indicators.plan,
                part,
                self._reader,
                self._threads,
                key=f"correlate-{run}-{n}",
                pure=False,
            )
            for n, part in enumerate(parts)
        ]
        index = {future.key: n for n, future in enumerate(futures)}
        total = sum(rows_in(log) for log in logs) or None
        result = CorrelationResult(indicators, MATCH_SCHEMA.empty_table())
        done: dict[int, tuple[pa.Table, list[RejectedRow], int]] = {}
        read = count = 0
        try:
            for future in as_completed(futures):  # type: ignore[no-untyped-call]
                table, rejects, rejected, rows, lines = future.result()
                done[index[future.key]] = (table, rejects, lines)
                count += rejected
                read += rows
                if progress is not None:
                    progress(read, None if total is None else max(total, read))
        except BaseException:
            client.cancel(futures)
            raise
        finally:
            del keys  # released with the last reference, on every worker
        _renumbered(parts, done)
        result.add_rejects([r for n in sorted(done) for r in done[n][1]], count)
        result.rows_read = read
        tables = [done[n][0] for n in sorted(done)]
        result.table = pa.concat_tables([MATCH_SCHEMA.empty_table(), *tables])
        return result
