"""Small, generated observable logs and indicator sets for the correlation tests."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

T0 = datetime(2025, 3, 1, tzinfo=UTC)


def write_log(
    path: Path,
    rows: Sequence[tuple[str, str, str | None]],
    *,
    with_type: bool = True,
    row_group_size: int = 4,
) -> Path:
    """Write (timestamp, value, type) rows as CSV, JSON lines or Parquet by suffix."""
    if path.suffix == ".csv":
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["timestamp", "value", "type"] if with_type else ["timestamp", "value"])
            for ts, value, typ in rows:
                w.writerow([ts, value, typ or ""] if with_type else [ts, value])
    elif path.suffix == ".jsonl":
        with path.open("w", encoding="utf-8") as fh:
            for ts, value, typ in rows:
                obj: dict[str, str | None] = {"timestamp": ts, "value": value}
                if with_type:
                    obj["type"] = typ
                fh.write(json.dumps(obj) + "\n")
    else:
        cols: dict[str, list[str | None]] = {
            "timestamp": [r[0] for r in rows],
            "value": [r[1] for r in rows],
        }
        if with_type:
            cols["type"] = [r[2] for r in rows]
        pq.write_table(pa.table(cols), path, row_group_size=row_group_size)
    return path
