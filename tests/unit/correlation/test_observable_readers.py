"""Observable logs: formats, column detection, malformed rows reported by line."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.correlation.helpers import write_log

from watchfloor.adapters.observables import ObservableLogError, detect_log, read_observables
from watchfloor.engines.correlation import RejectedRow

ROWS = [
    ("2025-03-01T10:00:00Z", "192.0.2.1", "ipv4-addr"),
    ("2025-03-01T10:00:01Z", "evil.example", None),
    ("2025-03-01T10:00:02Z", "http://evil.example/x", "url"),
]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_each_format_reads_as_row_numbered_batches(tmp_path: Path, suffix: str) -> None:
    log = detect_log(write_log(tmp_path / f"log{suffix}", ROWS))
    assert (log.ts_column, log.value_column, log.type_column) == ("timestamp", "value", "type")
    rejects: list[RejectedRow] = []
    rows = [r for b in read_observables(log, rejects.append) for r in b.to_pylist()]
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
    rows = [r for b in read_observables(detect_log(path), rejects.append) for r in b.to_pylist()]
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
    rows = [r for b in read_observables(detect_log(path), rejects.append) for r in b.to_pylist()]
    assert [(r["row_no"], r["ts"]) for r in rows] == [
        (1, "2025-03-01T10:00:00Z"),
        (5, "2025-03-01T10:00:00+00:00"),
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
