"""Running the correlation query over a stream of record batches.

Both engines call :func:`correlate_batches`: the DuckDB engine on this
machine, the Dask engine inside each task. One kernel, so one set of results.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchfloor.engines.correlation.base import MATCH_SCHEMA
from watchfloor.engines.correlation.keys import KeyPlan
from watchfloor.engines.correlation.model import RejectedRow
from watchfloor.engines.correlation.sql import correlation_query

__all__ = ["INPUT_SCHEMA", "connect", "correlate_batches"]

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


def correlate_batches(
    con: duckdb.DuckDBPyConnection,
    plan: KeyPlan,
    batches: Iterator[pa.RecordBatch],
    schema: pa.Schema,
    file: str,
    on_rows: Callable[[int], None] | None = None,
) -> Iterator[tuple[pa.RecordBatch, list[RejectedRow], int]]:
    """Stream ``batches`` through the kernel.

    Yields (match batch of :data:`MATCH_SCHEMA`, rejected rows, rejected count)
    as DuckDB produces them. ``on_rows`` is called with the size of each input
    batch as DuckDB pulls it (for progress).
    """

    def counted() -> Iterator[pa.RecordBatch]:
        for b in batches:
            if on_rows is not None:
                on_rows(b.num_rows)
            yield b

    reader = pa.RecordBatchReader.from_batches(schema, counted())
    view = f"obs_in_{id(reader)}"
    con.register(view, reader)
    try:
        query = correlation_query(view, plan, _ts_expr(schema.field("ts").type))
        result = con.sql(query).to_arrow_reader(_OUTPUT_BATCH)
        try:
            for out in result:
                yield _split(out, file)
        finally:
            result.close()
    finally:
        con.unregister(view)


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
