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
from typing import Any, BinaryIO, TextIO

import numpy as np
import pyarrow as pa

from watchfloor.adapters.observables.jsonl import block_fast, block_forms, read_json_objects
from watchfloor.engines.correlation._json_split import split_elements
from watchfloor.engines.correlation.base import ObservableLog
from watchfloor.engines.correlation.model import RejectedRow
from watchfloor.engines.correlation.splits import open_log

__all__ = [
    "ArrayBroken",
    "ElementBlocks",
    "array_elements",
    "opens_as_json_array",
    "read_json_array",
]

_CHUNK = 1 << 20  # characters read at a time (element by element)
_SPLIT_BLOCK = 1 << 23  # bytes cut into elements at a time
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
        return fh.read(1 << 16).lstrip("\ufeff" + _SPACE).startswith("[")


def _text(path: str | Path) -> TextIO:
    # newline="": a "\r\n" stays two characters, so that lines are counted by "\n"
    return io.TextIOWrapper(open_log(path), encoding="utf-8", errors="replace", newline="")


def array_elements(fh: TextIO, line: int = 1, inside: bool = False) -> Iterator[tuple[int, str]]:
    """The elements of the JSON array ``fh`` holds, in order: the number of the
    line each starts on (from ``line``) and its text. Raises
    :class:`ArrayBroken` where the array stops being valid JSON (after the
    elements before). ``inside``: ``fh`` starts inside the array, right after
    a comma (an element must come next)."""
    decoder = json.JSONDecoder()
    buf, pos, eof = fh.read(_CHUNK).removeprefix("\ufeff"), 0, False

    def more() -> bool:
        """Read on (dropping what is behind ``pos``); False at the end."""
        nonlocal buf, pos, eof
        chunk = "" if eof else fh.read(_CHUNK)
        eof = not chunk
        if chunk:  # else as it was: an error's place stays true
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

    if not inside:
        if skip_space() != "[":
            raise broken("not a JSON array")
        pos += 1
    if skip_space() == "]" and not inside:
        pos += 1
    else:
        while True:
            if skip_space() == "":
                raise broken("the array ends before its last element")
            if buf[pos] == "]":
                raise broken("not valid JSON: Expecting value")  # "[1, ]"
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


class _Chained(io.RawIOBase):
    """``head``, then what is left of ``tail``: a stream read on from where
    the block reader stopped."""

    def __init__(self, head: bytes, tail: BinaryIO) -> None:
        self._head, self._tail = head, tail

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._head:
            n = min(len(view), len(self._head))
            view[:n], self._head = self._head[:n], self._head[n:]
            return n
        data = self._tail.read(len(view))
        view[: len(data)] = data
        return len(data)


class ElementBlocks:
    """A JSON array's elements, a block at a time, as JSON lines: each
    element on a line of its own (its line ends dropped: JSON text holds none
    inside its strings) and the number of the line it starts on. Where the
    array's structure breaks, iteration stops and :attr:`broken` holds the
    line, whether the rest starts after a comma, and the rest of the file,
    from the first element not given (for :func:`array_elements`); text
    after the array is in :attr:`trailing` (its line and first characters)."""

    def __init__(self, fh: BinaryIO, block: int | None = None) -> None:
        self._fh, self._block = fh, block or _SPLIT_BLOCK
        self.broken: tuple[int, bool, BinaryIO] | None = None
        self.trailing: tuple[int, str] | None = None

    def __iter__(self) -> Iterator[tuple[np.ndarray, bytes]]:
        fh = self._fh
        data = fh.read(self._block).removeprefix(b"\xef\xbb\xbf")
        body = data.lstrip(_SPACE.encode())
        if not body.startswith(b"["):
            self.broken = (1, False, io.BufferedReader(_Chained(data, fh)))
            return
        line = 1 + data.count(b"\n", 0, len(data) - len(body))
        data, first, eof = body[1:], True, False
        while True:
            raw = np.frombuffer(data, np.uint8)
            out, starts, status, size, given, cut, ends = split_elements(raw, first)
            if given:
                yield line + starts[:given], out[:size].tobytes()
            line, data, first = line + ends, data[cut:], first and not given
            if status > 0:
                self._trail(data, line)
                return
            if status < 0 or (not given and (eof or len(data) > _ELEMENT_MAX)):
                self._break(data, line, first)  # broken, cut short, or an element too long
                return
            if not eof:
                more = fh.read(self._block)
                eof = not more
                data += more

    def _break(self, data: bytes, line: int, first: bool) -> None:
        """The structure breaks in ``data`` (on from ``line``): the rest for
        the element reader, with the opening bracket where nothing was given."""
        head = b"[" + data if first else data
        self.broken = (line, not first, io.BufferedReader(_Chained(head, self._fh)))

    def _trail(self, data: bytes, line: int) -> None:
        """Whether anything but space follows the array (in ``data`` or the file)."""
        while True:
            body = data.lstrip(_SPACE.encode())
            if body:
                at = len(data) - len(body)
                text = body[:200].decode("utf-8", errors="replace")
                self.trailing = (line + data.count(b"\n", 0, at), text)
                return
            line += data.count(b"\n")
            data = self._fh.read(self._block)
            if not data:
                return


def read_json_array(
    log: ObservableLog, rejects: Callable[[RejectedRow], None]
) -> Iterator[pa.RecordBatch]:
    """The rows of a JSON array log, each element read as a JSON line is (a
    malformed one reported by its line). The array is cut into its elements a
    block at a time by :class:`ElementBlocks` and each block of them read by
    Arrow as JSON lines (by Python where Arrow cannot: an element that is no
    object, or no valid JSON); where the array's structure breaks (a bracket
    unmatched, the file cut short, text after it) the elements from that block
    on are read one by one, and the break is reported with its line as one
    malformed row; nothing after it is read."""
    forms = block_forms(log)
    with open_log(log.path) as fh:
        split = ElementBlocks(fh)
        for lines, block in split:
            fast = block_fast(block, log, 0, forms)
            if fast is not None:
                batch, _ = fast
                numbers = np.asarray(batch.column(0).to_numpy(), np.int64)
                yield batch.set_column(0, "row_no", pa.array(lines[numbers]))
                continue
            texts = block.decode("utf-8", errors="replace").split("\n")
            yield from read_json_objects(zip(lines.tolist(), texts, strict=False), log, rejects)
        if split.trailing is not None:
            line, text = split.trailing
            reason = "text after the array; the rest of the array is not read"
            rejects(RejectedRow(log.path, line, text, reason))
        if split.broken is None:
            return
        line, inside, rest = split.broken
        stream = io.TextIOWrapper(rest, encoding="utf-8", errors="replace", newline="")

        def elements() -> Iterator[tuple[int, str]]:
            try:
                yield from array_elements(stream, line, inside)
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
