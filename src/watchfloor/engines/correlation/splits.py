"""Text logs cut into byte ranges at line starts, so that one large JSON-lines,
Zeek or CSV log spreads over many tasks (a CSV range counts its records, and
tells whether it ends inside a quoted field: see :func:`span_counts`); and
text logs compressed with gzip, bzip2 or xz (rotated Zeek logs,
``eve.json.gz``) or written in UTF-16, read as they are, whole.

A range ``(start, end)`` holds the lines whose first byte lies in it: where a
cut falls inside a line, the line belongs to the range it starts in. The
ranges of a file therefore hold each of its lines once, in order. A task
numbers its rows from 1 within its range and counts the range's lines
(:func:`count_lines`), so that the caller can number them in the file
afterwards; no one reads the whole file first.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import lzma
import os
import zlib
from collections.abc import Callable
from typing import Any, BinaryIO, NamedTuple, cast

import numpy as np

from watchfloor.engines.correlation import _csv_records as csv_parser
from watchfloor.engines.correlation._json_split import split_elements

__all__ = [
    "PACKINGS",
    "byte_ranges",
    "count_lines",
    "estimate_elements",
    "estimate_lines",
    "is_gzip",
    "line_span",
    "open_lines",
    "open_log",
    "packing_of",
    "reads_whole",
    "span_counts",
]

_GZIP_MAGIC = b"\x1f\x8b\x08"  # and deflate, the only method gzip knows


class _Packing(NamedTuple):
    """A compression a text log may come in: how its files open, how to read
    them, and a decompressor for a sample of one."""

    name: str
    magic: bytes
    open: Callable[..., Any]  # (path, mode), as gzip.open
    unpacker: Callable[[], Any]


#: The compressions of rotated logs (logrotate's gzip, and its bzip2 and xz).
PACKINGS = (
    _Packing("gzip", _GZIP_MAGIC, gzip.open, lambda: zlib.decompressobj(16 + zlib.MAX_WBITS)),
    _Packing("bzip2", b"BZh", bz2.open, bz2.BZ2Decompressor),
    _Packing("xz", b"\xfd7zXZ\x00", lzma.open, lzma.LZMADecompressor),
)
_UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff")  # UTF-16's byte-order marks, little and big end

_STEP = 1 << 16  # bytes read at a time while looking for a line's end
_COUNT_STEP = 1 << 24  # bytes read at a time while counting lines


def byte_ranges(size: int, bytes_per_range: int) -> list[tuple[int, int]]:
    """``[0, size)`` cut every ``bytes_per_range`` bytes (one range at least)."""
    if bytes_per_range < 1:
        raise ValueError("bytes_per_range must be at least 1")
    cuts = list(range(0, size, bytes_per_range)) or [0]
    return [(a, min(a + bytes_per_range, size)) for a in cuts]


def _line_start(fh: BinaryIO, offset: int, size: int) -> int:
    """The first line start at or after ``offset`` (the file's size if none)."""
    if offset <= 0:
        return 0
    if offset >= size:
        return size
    fh.seek(offset - 1)
    at = offset - 1
    while True:
        chunk = fh.read(_STEP)
        if not chunk:
            return size
        cut = chunk.find(b"\n")
        if cut >= 0:
            return at + cut + 1
        at += len(chunk)


def line_span(fh: BinaryIO, byte_range: tuple[int, int]) -> tuple[int, int]:
    """The bytes ``[begin, finish)`` of the lines that start in ``byte_range``."""
    size = fh.seek(0, os.SEEK_END)
    start, end = byte_range
    begin = _line_start(fh, start, size)
    return begin, max(begin, _line_start(fh, end, size))


class _Span(io.RawIOBase):
    """Bytes ``[begin, finish)`` of an open file, read as a file of their own."""

    def __init__(self, fh: BinaryIO, begin: int, finish: int) -> None:
        self._fh = fh
        self._left = finish - begin
        fh.seek(begin)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._left <= 0:
            return 0
        view = memoryview(buffer).cast("B")[: self._left]
        n = self._fh.readinto(view)  # type: ignore[attr-defined]
        self._left -= n or 0
        return n or 0

    def close(self) -> None:
        self._fh.close()
        super().close()


def is_gzip(path: str | os.PathLike[str]) -> bool:
    """Whether the file is compressed with gzip (by its first bytes)."""
    packing = packing_of(path)
    return packing is not None and packing.name == "gzip"


def packing_of(path: str | os.PathLike[str]) -> _Packing | None:
    """How the file is compressed (gzip, bzip2, xz: by its first bytes), or None."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    return next((p for p in PACKINGS if head.startswith(p.magic)), None)


def reads_whole(path: str | os.PathLike[str]) -> bool:
    """Whether the file is read whole, through a decoder, and not in byte
    ranges: compressed (gzip, bzip2, xz), or text in UTF-16 (by its
    byte-order mark)."""
    with open(path, "rb") as fh:
        head = fh.read(2)
    return packing_of(path) is not None or head in _UTF16_MARKS


def open_log(path: str | os.PathLike[str]) -> BinaryIO:
    """A text log's bytes, open for reading: decompressed where it is
    compressed (gzip, bzip2, xz), and as UTF-8 where it is UTF-16 (as Windows
    PowerShell 5.1 writes what ``>`` or ``Out-File`` sends to a file, and
    Excel its "Unicode Text")."""
    packing = packing_of(path)
    # the caller closes it
    fh: Any = packing.open(path, "rb") if packing else open(path, "rb")  # noqa: SIM115
    if fh.peek(2)[:2] in _UTF16_MARKS:
        return io.BufferedReader(_Utf8(fh), _STEP)
    return cast(BinaryIO, fh)


class _Utf8(io.RawIOBase):
    """A UTF-16 text (its byte-order mark first) read as UTF-8, a MiB of it at
    a time; a lone surrogate, or an odd byte at the end, reads as U+FFFD."""

    def __init__(self, fh: BinaryIO) -> None:
        self._fh = fh
        self._decoder = codecs.getincrementaldecoder("utf-16")(errors="replace")
        self._pending, self._at = b"", 0  # decoded, and how much of it was given

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while self._at >= len(self._pending):
            raw = self._fh.read(1 << 20)
            self._pending = self._decoder.decode(raw, final=not raw).encode("utf-8")
            self._at = 0
            if not raw:
                break
        view = memoryview(buffer).cast("B")
        n = min(len(view), len(self._pending) - self._at)
        view[:n] = self._pending[self._at : self._at + n]
        self._at += n
        return n

    def close(self) -> None:
        self._fh.close()
        super().close()


def open_lines(path: str, byte_range: tuple[int, int] | None) -> BinaryIO:
    """The file, or the lines that start in ``byte_range``, open for reading
    (a file read through a decoder, compressed or UTF-16, is read whole: it
    has no byte ranges)."""
    if byte_range is None:
        return open_log(path)
    if reads_whole(path):
        raise ValueError(f"{path}: a compressed or UTF-16 file is read whole, not in byte ranges")
    fh = open(path, "rb")  # noqa: SIM115 (closed by the returned reader)
    try:
        begin, finish = line_span(fh, byte_range)
    except BaseException:
        fh.close()
        raise
    return io.BufferedReader(_Span(fh, begin, finish), _STEP)


def estimate_lines(path: str, sample: int = 1 << 20, comment: bytes | None = None) -> int:
    """About how many lines the file holds: exact where it is at most
    ``sample`` bytes, else its size over the mean line length of its first
    ``sample`` bytes (for a progress report, not for numbering). A gzip
    file's first ``sample`` bytes decompressed stand for the compressed bytes
    read to give them. Lines that start with ``comment`` (a Zeek log's ``#``
    header) are not counted."""
    head, read, size = _head(path, sample)
    lines = head.count(b"\n") + (1 if head and not head.endswith(b"\n") else 0)
    if comment:
        lines -= head.count(b"\n" + comment) + head.startswith(comment)
    if size <= read or lines <= 0:
        return lines
    return round(lines * size / read)


def estimate_elements(path: str, sample: int = 1 << 20) -> int:
    """About how many elements the JSON array the file holds has, as
    :func:`estimate_lines` estimates lines: those that end in its first
    ``sample`` bytes, scaled by the bytes they take (0 where none does)."""
    head, read, size = _head(path, sample)
    body = head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    if not body.startswith(b"["):
        return 0
    found = split_elements(np.frombuffer(body[1:], np.uint8), True)
    status, given, cut = int(found[2]), int(found[4]), int(found[5])
    if status > 0 or size <= read or given == 0:
        return given
    # the elements a byte of text, times the text the whole file holds
    return round(given / (cut + 1 + len(head) - len(body)) * len(head) * size / read)


def _head(path: str, sample: int) -> tuple[bytes, int, int]:
    """The file's first ``sample`` bytes of text (decompressed where it is
    compressed, as UTF-8 where it is UTF-16), the bytes of the file read for
    them, and the file's size (that of the whole where the sample is all of
    it) — or for xz, whose index says how much text the file holds, the
    sample's bytes of text and that."""
    size = os.path.getsize(path)
    packing = packing_of(path)
    with open(path, "rb") as raw:
        if packing is not None:
            head, read, whole = _unpacked_head(raw, sample, packing.unpacker())
            if whole:
                size = read
            elif packing.name == "xz" and (text := _xz_text_size(raw, size)) is not None:
                read, size = len(head), text  # xz compresses the start far worse than the rest
        else:
            head = raw.read(sample)
            read = len(head)
    if head[:2] in _UTF16_MARKS:  # counted in its text, scaled by its bytes
        head = head[: len(head) // 2 * 2].decode("utf-16", errors="replace").encode("utf-8")
    return head, read, size


def _xz_text_size(raw: BinaryIO, size: int) -> int | None:
    """The bytes of text an xz file (of ``size`` bytes) holds, by the index
    at the end of each of its streams; None where that cannot be read."""
    total, end = 0, size
    try:
        while end > 0:
            raw.seek(end - 4)
            if raw.read(4) == b"\0\0\0\0":  # stream padding
                end -= 4
                continue
            raw.seek(end - 12)
            footer = raw.read(12)
            if footer[10:] != b"YZ":
                return None
            index_size = (int.from_bytes(footer[4:8], "little") + 1) * 4
            raw.seek(end - 12 - index_size)
            index = raw.read(index_size)
            if index[:1] != b"\0":
                return None
            numbers: list[int] = []
            at = 1
            while len(numbers) < 1 + 2 * (numbers[0] if numbers else 0):
                value, shift = 0, 0
                while True:
                    byte = index[at]
                    at += 1
                    value |= (byte & 0x7F) << shift
                    shift += 7
                    if byte < 0x80:
                        break
                numbers.append(value)
            padded = sum((n + 3) // 4 * 4 for n in numbers[1::2])  # the blocks
            total += sum(numbers[2::2])  # their text
            end -= 12 + index_size + padded + 12  # footer, index, blocks, header
        return total if end == 0 else None
    except (IndexError, OSError):
        return None


def _unpacked_head(raw: BinaryIO, sample: int, unzip: Any) -> tuple[bytes, int, bool]:
    """At least ``sample`` bytes of a compressed file decompressed by
    ``unzip`` (or all of its first member, or stream), the compressed bytes
    read for them (to 4 KiB), and whether that was the whole file."""
    parts: list[bytes] = []
    got = read = 0
    while got < sample and not unzip.eof:
        chunk = raw.read(1 << 12)
        if not chunk:
            break
        read += len(chunk)
        parts.append(unzip.decompress(chunk))
        got += len(parts[-1])
    whole = unzip.eof and not unzip.unused_data and not raw.read(1)
    return b"".join(parts), read, whole


def count_lines(path: str, byte_range: tuple[int, int]) -> int:
    """The lines that start in ``byte_range``: their line ends, and a last line
    without one at the end of the file."""
    return span_counts(path, byte_range)[0]


def span_counts(
    path: str, byte_range: tuple[int, int], quote: bytes | None = None, delimiter: bytes = b","
) -> tuple[int, int]:
    """The lines that start in ``byte_range`` (as :func:`count_lines`); with a
    ``quote`` (a CSV log's), its records instead, read from a range that
    starts outside any quoted field as Arrow's CSV parser reads them (see
    :mod:`._csv_records`), and whether the range ends inside a quoted field
    (1; 0 if not, -1 for a range in which no line starts) — then the next
    range starts inside one."""
    with open(path, "rb") as fh:
        begin, finish = line_span(fh, byte_range)
        fh.seek(begin)
        left, lines, last = finish - begin, 0, b""
        state = csv_parser.FIELD_START  # a range starts outside any quoted field
        while left > 0:
            chunk = fh.read(min(left, _COUNT_STEP))
            if not chunk:
                break
            left -= len(chunk)
            last = chunk[-1:]
            if quote is None:
                lines += chunk.count(b"\n")
            else:
                found, state = _csv_chunk(chunk, quote[0], delimiter[0], state)
                lines += found
    lines += 1 if finish > begin and last != b"\n" else 0
    if quote is None or finish <= begin:
        return lines, -1 if quote is not None else 0
    return lines, int(state == csv_parser.QUOTED)


def _csv_chunk(chunk: bytes, quote: int, delimiter: int, state: int) -> tuple[int, int]:
    """The records that end in ``chunk``, read from ``state``, and the state
    after it: without a quote in it, the line ends tell (none inside a quoted
    field, all elsewhere); else the compiled parser reads it."""
    if chunk.find(bytes([quote])) < 0:
        if state == csv_parser.QUOTED:
            return 0, state
        end = chunk[-1]
        after = csv_parser.FIELD_START if end in (10, delimiter) else csv_parser.UNQUOTED
        return chunk.count(b"\n"), after
    found, after = csv_parser.csv_records(np.frombuffer(chunk, np.uint8), delimiter, quote, state)
    return int(found), int(after)
