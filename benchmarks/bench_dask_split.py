"""One large text log on a Dask cluster: read whole by one task, or cut into
byte ranges at line starts and spread over the workers.

Uses the first ``--rows`` rows of ``bench_correlation``'s data (generated
there, or here when missing) as JSON lines with times as numbers of seconds,
as Zeek's tab-separated log and as CSV, against its 1 M indicators, on a local
cluster of ``--workers`` single-threaded worker processes. Prints, for each
task size, the median wall time of ``--repeats`` runs with the index each
worker kept from the run before, and of as many runs right after the workers
forgot it (each builds it again: the first run against a set), alternated,
and checks that every run finds the same matches in the same rows. Run::

    .venv/bin/python benchmarks/bench_dask_split.py --dir /tmp/wfbench
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from distributed import Client, LocalCluster

from bench_correlation import generate, head_logs, load_indicators
from watchfloor.adapters.observables import detect_log, read_observables
from watchfloor.engines.correlation import DaskCorrelator
from watchfloor.engines.correlation.dask_correlator import forget_kernels, partition_logs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--dir", type=Path, required=True, help="data directory (kept, reused)")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    args.dir.mkdir(parents=True, exist_ok=True)
    ind_path, obs_path = generate(args.dir, 10_000_000, 1_000_000, 7)
    heads = head_logs(args.dir, obs_path, args.rows)
    indicators, _ = load_indicators(ind_path)
    sizes = {"whole (one task)": 1 << 62, "32 MiB ranges": 32 << 20, "8 MiB ranges": 8 << 20}
    with (
        LocalCluster(
            n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        for suffix in ("zeek.jsonl", "zeek.log", "csv"):
            log = detect_log(heads[suffix])
            size_mib = heads[suffix].stat().st_size / (1 << 20)
            print(f"\n{heads[suffix].name}: {args.rows:,} rows, {size_mib:.0f} MiB")
            first = None
            for label, size in sizes.items():
                engine = DaskCorrelator(read_observables, client=client, bytes_per_task=size)
                walls: dict[str, list[float]] = {"kept": [], "built": []}
                for _ in range(args.repeats):
                    client.run(forget_kernels)
                    for kind in ("built", "kept"):  # the index built, then kept
                        start = time.perf_counter()
                        result = engine.correlate(indicators, [log])
                        walls[kind].append(time.perf_counter() - start)
                        table = result.sorted_table().select(["file", "row", "idx"])
                        first = first or table
                        assert table.equals(first), f"{label}: other matches than the whole file's"
                tasks = len(partition_logs([log], 8, size))
                wall = statistics.median(walls["kept"])
                cold = statistics.median(walls["built"])
                print(
                    f"  {label:18s} {tasks:3d} task(s)  {wall:6.2f} s  "
                    f"{args.rows / wall / 1e6:5.2f} M rows/s  ({len(result):,} matches); "
                    f"building the index first: {cold:6.2f} s"
                )


if __name__ == "__main__":
    main()
