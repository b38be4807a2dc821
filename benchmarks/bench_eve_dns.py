"""Suricata's DNS events (eve.json, version 3): the query names and answers sit
in arrays of objects (``dns.queries[].rrname``, ``dns.answers[].rdata``).

Generates ``--rows`` DNS events (seeded; two A answers each, about 470 bytes a
line, as Suricata writes them) and times the DuckDB engine on each of the two
columns — the blocks read by Arrow's JSON reader, the arrays' objects as
structs — against the same log read line by line in Python (the reader's
fallback, the baseline), in the same run. Prints medians of ``--repeats``
runs and checks that both readings find the same matches. Run::

    .venv/bin/python benchmarks/bench_eve_dns.py --dir /tmp/wfbench
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

from watchfloor.adapters.observables import detect_log, jsonl, read_observables
from watchfloor.engines.correlation import DuckDBCorrelator, Indicator, IndicatorSet
from watchfloor.engines.correlation import ObservableKind as K


def generate(path: Path, rows: int, seed: int) -> None:
    rnd = random.Random(seed)
    with path.open("w") as out:
        for i in range(rows):
            name = f"h{rnd.randrange(10**6)}.example{rnd.randrange(50)}.org"
            answers = [
                {
                    "rrname": name,
                    "rrtype": "A",
                    "ttl": 60,
                    "rdata": f"10.{rnd.randrange(256)}.{rnd.randrange(256)}.{rnd.randrange(256)}",
                }
                for _ in range(2)
            ]
            event = {
                "timestamp": f"2025-03-01T10:{(i // 60) % 60:02d}:{i % 60:02d}.000000+0000",
                "flow_id": rnd.randrange(10**15),
                "event_type": "dns",
                "src_ip": "10.0.0.1",
                "dest_ip": "10.0.0.53",
                "proto": "UDP",
                "dns": {
                    "version": 3,
                    "type": "answer",
                    "id": i % 65536,
                    "queries": [{"rrname": name, "rrtype": "A"}],
                    "answers": answers,
                },
            }
            out.write(json.dumps(event) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--dir", type=Path, required=True, help="data directory (kept, reused)")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    path = args.dir / f"eve-dns-{args.rows}.json"
    if not path.exists():
        generate(path, args.rows, seed=1)
    since = datetime(2025, 1, 1, tzinfo=UTC)
    indicators = IndicatorSet.build(
        [Indicator(f"d{i}", K.DOMAIN, f"example{i}.org", "bench", since) for i in range(0, 50, 10)]
        + [Indicator("net", K.IPV4, "10.1.0.0/16", "bench", since)]
    )
    engine = DuckDBCorrelator(read_observables, threads=args.threads)
    size = path.stat().st_size / 2**20
    print(f"{args.rows:,} Suricata DNS events, {size:,.0f} MiB, median of {args.repeats}")

    def timed(column: str) -> tuple[float, int]:
        log = detect_log(path, value_column=column)
        walls, found = [], 0
        for _ in range(args.repeats):
            start = time.perf_counter()
            found = len(engine.correlate(indicators, [log]))
            walls.append(time.perf_counter() - start)
        return statistics.median(walls), found

    for column in ("dns.queries.rrname", "dns.answers.rdata"):
        fast, matches = timed(column)
        with mock.patch.object(jsonl, "block_fast", lambda *a, **k: None):
            slow, same = timed(column)
        assert same == matches, (column, matches, same)
        print(
            f"  {column:20s} Arrow {fast:5.2f} s ({args.rows / fast / 1e6:.2f} M rows/s)  "
            f"line by line {slow:5.2f} s ({args.rows / slow / 1e6:.2f} M rows/s)  "
            f"x{slow / fast:.1f}  ({matches:,} matches)"
        )


if __name__ == "__main__":
    main()
