"""Indicator correlation throughput: 10 M observable rows against 1 M indicators.

Reports, in one run and on the same data:

* ``ceiling``  — a plain DuckDB equi-join of the raw observable strings with the
  raw indicator strings (no normalisation, no CIDR, no subdomains, no validity
  window): the most any correlator on this engine could hope for;
* ``engine``   — the whole :class:`DuckDBCorrelator` path as the CLI runs it:
  DuckDB streams the Parquet file in one query, the compiled kernel
  normalises, expands and probes every row (validity windows, rejects), the
  matches are collected as an Arrow table (the indicator set's probe index is
  built once beforehand, as the set keeps it, and timed apart);

each as the median of ``--repeats`` runs, in rows per second, plus the time to
compile the indicator set and the peak resident memory of the process. Then
where the engine's CPU time goes (DuckDB's read alone, the kernel alone by
kind), and last the engine on the first ``--text-rows`` rows (1 M) written as
Parquet, CSV and JSON lines, so the three readers can be compared on the same
rows.

The data are generated deterministically (seeded hashes, no randomness) into
Parquet in a temporary directory (or ``--dir``, reused when present). Run::

    .venv/bin/python benchmarks/bench_correlation.py --threads 2

Mix of observables: 40 % IPv4, 5 % IPv6, 25 % domains, 10 % URLs, 20 % hashes;
about 2 % of rows are drawn from the indicators (exact addresses, addresses
inside CIDR ranges, subdomains, upper-case hashes), and 2.4 % of rows match:
those, and random IPv6 addresses inside one of the /48 ranges (5,000 ranges
of 65,536 possible: 8 % of IPv6 rows). Indicators: the same mix;
1 % of the IPv4 indicators are /24 ranges and 10 % of IPv6 are /48 ranges;
a quarter have a validity window that ends.
"""

from __future__ import annotations

import argparse
import gzip
import resource
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from watchfloor.adapters.observables import detect_log, read_observables
from watchfloor.engines.correlation import (
    CorrelationResult,
    DuckDBCorrelator,
    Indicator,
    IndicatorSet,
    ObservableKind,
)
from watchfloor.engines.correlation.kernel import Kernel, type_hashes_of

_KIND_SQL = """CASE WHEN i % 20 < 8 THEN 'ipv4' WHEN i % 20 = 8 THEN 'ipv6'
  WHEN i % 20 < 14 THEN 'domain' WHEN i % 20 < 16 THEN 'url'
  WHEN i % 20 = 16 THEN 'md5' WHEN i % 20 = 17 THEN 'sha1' ELSE 'sha256' END"""


