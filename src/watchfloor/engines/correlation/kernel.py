"""Running the correlation query over a log.

Both engines call these: the DuckDB engine on this machine, the Dask engine
inside each task. One kernel, so one set of results. Parquet is read by
DuckDB's own reader (:func:`correlate_parquet`); other formats arrive as Arrow
record batches from an observable reader (:func:`correlate_batches`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from watchfloor.engines.correlation.base import MATCH_SCHEMA, ObservableLog
from watchfloor.engines.correlation.keys import KeyPlan
from watchfloor.engines.correlation.model import RejectedRow
from watchfloor.engines.correlation.sql import correlation_query

__all__ = [
    "CHUNK_ROWS",
    "INPUT_SCHEMA",
    "connect",
    "correlate_batches",
    "correlate_parquet",
    "parquet_row_ranges",
]

#: What readers hand the kernel (``ts`` may also be a timestamp or a number).
INPUT_SCHEMA = pa.schema(
    [("row_no", pa.int64()), ("ts", pa.string()), ("value", pa.string()), ("type", pa.string())]
)
_OUTPUT_BATCH = 65_536
_REJECTS_PER_BATCH = 1000  # kept for the report; all are counted


def connect(
    keys: pa.Table, threads: int | None = None, memory_limit: str | None = None
) -> duckdb.DuckDBPyConnection:
    """An in-process DuckDB with the indicator key table loaded as ``ind_keys``."""
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    # Matches are sorted at the end; letting DuckDB emit them out of order keeps it
    # from buffering finished chunks (memory then grows with the input).
    con.execute("SET preserve_insertion_order = false")
    if threads is not None:
        con.execute(f"SET threads = {int(threads)}")
    if memory_limit is not None:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    con.register("ind_keys_arrow", keys)
    con.execute("CREATE TABLE ind_keys AS SELECT * FROM ind_keys_arrow")
    con.unregister("ind_keys_arrow")
    return con


def _ts_expr(t: pa.DataType) -> str:
    if pa.types.is_timestamp(t):
        return "ts::TIMESTAMPTZ"
    if pa.types.is_integer(t) or pa.types.is_floating(t):
        return "to_timestamp(ts::DOUBLE)"
    if pa.types.is_null(t):
        return "NULL::TIMESTAMPTZ"
    if pa.types.is_date(t):
        return "ts::TIMESTAMPTZ"
    return "try_cast(ts::VARCHAR AS TIMESTAMPTZ)"


Item = tuple[pa.RecordBatch, list[RejectedRow], int]

#: Rows per query: DuckDB keeps the Arrow batches of a registered stream alive
#: until its query ends, so a stream is fed in chunks to bound memory.
CHUNK_ROWS = 1 << 20


def _run(con: duckdb.DuckDBPyConnection, query: str, file: str) -> Iterator[Item]:
    result = con.sql(query).to_arrow_reader(_OUTPUT_BATCH)
    try:
        for out in result:
            yield _split(out, file)
    finally:
        result.close()


def correlate_batches(
    con: duckdb.DuckDBPyConnection,
    plan: KeyPlan,
    batches: Iterator[pa.RecordBatch],
    schema: pa.Schema,
    file: str,
    on_rows: Callable[[int], None] | None = None,
) -> Iterator[Item]:
    """Stream ``batches`` through the kernel, about :data:`CHUNK_ROWS` rows a query.

    Yields (match batch of :data:`MATCH_SCHEMA`, rejected rows kept, rejected
    count). ``on_rows`` is called with the number of rows of each chunk done.
    """
    ts_expr = _ts_expr(schema.field("ts").type)
    chunk: list[pa.RecordBatch] = []
    rows = 0

    def flush() -> Iterator[Item]:
        reader = pa.RecordBatchReader.from_batches(schema, iter(chunk))
        view = f"obs_in_{id(reader)}"
        con.register(view, reader)
        try:
            yield from _run(con, correlation_query(view, plan, ts_expr), file)
        finally:
            con.unregister(view)
        if on_rows is not None:
            on_rows(rows)

    for b in batches:
        chunk.append(b)
        rows += b.num_rows
        if rows >= CHUNK_ROWS:
            yield from flush()
            chunk, rows = [], 0
    if chunk:
        yield from flush()


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def parquet_row_ranges(log: ObservableLog) -> list[tuple[int, int]]:
    """Runs of whole row groups of about :data:`CHUNK_ROWS` rows, as [start, stop)."""
    meta = pq.ParquetFile(log.path).metadata
    starts = [0]
    for i in range(meta.num_row_groups):
        starts.append(starts[-1] + meta.row_group(i).num_rows)
    groups = log.row_groups if log.row_groups is not None else range(meta.num_row_groups)
    ranges: list[tuple[int, int]] = []
    for g in groups:
        a, b = starts[g], starts[g + 1]
        if ranges and ranges[-1][1] == a and ranges[-1][1] - ranges[-1][0] < CHUNK_ROWS:
            ranges[-1] = (ranges[-1][0], b)
        else:
            ranges.append((a, b))
    return ranges


def correlate_parquet(
    con: duckdb.DuckDBPyConnection,
    plan: KeyPlan,
    log: ObservableLog,
    on_rows: Callable[[int], None] | None = None,
) -> Iterator[Item]:
    """A Parquet log read by DuckDB itself (parallel, row groups pruned by range),
    one query per run of row groups. Row numbers are 0-based row indices."""
    ts_type = pq.read_schema(log.path).field(log.ts_column).type
    path = log.path.replace("'", "''")
    typ = f"{_ident(log.type_column)}::VARCHAR" if log.type_column else "NULL::VARCHAR"
    for a, b in parquet_row_ranges(log):
        source = (
            f"(SELECT file_row_number AS row_no, {_ident(log.ts_column)} AS ts, "
            f"{_ident(log.value_column)}::VARCHAR AS value, {typ} AS type "
            f"FROM read_parquet('{path}', file_row_number = true) "
            f"WHERE file_row_number >= {a} AND file_row_number < {b})"
        )
        yield from _run(con, correlation_query(source, plan, _ts_expr(ts_type)), log.path)
        if on_rows is not None:
            on_rows(b - a)


def _split(out: pa.RecordBatch, file: str) -> tuple[pa.RecordBatch, list[RejectedRow], int]:
    idx = out.column("idx")
    is_reject = pc.less(idx, 0)
    n_rejects = int(pc.sum(is_reject).as_py() or 0)
    rejects: list[RejectedRow] = []
    if n_rejects:
        bad = out.filter(is_reject).slice(0, _REJECTS_PER_BATCH)
        rows = bad.column("row_no").to_pylist()
        values = bad.column("raw").to_pylist()
        reasons = bad.column("reason").to_pylist()
        rejects = [
            RejectedRow(file, int(r), v, str(reason))
            for r, v, reason in zip(rows, values, reasons, strict=True)
        ]
        out = out.filter(pc.invert(is_reject))
    n = out.num_rows
    batch = pa.record_batch(
        [
            pa.array(np.full(n, file, dtype=object), pa.string()),
            out.column("row_no").cast(pa.int64()),
            out.column("ts").cast(MATCH_SCHEMA.field("ts").type),
            out.column("raw").cast(pa.string()),
            out.column("kind").cast(pa.uint8()),
            out.column("idx").cast(pa.int64()),
        ],
        schema=MATCH_SCHEMA,
    )
    return batch, rejects, n_rejects
