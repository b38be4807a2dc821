"""Orbital screening benchmarks on the 26,834-object catalog of 2024-11-01 (run on demand).

    .venv/bin/python benchmarks/bench_orbital.py ceiling
    .venv/bin/python benchmarks/bench_orbital.py victim --victim 25544 --days 7
    .venv/bin/python benchmarks/bench_orbital.py catalog --hours 24 --threshold-km 10

Each prints wall time, CPU time (this process and its workers), peak resident
memory (largest process), SGP4 propagations and their rate, next to the plain
rate of sgp4's SatrecArray measured in the same run (the ceiling).
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from watchfloor.adapters.orbital import read_omm
from watchfloor.engines.orbital.base import TimeWindow
from watchfloor.engines.orbital.catalog import Catalog
from watchfloor.engines.orbital.propagation import ProcessPoolPropagator
from watchfloor.engines.orbital.screening import ScreeningResult, screen_catalog, screen_victim

DATA = Path(__file__).parents[1] / ".." / "shared" / "data" / "space"
START = datetime(2024, 11, 1, tzinfo=UTC)


def _cpu_s() -> float:
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _peak_mib() -> float:
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return max(me.ru_maxrss, kids.ru_maxrss) / 1024.0


def ceiling(catalog: Catalog, samples: int = 96) -> float:
    """Plain SatrecArray.sgp4 rate on the whole catalog, one process (propagations/s)."""
    array = catalog.satrec_array()
    jd, fr = TimeWindow(START, 86400.0).julian
    t = np.arange(samples) * 900.0
    began = time.perf_counter()
    array.sgp4(np.full(samples, jd), fr + t / 86400.0)
    elapsed = time.perf_counter() - began
    return len(catalog) * samples / elapsed


def _report(name: str, result: ScreeningResult, wall: float, cpu: float, rate: float) -> None:
    print(f"{name}")
    print(f"  wall {wall:.1f} s, CPU {cpu:.1f} s, peak RSS {_peak_mib():.0f} MiB")
    print(
        f"  {len(result.approaches)} approaches, {result.objects_screened} objects screened, "
        f"{result.candidates} candidate pieces refined, {len(result.skipped)} objects skipped"
    )
    print(
        f"  {result.propagations:,} SGP4 propagations, {result.propagations / wall / 1e6:.2f} M/s "
        f"(ceiling {rate / 1e6:.2f} M/s per core, {os.cpu_count()} cores)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["ceiling", "victim", "catalog"])
    parser.add_argument("--victim", type=int, default=25544)
    parser.add_argument("--days", type=float, default=7.0)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--threshold-km", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    began = time.perf_counter()
    loaded = read_omm(DATA / "celestrak_full_catalog_omm_20241101.csv")
    catalog = Catalog(loaded.items)
    catalog.satrec_array()  # build the records before forking the workers
    print(f"catalog: {len(catalog)} objects loaded in {time.perf_counter() - began:.1f} s")
    rate = ceiling(catalog)
    print(f"ceiling: SatrecArray.sgp4 {rate / 1e6:.2f} M propagations/s on one core")
    if args.what == "ceiling":
        return
    propagator = ProcessPoolPropagator(args.workers)
    cpu0, wall0 = _cpu_s(), time.perf_counter()
    if args.what == "victim":
        window = TimeWindow(START, args.days * 86400.0)
        result = screen_victim(
            catalog, args.victim, window, args.threshold_km, propagator=propagator
        )
        name = f"victim {args.victim}, {args.days:g} days, {args.threshold_km:g} km"
    else:
        window = TimeWindow(START, args.hours * 3600.0)
        result = screen_catalog(catalog, window, args.threshold_km, propagator=propagator)
        name = f"all against all, {args.hours:g} h, {args.threshold_km:g} km"
    _report(name, result, time.perf_counter() - wall0, _cpu_s() - cpu0, rate)


if __name__ == "__main__":
    main()
