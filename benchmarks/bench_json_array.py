"""JSON logs as one array of objects against the same events as JSON lines.

Writes ``--rows`` ECS-like events (a nested ``destination.ip``, a time as
text) as JSON lines and as a pretty-printed JSON array (indent 2, as consoles
export them) into ``--dir``, then times the reader alone (every row read into
Arrow batches) on each, alternated, and prints the medians of ``--repeats``
runs in rows a second, and their ratio. Run::

    .venv/bin/python benchmarks/bench_json_array.py --dir /tmp/wfbench
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from watchfloor.adapters.observables import detect_log, read_observables


def write(directory: Path, rows: int) -> tuple[Path, Path]:
    lines, array = directory / f"events-{rows}.jsonl", directory / f"events-{rows}.json"
    if not (lines.exists() and array.exists()):
        events = [
            {
                "@timestamp": f"2025-03-01T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z",
                "event": {"kind": "event", "category": ["network"]},
                "source": {"ip": f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}", "port": 40000},
                "destination": {"ip": f"198.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"},
            }
            for i in range(rows)
        ]
        lines.write_text("".join(json.dumps(e) + "\n" for e in events))
        array.write_text(json.dumps(events, indent=2) + "\n")
    return lines, array


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--dir", type=Path, required=True, help="data directory (kept, reused)")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    paths = write(args.dir, args.rows)
    logs = {p.suffix: detect_log(p, value_column="destination.ip") for p in paths}
    walls: dict[str, list[float]] = {suffix: [] for suffix in logs}
    for _ in range(args.repeats):
        for suffix, log in logs.items():
            start = time.perf_counter()
            rows = sum(b.num_rows for b in read_observables(log, lambda r: None))
            walls[suffix].append(time.perf_counter() - start)
            assert rows == args.rows, f"{log.path}: {rows:,} rows"
    medians = {s: statistics.median(w) for s, w in walls.items()}
    for suffix, log in logs.items():
        size = Path(log.path).stat().st_size / (1 << 20)
        print(
            f"{Path(log.path).name} ({log.format}, {size:.0f} MiB): {medians[suffix]:.2f} s, "
            f"{args.rows / medians[suffix] / 1e6:.2f} M rows/s"
        )
    print(f"the array takes {medians['.json'] / medians['.jsonl']:.1f} times as long")


if __name__ == "__main__":
    main()
