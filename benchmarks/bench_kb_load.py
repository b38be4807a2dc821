"""Knowledge-base loading speed: the Watchfloor reader and store against ``stix2.parse``.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_kb_load.py [--bundle PATH] [--repeats 3]

Times, as medians over the repeats, on the same bundle in the same run:
``json.loads`` alone; the Watchfloor reader (parse and validate every
object); reader plus storing into a fresh SQLite database (one transaction);
and ``stix2.parse`` of the same bundle (``allow_custom=True``, as ATT&CK needs).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "attack"


def median_seconds(work: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=DATA / "enterprise-attack-14.1.json")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    import stix2

    from watchfloor.adapters.db.engine import make_engine, upgrade
    from watchfloor.adapters.db.kb_repository import KnowledgeBaseRepository
    from watchfloor.adapters.stix import parse_bundle

    data = args.bundle.read_bytes()
    n_objects = len(json.loads(data)["objects"])

    def store() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            engine = make_engine(f"sqlite:///{tmp}/kb.sqlite")
            upgrade(engine)
            started = time.perf_counter()
            KnowledgeBaseRepository(engine).add(parse_bundle(data), "bench", "1")
            timings.append(time.perf_counter() - started)
            engine.dispose()

    # stix2 refuses the rebuilt ATT&CK bundles' non-UUID bundle id; give it the
    # same objects under a valid one (the reader does not validate bundle ids).
    for_stix2 = json.loads(data)
    for_stix2["id"] = f"bundle--{uuid.uuid4()}"
    stix2_text = json.dumps(for_stix2)

    def with_stix2() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            stix2.parse(stix2_text, allow_custom=True)

    timings: list[float] = []
    rows = [
        ("json.loads only", median_seconds(lambda: json.loads(data), args.repeats)),
        ("watchfloor reader", median_seconds(lambda: parse_bundle(data), args.repeats)),
    ]
    median_seconds(store, args.repeats)
    rows.append(("watchfloor reader + SQLite store", statistics.median(timings)))
    rows.append(("stix2.parse", median_seconds(with_stix2, args.repeats)))

    print(f"{args.bundle.name}: {n_objects} objects, median of {args.repeats} runs")
    reference = rows[-1][1]
    for label, seconds in rows:
        print(f"  {label:34s} {seconds:7.2f} s   ({reference / seconds:5.1f}x faster than stix2)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
