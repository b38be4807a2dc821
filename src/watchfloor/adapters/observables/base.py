"""What every reader of observable logs shares: its error, the record
batches it yields, and times given as seconds since the epoch."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from watchfloor.engines.correlation.base import TEXT_LIST, holds_lists

__all__ = ["ObservableLogError", "epoch_stamps", "observable_batch"]


class ObservableLogError(ValueError):
    """The log as a whole cannot be read (unknown format, missing columns)."""


def observable_batch(
    row_no: pa.Array, ts: pa.Array, value: pa.Array, typ: pa.Array | None
) -> pa.RecordBatch:
    """A reader's batch: ``row_no, ts, value, type`` (value and type as text,
    or the value as a list of texts where a row holds several — a Zeek set, a
    JSON array; the type all null where the log has none; ``ts`` as the
    reader gives it)."""
    n = len(row_no)
    if typ is None:
        typ = pa.nulls(n, pa.string())
    if holds_lists(value.type):
        if value.type != TEXT_LIST:
            value = value.cast(TEXT_LIST)
    elif not pa.types.is_string(value.type):
        value = value.cast(pa.string())
    if not pa.types.is_string(typ.type):
        typ = typ.cast(pa.string())
    return pa.record_batch([row_no, ts, value, typ], names=["row_no", "ts", "value", "type"])


#: The microseconds since the epoch that ``datetime`` holds: years 1 to 9999.
_FIRST_US = -62_135_596_800 * 1_000_000
_LAST_US = 253_402_300_800 * 1_000_000 - 1


def epoch_stamps(seconds: np.ndarray) -> pa.Array:
    """JSON timestamps given as numbers, seconds since the epoch (float64;
    NaN: none), as UTC timestamps to the microsecond, rounded half to even as
    ``datetime.fromtimestamp`` rounds; null where it would refuse one
    (outside years 1-9999, not finite)."""
    finite = np.isfinite(seconds) & (np.abs(seconds) < 1e12)  # no int64 overflow below
    frac, whole = np.modf(np.where(finite, seconds, 0.0))
    us = whole.astype(np.int64) * 1_000_000 + np.rint(frac * 1e6).astype(np.int64)
    ok = finite & (us >= _FIRST_US) & (us <= _LAST_US)
    return pa.array(np.where(ok, us, 0), pa.timestamp("us", tz="UTC"), mask=~ok)
