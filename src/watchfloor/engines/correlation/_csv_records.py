"""A CSV text's records, as Arrow's CSV parser reads them, compiled.

Arrow opens a quoted field only where a field starts (at the start of a line or
after the delimiter); inside it, ``""`` is one quote and a line end is part of
the field, and a quote followed by anything else closes the quoting — the rest
of the field is read as written, its quotes too (``"x"y"z`` reads ``xy"z``). A
quote inside a field that did not start with one is just a character (``a"b``;
RFC 4180 does not allow it, but logs hold it). So a line end ends a record
unless it lies inside a quoted field, and counting the quotes is not enough to
tell where one does: a bare quote changes the count and not the quoting.

:func:`csv_records` runs those rules over bytes, carrying the parser's state
from one chunk of a file to the next; :mod:`.splits` uses it to count a byte
range's records and to say whether the range ends inside a quoted field (then
the next range starts inside one).

Numba compiles it on first use and caches the machine code beside this file.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["FIELD_START", "QUOTED", "UNQUOTED", "csv_records"]

#: The parser's states between two bytes.
FIELD_START = 0  # at the start of a field (of a line, or after the delimiter)
UNQUOTED = 1  # inside a field read as written
QUOTED = 2  # inside a quoted field
QUOTE_IN_QUOTED = 3  # after a quote inside a quoted field: an escape or its end


@njit(cache=True, nogil=True)  # type: ignore[misc]
def csv_records(raw: np.ndarray, delimiter: int, quote: int, state: int) -> tuple[int, int]:
    """The line ends in ``raw`` (bytes) that end a record, reading it from
    ``state``, and the state after its last byte."""
    records = 0
    for i in range(raw.size):
        byte = raw[i]
        if state == QUOTED:
            if byte == quote:
                state = QUOTE_IN_QUOTED
        elif byte == 10:
            records += 1
            state = FIELD_START
        elif byte == delimiter:
            state = FIELD_START
        elif byte == quote:
            # a field's first quote opens it, a second one in a row is a quote
            state = QUOTED if state in (FIELD_START, QUOTE_IN_QUOTED) else UNQUOTED
        else:
            state = UNQUOTED
    return records, state
