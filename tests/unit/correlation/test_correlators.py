"""Every correlator gives the same matches and rejects (parametrised over engines)."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import subprocess
import sys
from collections import OrderedDict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from hashlib import blake2b
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from distributed import Client, LocalCluster
from tests.unit.correlation.helpers import write_log

from watchfloor.adapters.observables import ObservableLogError, detect_log, read_observables
from watchfloor.adapters.observables import jsonl as observables_jsonl
from watchfloor.engines.correlation import (
    ActorRef,
    DaskCorrelator,
    DuckDBCorrelator,
    Indicator,
    IndicatorCorrelator,
    IndicatorSet,
    dask_correlator,
    kernel,
)
from watchfloor.engines.correlation import ObservableKind as K
from watchfloor.engines.correlation.dask_correlator import partition_logs
from watchfloor.engines.correlation.kernel import Kernel
from watchfloor.engines.correlation.key_index import KeyIndex
from watchfloor.engines.correlation.keys import TYPE_NAMES
from watchfloor.engines.correlation.splits import span_counts

T0 = datetime(2025, 3, 1, tzinfo=UTC)
APT = ActorRef("intrusion-set--1", "intrusion-set", "APT Example")


def _ts(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


INDICATORS = [
    Indicator("ind-ip", K.IPV4, "198.51.100.7", "feed-a", T0, actors=(APT,)),
    Indicator("ind-net", K.IPV4, "203.0.113.0/24", "feed-a", T0, T0 + timedelta(hours=1)),
    Indicator("ind-v6", K.IPV6, "2001:db8:dead::/48", "feed-a", T0),
    Indicator("ind-dom", K.DOMAIN, "evil.example", "feed-b", T0),
    Indicator("ind-url", K.URL, "https://files.example/payload.bin", "feed-b", T0),
    Indicator("ind-md5", K.MD5, "d41d8cd98f00b204e9800998ecf8427e", "feed-b", T0),
    Indicator("ind-sha1", K.SHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709", "feed-b", T0),
    Indicator(
        "ind-sha256",
        K.SHA256,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "feed-b",
        T0,
    ),
]

ROWS: list[tuple[str, str, str | None]] = [
    (_ts(1), "198.51.100.7", "ipv4-addr"),  # exact IPv4
    (_ts(2), "203.0.113.99", None),  # in the CIDR, inside its window
    (_ts(90), "203.0.113.99", None),  # in the CIDR, after valid_until
    (_ts(-5), "198.51.100.7", None),  # before valid_from
    (_ts(3), "2001:DB8:DEAD:1::5", None),  # IPv6 in range
    (_ts(4), "cdn.EVIL.example", "domain"),  # subdomain
    (_ts(5), "notevil.example", "domain"),  # no label boundary
    (_ts(6), "HTTPS://Files.Example:443/payload.bin", "url"),  # URL, normalised
    (_ts(7), "http://login.evil.example/x", "url"),  # URL through its host
    (_ts(8), "D41D8CD98F00B204E9800998ECF8427E", None),  # MD5, upper case
    (_ts(9), "da39a3ee5e6b4b0d3255bfef95601890afd80709", "hash"),
    (_ts(10), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sha256"),
    (_ts(11), "192.0.2.200", None),  # no match
    (_ts(12), "300.1.1.1", "ipv4"),  # malformed
    ("yesterday", "198.51.100.7", None),  # malformed timestamp
    (_ts(13), "abc", "md5"),  # malformed hash
]
EXPECTED = {
    (0, "ind-ip"),
    (1, "ind-net"),
    (4, "ind-v6"),
    (5, "ind-dom"),
    (7, "ind-url"),
    (8, "ind-dom"),
    (9, "ind-md5"),
    (10, "ind-sha1"),
    (11, "ind-sha256"),
}
EXPECTED_REJECTS = {
    13: "not an IPv4 address",
    14: "missing or malformed timestamp",
    15: "not a MD5 (32 hex digits) hash",
}


@pytest.fixture(scope="module")
def dask_client() -> Iterator[Client]:
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


@pytest.fixture(params=["duckdb", "dask"])
def correlator(request: pytest.FixtureRequest) -> IndicatorCorrelator:
    if request.param == "duckdb":
        return DuckDBCorrelator(read_observables)
    client = request.getfixturevalue("dask_client")
    return DaskCorrelator(read_observables, client=client, row_groups_per_task=1)


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".json", ".parquet"])
def test_matches_every_kind_within_validity_windows(
    tmp_path: Path, correlator: IndicatorCorrelator, suffix: str
) -> None:
    log = detect_log(write_log(tmp_path / f"obs{suffix}", ROWS))
    first = {".csv": 2, ".jsonl": 1, ".json": 2, ".parquet": 0}[suffix]
    per_row = 5 if suffix == ".json" else 1  # a JSON array's elements: five lines each

    def index(row: int) -> int:
        assert (row - first) % per_row == 0  # the line each element starts on
        return (row - first) // per_row

    result = correlator.correlate(IndicatorSet.build(INDICATORS), [log])
    got = {(index(m.row), m.indicator.id) for m in result.matches()}
    assert got == EXPECTED
    assert {index(r.row): r.reason for r in result.rejected} == EXPECTED_REJECTS
    assert result.rejected_count == 3
    assert result.rejected_by_reason == {reason: 1 for reason in EXPECTED_REJECTS.values()}
    assert result.rows_read == len(ROWS)


@pytest.mark.parametrize("block", [150, 400, 1 << 24])
def test_json_times_as_seconds_since_the_epoch_match_as_their_text_does(
    tmp_path: Path,
    correlator: IndicatorCorrelator,
    monkeypatch: pytest.MonkeyPatch,
    block: int,
) -> None:
    """Zeek writes times as numbers of seconds: blocks of such lines give
    timestamps, blocks mixing them with text give text; both must match as
    the text alone does, windows and malformed times included."""
    path = tmp_path / "conn.jsonl"
    with path.open("w") as out:
        for ts, value, kind in ROWS:
            when: object = ts
            if ts != "yesterday":
                when = datetime.fromisoformat(ts).timestamp() + 0.25
            out.write(json.dumps({"ts": when, "value": value, "type": kind}) + "\n")
    monkeypatch.setattr(observables_jsonl, "_JSON_BLOCK", block)
    result = correlator.correlate(IndicatorSet.build(INDICATORS), [detect_log(path)])
    assert {(m.row - 1, m.indicator.id) for m in result.matches()} == EXPECTED
    assert {r.row - 1: r.reason for r in result.rejected} == EXPECTED_REJECTS
    [seen] = [m for m in result.matches() if m.row == 1]
    assert seen.observed_at == T0 + timedelta(minutes=1, seconds=0.25)


def test_json_fields_nested_as_ecs_writes_them_match_through_dotted_names(
    tmp_path: Path, correlator: IndicatorCorrelator
) -> None:
    path = tmp_path / "ecs.jsonl"
    with path.open("w") as out:
        for ts, value, kind in ROWS:
            doc = {"@timestamp": ts, "event": {"kind": "event"}, "threat": {"value": value}}
            if kind is not None:
                doc["threat"]["type"] = kind  # type: ignore[index]
            out.write(json.dumps(doc) + "\n")
    log = detect_log(path, value_column="threat.value", type_column="threat.type")
    result = correlator.correlate(IndicatorSet.build(INDICATORS), [log])
    assert {(m.row - 1, m.indicator.id) for m in result.matches()} == EXPECTED
    assert {r.row - 1: r.reason for r in result.rejected} == EXPECTED_REJECTS


def test_zeek_logs_match_as_the_same_rows_written_as_csv(
    tmp_path: Path, correlator: IndicatorCorrelator
) -> None:
    log = detect_log(_zeek_log(tmp_path / "intel.log", ROWS))
    assert log.format == "zeek"
    result = correlator.correlate(IndicatorSet.build(INDICATORS), [log])
    first = 5  # four header lines
    assert {(m.row - first, m.indicator.id) for m in result.matches()} == EXPECTED
    assert {r.row - first: r.reason for r in result.rejected} == EXPECTED_REJECTS
    assert result.rows_read == len(ROWS)


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet", ".json"])
def test_progress_counts_the_rows_read_of_the_rows_in_all(
    tmp_path: Path, correlator: IndicatorCorrelator, suffix: str
) -> None:
    log = detect_log(write_log(tmp_path / f"obs{suffix}", ROWS))
    heard: list[tuple[int, int | None]] = []
    correlator.correlate(
        IndicatorSet.build(INDICATORS), [log], progress=lambda d, t: heard.append((d, t))
    )
    assert heard[-1] == (len(ROWS), len(ROWS))  # a small log's rows are counted
    assert all(t is not None and d <= t for d, t in heard)


def test_a_match_links_to_the_indicator_actors(
    tmp_path: Path, correlator: IndicatorCorrelator
) -> None:
    log = detect_log(write_log(tmp_path / "obs.parquet", ROWS[:1]))
    [match] = correlator.correlate(IndicatorSet.build(INDICATORS), [log]).matches()
    assert match.indicator.actors == (APT,)
    assert match.observed_at == T0 + timedelta(minutes=1)
    assert match.observed_kind is K.IPV4


def test_an_indicator_set_serves_many_runs_with_one_index(
    tmp_path: Path, correlator: IndicatorCorrelator
) -> None:
    indicators = IndicatorSet.build(INDICATORS)
    log = detect_log(write_log(tmp_path / "obs.parquet", ROWS))
    first = correlator.correlate(indicators, [log])
    index = indicators.index
    second = correlator.correlate(indicators, [log])
    assert indicators.index is index  # built once, kept by the set
    assert first.sorted_table().equals(second.sorted_table())
    assert {(m.row, m.indicator.id) for m in second.matches()} == EXPECTED


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_runs_at_the_same_time_share_the_database_and_agree(tmp_path: Path, suffix: str) -> None:
    # every run takes a cursor of one DuckDB kept for the process: runs on
    # several threads at once, each ending (closing its cursor) while others
    # read, all find the same matches and rejects
    indicators = IndicatorSet.build(INDICATORS)
    log = detect_log(write_log(tmp_path / f"obs{suffix}", ROWS * 200))
    correlator = DuckDBCorrelator(read_observables, threads=2)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: correlator.correlate(indicators, [log]), range(8)))
    first = results[0]
    assert len(first) == len(EXPECTED) * 200
    assert first.rejected_count == len(EXPECTED_REJECTS) * 200
    for other in results[1:]:
        assert other.sorted_table().equals(first.sorted_table())
        assert other.rejected_count == first.rejected_count


def test_engines_agree_on_a_multi_partition_log(tmp_path: Path, dask_client: Client) -> None:
    rows = [(_ts(i % 50), v, t) for i in range(40) for (_, v, t) in ROWS]
    logs = [
        detect_log(write_log(tmp_path / "a.parquet", rows, row_group_size=100)),
        detect_log(write_log(tmp_path / "b.csv", rows[:100])),
    ]
    indicators = IndicatorSet.build(INDICATORS)
    local = DuckDBCorrelator(read_observables).correlate(indicators, logs)
    spread = DaskCorrelator(read_observables, client=dask_client, row_groups_per_task=2).correlate(
        indicators, logs
    )
    assert local.sorted_table().equals(spread.sorted_table())
    assert local.rejected_count == spread.rejected_count > 0
    assert local.rows_read == spread.rows_read == len(rows) + 100


def test_dask_workers_keep_the_index_of_the_last_sets_for_the_runs_that_follow(
    tmp_path: Path, dask_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    logs = [detect_log(write_log(tmp_path / "a.parquet", ROWS))]
    sets = {n: IndicatorSet.build(INDICATORS[:n]) for n in (3, 4, 5)}
    local = DuckDBCorrelator(read_observables)
    expected = {n: local.correlate(s, logs).sorted_table() for n, s in sets.items()}
    # the cluster's workers are threads of this process: one count for both
    monkeypatch.setattr(dask_correlator, "_KERNELS", OrderedDict())
    built: list[int] = []
    original = KeyIndex.build

    def build(keys: pa.Table) -> KeyIndex:
        built.append(keys.num_rows)
        return original(keys)

    monkeypatch.setattr(dask_correlator.KeyIndex, "build", staticmethod(build), raising=True)
    engine = DaskCorrelator(read_observables, client=dask_client, row_groups_per_task=1)

    def run(n: int) -> None:
        assert engine.correlate(sets[n], logs).sorted_table().equals(expected[n])

    run(3)
    run(3)
    assert len(built) == 1  # the second run reused the index
    run(4)
    run(3)
    assert len(built) == 2  # the last two sets are kept
    run(5)  # a third: the least recently used (4) goes
    run(3)
    assert len(built) == 3
    run(4)
    assert len(built) == 4
    # the same keys, compiled again, are known by the same digest
    assert IndicatorSet.build(INDICATORS[:3]).digest == sets[3].digest != sets[4].digest


def test_a_kernel_in_use_is_not_closed_when_others_push_it_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(dask_correlator, "_KERNELS", OrderedDict())
    sets = [IndicatorSet.build(INDICATORS[: n + 1]) for n in range(4)]

    def kernel_of(s: IndicatorSet) -> AbstractContextManager[Kernel]:
        return dask_correlator._kernel(s.digest, s.keys, s.plan, 1)

    batch = pa.record_batch(
        {
            "row_no": pa.array([0], pa.int64()),
            "ts": pa.array([_ts(1)]),
            "value": pa.array(["198.51.100.7"]),
            "type": pa.array([None], pa.string()),
        }
    )
    with kernel_of(sets[0]) as held:
        for s in sets[1:]:  # three more sets, one after another
            with kernel_of(s):
                pass
        matches, _, _ = held.scan(batch, "log")
        assert matches.num_rows == 1  # still open
        # the one in use is kept, beside the last used of the others
        assert _kept() == [sets[0].digest, sets[3].digest]
    with kernel_of(sets[1]):  # now the first is the least recently used, and unused
        pass
    assert _kept() == [sets[3].digest, sets[1].digest]


def _kept() -> list[str]:
    """The digests of the key sets whose kernels this process keeps, oldest first."""
    return [name[0] for name in dask_correlator._KERNELS]


def _zeek_log(path: Path, rows: list[tuple[str, str, str | None]]) -> Path:
    """``rows`` as Zeek writes them, with its header and #close line."""
    lines = ["#separator \\x09", "#unset_field\t-", "#fields\tts\tvalue\ttype"]
    lines.append("#types\ttime\tstring\tstring")
    for ts, value, kind in rows:
        when = ts if ts == "yesterday" else f"{datetime.fromisoformat(ts).timestamp():.6f}"
        lines.append(f"{when}\t{value}\t{kind or '-'}")
    path.write_text("\n".join([*lines, "#close\t2025-03-01-12-00-00"]) + "\n")
    return path


