"""Observable logs: formats, column detection, malformed rows reported by line."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.correlation.helpers import write_log

from watchfloor.adapters.observables import ObservableLogError, detect_log, read_observables
from watchfloor.adapters.observables import reader as observables_reader
from watchfloor.engines.correlation import ObservableLog, RejectedRow

ROWS = [
    ("2025-03-01T10:00:00Z", "192.0.2.1", "ipv4-addr"),
    ("2025-03-01T10:00:01Z", "evil.example", None),
    ("2025-03-01T10:00:02Z", "http://evil.example/x", "url"),
]


def _rows(
    log: ObservableLog, rejects: Callable[[RejectedRow], None] = lambda r: None
) -> list[dict[str, object]]:
    """Every row a reader gives for ``log``, as a dict."""
    return [r for b in read_observables(log, rejects) for r in b.to_pylist()]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_each_format_reads_as_row_numbered_batches(tmp_path: Path, suffix: str) -> None:
    log = detect_log(write_log(tmp_path / f"log{suffix}", ROWS))
    assert (log.ts_column, log.value_column, log.type_column) == ("timestamp", "value", "type")
    rejects: list[RejectedRow] = []
    rows = _rows(log, rejects.append)
    assert [r["value"] for r in rows] == [v for _, v, _ in ROWS]
    first_row = {".csv": 2, ".jsonl": 1, ".parquet": 0}[suffix]
    assert [r["row_no"] for r in rows] == [first_row, first_row + 1, first_row + 2]
    assert rejects == []


def test_log_without_type_column_leaves_the_kind_to_the_value(tmp_path: Path) -> None:
    log = detect_log(write_log(tmp_path / "log.csv", ROWS, with_type=False))
    assert log.type_column is None
    batch = next(read_observables(log, lambda r: None))
    assert batch.column("type").null_count == batch.num_rows


def test_csv_rows_with_the_wrong_field_count_are_skipped_and_reported_by_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "log.csv"
    path.write_text(
        "timestamp,value,type\n"
        "2025-03-01T10:00:00Z,192.0.2.1,ipv4\n"
        "2025-03-01T10:00:00Z,oops\n"
        "2025-03-01T10:00:02Z,evil.example,domain\n"
    )
    rejects: list[RejectedRow] = []
    rows = _rows(detect_log(path), rejects.append)
    assert [r["row_no"] for r in rows] == [2, 4]
    assert [(r.row, r.reason) for r in rejects] == [(3, "expected 3 fields, found 2")]


def test_json_lines_that_are_not_objects_are_reported_by_line(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_text(
        '{"timestamp": "2025-03-01T10:00:00Z", "value": "192.0.2.1"}\n'
        "{not json\n"
        "\n"
        "[1, 2]\n"
        '{"timestamp": 1740823200, "value": "evil.example"}\n'
    )
    rejects: list[RejectedRow] = []
    rows = _rows(detect_log(path), rejects.append)
    assert [(r["row_no"], r["ts"]) for r in rows] == [
        (1, "2025-03-01T10:00:00Z"),
        (5, "2025-03-01 10:00:00.000000Z"),
    ]
    assert [(r.row, r.reason.split(":")[0]) for r in rejects] == [
        (2, "not valid JSON"),
        (4, "not a JSON object"),
    ]


def test_unknown_suffix_and_missing_columns_are_refused(tmp_path: Path) -> None:
    odd = tmp_path / "log.txt"
    odd.write_text("x")
    with pytest.raises(ObservableLogError, match="cannot tell the format"):
        detect_log(odd)
    bare = tmp_path / "log.csv"
    bare.write_text("when,what\n")
    with pytest.raises(ObservableLogError, match="no timestamp column"):
        detect_log(bare)
    assert detect_log(bare, ts_column="when", value_column="what").value_column == "what"


# JSON lines: blocks of plain lines go through Arrow's reader, the rest line by
# line; whatever the mix, the rows and the reports must be the line reader's.
_LINES = [
    b'{"timestamp": "2025-03-01T10:00:00Z", "value": "192.0.2.1", "type": "ipv4"}',
    b'{"timestamp":"2025-03-01T10:00:01Z","value":"evil.example","extra":[1,{"a":2}]}',
    b'{"value": "x\\u00e9\\"y", "timestamp": null, "type": null}',
    b'{"timestamp": 1740823200, "value": "evil.example"}',
    b'{"timestamp": "t", "value": 42, "type": true}',
    b'{"timestamp": "t", "value": {"nested": 1}}',
    b'{"timestamp": "t", "value": "a", "value": "b"}',
    b'{"timestamp": "t", "value": "\xff\xfe"}',
    b'{"timestamp": "t", "value": "a"}{"timestamp": "u", "value": "b"}',
    b'{"timestamp": "t",',
    b'"value": "split"}',
    b"{not json",
    b"[1, 2]",
    b"",
    b"   ",
    b'  {"timestamp": "t", "value": "indented"}',
    b'{"timestamp": "t", "value": "cr"}\r',
    b'{"timestamp": "t"}\r{"timestamp": "u"}',
    b"\xef\xbb\xbf{}",
    b'{"timestamp": "t", "value": "a",}',
    b'{"timestamp": "t", "value": "a", "n": Infinity, "m": NaN}',
    b'{"timestamp": "t", "value": "a", "n": 1e999}',
    b'{"timestamp": "t", "value": "a"}   ',
    b'{"timestamp": "t", "value": "a"} // comment',
    b'{"timestamp": 1591367999.305988, "value": "zeek.example", "type": "domain"}',
    b'{"timestamp": -1.5, "value": "before.example"}',
    b'{"timestamp": 253402300799.9999996, "value": "last.example"}',
    b'{"timestamp": 1e20, "value": "far.example"}',
    b'{"timestamp": 1e999, "value": "infinite.example"}',
    b'{"timestamp": 99999999999999999999999999, "value": "huge.example"}',
    b'{"timestamp": true, "value": "bool.example"}',
    b'{"timestamp": "t", "value": ["192.0.2.1", null, "evil.example"]}',
    b'{"timestamp": "1740823200123", "value": "ms.example"}',
    b'{"timestamp": " -1.5\t", "value": "blanks.example"}',
    b'{"timestamp": "1.", "value": "dot.example"}',
    b'{"timestamp": "1e3", "value": "exponent.example"}',
    b'{"timestamp": 1740823200, "value": []}',
    b'{"timestamp": "t", "value": [1, "a", true, {"b": 2}]}',
    b'{"timestamp": "t", "value": [["nested"]], "type": "domain"}',
]


def _line_reader_rows(
    path: Path, unit: str | None = None
) -> tuple[list[dict[str, object]], list[RejectedRow]]:
    from watchfloor.adapters.observables.jsonl import read_json_objects

    log = detect_log(path, ts_unit=unit)
    rejects: list[RejectedRow] = []
    with path.open(encoding="utf-8", errors="replace") as fh:
        batches = list(read_json_objects(enumerate(fh, start=1), log, rejects.append))
    return [r for b in batches for r in b.to_pylist()], rejects


@settings(max_examples=150, deadline=None)
@given(
    picks=st.lists(st.sampled_from(range(len(_LINES))), min_size=1, max_size=40),
    plain_run=st.integers(1, 30),  # the first line names the columns
    block=st.sampled_from([64, 256, 1 << 24]),
    final_newline=st.booleans(),
    unit=st.sampled_from([None, "ms"]),  # times as they come, or all numbers of milliseconds
)
def test_json_lines_read_fast_or_line_by_line_give_the_same_rows(
    tmp_path_factory: pytest.TempPathFactory,
    picks: list[int],
    plain_run: int,
    block: int,
    final_newline: bool,
    unit: str | None,
) -> None:
    from watchfloor.adapters.observables import jsonl as reader

    lines = [_LINES[0]] * plain_run + [_LINES[i] for i in picks] + [_LINES[1]] * plain_run
    path = tmp_path_factory.mktemp("jsonl") / "log.jsonl"
    path.write_bytes(b"\n".join(lines) + (b"\n" if final_newline else b""))
    expected_rows, expected_rejects = _line_reader_rows(path, unit)
    rejects: list[RejectedRow] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reader, "_JSON_BLOCK", block)
        batches = list(read_observables(detect_log(path, ts_unit=unit), rejects.append))
    rows = [r for b in batches for r in b.to_pylist()]
    assert [_instant(r) for r in rows] == [_instant(r) for r in expected_rows]
    assert rejects == expected_rejects


def _instant(row: dict[str, object]) -> dict[str, object]:
    """A row with its time as microseconds where it reads as ISO 8601 (a
    block of lines whose times are all numbers gives timestamps, the line
    reader the text of the same instants), and a single value as a list of
    one (a block of lines with arrays gives lists, the line reader lists
    wherever any line of its batch has one)."""
    if isinstance(row["value"], str):
        row = row | {"value": [row["value"]]}
    ts = row["ts"]
    if isinstance(ts, str):
        try:
            ts = datetime.fromisoformat(ts)
        except ValueError:
            return row
    if isinstance(ts, datetime):
        ts = (ts - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    return row | {"ts": ts}


def _slow_blocks(monkeypatch: pytest.MonkeyPatch, block: int) -> list[int]:
    """JSON lines read in blocks of ``block`` bytes; one entry in the list
    returned for each block that goes line by line instead of through Arrow."""
    from watchfloor.adapters.observables import jsonl

    monkeypatch.setattr(jsonl, "_JSON_BLOCK", block)
    calls: list[int] = []
    slow = jsonl.read_json_objects

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return slow(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(jsonl, "read_json_objects", counting)
    return calls


def test_plain_json_lines_take_the_fast_path_in_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "log.jsonl"
    good = '{"timestamp": "2025-03-01T10:00:00Z", "value": "192.0.2.%d", "type": "ipv4"}\n'
    path.write_text("".join(good % i for i in range(100)) + "{bad\n" + good % 100)
    calls = _slow_blocks(monkeypatch, 1000)
    rejects: list[RejectedRow] = []
    rows = _rows(detect_log(path), rejects.append)
    assert [r["row_no"] for r in rows] == [*range(1, 101), 102]
    assert [r["value"] for r in rows][-2:] == ["192.0.2.99", "192.0.2.100"]
    assert [(r.row, r.reason.split(":")[0]) for r in rejects] == [(101, "not valid JSON")]
    assert len(calls) == 1  # only the block holding the bad line went line by line


def test_empty_lines_keep_json_lines_on_the_fast_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "log.jsonl"
    good = '{"timestamp": "2025-03-01T10:00:00Z", "value": "192.0.2.%d"}'
    path.write_text("\n" + "\n\n".join(good % i for i in range(100)) + "\r\n\r\n")
    calls = _slow_blocks(monkeypatch, 700)
    rows = _rows(detect_log(path))
    assert calls == []
    assert [r["row_no"] for r in rows] == list(range(2, 202, 2))
    assert rows[-1]["value"] == "192.0.2.99"


def test_arrays_of_values_take_the_fast_path_nested_or_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ECS keeps every address of an event in related.ip; Zeek's JSON writes sets as arrays
    path = tmp_path / "ecs.jsonl"
    line = '{"@timestamp": 1740823200, "related": {"ip": ["192.0.2.%d", "10.0.0.%d"]}}\n'
    path.write_text(
        "".join(line % (i, i) for i in range(50)) + '{"@timestamp": 1, "related": {"ip": []}}\n'
    )
    calls = _slow_blocks(monkeypatch, 600)
    log = detect_log(path, value_column="related.ip")
    rows = _rows(log)
    assert calls == []
    assert [r["row_no"] for r in rows] == list(range(1, 52))
    assert rows[7]["value"] == ["192.0.2.7", "10.0.0.7"]
    assert rows[-1]["value"] == []
    assert rows[0]["ts"] == datetime(2025, 3, 1, 10, tzinfo=UTC)


def test_a_field_of_each_object_of_an_array_reads_as_a_list_on_the_fast_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Suricata 7's eve.json: a DNS event's names in dns.queries[].rrname,
    # its answers in dns.answers[].rdata; other events have no dns at all
    path = tmp_path / "eve.json"
    dns = (
        '{"timestamp": "2025-03-01T10:00:%02d.000000+0000", "event_type": "dns", "dns": '
        '{"version": 3, "queries": [{"rrname": "q%d.example", "rrtype": "A"}], '
        '"answers": [{"rrname": "q%d.example", "rdata": "192.0.2.%d"}, {"rrtype": "CNAME"}]}}\n'
    )
    alert = '{"timestamp": "2025-03-01T10:01:00.000000+0000", "event_type": "alert"}\n'
    path.write_text("".join(dns % (i, i, i, i) for i in range(40)) + alert)
    calls = _slow_blocks(monkeypatch, 900)
    answers = detect_log(path, value_column="dns.answers.rdata")
    rows = _rows(answers)
    assert calls == []
    assert [r["value"] for r in rows][:2] == [["192.0.2.0", None], ["192.0.2.1", None]]
    assert rows[-1]["value"] is None  # no dns: no value (reported empty by the correlator)
    queries = detect_log(path, value_column="dns.queries.rrname")
    values = [r["value"] for r in _rows(queries)]
    assert values[39] == ["q39.example"] and len(values) == 41
    assert calls == []


def _fromtimestamp_us(seconds: float) -> int | None:
    """What the line reader made of a number before: ``datetime.fromtimestamp``."""
    try:
        stamp = datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return (stamp - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


_EDGES = [
    0.0, -0.0, 1.5, -1.5, -0.0000005, 0.0000005, 0.0000015, 1591367999.305988,
    1591367999.3059885, 1740823200.0, -62135596800.0, -62135596800.4, -62135596800.6,
    -62135596801.0, 253402300799.0, 253402300799.9999995, 253402300799.9999996,
    253402300800.0, 1e12, -1e12, 1e20, float("inf"), float("-inf"), float("nan"),
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(_EDGES),
            st.floats(-7e10, 3e11),
            st.integers(-62135596801, 253402300800).map(float),
            st.floats(-1e6, 1e6).map(lambda x: round(x, 6)),
        ),
        min_size=1,
        max_size=50,
    )
)
def test_numbers_of_seconds_become_the_instants_fromtimestamp_gives(seconds: list[float]) -> None:
    from watchfloor.adapters.observables.base import epoch_stamps

    stamps = epoch_stamps(np.array(seconds, np.float64))
    assert stamps.cast(pa.int64()).to_pylist() == [_fromtimestamp_us(x) for x in seconds]


@settings(max_examples=200, deadline=None)
@given(
    unit=st.sampled_from(["s", "ms", "us", "ns"]),
    numbers=st.lists(
        st.one_of(
            st.sampled_from(_EDGES),
            st.floats(-7e10, 3e11),
            st.integers(-(10**18), 10**18).map(float),
            st.floats(-1e6, 1e6).map(lambda x: round(x, 3)),
        ),
        min_size=1,
        max_size=50,
    ),
)
def test_duckdb_reads_numbers_in_a_unit_as_the_readers_do(unit: str, numbers: list[float]) -> None:
    # a Parquet log's numeric times go through DuckDB's query, any other log's through Arrow
    from watchfloor.adapters.observables.base import epoch_stamps
    from watchfloor.engines.correlation.kernel import _us_expr

    expected = epoch_stamps(np.array(numbers, np.float64), unit).cast(pa.int64()).to_pylist()
    con = duckdb.connect()
    con.register("t", pa.table({"ts": pa.array(numbers, pa.float64())}))
    number = [r[0] for r in con.sql(f"SELECT {_us_expr(pa.float64(), unit)} FROM t").fetchall()]
    con.register("t", pa.table({"ts": pa.array([repr(x) for x in numbers], pa.string())}))
    text = [r[0] for r in con.sql(f"SELECT {_us_expr(pa.string(), unit)} FROM t").fetchall()]
    assert number == expected
    plain = [repr(x) for x in numbers]  # "1e+20", "inf", "nan": not the text of a number
    assert text == [
        e if "e" not in x and "n" not in x else None for e, x in zip(expected, plain, strict=True)
    ]


def test_the_text_of_numbers_reads_back_in_duckdb_to_the_microsecond() -> None:
    from watchfloor.adapters.observables.base import epoch_stamps

    seconds = [x for x in _EDGES if _fromtimestamp_us(x) is not None]
    texts = epoch_stamps(np.array(seconds, np.float64)).cast(pa.string())
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.register("t", pa.table({"ts": texts}))
    got = [r[0] for r in con.sql("SELECT epoch_us(try_cast(ts AS TIMESTAMPTZ)) FROM t").fetchall()]
    assert got == [_fromtimestamp_us(x) for x in seconds]


def test_zeek_style_json_lines_with_numeric_times_take_the_fast_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "conn.jsonl"
    line = (
        '{"ts":%s,"uid":"C%d","id.orig_h":"10.0.0.1","id.orig_p":36844,'
        '"id.resp_h":"192.0.2.%d","id.resp_p":53,"proto":"udp","duration":0.01}\n'
    )
    path.write_text("".join(line % (1591367999.305988 + i, i, i) for i in range(200)))
    calls = _slow_blocks(monkeypatch, 4000)
    log = detect_log(path, value_column="id.resp_h")
    rows = _rows(log)
    assert calls == []  # every block through Arrow's reader, none line by line
    assert [r["row_no"] for r in rows] == list(range(1, 201))
    assert rows[0]["ts"] == datetime(2020, 6, 5, 14, 39, 59, 305988, tzinfo=UTC)
    assert rows[199]["ts"] == datetime(2020, 6, 5, 14, 43, 18, 305988, tzinfo=UTC)
    assert rows[7]["value"] == "192.0.2.7"


# ECS writes fields nested ({"destination": {"ip": ...}}), Zeek flat with dots
# in the key ({"id.resp_h": ...}); a dotted column name reads either, its own
# key first. Whatever the mix, Arrow's reader must give the line reader's rows.
_NESTED_LINES = [
    b'{"@timestamp": "2025-03-01T10:00:00Z", "destination": {"ip": "192.0.2.1", "port": 53}}',
    b'{"@timestamp": "2025-03-01T10:00:01Z", "destination.ip": "192.0.2.2"}',
    b'{"@timestamp": 1740823202, "destination": {"ip": "192.0.2.3", "geo": {"x": [1]}}}',
    b'{"@timestamp": "t", "destination.ip": null, "destination": {"ip": "192.0.2.4"}}',
    b'{"@timestamp": "t", "destination.ip": "192.0.2.5", "destination": {"ip": "192.0.2.6"}}',
    b'{"@timestamp": "t", "destination": null}',
    b'{"@timestamp": "t", "destination": {}}',
    b'{"@timestamp": "t", "destination": "192.0.2.7"}',
    b'{"@timestamp": "t", "destination": [{"ip": "192.0.2.8"}]}',
    b'{"@timestamp": "t", "destination": {"ip": 8}}',
    b'{"@timestamp": "t", "destination": {"ip": {"v4": "192.0.2.9"}}}',
    b'{"@timestamp": "t", "destination": {"ip.v4": "192.0.2.10"}}',
    b'{"@timestamp": "t"}',
    b'{"@timestamp": "t", "destination": {"ip": "192.0.2.11"}, "destination": null}',
    b'{"@timestamp": "t", "destination": [{"ip": "192.0.2.12"}, {"port": 1}, null, {"ip": null}]}',
    b'{"@timestamp": 1740823202, "destination": []}',
    b'{"@timestamp": "t", "destination": [{"ip": ["192.0.2.13"]}]}',
    b'{"@timestamp": "t", "destination": ["192.0.2.14"]}',
    b'{"@timestamp": "t", "destination": [{"ip": 15}]}',
    b'{"@timestamp": "t", "destination.ip": ["192.0.2.16"], "destination": [{"ip": "no"}]}',
    b"not json",
]


@settings(max_examples=100, deadline=None)
@given(
    picks=st.lists(st.sampled_from(range(len(_NESTED_LINES))), min_size=1, max_size=30),
    block=st.sampled_from([80, 300, 1 << 24]),
)
def test_dotted_names_read_nested_or_flat_fields_alike_fast_or_line_by_line(
    tmp_path_factory: pytest.TempPathFactory, picks: list[int], block: int
) -> None:
    from watchfloor.adapters.observables import jsonl as reader

    lines = [_NESTED_LINES[0], *(_NESTED_LINES[i] for i in picks)]
    path = tmp_path_factory.mktemp("ecs") / "log.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    log = detect_log(path, value_column="destination.ip")
    assert log.ts_column == "@timestamp"
    expected: list[RejectedRow] = []
    with path.open(encoding="utf-8", errors="replace") as fh:
        slow = list(reader.read_json_objects(enumerate(fh, start=1), log, expected.append))
    rejects: list[RejectedRow] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reader, "_JSON_BLOCK", block)
        fast = list(read_observables(log, rejects.append))
    rows = [_instant(r) for b in fast for r in b.to_pylist()]
    assert rows == [_instant(r) for b in slow for r in b.to_pylist()]
    assert rejects == expected


def test_a_dotted_name_takes_its_own_key_before_the_nested_path(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_bytes(b"\n".join(_NESTED_LINES[:11]) + b"\n")
    log = detect_log(path, value_column="destination.ip")
    rows = _rows(log)
    assert [r["value"] for r in rows] == [  # lists, as one line holds an array of objects
        ["192.0.2.1"], ["192.0.2.2"], ["192.0.2.3"], ["192.0.2.4"], ["192.0.2.5"],
        None, None, None, ["192.0.2.8"], ["8"], ['{"v4": "192.0.2.9"}'],
    ]  # fmt: skip
    with pytest.raises(
        ObservableLogError, match=r"no column 'source.ip' \(columns: .*destination.ip"
    ):
        detect_log(path, value_column="source.ip")


ZEEK_CONN = (
    "#separator \\x09\n"
    "#set_separator\t,\n"
    "#empty_field\t(empty)\n"
    "#unset_field\t-\n"
    "#path\tconn\n"
    "#open\t2020-06-05-14-39-59\n"
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tquery\n"
    "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\n"
    "1591367999.305988\tC1\t10.0.0.1\t36844\t192.0.2.1\t53\tudp\tevil\\x2eexample\n"
    "1591367999.5\tC2\t10.0.0.1\t36845\t-\t53\tudp\t(empty)\n"
    "a line cut short\n"
    "oops\tC3\t10.0.0.2\t1\t192.0.2.3\t80\ttcp\t-\n"
    "1591368000\tC4\t10.0.0.2\t2\t2001:db8::1\t443\ttcp\twww.example\n"
    "#close\t2020-06-05-15-00-00\n"
)


def test_zeek_logs_read_by_their_header_with_times_unset_marks_and_escapes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "conn.log"
    path.write_text(ZEEK_CONN)
    log = detect_log(path, value_column="id.resp_h")
    assert (log.format, log.ts_column, log.value_column) == ("zeek", "ts", "id.resp_h")
    rejects: list[RejectedRow] = []
    rows = _rows(log, rejects.append)
    assert [(r["row_no"], r["value"]) for r in rows] == [
        (9, "192.0.2.1"),
        (10, None),  # "-": unset
        (12, "192.0.2.3"),
        (13, "2001:db8::1"),
    ]
    assert [r["ts"] for r in rows] == [
        datetime(2020, 6, 5, 14, 39, 59, 305988, tzinfo=UTC),
        datetime(2020, 6, 5, 14, 39, 59, 500000, tzinfo=UTC),
        None,  # not a number of seconds: reported by the correlator
        datetime(2020, 6, 5, 14, 40, 0, tzinfo=UTC),
    ]
    # the cut line is reported; the #close line is the log's own, not a row
    assert [(r.row, r.reason) for r in rejects] == [(11, "expected 8 fields, found 1")]
    queries = detect_log(path, value_column="query")
    values = [r["value"] for r in _rows(queries)]
    assert values == ["evil.example", "", None, "www.example"]  # \x2e, (empty), -


def test_zeek_sets_and_vectors_read_as_lists_of_their_elements(tmp_path: Path) -> None:
    path = tmp_path / "dns.log"
    header = "#separator \\x09\n#set_separator\t;\n#empty_field\t(empty)\n#unset_field\t-\n"
    path.write_text(
        header
        + "#fields\tts\tquery\tanswers\n#types\ttime\tstring\tvector[string]\n"
        + "1591367999.5\tevil.example\t192.0.2.1;cdn.evil.example;2001:db8::1\n"
        + "1591367999.6\tnx.example\t-\n"
        + "1591367999.7\tempty.example\t(empty)\n"
        + "1591367999.8\tweird.example\ta\\x3bb;c\n"  # the separator, escaped, in an element
    )
    log = detect_log(path, value_column="answers")
    rows = _rows(log)
    assert [(r["row_no"], r["value"]) for r in rows] == [
        (7, ["192.0.2.1", "cdn.evil.example", "2001:db8::1"]),
        (8, None),  # unset
        (9, []),  # empty
        (10, ["a;b", "c"]),
    ]
    queries = detect_log(path, value_column="query")  # a plain string field stays text
    values = [r["value"] for r in _rows(queries)]
    assert values == ["evil.example", "nx.example", "empty.example", "weird.example"]


def test_zeek_logs_written_as_json_are_read_as_json_lines_whatever_their_name(
    tmp_path: Path,
) -> None:
    # LogAscii::use_json=T: the same conn.log, one JSON object a line
    line = '{"ts":1591367999.305988,"uid":"C1","id.orig_h":"10.0.0.1","id.resp_h":"192.0.2.1"}\n'
    plain = tmp_path / "conn.log"
    plain.write_text("\n" + line)
    packed = tmp_path / "conn.00:00:00-01:00:00.log.gz"
    packed.write_bytes(gzip.compress(line.encode()))
    for path in (plain, packed):
        log = detect_log(path, value_column="id.resp_h")
        assert (log.format, log.ts_column) == ("jsonl", "ts")
        rows = _rows(log)
        assert [r["value"] for r in rows] == ["192.0.2.1"]
    odd = tmp_path / "notes.log"
    odd.write_text("[1, 2]\n")  # JSON, but no object: no log of ours
    with pytest.raises(ObservableLogError, match="cannot tell the format"):
        detect_log(odd)


def test_a_zeek_log_needs_its_header(tmp_path: Path) -> None:
    odd = tmp_path / "conn.log"
    odd.write_text("1591367999.3\tC1\t10.0.0.1\n")
    with pytest.raises(ObservableLogError, match="cannot tell the format"):
        detect_log(odd)
    bare = tmp_path / "dns.log"
    bare.write_text("#separator \\x09\n#path\tdns\n")
    with pytest.raises(ObservableLogError, match="without a #fields line"):
        detect_log(bare, value_column="query")


@pytest.mark.parametrize("packing", ["gz", "bz2", "xz"])
@pytest.mark.parametrize("name", ["proxy.csv", "proxy.jsonl", "conn.log"])
def test_a_log_compressed_as_rotated_reads_as_the_plain_one(
    tmp_path: Path, name: str, packing: str
) -> None:
    plain = tmp_path / name
    if name == "conn.log":
        plain.write_text(ZEEK_CONN)
    else:
        write_log(plain, ROWS)
        with plain.open("a") as out:  # a line the reader reports, by number
            out.write("a,b,c,d\n" if name.endswith(".csv") else "{not json\n")
    packed = tmp_path / "rotated" / f"{name}.{packing}"
    packed.parent.mkdir()
    pack = {"gz": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}[packing]
    packed.write_bytes(pack(plain.read_bytes()))
    value = "id.resp_h" if name == "conn.log" else None
    seen = []
    for path in (plain, packed):
        log = detect_log(path, value_column=value)
        rejects: list[RejectedRow] = []
        rows = _rows(log, rejects.append)
        seen.append((log.format, log.ts_column, rows, [(r.row, r.reason) for r in rejects]))
    assert seen[0] == seen[1]
    assert seen[0][2] and seen[0][3]  # rows and a report, both
    with pytest.raises(ObservableLogError, match="a Parquet file compressed with"):
        parquet = tmp_path / f"x.parquet.{packing}"
        parquet.write_bytes(pack(b"PAR1"))
        detect_log(parquet)


@pytest.mark.parametrize(
    ("magic", "says"),
    [
        (b"PK\x03\x04", "a ZIP archive; take its logs out"),
        (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive; take its logs out"),
        (b"\x28\xb5\x2f\xfd", "compressed with Zstandard, which is not read here"),
    ],
)
def test_an_archive_is_refused_saying_what_to_give_instead(
    tmp_path: Path, magic: bytes, says: str
) -> None:
    for name in ("logs.zip", "proxy.csv"):  # by its bytes, whatever its name
        path = tmp_path / name
        path.write_bytes(magic + bytes(range(256)))
        with pytest.raises(ObservableLogError, match=f"{name}: {says}"):
            detect_log(path)


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
@pytest.mark.parametrize("bom", [False, True])
def test_csv_logs_as_spreadsheets_export_them_read_alike(
    tmp_path: Path, delimiter: str, bom: bool
) -> None:
    # Excel writes ";" where the comma is the decimal mark, and a byte-order
    # mark in its "CSV UTF-8"; a field may hold another delimiter, quoted
    plain = write_log(tmp_path / "plain.csv", ROWS)
    lines = plain.read_text().splitlines()
    rows = [line.split(",") for line in lines]
    text = "\n".join(delimiter.join([*r, '"a, b; c"' if i else "note"]) for i, r in enumerate(rows))
    odd = tmp_path / ("export.tsv" if delimiter == "\t" else "export.csv")
    odd.write_bytes(("\ufeff" if bom else "").encode() + text.encode() + b"\n")
    expected = _rows(detect_log(plain))
    log = detect_log(odd)
    assert (log.ts_column, log.value_column, log.type_column) == ("timestamp", "value", "type")
    rejects: list[RejectedRow] = []
    assert _rows(log, rejects.append) == expected
    assert rejects == []


def test_quoted_fields_holding_line_ends_read_whole_wherever_a_block_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a note on two lines in every third row, and a quote written bare inside
    # an unquoted field (which opens nothing): read in blocks of 256 bytes, a
    # block ends inside a quoted field again and again
    notes = ['"two\nlines, one field"', 'say "hi"', '"a ""quoted"" word"']
    path = tmp_path / "notes.csv"
    path.write_text(
        "timestamp,value,type,note\n"
        + "".join(f"{t},{v},{k or ''},{notes[i % 3]}\n" for i, (t, v, k) in enumerate(ROWS * 40))
    )
    log = detect_log(path)
    whole = _rows(log)
    monkeypatch.setattr(observables_reader, "_CSV_BLOCK", 256)
    rejects: list[RejectedRow] = []
    assert _rows(log, rejects.append) == whole
    assert rejects == []
    assert [r["value"] for r in whole] == [v for _, v, _ in ROWS * 40]
    assert [r["row_no"] for r in whole] == list(range(2, 122))  # records, not lines


def test_a_text_log_in_utf16_without_its_byte_order_mark_is_refused_by_name(
    tmp_path: Path,
) -> None:
    plain = write_log(tmp_path / "log.csv", ROWS)
    marked = tmp_path / "marked.csv"
    marked.write_bytes(plain.read_text().encode("utf-16"))
    assert _rows(detect_log(marked)) == _rows(detect_log(plain))
    bare = tmp_path / "bare.csv"
    bare.write_bytes(plain.read_text().encode("utf-16-le"))
    with pytest.raises(ObservableLogError, match=r"bare\.csv: holds NUL bytes.*byte-order mark"):
        detect_log(bare)


def test_arrays_inside_arrays_on_a_dotted_path_read_as_one_list(tmp_path: Path) -> None:
    # an AWS GuardDuty finding: addresses in an array of objects inside an
    # array of objects, and IPv6 ones in an array of strings inside the first
    finding = {
        "updatedAt": "2025-03-01T10:00:00Z",
        "resource": {
            "instanceDetails": {
                "networkInterfaces": [
                    {
                        "privateIpAddresses": [
                            {"privateIpAddress": "10.0.0.1"},
                            {"privateIpAddress": "10.0.0.2"},
                        ],
                        "ipv6Addresses": ["2001:db8::1"],
                    },
                    {"privateIpAddresses": [{"privateIpAddress": "10.0.1.1"}, {}]},
                    {"ipv6Addresses": [["2001:db8::2"], "2001:db8::3"]},
                ]
            }
        },
    }
    lines = [finding, {"updatedAt": "2025-03-01T10:00:01Z", "value": [["192.0.2.1"], []]}]
    path = tmp_path / "findings.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    interfaces = "resource.instanceDetails.networkInterfaces"
    private = detect_log(
        path,
        ts_column="updatedAt",
        value_column=f"{interfaces}.privateIpAddresses.privateIpAddress",
    )
    rejects: list[RejectedRow] = []
    assert [r["value"] for r in _rows(private, rejects.append)] == [
        ["10.0.0.1", "10.0.0.2", "10.0.1.1", None, None],  # {}, and no addresses at all
        None,
    ]
    v6 = [
        r["value"]
        for r in _rows(
            detect_log(path, ts_column="updatedAt", value_column=f"{interfaces}.ipv6Addresses")
        )
    ]
    assert v6 == [["2001:db8::1", None, "2001:db8::2", "2001:db8::3"], None]
    # a value that is an array of arrays, with no path
    assert [
        r["value"] for r in _rows(detect_log(path, ts_column="updatedAt", value_column="value"))
    ] == [
        None,
        ["192.0.2.1"],
    ]
    assert rejects == []


def test_a_parquet_logs_dotted_paths_read_as_json_lines_do(tmp_path: Path) -> None:
    events = [
        {"time": "2025-03-01T10:00:00Z", "src": {"ip": "192.0.2.1"}, "dns": [{"a": "x.example"}]},
        {"time": "2025-03-01T10:00:01Z", "src": {"ip": None}, "dns": [{"a": None}, {}]},
        {"time": "2025-03-01T10:00:02Z", "src": None, "dns": None},
    ]
    lines = tmp_path / "events.jsonl"
    lines.write_text("".join(json.dumps(e) + "\n" for e in events))
    table = tmp_path / "events.parquet"
    pq.write_table(pa.Table.from_pylist(events), table)
    for value in ("src.ip", "dns.a"):
        want = _rows(detect_log(lines, ts_column="time", value_column=value))
        got = _rows(detect_log(table, ts_column="time", value_column=value))
        assert [r["value"] for r in got] == [r["value"] for r in want], value
        assert [r["row_no"] for r in got] == [r["row_no"] - 1 for r in want]  # 0-based


def test_text_times_without_an_offset_are_read_in_the_zone_and_the_others_as_written() -> None:
    from watchfloor.engines.correlation.kernel import _us_expr

    texts = {
        "2025-07-01 10:00": "2025-07-01T08:00:00+00:00",  # summer time in Brussels: UTC+2
        "2025-01-01T10:00:00": "2025-01-01T09:00:00+00:00",  # winter: UTC+1
        "2025-07-01": "2025-06-30T22:00:00+00:00",  # a date: its midnight there
        "2025-07-01T10:00:00Z": "2025-07-01T10:00:00+00:00",
        "2025-07-01 10:00+02": "2025-07-01T08:00:00+00:00",
        "2025-07-01T10:00:00.5-05:00": "2025-07-01T15:00:00.500000+00:00",
        "2025-07-01 10:00 UTC": "2025-07-01T10:00:00+00:00",
        "2025-07-01 10:00 America/New_York": "2025-07-01T14:00:00+00:00",
        "soon": None,
    }
    con = duckdb.connect()
    con.register("t", pa.table({"ts": list(texts)}))
    sql = f"SELECT {_us_expr(pa.string(), None, None, 'Europe/Brussels')} FROM t"
    got = [r[0] for r in con.sql(sql).fetchall()]
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    assert [
        None if us is None else (epoch + timedelta(microseconds=us)).isoformat() for us in got
    ] == list(texts.values())
