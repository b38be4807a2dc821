"""JSON logs written as one array of objects: read a MiB at a time, each
element numbered by the line it starts on, a broken array reported where it
breaks."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.correlation.helpers import write_log

from watchfloor.adapters.observables import detect_log, read_observables
from watchfloor.adapters.observables import json_array as json_array_module
from watchfloor.adapters.observables.json_array import ArrayBroken, array_elements
from watchfloor.adapters.observables.jsonl import read_json_objects
from watchfloor.engines.correlation import ObservableLog, RejectedRow

EVENTS = [
    {"@timestamp": "2025-03-01T10:00:00Z", "destination": {"ip": "192.0.2.1"}, "n": 1},
    {"@timestamp": "2025-03-01T10:00:01Z", "destination": {"ip": "evil.example"}},
    "a note, not an event",
    {"@timestamp": "2025-03-01T10:00:02Z", "event": {"kind": "alert"}},
    {"@timestamp": "2025-03-01T10:00:03Z", "destination": {"ip": ["192.0.2.9", "a.example"]}},
]


def _read(log: ObservableLog) -> tuple[list[dict[str, object]], list[RejectedRow]]:
    rejects: list[RejectedRow] = []
    rows = [r for b in read_observables(log, rejects.append) for r in b.to_pylist()]
    return rows, rejects


def test_a_pretty_printed_array_reads_as_its_json_lines_do(tmp_path: Path) -> None:
    array = tmp_path / "export.json"
    array.write_text(json.dumps(EVENTS, indent=2))
    lines = tmp_path / "export.jsonl"
    lines.write_text("".join(json.dumps(e) + "\n" for e in EVENTS))
    log = detect_log(array, value_column="destination.ip")
    assert log.format == "json" and log.ts_column == "@timestamp"
    rows, rejects = _read(log)
    same, same_rejects = _read(detect_log(lines, value_column="destination.ip"))
    # the same rows, numbered by the line each element starts on
    opened = ("  {", '  "')  # an element of the array, indented two spaces
    starts = [n for n, t in enumerate(array.read_text().splitlines(), 1) if t[:3] in opened]
    assert [r["row_no"] for r in rows] == [starts[i] for i in (0, 1, 3, 4)]
    assert [{**r, "row_no": 0} for r in rows] == [{**r, "row_no": 0} for r in same]
    assert [(r.row, r.reason) for r in rejects] == [(starts[2], "not a JSON object")]
    assert [r.reason for r in same_rejects] == ["not a JSON object"]


def test_the_columns_are_the_names_in_the_first_elements(tmp_path: Path) -> None:
    path = tmp_path / "alerts.json"
    path.write_text(json.dumps(EVENTS))  # on one line
    log = detect_log(path, value_column="destination.ip")
    assert log.format == "json"
    with pytest.raises(Exception, match=r"event\.kind"):  # the names offered include it
        detect_log(path, value_column="nowhere")


def test_a_json_file_of_lines_stays_json_lines(tmp_path: Path) -> None:
    path = write_log(tmp_path / "eve.jsonl", [("2025-03-01T10:00:00Z", "192.0.2.1", None)])
    renamed = path.rename(tmp_path / "eve.json")
    assert detect_log(renamed).format == "jsonl"


def test_an_array_compressed_with_gzip_reads_as_the_plain_one(tmp_path: Path) -> None:
    plain = tmp_path / "export.json"
    plain.write_text(json.dumps(EVENTS, indent=1))
    packed = tmp_path / "export.json.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    log = detect_log(packed, value_column="destination.ip")
    assert log.format == "json"
    assert _read(log)[0] == _read(detect_log(plain, value_column="destination.ip"))[0]


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ('[\n{"a": 1},\n{"a": 2,\n', 4, "not valid JSON: Expecting property name"),
        ('[{"a": 1},\n  \n', 3, "the array ends before its last element"),
        ('[{"a": 1}]\n]', 2, "text after the array"),
        ('[{"a": 1},\n]', 2, "not valid JSON: Expecting value"),
        ('[{"a": 1},\n{"a": 2},,\n{"a": 3}]', 2, "not valid JSON: Expecting value"),
        ('[{"a": 1},\n{"a": 2}}, {"a": 3}]', 2, "not valid JSON: expecting ',' or ']'"),
        ('{"a": 1}', 1, "not a JSON array"),
    ],
)
def test_a_broken_array_is_read_up_to_where_it_breaks_and_reported_there(
    tmp_path: Path, text: str, line: int, reason: str
) -> None:
    path = tmp_path / "export.json"
    path.write_text(text)
    log = ObservableLog(str(path), "json", "a", "a", None)
    rows, rejects = _read(log)
    assert bool(rows) == (reason != "not a JSON array")  # what came before is read
    [reject] = rejects
    assert reject.row == line and reason in reject.reason
    assert reject.reason.endswith("; the rest of the array is not read")


def test_a_malformed_element_is_reported_and_the_next_ones_read(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text('[\n{"a": "1"},\n{"a": "2"}\n{"a": "3"},\n{"a" "4"},\n{"a": "5"}]\n')
    rows, rejects = _read(ObservableLog(str(path), "json", "a", "a", None))
    assert [(r["row_no"], r["value"]) for r in rows] == [(2, "1"), (6, "5")]
    # a missing comma joins two elements (lines 3 and 4) into one that is no valid JSON
    assert [(r.row, r.reason) for r in rejects] == [
        (3, "not valid JSON: Extra data"),
        (5, "not valid JSON: Expecting ':' delimiter"),
    ]


def test_line_ends_between_two_numbers_or_words_still_part_them(tmp_path: Path) -> None:
    # the block reader drops an element's line ends and its whitespace outside
    # strings, but not where it parts two numbers or words: "1\n2" is no 12
    path = tmp_path / "export.json"
    path.write_text(
        '[\n  {"a": "1", "n": 1\n2},\n  {"a": "2", "n": true\nfalse},\n'
        '  {"a": "3", "n": [1,\n2]},\n  {"a":\r\n"4"}\n]\n'
    )
    rows, rejects = _read(ObservableLog(str(path), "json", "a", "a", None))
    assert [(r["row_no"], r["value"]) for r in rows] == [(6, "3"), (8, "4")]
    assert [r.row for r in rejects] == [2, 4]
    assert all(r.reason.startswith("not valid JSON") for r in rejects)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=120, deadline=None)
@given(
    st.lists(_json, max_size=8),
    st.sampled_from([None, 0, 1, 4]),
    st.sampled_from(["\n", "\r\n"]),
    st.integers(1, 9),
)
def test_elements_cut_across_reads_come_out_whole_and_on_their_lines(
    elements: list[object], indent: int | None, newline: str, chunk: int
) -> None:
    text = json.dumps(elements, indent=indent).replace("\n", newline)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(json_array_module, "_CHUNK", chunk)  # a few characters a read
        got = list(array_elements(io.StringIO(text, newline="")))
    assert [json.loads(t) for _, t in got] == elements
    physical = text.split("\n")
    for number, element in got:
        first = element.split("\n")[0].rstrip("\r")
        assert first in physical[number - 1]


def test_a_file_that_is_no_array_is_refused_by_the_element_reader() -> None:
    with pytest.raises(ArrayBroken, match="not a JSON array"):
        list(array_elements(io.StringIO('{"a": 1}')))
    assert list(array_elements(io.StringIO("\ufeff [ ]\n"))) == []


_tricky = st.text(alphabet=st.sampled_from(list('ab"\\,[]{}: \n\té€')), max_size=12)
_event = st.one_of(
    st.fixed_dictionaries(
        {"ts": st.sampled_from(["2025-03-01T10:00:00Z", "soon"]), "v": _tricky | st.none()},
        optional={"x": st.lists(_tricky, max_size=2), "v2": st.dictionaries(_tricky, _tricky)},
    ),
    _json,  # now and then, no object at all
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_event, max_size=12), st.sampled_from([None, 0, 2, "\t"]), st.integers(3, 64))
def test_the_block_reader_gives_the_element_readers_rows_and_reports(
    tmp_path_factory: pytest.TempPathFactory,
    events: list[object],
    indent: int | str | None,
    block: int,
) -> None:
    path = tmp_path_factory.mktemp("arrays") / "export.json"
    path.write_text(json.dumps(events, indent=indent, ensure_ascii=False), encoding="utf-8")
    log = ObservableLog(str(path), "json", "ts", "v", None)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(json_array_module, "_SPLIT_BLOCK", block)  # elements cut across blocks
        rows, rejects = _read(log)
    expected: list[RejectedRow] = []
    with path.open(encoding="utf-8", newline="") as fh:
        elements = array_elements(fh)
        slow = read_json_objects(elements, log, expected.append)
        want = [r for b in slow for r in b.to_pylist()]
    # a batch holding a list anywhere holds every value as a list (one value:
    # a list of one), and the two readers cut their batches apart
    assert [_as_lists(r) for r in rows] == [_as_lists(r) for r in want]

    # an element's text as reported (its first 200 characters): on one line
    # from the blocks, as written from the other
    assert [(r.row, r.reason) for r in rejects] == [(r.row, r.reason) for r in expected]
    for r, e in zip(rejects, expected, strict=True):
        ours, theirs = ("".join((x.value or "").split()) for x in (r, e))
        assert ours.startswith(theirs) or theirs.startswith(ours)


def _as_lists(row: dict[str, object]) -> dict[str, object]:
    """A row with its value as a list (of one, where it was a single text)."""
    value = row["value"]
    return {**row, "value": [value] if isinstance(value, str) else value}