@pytest.mark.parametrize("size", [97, 700, 5000])
def test_text_logs_cut_into_byte_ranges_give_the_lines_of_the_whole(
    tmp_path: Path, dask_client: Client, size: int
) -> None:
    rows = [(_ts(i % 50), v, t) for i in range(30) for (_, v, t) in ROWS]
    jsonl = write_log(tmp_path / "a.jsonl", rows)
    with jsonl.open("a") as out:  # lines the line reader must report, by number
        out.write("\n{not json\n" + json.dumps({"timestamp": _ts(1), "value": "198.51.100.7"}))
    zeek = _zeek_log(tmp_path / "b.log", rows[:200])
    listed, _ = _listed_log(tmp_path / "c.log")  # a vector a row: the elements under their row
    csv = write_log(tmp_path / "d.csv", rows[:150])
    with csv.open("a") as out:  # a line the reader reports, by number
        out.write('x,"y\n')
    # quoted fields holding a line end: a range may start inside one, and then
    # that log is read again whole; quotes that open nothing (bare in a field,
    # or after the closing one) do not make it think so, nor miss one
    quoted = tmp_path / "e.csv"
    notes = ['"plain"', '"two\nlines, one field"', 'say "hi"', '"a ""quoted"" word"', '"x"y"z', ""]
    quoted.write_text(
        "timestamp,value,type,note\n"
        + "".join(f"{t},{v},{k or ''},{notes[i % 6]}\n" for i, (t, v, k) in enumerate(rows[:60]))
    )
    # the Zeek log read twice, as two value columns would read it
    logs = [detect_log(jsonl), detect_log(zeek), detect_log(zeek, value_column="type")]
    logs += [detect_log(listed), detect_log(csv), detect_log(quoted)]
    indicators = IndicatorSet.build(INDICATORS)
    local = DuckDBCorrelator(read_observables).correlate(indicators, logs)
    assert len(partition_logs(logs, 8, size)) > 2
    spread = DaskCorrelator(read_observables, client=dask_client, bytes_per_task=size)
    cut = spread.correlate(indicators, logs)
    assert local.sorted_table().equals(cut.sorted_table())
    assert len(local) > 30 * len(EXPECTED)
    assert sorted((r.file, r.row, r.reason) for r in cut.rejected) == sorted(
        (r.file, r.row, r.reason) for r in local.rejected
    )
    assert local.rejected_count == cut.rejected_count
    assert local.rejected_by_reason == cut.rejected_by_reason
    assert sum(local.rejected_by_reason.values()) == local.rejected_count
    assert local.rejected_by_reason["not valid JSON"] == 1  # a reader's reject, by its kind
    assert local.rows_read == cut.rows_read
    assert local.rows_read == len(rows) + 1 + 2 * 200 + len(LISTED) + 150 + 60
    assert {m.row for m in cut.matches() if m.file == str(listed)} == {7, 8, 13}
    ends_inside = [
        span_counts(str(quoted), p.byte_range or (0, 0), b'"')[1]
        for p in partition_logs([logs[-1]], 8, size)
    ]
    if size == 97:  # some of these cuts fall inside quotes: the log was read again whole
        assert 1 in ends_inside[:-1]


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_small_chunks_give_the_same_matches_and_line_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    log = detect_log(write_log(tmp_path / f"obs{suffix}", ROWS * 3))
    indicators = IndicatorSet.build(INDICATORS)
    whole = DuckDBCorrelator(read_observables).correlate(indicators, [log])
    monkeypatch.setattr(kernel, "CHUNK_ROWS", 5)  # many queries, each a few rows
    monkeypatch.setattr(observables_jsonl, "_BATCH", 3)  # JSON lines: batches of 3
    chunked = DuckDBCorrelator(read_observables).correlate(indicators, [log])
    assert chunked.sorted_table().equals(whole.sorted_table())
    assert len(whole) == 3 * len(EXPECTED)
    assert sorted(r.row for r in chunked.rejected) == sorted(r.row for r in whole.rejected)
    assert chunked.rows_read == whole.rows_read == 3 * len(ROWS)


