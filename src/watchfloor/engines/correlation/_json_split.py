"""A JSON array cut into its elements, compiled: the pass the JSON array
reader (``adapters.observables.json_array``) cuts each block with, and the
progress report counts a log's elements with (``splits.estimate_elements``).

Numba compiles it on first use and caches the machine code beside this file
(``kernel.compile_kernel`` compiles it at install).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

__all__ = ["split_elements"]

#: JSON's structural bytes, and the quote: whitespace next to one is no part
#: of the text (whitespace between two numbers or words parts them).
_STRUCTURAL = np.zeros(256, np.bool_)
_STRUCTURAL[[ord(c) for c in '{}[],:"']] = True


@njit(cache=True, nogil=True)  # type: ignore[misc]
def _split(raw: np.ndarray, first: bool, structural: np.ndarray) -> tuple[Any, ...]:
    """Cut a piece of a JSON array that starts at an element (``first``:
    right after the opening bracket) into its elements, in one pass: quotes
    (a backslash escapes the next byte), brackets and braces outside strings
    and their depth; a comma at depth 1 ends an element, and the closing
    bracket the array. Each element goes out on a line of its own, its line
    ends dropped (JSON holds none inside a string) and its whitespace outside
    strings with them, but where it parts two numbers or words (``1 2`` stays
    as malformed as it was).

    Returns (the text out, the line each element starts on — counted from the
    piece's first — status, the bytes of the text out and the elements given,
    the bytes of ``raw`` they took and the line ends in those). Status: 1 the
    array ended (with the bytes taken), 0 no end yet (the rest: read on),
    -1 the structure breaks after what was given (an element missing, as in
    ``[1,,2]``, or a brace that closes nothing).
    """
    n = raw.size
    out = np.empty(n + 1, np.uint8)
    lines = np.empty(n // 2 + 2, np.int64)
    o = ne = line = 0
    depth = 1
    in_string = escaped = started = space = False
    previous = 0
    given_o = given_ne = cut = cut_line = 0
    for i in range(n):
        c = raw[i]
        if in_string:
            if c == 10:
                line += 1
            elif c != 13:
                out[o] = c
                o += 1
                if escaped:
                    escaped = False
                elif c == 92:  # a backslash
                    escaped = True
                elif c == 34:
                    in_string = False
                    previous = c
            continue
        if c == 32 or c == 9 or c == 10 or c == 13:
            if c == 10:
                line += 1
            space = started
            continue
        if depth == 1 and (c == 44 or c == 93):  # a comma between elements, or the end
            if not started:
                if c == 93 and first and ne == 0:  # "[]"
                    return out, lines, 1, 0, 0, i + 1, line
                return out, lines, -1, given_o, given_ne, cut, cut_line
            out[o] = 10
            o += 1
            ne += 1
            started = space = False
            given_o, given_ne, cut, cut_line = o, ne, i + 1, line
            if c == 93:
                return out, lines, 1, given_o, given_ne, cut, cut_line
            continue
        if not started:
            started = True
            lines[ne] = line
        elif space and not structural[previous] and not structural[c]:
            out[o] = 32
            o += 1
        space = False
        if c == 34:
            in_string = True
        elif c == 91 or c == 123:
            depth += 1
        elif c == 93 or c == 125:
            depth -= 1
            if depth < 1:  # a brace that closes nothing
                return out, lines, -1, given_o, given_ne, cut, cut_line
        out[o] = c
        o += 1
        previous = c
    return out, lines, 0, given_o, given_ne, cut, cut_line


def split_elements(raw: np.ndarray, first: bool) -> tuple[Any, ...]:
    """:func:`_split` of ``raw`` (read-only bytes, as ``np.frombuffer`` gives)."""
    found: tuple[Any, ...] = _split(raw, first, _STRUCTURAL)
    return found
