"""Indicator correlation in process, with DuckDB (the default engine)."""

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
    connect,
    correlate_batches,
    correlate_parquet,
    parquet_row_ranges,
)
from watchfloor.engines.correlation.model import RejectedRow

__all__ = ["DuckDBCorrelator"]


class DuckDBCorrelator(IndicatorCorrelator):
    """Streams each log through one DuckDB query (normalise, expand, hash-join).

    Memory holds the indicator keys, DuckDB's working set (bounded by
    ``memory_limit``) and the matches; the logs themselves are streamed in
    record batches, so their size does not matter.
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
        con = connect(indicators.keys, self._threads, self._memory_limit)
        batches: list[pa.RecordBatch] = []
        known = [log for log in logs if log.format == "parquet"]
        parquet_rows = sum(b - a for log in known for a, b in parquet_row_ranges(log))
        total = (parquet_rows or None) if len(known) == len(logs) else None
        read = 0

        def on_rows(n: int) -> None:
            nonlocal read
            read += n
            if progress is not None:
                progress(read, total)

        try:
            for log in logs:
                if log.format == "parquet":
                    for matches, rejects, count in correlate_parquet(
                        con, indicators.plan, log, on_rows
                    ):
                        if matches.num_rows:
                            batches.append(matches)
                        if count:
                            result.add_rejects(rejects, count)
                    continue
                reader_rejects: list[RejectedRow] = []
                stream = self._reader(log, reader_rejects.append)
                first = next(stream, None)
                if first is None:
                    result.add_rejects(reader_rejects)
                    continue
                for matches, rejects, count in correlate_batches(
                    con, indicators.plan, chain([first], stream), first.schema, log.path, on_rows
                ):
                    if matches.num_rows:
                        batches.append(matches)
                    if count:
                        result.add_rejects(rejects, count)
                result.add_rejects(reader_rejects)
        finally:
            con.close()
        result.rows_read = read
        result.table = pa.Table.from_batches(batches, MATCH_SCHEMA)
        return result