#: Rows whose type names come in every form a log may write them: cases,
#: padding, aliases, none, unknown, non-ASCII (a Parquet log hands them over as
#: DuckDB's hash of each name; a CSV log as the names).
TYPED_ROWS: list[tuple[str, str, str | None]] = [
    (_ts(1), "198.51.100.7", "IPv4-Addr"),
    (_ts(2), "203.0.113.99", " ip-dst "),
    (_ts(3), "2001:db8:dead::9", "IP"),
    (_ts(4), "cdn.evil.example", "Domain-Name"),
    (_ts(5), "files.example", "FQDN"),
    (_ts(6), "https://files.example/payload.bin", "URI"),
    (_ts(7), "D41D8CD98F00B204E9800998ECF8427E", "Hash"),
    (_ts(8), "da39a3ee5e6b4b0d3255bfef95601890afd80709", "SHA-1"),
    (_ts(9), "198.51.100.7", None),
    (_ts(10), "198.51.100.7", "nonsense"),
    (_ts(11), "198.51.100.7", "адрес"),
    (_ts(12), "evil.example", "ДОМЕН"),
    (_ts(13), "evil.example", "domain"),
    (_ts(14), "300.1.1.1", "ipv4"),
]
TYPED_EXPECTED = {
    (0, "ind-ip"),
    (1, "ind-net"),
    (2, "ind-v6"),
    (3, "ind-dom"),
    (5, "ind-url"),
    (6, "ind-md5"),
    (7, "ind-sha1"),
    (8, "ind-ip"),
    (12, "ind-dom"),
}
TYPED_REJECTS = {
    9: "unknown observable type nonsense",
    10: "unknown observable type адрес",
    11: "unknown observable type ДОМЕН",
    13: "not an IPv4 address",
}


