"""Text logs cut into byte ranges: every line read once, in order, whatever the cuts."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
from pathlib import Path

import numpy as np
import pyarrow.csv as pacsv
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from watchfloor.engines.correlation._csv_records import FIELD_START, QUOTED, csv_records
from watchfloor.engines.correlation.splits import (
    PACKINGS,
    byte_ranges,
    count_lines,
    estimate_elements,
    estimate_lines,
    is_gzip,
    line_span,
    open_lines,
    packing_of,
    reads_whole,
    span_counts,
)


def _lines(data: bytes) -> int:
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")), max_size=30),
    final_newline=st.booleans(),
    blank=st.booleans(),
    step=st.integers(1, 120),
)
def test_the_ranges_hold_every_line_once_in_order(
    tmp_path_factory: pytest.TempPathFactory,
    lines: list[bytes],
    final_newline: bool,
    blank: bool,
    step: int,
) -> None:
    data = b"\n".join([*lines, b""] if blank else lines) + (b"\n" if final_newline else b"")
    path = tmp_path_factory.mktemp("split") / "log.jsonl"
    path.write_bytes(data)
    # a compressor's magic, or UTF-16's byte-order mark: such a file is read whole
    assume(not reads_whole(path))
    pieces, counted = [], 0
    for byte_range in byte_ranges(len(data), step):
        with open_lines(str(path), byte_range) as fh:
            piece = fh.read()
        pieces.append(piece)
        counted += count_lines(str(path), byte_range)
        assert count_lines(str(path), byte_range) == _lines(piece)
    assert b"".join(pieces) == data
    assert counted == _lines(data)


def test_a_whole_file_opens_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_bytes(b'{"a": 1}\n{"a": 2}')
    with open_lines(str(path), None) as fh:
        assert fh.read() == b'{"a": 1}\n{"a": 2}'
    assert count_lines(str(path), (0, 18)) == 2
    with pytest.raises(ValueError, match="at least 1"):
        byte_ranges(10, 0)


def test_the_lines_of_a_log_are_counted_when_small_and_estimated_when_large(
    tmp_path: Path,
) -> None:
    small = tmp_path / "small.jsonl"
    small.write_bytes(b'{"a": 1}\n\n{"a": 22}')
    assert estimate_lines(str(small)) == 3
    large = tmp_path / "large.jsonl"
    large.write_bytes(b"".join(b'{"a": "%d"}\n' % (i * 7919 % 10**6) for i in range(200_000)))
    estimate = estimate_lines(str(large), sample=1 << 16)
    assert abs(estimate - 200_000) < 0.05 * 200_000


@pytest.mark.parametrize("packing", ["gzip", "bzip2", "xz"])
def test_a_compressed_log_opens_decompressed_whole_and_its_lines_are_estimated(
    tmp_path: Path, packing: str
) -> None:
    pack = {"gzip": gzip.compress, "bzip2": bz2.compress, "xz": lzma.compress}[packing]
    small = tmp_path / "small.jsonl.gz"
    small.write_bytes(pack(b'{"a": 1}\n\n{"a": 22}'))
    plain = tmp_path / "plain.jsonl.gz"  # named so, but not compressed
    plain.write_bytes(b'{"a": 1}\n')
    assert (packing_of(small) or PACKINGS[0]).name == packing and packing_of(plain) is None
    assert is_gzip(small) == (packing == "gzip") and reads_whole(small)
    with open_lines(str(small), None) as fh:
        assert fh.read() == b'{"a": 1}\n\n{"a": 22}'
    assert estimate_lines(str(small)) == 3  # all of it within the sample: counted
    with pytest.raises(ValueError, match="read whole"):
        open_lines(str(small), (0, 5))
    large = tmp_path / "large.jsonl.gz"  # compressed 3 to 1: read 1 to 1, it would be a third
    rows = b"".join(b'{"a": "%d"}\n' % (i * 7919 % 10**6) for i in range(200_000))
    large.write_bytes(pack(rows))
    estimate = estimate_lines(str(large), sample=1 << 16)
    # the first bytes compress a little less well than the rest (gzip learns as it goes;
    # bzip2 reads a block of up to 900 KiB before it gives any text; xz, which learns
    # far more, says in its index how much text it holds)
    assert abs(estimate - 200_000) < 0.1 * 200_000
    if packing == "xz":  # two streams, as xz writes files joined (padding between)
        large.write_bytes(lzma.compress(rows) + bytes(4) + lzma.compress(rows[:12_000]))
        assert abs(estimate_lines(str(large), sample=1 << 16) - 201_000) < 2_000


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "gzip"])
def test_a_utf16_log_opens_as_utf8_whole_and_its_lines_are_estimated(
    tmp_path: Path, codec: str
) -> None:
    # text outside the Basic Multilingual Plane (a surrogate pair in UTF-16),
    # cut anywhere by the decoder's reads of a MiB
    text = "".join(f'{{"a": "caf\u00e9 \U0001f600 {i}"}}\r\n' for i in range(100_000))
    data = text.encode("utf-16")  # its byte-order mark first, little end
    if codec == "utf-16-be":
        data = b"\xfe\xff" + text.encode("utf-16-be")
    path = tmp_path / "events.json"
    path.write_bytes(gzip.compress(data) if codec == "gzip" else data)
    assert reads_whole(str(path))
    with open_lines(str(path), None) as fh:
        assert fh.read() == text.encode("utf-8")  # no byte-order mark left
    with pytest.raises(ValueError, match="read whole"):
        open_lines(str(path), (0, 5))
    assert abs(estimate_lines(str(path), sample=1 << 16) - 100_000) < 0.1 * 100_000
    odd = tmp_path / "odd.csv"  # a lone surrogate and an odd byte at the end
    odd.write_bytes("a\n".encode("utf-16") + b"\x00\xd8b\x00" + b"\n")
    with open_lines(str(odd), None) as fh:
        assert fh.read() == "a\n\ufffdb\ufffd".encode()
    plain = tmp_path / "plain.csv"
    plain.write_bytes(b"a,b\n")
    assert not reads_whole(str(plain))


@pytest.mark.parametrize("packing", ["plain", "gzip", "utf-16"])
def test_a_json_arrays_elements_are_estimated_from_its_first_bytes(
    tmp_path: Path, packing: str
) -> None:
    # pretty-printed, as consoles export, elements of varying length
    events = [{"ts": i, "v": "x" * (i % 17), "tags": ["a", "b"][: i % 3]} for i in range(50_000)]
    text = json.dumps(events, indent=2)
    data = text.encode("utf-16") if packing == "utf-16" else text.encode()
    path = tmp_path / "export.json"
    path.write_bytes(gzip.compress(data) if packing == "gzip" else data)
    assert abs(estimate_elements(str(path), sample=1 << 16) - 50_000) < 0.1 * 50_000
    assert estimate_elements(str(path), sample=1 << 30) == 50_000  # all of it: counted
    small = tmp_path / "small.json"
    small.write_text('\ufeff [{"a": 1}, {"a": "],"}, 3]')
    assert estimate_elements(str(small)) == 3
    lines = tmp_path / "lines.json"
    lines.write_text('{"a": 1}\n')
    assert estimate_elements(str(lines)) == 0


def test_a_zeek_logs_header_lines_are_not_counted_as_rows(tmp_path: Path) -> None:
    log = tmp_path / "conn.log"
    log.write_bytes(b"#separator \\x09\n#fields\tts\n1.0\n2.0\n#close\tx\n")
    assert estimate_lines(str(log)) == 5
    assert estimate_lines(str(log), comment=b"#") == 2


def _arrow_records(data: bytes, delimiter: bytes) -> int:
    """The records Arrow's CSV parser reads in ``data`` (the reference): the
    rows it gives and those it skips for their number of fields."""
    skipped: list[int] = []
    table = pacsv.read_csv(
        io.BytesIO(data),
        read_options=pacsv.ReadOptions(autogenerate_column_names=True, use_threads=False),
        parse_options=pacsv.ParseOptions(
            delimiter=delimiter.decode(),
            newlines_in_values=True,
            ignore_empty_lines=False,
            invalid_row_handler=lambda row: skipped.append(1) or "skip",
        ),
    )
    return table.num_rows + len(skipped)


def _state_at(data: bytes, delimiter: bytes) -> int:
    return int(csv_records(np.frombuffer(data, np.uint8), delimiter[0], ord('"'), FIELD_START)[1])


@settings(max_examples=300, deadline=None)
@given(
    fields=st.lists(
        st.sampled_from(
            [b"a", b'"b\nc"', b'"d""e"', b"\n", b",", b";", b'""', b'x"y', b'"p"q"r', b'"s\n\n"']
        ),
        max_size=40,
    ),
    delimiter=st.sampled_from([b",", b";"]),
    step=st.integers(1, 40),
)
def test_csv_ranges_count_records_as_arrow_reads_them_and_tell_a_cut_inside_quotes(
    tmp_path_factory: pytest.TempPathFactory, fields: list[bytes], delimiter: bytes, step: int
) -> None:
    # quotes as Arrow reads them: one opens a field only at its start, and a
    # bare one (x"y, or after a closing quote) is just a character
    data = b"header\n" + b"".join(fields)
    assume(_state_at(data, delimiter) != QUOTED)  # a quoted field left open at the end
    path = tmp_path_factory.mktemp("csv") / "log.csv"
    path.write_bytes(data)
    assert span_counts(str(path), (0, len(data)), b'"', delimiter)[0] == _arrow_records(
        data, delimiter
    )
    ranges = byte_ranges(len(data), step)
    counts = [span_counts(str(path), r, b'"', delimiter) for r in ranges]
    with path.open("rb") as fh:
        starts = [line_span(fh, r) for r in ranges]
    # the chain of the ranges' ends, as the Dask engine reads it, up to the
    # first range that starts inside a quoted field (the log is then read whole)
    inside = False
    for (begin, finish), (_, ends_inside) in zip(starts, counts, strict=True):
        if finish > begin:
            assert inside == (_state_at(data[:begin], delimiter) == QUOTED)
        if inside:
            break
        if ends_inside >= 0:
            inside = bool(ends_inside)
    if not any(_state_at(data[:b], delimiter) == QUOTED for b, f in starts if f > b):
        assert sum(n for n, _ in counts) == _arrow_records(data, delimiter)