def generate(directory: Path, rows: int, indicators: int, seed: int) -> tuple[Path, Path]:
    """Write ``indicators.parquet`` and ``observables.parquet`` (skipped if present)."""
    # "v2": the octets of an address come from one hash (DuckDB's hash of
    # (i, seed, k) differs little between k, so octets from separate k's gave
    # few distinct addresses: 66,204 of 400,000 IPv4 indicators, and 15 % of
    # IPv4 observations matched); files from before carry no version
    ind_path = directory / f"indicators-{indicators}-{seed}-v2.parquet"
    obs_path = directory / f"observables-{rows}-{indicators}-{seed}-v2.parquet"
    con = duckdb.connect()
    s = int(seed)
    if not ind_path.exists():
        con.execute(f"""
        COPY (
          SELECT 'indicator--' || i AS id, {_KIND_SQL} AS kind,
            CASE
              WHEN i % 20 < 8 THEN concat_ws('.', hash(i, {s}, 1) % 223 + 1,
                   (hash(i, {s}, 1) >> 8) % 256, (hash(i, {s}, 1) >> 16) % 256,
                   CASE WHEN i % 100 = 0 THEN '0/24'
                   ELSE ((hash(i, {s}, 1) >> 24) % 256)::VARCHAR END)
              WHEN i % 200 = 8 THEN printf('2001:db8:%x::/48', hash(i, {s}, 1) % 65536)
              WHEN i % 20 = 8 THEN printf('2001:db8:%x:%x::%x', hash(i, {s}, 1) % 65536,
                   (hash(i, {s}, 1) >> 16) % 65536, (hash(i, {s}, 1) >> 32) % 65536)
              WHEN i % 20 < 14 THEN printf('d%x.example%d.com', hash(i, {s}, 1) % 1000000000,
                   hash(i, {s}, 2) % 1000)
              WHEN i % 20 < 16 THEN printf('http://h%x.example.net/p/%x',
                   hash(i, {s}, 1) % 1000000000, hash(i, {s}, 2))
              WHEN i % 20 = 16 THEN md5(i::VARCHAR || '{s}')
              WHEN i % 20 = 17 THEN sha1(i::VARCHAR || '{s}')
              ELSE sha256(i::VARCHAR || '{s}')
            END AS value,
            TIMESTAMPTZ '2024-01-01 00:00:00+00' AS valid_from,
            CASE WHEN i % 4 = 3 THEN TIMESTAMPTZ '2024-01-01 00:00:00+00' + INTERVAL 30 DAY END
              AS valid_until
          FROM range({indicators}) r(i)
        ) TO '{ind_path}' (FORMAT parquet)
        """)
    if not obs_path.exists():
        con.execute(
            f"CREATE TABLE ind AS SELECT row_number() OVER () - 1 AS i, * FROM '{ind_path}'"
        )
        # rows j with j % 50 = 0 observe indicator hash(j) % indicators, in its own form
        con.execute(f"""
        COPY (
          SELECT TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_microseconds((j * 250000)::BIGINT)
                   AS timestamp,
            CASE
              WHEN j % 50 = 0 THEN CASE
                WHEN ind.kind = 'ipv4' AND contains(ind.value, '/')
                  THEN replace(ind.value, '0/24', (j % 256)::VARCHAR)
                WHEN ind.kind = 'ipv6' AND contains(ind.value, '/')
                  THEN replace(ind.value, '::/48', printf(':%x::1', j % 65536))
                WHEN ind.kind = 'domain' THEN 'www.' || ind.value
                WHEN ind.kind IN ('md5', 'sha1', 'sha256') AND j % 100 = 0 THEN upper(ind.value)
                ELSE ind.value END
              WHEN j % 20 < 8 THEN concat_ws('.', hash(j, {s}, 11) % 223 + 1,
                   (hash(j, {s}, 11) >> 8) % 256, (hash(j, {s}, 11) >> 16) % 256,
                   (hash(j, {s}, 11) >> 24) % 256)
              WHEN j % 20 = 8 THEN printf('2001:db8:%x:%x::%x', hash(j, {s}, 11) % 65536,
                   (hash(j, {s}, 11) >> 16) % 65536, (hash(j, {s}, 11) >> 32) % 65536)
              WHEN j % 20 < 14 THEN printf('www.o%x.example%d.org',
                   hash(j, {s}, 11) % 1000000000, hash(j, {s}, 12) % 1000)
              WHEN j % 20 < 16 THEN printf('https://o%x.example.org/q?x=%x',
                   hash(j, {s}, 11) % 1000000000, hash(j, {s}, 12))
              WHEN j % 20 = 16 THEN md5((j + 1000000000)::VARCHAR || '{s}')
              WHEN j % 20 = 17 THEN sha1((j + 1000000000)::VARCHAR || '{s}')
              ELSE sha256((j + 1000000000)::VARCHAR || '{s}')
            END AS value,
            CASE WHEN j % 50 = 0 THEN ind.kind ELSE {_KIND_SQL.replace("i %", "j %")} END AS type
          FROM range({rows}) r(j)
          LEFT JOIN ind ON j % 50 = 0 AND ind.i = hash(j, {s}, 99) % {indicators}
          ORDER BY j
        ) TO '{obs_path}' (FORMAT parquet, ROW_GROUP_SIZE 122880)
        """)
    con.close()
    return ind_path, obs_path