@pytest.mark.parametrize("names_by_hash", [True, False])
def test_type_names_in_any_form_read_alike_from_parquet_and_csv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, names_by_hash: bool
) -> None:
    if not names_by_hash:  # more distinct names than the table takes: names row by row
        monkeypatch.setattr(kernel, "_MAX_TYPE_NAMES", 3)
    batches_by_hash = []
    codes_of = kernel.TypeHashes.codes_of

    def counted(self: kernel.TypeHashes, hashes: pa.Array) -> np.ndarray:
        batches_by_hash.append(len(hashes))
        return codes_of(self, hashes)

    monkeypatch.setattr(kernel.TypeHashes, "codes_of", counted)
    indicators = IndicatorSet.build(INDICATORS)
    for suffix, first in ((".parquet", 0), (".csv", 2)):
        log = detect_log(write_log(tmp_path / f"typed{suffix}", TYPED_ROWS))
        result = DuckDBCorrelator(read_observables).correlate(indicators, [log])
        assert {(m.row - first, m.indicator.id) for m in result.matches()} == TYPED_EXPECTED
        assert {r.row - first: r.reason for r in result.rejected} == TYPED_REJECTS, suffix
    assert sum(batches_by_hash) == (len(TYPED_ROWS) if names_by_hash else 0)


