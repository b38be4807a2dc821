"""What every reader of observable logs shares: its error, the record
batches it yields, and times given as seconds since the epoch."""

from __future__ import annotations

import math
import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchfloor.engines.correlation.base import (
    INSTANTS_US,
    NUMBER_PATTERN,
    TEXT_LIST,
    TIME_UNITS,
    holds_lists,
)

__all__ = [
    "ObservableLogError",
    "epoch_stamps",
    "number_of",
    "number_stamps",
    "observable_batch",
]


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


_FIRST_US, _LAST_US = INSTANTS_US
_BLANKS = " \t"


def epoch_stamps(numbers: np.ndarray, unit: str = "s") -> pa.Array:
    """Times given as numbers (float64; NaN: none) since the epoch, in
    ``unit`` (:data:`TIME_UNITS`), as UTC timestamps to the microsecond,
    rounded half to even — as ``datetime.fromtimestamp`` rounds seconds —
    and null where it would refuse one (outside years 1-9999, not finite).
    Exact for whole seconds, milliseconds and microseconds; nanoseconds past
    2**53 (after 1970-04-15) are as exact as a float64 holds them, within a
    microsecond."""
    per_second = TIME_UNITS[unit]
    finite = np.isfinite(numbers) & (np.abs(numbers) < 1e12 * per_second)  # no int64 overflow
    values = np.where(finite, numbers, 0.0)
    if per_second == 1:
        frac, whole = np.modf(values)
        us = whole.astype(np.int64) * 1_000_000 + np.rint(frac * 1e6).astype(np.int64)
    elif per_second <= 1_000_000:  # a whole number of microseconds a unit: exact
        us = np.rint(values * (1_000_000 // per_second)).astype(np.int64)
    else:
        us = np.rint(values / (per_second // 1_000_000)).astype(np.int64)
    ok = finite & (us >= _FIRST_US) & (us <= _LAST_US)
    return pa.array(np.where(ok, us, 0), pa.timestamp("us", tz="UTC"), mask=~ok)


def number_stamps(column: pa.Array, unit: str) -> pa.Array:
    """A column of times given as numbers in ``unit``: numbers, or the text of
    numbers (:data:`NUMBER_PATTERN`, spaces and tabs around it aside), as
    :func:`epoch_stamps` gives them; any other time null (malformed).
    Timestamps are left as they are."""
    if pa.types.is_timestamp(column.type) or pa.types.is_date(column.type):
        return column
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        text = pc.utf8_trim(column, _BLANKS)
        numeric = pc.match_substring_regex(text, f"^{NUMBER_PATTERN}$")
        column = pc.if_else(numeric, text, pa.scalar(None, text.type))
    elif not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)):
        column = pa.nulls(len(column), pa.float64())
    numbers = column.cast(pa.float64()).to_numpy(zero_copy_only=False)  # nulls: NaN
    return epoch_stamps(numbers, unit)


def number_of(text: str) -> float:
    """The line reader's :func:`number_stamps` for one text: its number, or NaN."""
    text = text.strip(_BLANKS)
    return float(text) if re.fullmatch(NUMBER_PATTERN, text) else math.nan