def load_indicators(path: Path) -> tuple[IndicatorSet, float]:
    start = time.perf_counter()
    kinds = {k.label: k for k in ObservableKind}
    table = pq.read_table(path)
    records = [
        Indicator(r["id"], kinds[r["kind"]], r["value"], "bench", r["valid_from"], r["valid_until"])
        for r in table.to_pylist()
    ]
    built = IndicatorSet.build(records)
    return built, time.perf_counter() - start


def _timed(fn: Callable[[], object]) -> tuple[float, float, object]:
    """Wall seconds, CPU seconds of the whole process (all threads), result."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--indicators", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--dir", type=Path, default=None, help="data directory (kept, reused)")
    ap.add_argument(
        "--text-rows",
        type=int,
        default=1_000_000,
        help="also time the first N rows as Parquet, CSV and JSON lines (0: skip)",
    )
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="wf-bench-") as tmp:
        directory = args.dir or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        ind_path, obs_path = generate(directory, args.rows, args.indicators, args.seed)
        print(f"data: {obs_path.name}, {ind_path.name} ({time.perf_counter() - start:.1f} s)")

        indicators, build_s = load_indicators(ind_path)
        print(
            f"indicator set: {len(indicators):,} indicators, "
            f"{indicators.keys.num_rows - 1:,} keys, plan {indicators.plan}, "
            f"compiled in {build_s:.1f} s"
        )
        start = time.perf_counter()
        index = indicators.index  # built once per indicator set, kept by it
        built = time.perf_counter() - start
        start = time.perf_counter()
        with Kernel(index, indicators.plan, args.threads) as warm:
            # compiles the kernel on a first run (cached on disk afterwards)
            warm.scan(_sample_batch(), "warm-up")
        ready = time.perf_counter() - start
        print(
            f"probe index built in {built:.2f} s (once per indicator set); "
            f"kernel machine code ready in {ready:.1f} s"
        )

        con = duckdb.connect()
        con.execute(f"SET threads = {args.threads}")
        con.execute("SET enable_progress_bar = false")
        con.execute(f"CREATE TABLE ind_raw AS SELECT value FROM '{ind_path}'")
        ceiling_sql = (
            f"SELECT count(*) FROM read_parquet('{obs_path}') o JOIN ind_raw i ON o.value = i.value"
        )
        log = detect_log(obs_path)
        engine = DuckDBCorrelator(read_observables, threads=args.threads)
        # Ceiling and engine alternate, so that both meet the same machine (on a
        # shared machine the speed drifts); the ratio is taken run by run.
        runs: list[tuple[float, float, float, float]] = []
        result = None
        ceiling_n: object = None
        for _ in range(args.repeats):
            c_wall, c_cpu, ceiling_n = _timed(lambda: con.sql(ceiling_sql).fetchall()[0])
            e_wall, e_cpu, result = _timed(lambda: engine.correlate(indicators, [log]))
            runs.append((c_wall, c_cpu, e_wall, e_cpu))
        con.close()

        rows = args.rows
        print(
            f"\n{rows:,} rows x {args.indicators:,} indicators, {args.threads} threads, "
            f"median of {args.repeats} ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)"
        )
        med = [statistics.median(r[i] for r in runs) for i in range(4)]
        share = statistics.median(r[0] / r[2] for r in runs)
        assert isinstance(result, CorrelationResult)
        print(
            f"  ceiling (plain DuckDB join)  {med[0]:6.2f} s  {rows / med[0] / 1e6:6.2f} M rows/s"
            f"  {med[1]:5.2f} CPU-s  ({ceiling_n[0]:,} pairs)"  # type: ignore[index]
        )
        print(
            f"  engine (DuckDBCorrelator)    {med[2]:6.2f} s  {rows / med[2] / 1e6:6.2f} M rows/s"
            f"  {med[3]:5.2f} CPU-s  ({len(result):,} matches, {result.rejected_count:,} rejects)"
        )
        print(f"  engine / ceiling, run by run: {share:.0%} (median)")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"  peak resident memory: {peak:,.0f} MiB (whole process, indicator set included)")
        parts(obs_path, indicators, args.threads, args.repeats, med[3])
        if args.text_rows:
            formats(directory, obs_path, indicators, engine, args.text_rows, args.repeats)


def parts(
    obs_path: Path, indicators: IndicatorSet, threads: int, repeats: int, engine_cpu: float
) -> None:
    """Where the engine's CPU time goes: DuckDB streaming the Parquet into
    Arrow (the engine's own query, alone), then the compiled kernel alone on
    those batches held in memory, on one thread, in all and by kind."""
    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    source = f"read_parquet('{obs_path}')"
    hashes = type_hashes_of(con, f"SELECT type FROM {source}")
    assert hashes is not None
    query = f"SELECT epoch_us(timestamp) AS ts_us, value, hash(type) AS type_hash FROM {source}"

    def read() -> int:  # the type names once, then the rows (as the engine does)
        type_hashes_of(con, f"SELECT type FROM {source}")
        return sum(b.num_rows for b in con.sql(query).to_arrow_reader())

    reads = [_timed(read) for _ in range(repeats)]
    batches = [
        pa.RecordBatch.from_arrays(
            [pa.array(np.arange(b.num_rows, dtype=np.int64)), *b.columns],
            names=["row_no", *b.schema.names],
        )
        for b in con.sql(query).to_arrow_reader()
    ]
    con.close()
    rows = sum(b.num_rows for b in batches)
    print(f"\nwhere the engine's time goes, median of {repeats} (CPU seconds, all threads):")
    read_cpu = statistics.median(r[1] for r in reads)
    read_wall = statistics.median(r[0] for r in reads)
    print(
        f"  DuckDB streaming the Parquet into Arrow alone  {read_cpu:5.2f} CPU-s"
        f"  ({read_wall:.2f} s on {threads} threads)"
    )
    with Kernel(indicators.index, indicators.plan, 1) as kernel:

        def scan(part: list[pa.RecordBatch]) -> None:
            for b in part:
                kernel.scan(b, "bench", split=False, type_hashes=hashes)

        cpu = statistics.median(_timed(lambda: scan(batches))[1] for _ in range(repeats))
        per_row = cpu / rows * 1e9
        print(
            f"  compiled kernel alone, one thread            {cpu:5.2f} CPU-s"
            f"  ({per_row:.0f} ns a row)"
        )
        kinds = []
        for kind in ObservableKind:
            part = [
                b.filter(pa.array(hashes.codes_of(b.column("type_hash")) == kind.value))
                for b in batches
            ]
            n = sum(b.num_rows for b in part)
            if n:
                t = statistics.median(
                    _timed(lambda part=part: scan(part))[1] for _ in range(repeats)
                )
                kinds.append(f"{kind.label} {t / n * 1e9:.0f}")
        print(f"    by kind, ns a row: {', '.join(kinds)}")
    print(f"  the engine in all (above)                    {engine_cpu:5.2f} CPU-s")


def head_logs(directory: Path, obs_path: Path, rows: int) -> dict[str, Path]:
    """The log's first ``rows`` rows as Parquet, CSV and JSON lines
    (timestamps as ISO 8601 text in the last two, as exported logs hold
    them), and as Zeek writes them: JSON lines with times as numbers of
    seconds, and its own tab-separated log; then their values two a row, as
    Zeek's JSON arrays and vector fields; and the JSON lines and Zeek log
    compressed with gzip (each written once, then reused)."""
    con = duckdb.connect()
    text = "strftime(timestamp, '%Y-%m-%dT%H:%M:%S.%fZ') AS timestamp"
    head = f"SELECT {{ts}}, value, type FROM '{obs_path}' LIMIT {rows}"
    paths = {}
    for suffix, ts, options in (
        ("parquet", text, "FORMAT parquet, ROW_GROUP_SIZE 122880"),
        ("csv", text, "FORMAT csv, HEADER"),
        ("jsonl", text, "FORMAT json"),
        ("zeek.jsonl", "epoch(timestamp) AS ts", "FORMAT json"),
    ):
        path = directory / f"{obs_path.stem}-head{rows}.{suffix}"
        if not path.exists():
            con.execute(f"COPY ({head.format(ts=ts)}) TO '{path}' ({options})")
        paths[suffix] = path
    zeek = directory / f"{obs_path.stem}-head{rows}.zeek.log"
    epoch = "printf('%.6f', epoch(timestamp)) AS ts"
    _zeek_log(con, head.format(ts=epoch), zeek, {"ts": "time", "value": "string", "type": "string"})
    paths["zeek.log"] = zeek
    # the same values two a row, as lists (a DNS answer's addresses and
    # names): Zeek's JSON arrays and its own vector fields; the kind inferred
    numbered = f"SELECT *, row_number() OVER () - 1 AS n FROM ({head.format(ts='timestamp')})"
    pairs = (
        "SELECT epoch(min(timestamp)) AS ts, list(value ORDER BY n) AS value "
        f"FROM ({numbered}) GROUP BY n // 2 ORDER BY min(n)"
    )
    lists = directory / f"{obs_path.stem}-head{rows}.lists.jsonl"
    if not lists.exists():
        con.execute(f"COPY ({pairs}) TO '{lists}' (FORMAT json)")
    paths["lists.jsonl"] = lists
    vectors = directory / f"{obs_path.stem}-head{rows}.lists.log"
    flat = f"SELECT printf('%.6f', ts), array_to_string(value, ',') FROM ({pairs})"
    _zeek_log(con, flat, vectors, {"ts": "time", "value": "vector[string]"})
    paths["lists.log"] = vectors
    # as collectors hand them over: rotated and compressed with gzip
    for suffix in ("jsonl", "zeek.log"):
        packed = paths[suffix].with_name(paths[suffix].name + ".gz")
        if not packed.exists():
            with paths[suffix].open("rb") as plain, gzip.open(packed, "wb", compresslevel=6) as out:
                shutil.copyfileobj(plain, out)
        paths[f"{suffix}.gz"] = packed
    con.close()
    return paths


def _zeek_log(
    con: duckdb.DuckDBPyConnection, query: str, path: Path, types: dict[str, str]
) -> None:
    """The rows of ``query`` as a Zeek log of fields ``types`` (name -> Zeek
    type), its header first (written once, then reused)."""
    if path.exists():
        return
    body = path.with_suffix(".body")
    con.execute(f"COPY ({query}) TO '{body}' (FORMAT csv, DELIMITER '\t', HEADER false)")
    header = ["#separator \\x09", "#set_separator\t,", "#unset_field\t-"]
    header += ["\t".join(["#fields", *types]), "\t".join(["#types", *types.values()])]
    with path.open("w") as out, body.open() as rows_in:
        out.write("\n".join(header) + "\n")
        shutil.copyfileobj(rows_in, out)
    body.unlink()


def formats(
    directory: Path,
    obs_path: Path,
    indicators: IndicatorSet,
    engine: DuckDBCorrelator,
    rows: int,
    repeats: int,
) -> None:
    """The engine on each of :func:`head_logs`, the median of ``repeats`` runs."""
    paths = head_logs(directory, obs_path, rows)
    print(f"\nthe first {rows:,} rows in each format, median of {repeats}:")
    for suffix, path in paths.items():
        log = detect_log(path)
        walls = []
        for _ in range(repeats):
            wall, _, out = _timed(lambda log=log: engine.correlate(indicators, [log]))
            walls.append(wall)
        assert isinstance(out, CorrelationResult)
        wall = statistics.median(walls)
        lists = "  (2 values a row)" if suffix.startswith("lists") else ""
        print(
            f"  {suffix:11s} {wall:6.2f} s  {rows / wall / 1e6:6.2f} M values/s  "
            f"({len(out):,} matches, {out.rejected_count:,} rejects){lists}"
        )


def _sample_batch() -> pa.RecordBatch:
    return pa.record_batch(
        {
            "row_no": pa.array([0, 1], pa.int64()),
            "ts": pa.array(["2024-01-01T00:00:00Z"] * 2),
            "value": pa.array(["198.51.100.7", "http://a.example/"]),
            "type": pa.array([None, "url"], pa.string()),
        }
    )


if __name__ == "__main__":
    main()