def _hash64(name: str | None) -> int:  # any 64-bit numbers serve as the hashes
    return int.from_bytes(blake2b(repr(name).encode(), digest_size=8).digest())


@pytest.mark.parametrize("many", [False, True])
def test_type_hashes_give_every_name_its_code(many: bool) -> None:
    names: list[str | None] = [None, "", "  ", *{t for _, _, t in TYPED_ROWS if t is not None}]
    names += [n.upper() for n in TYPE_NAMES]
    if many:  # more than a collision-free multiplier is found for: slots taken in turn
        names += [f"type-{i}" for i in range(3000)]
    hashes = [_hash64(n) for n in names]
    table = kernel.TypeHashes.of(dict(zip(hashes, names, strict=True)))
    assert 4 * len(names) <= table.keys.size < 8 * len(names) + 64
    with np.errstate(over="ignore"):
        homes = (np.array(hashes, np.uint64) * table.multiplier) >> table.shift
    at_home = table.keys[homes] == np.array(hashes, np.uint64)
    assert at_home.all() if not many else 0.7 < at_home.mean() < 1
    codes = table.codes_of(pa.array(hashes, pa.uint64()))
    assert codes.tolist() == [kernel.type_code(n) for n in names]
    assert table.names_at(pa.array(hashes, pa.uint64()), np.array([3, 0])) == [names[3], None]
    with pytest.raises(ValueError, match="a type name not seen before"):
        table.codes_of(pa.array([hashes[0], _hash64("never seen")], pa.uint64()))


# Several values a row: a Zeek set or vector (dns.log's answers), a JSON array
# (ECS's related.ip), a Parquet list. Each element is matched, or rejected,
# under its row; an empty list holds no value, a missing one is reported empty.
LISTED: list[tuple[str, list[str] | None, str | None]] = [
    (_ts(1), ["198.51.100.7", "192.0.2.200", "cdn.EVIL.example"], None),
    (_ts(2), ["203.0.113.99", "300.1.1.1"], "ipv4"),  # in the CIDR; malformed
    (_ts(90), ["203.0.113.99"], None),  # after the CIDR's valid_until
    (_ts(3), [], None),
    ("yesterday", None, None),  # no value: whatever its time, nothing to report
    ("yesterday", ["198.51.100.7", "evil.example"], None),
    (_ts(5), ["D41D8CD98F00B204E9800998ECF8427E", "http://login.evil.example/x"], None),
]
LISTED_MATCHES = {
    (0, "198.51.100.7", "ind-ip"),
    (0, "cdn.EVIL.example", "ind-dom"),
    (1, "203.0.113.99", "ind-net"),
    (6, "D41D8CD98F00B204E9800998ECF8427E", "ind-md5"),
    (6, "http://login.evil.example/x", "ind-dom"),
}
LISTED_REJECTS = [
    (1, "300.1.1.1", "not an IPv4 address"),
    (5, "198.51.100.7", "missing or malformed timestamp"),
    (5, "evil.example", "missing or malformed timestamp"),
]


def _listed_log(path: Path) -> tuple[Path, int]:
    """:data:`LISTED` as a log of ``path``'s format, and its first row's number."""
    names = ("ts", "value", "type")
    if path.suffix == ".jsonl":
        rows = (json.dumps(dict(zip(names, r, strict=True))) + "\n" for r in LISTED)
        path.write_text("".join(rows))
        return path, 1
    if path.suffix == ".parquet":
        columns = {k: list(v) for k, v in zip(names, zip(*LISTED, strict=True), strict=True)}
        pq.write_table(pa.table(columns), path, row_group_size=3)
        return path, 0
    lines = ["#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)", "#unset_field\t-"]
    lines += ["#fields\tts\tvalue\ttype", "#types\ttime\tvector[string]\tstring"]
    for ts, values, kind in LISTED:
        when = ts if ts == "yesterday" else f"{datetime.fromisoformat(ts).timestamp():.6f}"
        written = "-" if values is None else ",".join(values) or "(empty)"
        lines.append(f"{when}\t{written}\t{kind or '-'}")
    path.write_text("\n".join(lines) + "\n")
    return path, 7


@pytest.mark.parametrize("name", ["dns.jsonl", "dns.parquet", "dns.log"])
def test_each_value_of_a_list_matches_under_its_row(
    tmp_path: Path, correlator: IndicatorCorrelator, name: str
) -> None:
    path, first = _listed_log(tmp_path / name)
    log = detect_log(path)
    result = correlator.correlate(IndicatorSet.build(INDICATORS), [log])
    got = {(m.row - first, m.observed_value, m.indicator.id) for m in result.matches()}
    assert got == LISTED_MATCHES
    rejects = sorted(((r.row - first, r.value, r.reason) for r in result.rejected), key=str)
    assert rejects == sorted(LISTED_REJECTS, key=str)
    assert result.without_value == 1  # the null list; the empty one holds no value at all
    assert result.rows_read == len(LISTED)  # rows, not values


def _in_unit(ts: str, per_second: int) -> int | None:
    """An ISO time as a whole number of ``1/per_second`` since the epoch (+0.123 s)."""
    if ts == "yesterday":
        return None
    return int((datetime.fromisoformat(ts).timestamp() + 0.123) * per_second)


