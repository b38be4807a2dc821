"""JSON logs written as one array of objects (`[{…}, {…}]`, pretty-printed or
not), as consoles and SIEMs export them: read a MiB at a time, whatever the
file's size, each element numbered by the line it starts on and read as a
JSON line would be (see :mod:`jsonl`)."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

import pyarrow as pa

from watchfloor.adapters.observables.jsonl import read_json_objects
from watchfloor.engines.correlation.base import ObservableLog
from watchfloor.engines.correlation.model import RejectedRow
from watchfloor.engines.correlation.splits import open_log

__all__ = ["ArrayBroken", "array_elements", "opens_as_json_array", "read_json_array"]

_CHUNK = 1 << 20  # characters read at a time
_ELEMENT_MAX = 64 << 20  # the longest element looked for before it is called malformed
_SPACE = " \t\r\n"
_DELIMITER = re.compile(r"[ \t\r\n,\]]")  # what ends an element that is a number


class ArrayBroken(ValueError):
    """The array is not valid JSON from ``line`` on: nothing after is read."""

    def __init__(self, line: int, text: str, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line, self.text, self.reason = line, text, reason


def opens_as_json_array(path: str | Path) -> bool:
    """Whether the file's first character that is not a space (or a byte-order
    mark) opens a JSON array."""
    with _text(path) as fh:
        head = fh.read(4096).lstrip("\ufeff" + _SPACE)
        while not head:
            chunk = fh.read(_CHUNK)
            if not chunk:
                return False
            head = chunk.lstrip(_SPACE)
    return head.startswith("[")


def _text(path: str | Path) -> TextIO:
    # newline="": a "\r\n" stays two characters, so that lines are counted by "\n"
    return io.TextIOWrapper(open_log(path), encoding="utf-8", errors="replace", newline="")


def array_elements(fh: TextIO) -> Iterator[tuple[int, str]]:
    """The elements of the JSON array ``fh`` holds, in order: the number of the
    line each starts on (from 1) and its text. Raises :class:`ArrayBroken`
    where the array stops being valid JSON (after the elements before)."""
    decoder = json.JSONDecoder()
    buf, pos, line, eof = fh.read(_CHUNK).removeprefix("\ufeff"), 0, 1, False

    def more() -> bool:
        """Read on (dropping what is behind ``pos``); False at the end."""
        nonlocal buf, pos, eof
        chunk = "" if eof else fh.read(_CHUNK)
        eof = not chunk
        buf, pos = buf[pos:] + chunk, 0
        return bool(chunk)

    def skip_space() -> str:
        """The next character that is not a space ("" at the end)."""
        nonlocal pos, line
        while True:
            stop = pos
            while stop < len(buf) and buf[stop] in _SPACE:
                stop += 1
            line += buf.count("\n", pos, stop)
            pos = stop
            if pos < len(buf):
                return buf[pos]
            if not more():
                return ""

    def broken(reason: str) -> ArrayBroken:
        return ArrayBroken(line, buf[pos : pos + 200], reason)

    if skip_space() != "[":
        raise broken("not a JSON array")
    pos += 1
    if skip_space() == "]":
        pos += 1
    else:
        while True:
            if skip_space() == "":
                raise broken("the array ends before its last element")
            if buf[pos] not in '{["':  # a number (or a word) ends only at a delimiter
                while _DELIMITER.search(buf, pos) is None and more():
                    pass
            while True:
                try:
                    _, end = decoder.raw_decode(buf, pos)
                except json.JSONDecodeError as exc:
                    if len(buf) - pos < _ELEMENT_MAX and more():
                        continue  # the element goes on past what was read
                    line += buf.count("\n", pos, exc.pos)
                    pos = exc.pos
                    raise broken(f"not valid JSON: {exc.msg}") from None
                break
            yield line, buf[pos:end]
            line += buf.count("\n", pos, end)
            pos = end
            following = skip_space()
            pos += 1
            if following == "]":
                break
            if following != ",":
                pos -= 1
                raise broken("not valid JSON: expecting ',' or ']' after an element")
    if skip_space() != "":
        raise broken("text after the array")


def read_json_array(
    log: ObservableLog, rejects: Callable[[RejectedRow], None]
) -> Iterator[pa.RecordBatch]:
    """The rows of a JSON array log, each element read as a JSON line is (a
    malformed one reported by its line); where the array stops being valid
    JSON, the rest of the file is reported as one malformed row and not read."""

    def elements() -> Iterator[tuple[int, str]]:
        with _text(log.path) as fh:
            try:
                yield from array_elements(fh)
            except ArrayBroken as exc:
                reason = f"{exc.reason}; the rest of the array is not read"
                rejects(RejectedRow(log.path, exc.line, exc.text, reason))

    yield from read_json_objects(elements(), log, rejects)


def array_names(path: str | Path, names_from: int, names: Callable[[object], None]) -> None:
    """Hand ``names`` each element of the array's first ``names_from``
    characters (about), decoded; a broken array ends the look early."""
    seen = 0
    with _text(path) as fh:
        try:
            for _, text in array_elements(fh):
                names(json.loads(text))  # valid: the element was decoded
                seen += len(text)
                if seen >= names_from:
                    return
        except ArrayBroken:
            return
