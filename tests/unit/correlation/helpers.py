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
    """Write (timestamp, value, type) rows as CSV, JSON lines, a JSON array
    (``.json``: pretty-printed, element ``i`` from line ``2 + 5i``, or
    ``2 + 4i`` without the type) or Parquet by suffix."""
    if path.suffix == ".json":
        objs = [
            {"timestamp": ts, "value": value, **({"type": typ} if with_type else {})}
            for ts, value, typ in rows
        ]
        path.write_text(json.dumps(objs, indent=2) + "\n", encoding="utf-8")
    elif path.suffix == ".csv":
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


STIX_TS = "2025-01-01T00:00:00.000Z"


def sdo(type_: str, n: int, **props: object) -> dict[str, object]:
    """A STIX 2.1 object with a made-up id numbered ``n``."""
    return {
        "type": type_,
        "spec_version": "2.1",
        "id": f"{type_}--00000000-0000-4000-8000-{n:012d}",
        "created": STIX_TS,
        "modified": STIX_TS,
        **props,
    }


def indicator_bundle(
    pattern: str = "[domain-name:value = 'evil.example']",
    actor: str = "APT Example",
    n: int = 0,
) -> dict[str, object]:
    """A bundle of one intrusion set and one indicator of it (ids numbered from ``n``)."""
    group = sdo("intrusion-set", n + 1, name=actor)
    ind = sdo("indicator", n + 2, pattern=pattern, pattern_type="stix", valid_from=STIX_TS)
    rel = sdo(
        "relationship",
        n + 3,
        relationship_type="indicates",
        source_ref=ind["id"],
        target_ref=group["id"],
    )
    return {
        "type": "bundle",
        "id": f"bundle--00000000-0000-4000-8000-{n + 9:012d}",
        "objects": [group, ind, rel],
    }


def misp_event() -> dict[str, object]:
    """A MISP event of one address range, linked to no actor."""
    return {
        "Event": {
            "uuid": "5f0c0000-0000-4000-8000-000000000001",
            "info": "wave",
            "Attribute": [
                {"uuid": "a1", "type": "ip-dst", "value": "198.51.100.0/24", "to_ids": True}
            ],
        }
    }
