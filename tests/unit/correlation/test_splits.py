"""Text logs cut into byte ranges: every line read once, in order, whatever the cuts."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchfloor.engines.correlation.splits import (
    byte_ranges,
    count_lines,
    estimate_lines,
    open_lines,
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