@pytest.mark.parametrize(
    ("name", "unit"),
    [
        ("ms.csv", "ms"),
        ("ms.jsonl", "ms"),
        ("text.jsonl", "ms"),
        ("ms.parquet", "ms"),
        ("text.parquet", "ms"),
        ("ms.log", "ms"),
        ("s.csv", "s"),
        ("us.parquet", "us"),
        ("ns.jsonl", "ns"),
    ],
)
def test_times_given_as_numbers_in_a_unit_match_as_their_text_does(
    tmp_path: Path, correlator: IndicatorCorrelator, name: str, unit: str
) -> None:
    per_second = {"s": 1, "ms": 1000, "us": 10**6, "ns": 10**9}[unit]
    whole = [(_in_unit(ts, per_second), value, kind) for ts, value, kind in ROWS]
    if unit == "s":  # seconds with their fraction, as text
        whole = [(None if n is None else n + 0.123, v, k) for n, v, k in whole]
    path = tmp_path / name
    as_text = name.startswith("text") or path.suffix in (".csv", ".log")
    rows = [("" if n is None else str(n)) if as_text else n for n, _, _ in whole]
    rows = ["yesterday" if r == "" and path.suffix != ".log" else r for r in rows]
    if path.suffix == ".jsonl":
        lines = [{"ts": t, "value": v, "type": k} for t, (_, v, k) in zip(rows, whole, strict=True)]
        path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    elif path.suffix == ".parquet":
        values, kinds = [v for _, v, _ in whole], [k for _, _, k in whole]
        pq.write_table(pa.table({"ts": rows, "value": values, "type": kinds}), path)
    elif path.suffix == ".csv":
        path.write_text(
            "ts,value,type\n"
            + "".join(f"{t},{v},{k or ''}\n" for t, (_, v, k) in zip(rows, whole, strict=True))
        )
    else:  # a Zeek log whose times are a count of milliseconds, not a time field
        lines = ["#separator \\x09", "#unset_field\t-", "#fields\tts\tvalue\ttype"]
        lines.append("#types\tcount\tstring\tstring")
        lines += [f"{t or '-'}\t{v}\t{k or '-'}" for t, (_, v, k) in zip(rows, whole, strict=True)]
        path.write_text("\n".join(lines) + "\n")
    log = detect_log(path, ts_unit=unit)
    first = {".csv": 2, ".jsonl": 1, ".parquet": 0, ".log": 5}[path.suffix]
    result = correlator.correlate(IndicatorSet.build(INDICATORS), [log])
    assert {(m.row - first, m.indicator.id) for m in result.matches()} == EXPECTED
    assert {r.row - first: r.reason for r in result.rejected} == EXPECTED_REJECTS
    [seen] = [m for m in result.matches() if m.row == first]
    assert seen.observed_at == T0 + timedelta(minutes=1, seconds=0.123)


