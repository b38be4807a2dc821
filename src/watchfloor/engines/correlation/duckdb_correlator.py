"""Indicator correlation in process (the default engine): DuckDB reads, the
compiled kernel matches."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain

import pyarrow as pa

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
from watchfloor.engines.correlation.model import RejectedRow

__all__ = ["DuckDBCorrelator"]


class DuckDBCorrelator(IndicatorCorrelator):
    """Streams each log, in chunks of rows, through the compiled kernel
    (normalise, expand, probe the indicator index); DuckDB reads Parquet and
    parses timestamps.

    Memory holds the indicator index, one chunk, DuckDB's working set (bounded
    by ``memory_limit``) and the matches; the logs themselves are streamed, so
    their size does not matter. ``threads`` is used by DuckDB and by the kernel.
    """

    name = "duckdb"

    def __init__(
        self,
        reader: ObservableReader,
        *,
        threads: int | None = None,
        memory_limit: str | None = None,
    ) -> None:
        self._reader = reader
        self._threads = threads
        self._memory_limit = memory_limit

    def _correlate(
        self,
        indicators: IndicatorSet,
        logs: Sequence[ObservableLog],
        progress: Progress | None,
    ) -> CorrelationResult:
        result = CorrelationResult(indicators, MATCH_SCHEMA.empty_table())
        kernel = Kernel(indicators.index, indicators.plan, self._threads, self._memory_limit)
        batches: list[pa.RecordBatch] = []
        total = sum(rows_in(log) for log in logs) or None
        read = 0

        def on_rows(n: int) -> None:
            nonlocal read
            read += n
            if progress is not None:
                progress(read, None if total is None else max(total, read))

        try:
            for log in logs:
                if log.format == "parquet":
                    for matches, rejects, tally in correlate_parquet(kernel, log, on_rows):
                        if matches.num_rows:
                            batches.append(matches)
                        if tally:
                            result.add_rejects(rejects, tally)
                    continue
                reader_rejects: list[RejectedRow] = []
                stream = self._reader(log, reader_rejects.append)
                first = next(stream, None)
                if first is None:
                    result.add_rejects(reader_rejects)
                    continue
                for matches, rejects, tally in correlate_batches(
                    kernel, chain([first], stream), log, on_rows
                ):
                    if matches.num_rows:
                        batches.append(matches)
                    if tally:
                        result.add_rejects(rejects, tally)
                result.add_rejects(reader_rejects)
        finally:
            kernel.close()
        result.rows_read = read
        result.table = pa.Table.from_batches(batches, MATCH_SCHEMA)
        return result