@pytest.mark.parametrize("packing", ["gzip", "bzip2", "xz", "utf-16", "utf-16 in gzip"])
@pytest.mark.parametrize("name", ["obs.csv", "obs.jsonl", "intel.log", "events.json"])
def test_a_log_compressed_with_gzip_or_in_utf16_matches_as_the_plain_one(
    tmp_path: Path, correlator: IndicatorCorrelator, name: str, packing: str
) -> None:
    plain = tmp_path / name
    if name.endswith(".log"):
        _zeek_log(plain, ROWS)
    else:
        write_log(plain, ROWS)
    data = plain.read_bytes()
    if "utf-16" in packing:  # as Windows PowerShell 5.1 writes a file, its byte-order mark first
        data = data.decode("utf-8").encode("utf-16")
    suffix, pack = {
        "gzip": (".gz", gzip.compress),
        "bzip2": (".bz2", bz2.compress),
        "xz": (".xz", lzma.compress),
    }.get(packing.split()[-1], ("", bytes))
    packed = tmp_path / (f"{name}{suffix}" if suffix else f"windows-{name}")  # as rotated
    packed.write_bytes(pack(data))
    log = detect_log(packed)
    assert partition_logs([log], 8, bytes_per_task=10) == [log]  # read whole, never in ranges
    result = correlator.correlate(IndicatorSet.build(INDICATORS), [log])
    first = {".csv": 2, ".jsonl": 1, ".log": 5, ".json": 2}[plain.suffix]
    step = 5 if plain.suffix == ".json" else 1  # an element from line 2 + 5 i (see write_log)
    assert {((m.row - first) // step, m.indicator.id) for m in result.matches()} == EXPECTED
    assert {(r.row - first) // step: r.reason for r in result.rejected} == EXPECTED_REJECTS
    assert result.rows_read == len(ROWS)
    assert {m.file for m in result.matches()} == {str(packed)}


@pytest.mark.parametrize(
    ("suffix", "text_format", "zone"),
    [
        (".csv", "%m/%d/%Y %I:%M:%S %p", UTC),  # Windows Event Viewer's CSV, as UTC
        (".jsonl", "%d/%b/%Y:%H:%M:%S %z", timezone(timedelta(hours=1))),  # a web server's
        (".parquet", "%Y-%m-%d %H:%M:%S.%f", UTC),
        (".csv", "%a, %d %b %Y %H:%M:%S %z", timezone(timedelta(hours=-5))),  # RFC 2822
    ],
)
def test_times_written_as_text_in_a_format_match_as_iso_8601_does(
    tmp_path: Path, correlator: IndicatorCorrelator, suffix: str, text_format: str, zone: timezone
) -> None:
    written = [
        (
            ts
            if ts == "yesterday"
            else datetime.fromisoformat(ts).astimezone(zone).strftime(text_format),
            v,
            k,
        )
        for ts, v, k in ROWS
    ]
    path = write_log(tmp_path / f"log{suffix}", written)
    log = detect_log(path, ts_format=text_format)
    first = {".csv": 2, ".jsonl": 1, ".parquet": 0}[suffix]
    result = correlator.correlate(IndicatorSet.build(INDICATORS), [log])
    assert {(m.row - first, m.indicator.id) for m in result.matches()} == EXPECTED
    assert {r.row - first: r.reason for r in result.rejected} == EXPECTED_REJECTS
    if text_format.startswith("%Y-%m-%d"):
        return  # ISO 8601 as well
    # read as ISO 8601, none of those times is one
    plain = correlator.correlate(IndicatorSet.build(INDICATORS), [detect_log(path)])
    assert len(plain) == 0
    assert plain.rejected_by_reason == {"missing or malformed timestamp": len(ROWS)}


def test_a_time_format_is_checked_before_any_row_is_read(tmp_path: Path) -> None:
    path = write_log(tmp_path / "log.csv", ROWS)
    with pytest.raises(ObservableLogError, match=r"log\.csv: time format '%Y-%Q'.*%Q"):
        detect_log(path, ts_format="%Y-%Q")
    with pytest.raises(ObservableLogError, match=r"numbers since the epoch \(in a unit\), or text"):
        detect_log(path, ts_unit="ms", ts_format="%Y")
    with pytest.raises(ObservableLogError, match="not both"):
        detect_log(path, ts_unit="s", ts_zone="Europe/Brussels")
    with pytest.raises(ObservableLogError, match=r"log\.csv: time zone 'Europe/Bruxelles'"):
        detect_log(path, ts_zone="Europe/Bruxelles")


@pytest.mark.parametrize(
    ("suffix", "text_format"),
    [(".csv", None), (".jsonl", None), (".parquet", None), (".csv", "%m/%d/%Y %I:%M:%S %p")],
)
@pytest.mark.parametrize("days", [0, 30])  # 2025-03-01 (UTC+1), 2025-03-31 (summer time, UTC+2)
def test_local_times_in_a_zone_match_as_their_instants_do(
    tmp_path: Path,
    correlator: IndicatorCorrelator,
    suffix: str,
    text_format: str | None,
    days: int,
) -> None:
    # every time a wall clock in Brussels, without an offset (read as UTC, the
    # rows near the validity windows' ends would fall on their other side);
    # in ISO 8601 text, the first with an offset of its own, an instant
    shift = timedelta(days=days)
    indicators = [
        replace(
            i,
            valid_from=i.valid_from and i.valid_from + shift,
            valid_until=i.valid_until and i.valid_until + shift,
        )
        for i in INDICATORS
    ]
    brussels = ZoneInfo("Europe/Brussels")
    instants = [None if t == "yesterday" else datetime.fromisoformat(t) + shift for t, _, _ in ROWS]
    walls = [None if t is None else t.astimezone(brussels).replace(tzinfo=None) for t in instants]
    path = tmp_path / f"log{suffix}"
    if suffix == ".parquet":  # timestamps without a zone
        columns = {"ts": pa.array(walls, pa.timestamp("us"))}
        columns |= {"value": [v for _, v, _ in ROWS], "type": [k for _, _, k in ROWS]}
        pq.write_table(pa.table(columns), path)
    else:
        texts = [
            "yesterday" if w is None else w.strftime(text_format or "%Y-%m-%d %H:%M:%S")
            for w in walls
        ]
        if text_format is None:
            assert instants[0] is not None
            texts[0] = instants[0].astimezone(timezone(timedelta(hours=-7))).isoformat()
        write_log(path, [(t, v, k) for t, (_, v, k) in zip(texts, ROWS, strict=True)])
    first = {".csv": 2, ".jsonl": 1, ".parquet": 0}[suffix]
    log = detect_log(path, ts_format=text_format, ts_zone="Europe/Brussels")
    result = correlator.correlate(IndicatorSet.build(indicators), [log])
    assert {(m.row - first, m.indicator.id) for m in result.matches()} == EXPECTED
    assert {r.row - first: r.reason for r in result.rejected} == EXPECTED_REJECTS
    as_utc = correlator.correlate(
        IndicatorSet.build(indicators), [detect_log(path, ts_format=text_format)]
    )
    assert {(m.row - first, m.indicator.id) for m in as_utc.matches()} != EXPECTED


def _ocsf_events() -> list[dict[str, object]]:
    """Network and DNS events as OCSF writes them (Amazon Security Lake keeps
    them as Parquet): nested objects, arrays of objects, arrays in those."""
    events: list[dict[str, object]] = []
    for n, (ts, value, _) in enumerate(ROWS):
        events.append(
            {
                "metadata": {"logged_time": ts, "product": {"name": "fw"}},
                "dst_endpoint": {"ip": value if n % 2 else None, "port": 443},
                "answers": [{"rdata": value, "type": "A"}, {"type": "CNAME"}] if n % 3 else [],
                "interfaces": [{"ips": [{"ip": value}], "names": [value, "x.invalid"]}],
            }
        )
    return events


@pytest.mark.parametrize(
    "path", ["dst_endpoint.ip", "answers.rdata", "interfaces.ips.ip", "interfaces.names"]
)
def test_a_parquet_logs_nested_fields_read_as_the_same_json_lines_do(
    tmp_path: Path, correlator: IndicatorCorrelator, path: str
) -> None:
    events = _ocsf_events()
    lines = tmp_path / "ocsf.jsonl"
    lines.write_text("".join(json.dumps(e) + "\n" for e in events))
    table = tmp_path / "ocsf.parquet"
    pq.write_table(pa.Table.from_pylist(events), table, row_group_size=4)
    indicators = IndicatorSet.build(INDICATORS)
    seen = []
    for log_path, first in ((lines, 1), (table, 0)):
        log = detect_log(log_path, ts_column="metadata.logged_time", value_column=path)
        result = correlator.correlate(indicators, [log])
        matches = {(m.row - first, m.indicator.id, m.observed_value) for m in result.matches()}
        rejects = {(r.row - first, r.reason) for r in result.rejected}
        seen.append((matches, rejects, result.rows_read, result.without_value))
    assert seen[0] == seen[1]
    assert len(seen[0][0]) >= 3  # matches in each form, nested or listed
    with pytest.raises(ObservableLogError, match="holds a list, not one time a row"):
        detect_log(table, ts_column="answers.type", value_column=path)
    with pytest.raises(ObservableLogError, match=r"no column 'dst_endpoint\.mac'"):
        detect_log(table, ts_column="metadata.logged_time", value_column="dst_endpoint.mac")


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_a_files_hashes_as_sysmon_lists_them_match_each(
    tmp_path: Path, correlator: IndicatorCorrelator, suffix: str
) -> None:
    by_id = {i.id: i.value.upper() for i in INDICATORS}
    md5, sha1, sha256 = by_id["ind-md5"], by_id["ind-sha1"], by_id["ind-sha256"]
    imphash = md5  # a hash of the import table: no file hash, whatever it equals
    rows = [
        (_ts(1), f"SHA1={sha1},MD5=0123456789ABCDEF0123456789ABCDEF,SHA256={sha256}", None),
        (_ts(2), f"MD5={md5}", "hash"),
        (_ts(3), "MD5=abc; SHA256=zz", None),
        (_ts(4), f"IMPHASH={imphash}", None),
        ("yesterday", f"MD5={md5}", None),
        (_ts(5), "a=b,c", None),
    ]
    log = detect_log(write_log(tmp_path / f"sysmon{suffix}", rows))
    first = {".csv": 2, ".jsonl": 1, ".parquet": 0}[suffix]
    result = correlator.correlate(IndicatorSet.build(INDICATORS), [log])
    assert sorted((m.row - first, m.indicator.id, m.observed_value) for m in result.matches()) == [
        (0, "ind-sha1", sha1),
        (0, "ind-sha256", sha256),
        (1, "ind-md5", md5),
    ]
    assert sorted((r.row - first, r.reason) for r in result.rejected) == [
        (2, "not a MD5 (32 hex digits) hash"),
        (2, "not a SHA-256 (64 hex digits) hash"),
        (3, "cannot tell the kind of value"),
        (4, "missing or malformed timestamp"),
        (5, "cannot tell the kind of value"),
    ]
    assert result.rows_read == len(rows)


#: Run in a fresh process: the machine code ``compile_kernel`` compiled (at
#: install, and cached on disk) must serve logs of every form, so that none
#: waits tens of seconds for a compile of its own.
_COMPILE_ONCE = """
import sys
from numba.core.registry import CPUDispatcher
from watchfloor.adapters.observables import detect_log, read_observables
from watchfloor.engines.correlation import DuckDBCorrelator, Indicator, IndicatorSet
from watchfloor.engines.correlation import ObservableKind as K
from watchfloor.engines.correlation import _compiled, _csv_records, _json_split
from watchfloor.engines.correlation.kernel import compile_kernel
from watchfloor.engines.correlation.splits import span_counts

def compiled():
    modules = (_compiled, _csv_records, _json_split)
    return {
        f"{m.__name__}.{name}": len(f.signatures)
        for m in modules for name, f in vars(m).items() if isinstance(f, CPUDispatcher)
    }

compile_kernel()  # as scripts/setup.sh does
before = compiled()
indicators = IndicatorSet.build(
    [Indicator("i", K.IPV4, "198.51.100.7", "s"), Indicator("j", K.DOMAIN, "evil.example", "s")]
)
logs = [detect_log(p) for p in sys.argv[2:]]
result = DuckDBCorrelator(read_observables).correlate(indicators, logs)
span_counts(sys.argv[2], (0, 1 << 20), b'"')
assert len(result) >= int(sys.argv[1]), len(result)
grown = {k: (before[k], n) for k, n in compiled().items() if n != before[k]}
assert not grown, f"compiled after compile_kernel: {grown}"
"""


def test_the_machine_code_compiled_at_install_serves_every_form_of_log(tmp_path: Path) -> None:
    rows = [*ROWS, (_ts(14), "b\u00fccher.evil.example", "domain")]  # left to the reference
    logs = [write_log(tmp_path / f"log{suffix}", rows) for suffix in (".csv", ".jsonl", ".json")]
    logs.append(write_log(tmp_path / "log.parquet", rows))
    logs += [_listed_log(tmp_path / name)[0] for name in ("dns.jsonl", "dns.parquet", "dns.log")]
    logs.append(_zeek_log(tmp_path / "conn.log", rows))
    done = subprocess.run(
        [sys.executable, "-c", _COMPILE_ONCE, "8", *map(str, logs)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
