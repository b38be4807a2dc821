"""`watchfloor correlate` end to end: STIX and MISP indicators against logs."""

from __future__ import annotations

import csv
import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner
from distributed import LocalCluster

from tests.integration.helpers import case_db
from tests.unit.correlation.helpers import indicator_bundle, misp_event, write_log
from watchfloor.domain.hypotheses import Actor
from watchfloor.entrypoints.cli import main


def _stix(tmp_path: Path, pattern: str = "[domain-name:value = 'evil.example']") -> Path:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(indicator_bundle(pattern)))
    return path


def _misp(tmp_path: Path) -> Path:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(misp_event()))
    return path


def _log(tmp_path: Path) -> Path:
    return write_log(
        tmp_path / "proxy.csv",
        [
            ("2025-02-01T00:00:00Z", "www.evil.example", None),
            ("2025-02-01T00:00:01Z", "198.51.100.23", None),
            ("2025-02-01T00:00:02Z", "example.org", None),
            ("2025-02-01T00:00:03Z", "1.2.3.4.5", "ipv4"),
        ],
    )


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_matches_are_written_with_their_actors_and_bad_rows_reported(tmp_path: Path) -> None:
    out = tmp_path / "matches.csv"
    result = CliRunner().invoke(
        main,
        [
            "correlate",
            "--indicators",
            str(_stix(tmp_path)),
            "--indicators",
            str(_misp(tmp_path)),
            "--observables",
            str(_log(tmp_path)),
            "--out",
            str(out),
            "--progress",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = _rows(out)
    assert [(r["row"], r["observed_value"], r["indicator_kind"]) for r in rows] == [
        ("2", "www.evil.example", "domain"),
        ("3", "198.51.100.23", "ipv4"),
    ]
    assert rows[0]["actor_names"] == "APT Example"
    assert rows[1]["indicator_source"] == "misp-event--5f0c0000-0000-4000-8000-000000000001"
    assert "1 malformed row(s) skipped" in result.output
    assert "proxy.csv:5: not an IPv4 address" in result.output
    assert "read 4 rows (100%)" in result.output  # a small log's rows are counted
    assert "read 4 rows in" in result.output


def test_a_zeek_conn_log_is_correlated_through_its_named_field(tmp_path: Path) -> None:
    from tests.unit.correlation.test_observable_readers import ZEEK_CONN

    log = tmp_path / "conn.log"  # the indicators are valid from 2025 on: shift 2020 there
    log.write_text(ZEEK_CONN.replace("15913", "17384"))
    out = tmp_path / "matches.csv"
    ip = _stix(tmp_path, "[ipv4-addr:value = '192.0.2.0/24']")
    args = ["correlate", "--indicators", str(ip), "--observables", str(log), "--out", str(out)]
    result = CliRunner().invoke(main, [*args, "--value-column", "id.resp_h"])
    assert result.exit_code == 0, result.output
    rows = _rows(out)
    assert [(r["row"], r["observed_value"], r["observed_at"]) for r in rows] == [
        ("9", "192.0.2.1", "2025-02-02T03:46:39.305988+00:00"),
    ]  # row 12 is in the range too, but its time is not a number
    assert "conn.log:11: expected 8 fields, found 1" in result.output
    assert "conn.log:12: missing or malformed timestamp" in result.output


def test_a_rotated_zeek_log_is_read_compressed(tmp_path: Path) -> None:
    from tests.unit.correlation.test_observable_readers import ZEEK_CONN

    log = tmp_path / "conn.00:00:00-01:00:00.log.gz"  # as Zeek rotates and compresses them
    log.write_bytes(gzip.compress(ZEEK_CONN.replace("15913", "17384").encode()))
    out = tmp_path / "matches.csv"
    ip = _stix(tmp_path, "[ipv4-addr:value = '192.0.2.0/24']")
    args = ["correlate", "--indicators", str(ip), "--observables", str(log), "--out", str(out)]
    result = CliRunner().invoke(main, [*args, "--value-column", "id.resp_h", "--progress"])
    assert result.exit_code == 0, result.output
    assert [(r["row"], r["observed_value"]) for r in _rows(out)] == [("9", "192.0.2.1")]
    assert f"{log.name}:11: expected 8 fields, found 1" in result.output
    assert "1 match(es) of 1 indicator value(s) in 4 row(s)" in result.output
    # five lines of rows (one cut short, so four rows), its # lines not counted
    assert "read 4 rows (80%)" in result.output


def test_both_ends_of_a_zeek_connection_are_read_and_told_apart(tmp_path: Path) -> None:
    from tests.unit.correlation.test_observable_readers import ZEEK_CONN

    log = tmp_path / "conn.log"
    log.write_text(ZEEK_CONN.replace("15913", "17384"))
    out = tmp_path / "matches.csv"
    both = _stix(tmp_path, "[ipv4-addr:value = '10.0.0.1'] OR [ipv4-addr:value = '192.0.2.1']")
    args = ["correlate", "--indicators", str(both), "--observables", str(log), "--out", str(out)]
    ends = ["--value-column", "id.orig_h", "--value-column", "id.resp_h"]
    result = CliRunner().invoke(main, [*args, *ends])
    assert result.exit_code == 0, result.output
    rows = _rows(out)
    assert [(r["row"], r["observed_field"], r["observed_value"]) for r in rows] == [
        ("9", "id.orig_h", "10.0.0.1"),
        ("9", "id.resp_h", "192.0.2.1"),
        ("10", "id.orig_h", "10.0.0.1"),
    ]
    assert "3 match(es) of 2 indicator value(s) in 4 row(s) × 2 columns" in result.output


def test_the_answers_of_a_zeek_dns_log_match_each_under_its_query(tmp_path: Path) -> None:
    log = tmp_path / "dns.log"
    log.write_text(
        "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"
        "#fields\tts\tquery\tanswers\n#types\ttime\tstring\tvector[string]\n"
        "1738368000.5\twww.example.org\tcdn.example.net,198.51.100.23,203.0.113.9\n"
        "1738368001.5\tnx.example.org\t-\n"
        "1738368002.5\tok.example.org\t(empty)\n"
        "1738368003.5\tmail.example.org\t203.0.113.10,www.evil.example\n"
    )
    out = tmp_path / "matches.csv"
    args = ["correlate", "--indicators", str(_stix(tmp_path)), "--indicators", str(_misp(tmp_path))]
    args += ["--observables", str(log), "--out", str(out), "--value-column", "answers"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    rows = _rows(out)
    assert [(r["row"], r["observed_field"], r["observed_value"]) for r in rows] == [
        ("7", "answers", "198.51.100.23"),
        ("10", "answers", "www.evil.example"),
    ]
    assert rows[1]["actor_names"] == "APT Example"
    assert "2 match(es) of 2 indicator value(s) in 4 row(s)" in result.output
    # unset ("-") is a row without a value; "(empty)" holds no value at all
    assert "1 row(s) without a value (null, unset, blank" in result.output
    assert "malformed" not in result.output


def test_suricata_dns_events_match_through_their_arrays_of_queries_and_answers(
    tmp_path: Path,
) -> None:
    def dns(ts: str, name: str, *answers: str) -> dict[str, object]:
        rdata = [{"rrname": name, "rrtype": "A", "rdata": a} for a in answers]
        queries = [{"rrname": name, "rrtype": "A"}]
        return {"timestamp": ts, "event_type": "dns", "dns": {"queries": queries, "answers": rdata}}

    events = [
        {"timestamp": "2025-02-01T00:00:00.000000+0000", "event_type": "flow"},
        dns("2025-02-01T00:00:01.000000+0000", "www.evil.example", "192.0.2.1"),
        dns("2025-02-01T00:00:02.000000+0000", "cdn.example.org", "192.0.2.2", "198.51.100.9"),
    ]
    log = tmp_path / "eve.json"
    log.write_text("".join(json.dumps(e) + "\n" for e in events))
    out = tmp_path / "matches.csv"
    args = ["correlate", "--indicators", str(_stix(tmp_path)), "--indicators", str(_misp(tmp_path))]
    args += ["--observables", str(log), "--out", str(out)]
    args += ["--value-column", "dns.queries.rrname", "--value-column", "dns.answers.rdata"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    rows = _rows(out)
    assert [(r["row"], r["observed_field"], r["observed_value"]) for r in rows] == [
        ("2", "dns.queries.rrname", "www.evil.example"),
        ("3", "dns.answers.rdata", "198.51.100.9"),
    ]
    # a flow event holds no DNS at all: no value, not a malformed row (once a column)
    assert "2 row(s) without a value (null, unset, blank" in result.output
    assert "malformed" not in result.output
    assert "2 match(es) of 2 indicator value(s) in 3 row(s) × 2 columns" in result.output


def test_times_in_epoch_milliseconds_are_read_in_the_unit_named(tmp_path: Path) -> None:
    log = tmp_path / "edr.csv"
    log.write_text("time,host\n1738368000123,www.evil.example\n2025-02-01T00:00:00Z,x.example\n")
    out = tmp_path / "matches.csv"
    args = ["correlate", "--indicators", str(_stix(tmp_path)), "--observables", str(log)]
    args += ["--out", str(out), "--value-column", "host"]
    result = CliRunner().invoke(main, args)  # a number in a CSV log is no time: ambiguous
    assert result.exit_code == 0, result.output
    assert _rows(out) == []
    assert "edr.csv:2: missing or malformed timestamp" in result.output
    result = CliRunner().invoke(main, [*args, "--ts-unit", "ms"])
    assert result.exit_code == 0, result.output
    rows = _rows(out)
    assert [(r["row"], r["observed_at"]) for r in rows] == [
        ("2", "2025-02-01T00:00:00.123000+00:00")
    ]
    assert "edr.csv:3: missing or malformed timestamp" in result.output  # text, not a number


def test_a_bad_bundle_is_refused_whole_and_nothing_is_written(tmp_path: Path) -> None:
    out = tmp_path / "matches.csv"
    bad = _stix(tmp_path, "[file:hashes.MD5 = 'xyz']")
    result = CliRunner().invoke(
        main,
        [
            "correlate",
            "--indicators",
            str(bad),
            "--observables",
            str(_log(tmp_path)),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 2
    assert "nothing imported" in result.output
    assert "indicator--00000000-0000-4000-8000-000000000002: MD5 hash is not hexadecimal" in (
        result.output
    )
    assert not out.exists()


def test_dask_engine_gives_the_same_file(tmp_path: Path) -> None:
    args = [
        "correlate",
        "--indicators",
        str(_stix(tmp_path)),
        "--indicators",
        str(_misp(tmp_path)),
        "--observables",
        str(_log(tmp_path)),
    ]
    local = tmp_path / "local.csv"
    spread = tmp_path / "spread.csv"
    assert CliRunner().invoke(main, [*args, "--out", str(local)]).exit_code == 0
    with LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0"
    ) as cluster:
        result = CliRunner().invoke(
            main,
            [
                *args,
                "--out",
                str(spread),
                "--engine",
                "dask",
                "--dask-scheduler",
                cluster.scheduler_address,
            ],
        )
    assert result.exit_code == 0, result.output
    assert _rows(spread) == _rows(local)


def _case_db(tmp_path: Path) -> str:
    """A case naming the bundle's actor by an alias, and a rival."""
    return case_db(
        tmp_path,
        "C-1",
        "Proxy beacons",
        datetime(2025, 2, 1, tzinfo=UTC),
        [
            ("H-X", "X did it", Actor("X", "Unit X", aliases=("APT-Example",))),
            ("H-Y", "Y did it", Actor("Y", "Unit Y")),
        ],
    )


def test_with_a_case_the_actor_linked_matches_become_evidence_once(tmp_path: Path) -> None:
    from watchfloor.bootstrap import bootstrap
    from watchfloor.service import cases

    url = _case_db(tmp_path)
    args = [
        "--db", url, "correlate", "--indicators", str(_stix(tmp_path)),
        "--indicators", str(_misp(tmp_path)), "--observables", str(_log(tmp_path)),
        "--case", "C-1", "--grade", "B3",
    ]  # fmt: skip
    first = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "m1.csv")])
    assert first.exit_code == 0, first.output
    assert "added indicator-match--" in first.output
    assert "domain evil.example seen 1× (indicator of APT Example) (for X)" in first.output
    assert "1 indicator match item(s) added to case C-1 as evidence (B3" in first.output
    app = bootstrap(url)
    with app.uow() as uow:
        case, a = cases.get_assessment(uow, "C-1", app.clock())
    app.engine.dispose()
    assert [e.likelihoods for e in case.evidence] == [{"X": 0.8}]
    assert a.fusion.probability("H-X") > a.fusion.probability("H-Y")

    again = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "m2.csv")])
    assert again.exit_code == 0, again.output
    assert "0 indicator match item(s) added" in again.output
    assert "skipped indicator-match--" in again.output


def test_an_unknown_case_is_named_before_any_work(tmp_path: Path) -> None:
    url = _case_db(tmp_path)
    out = tmp_path / "m.csv"
    result = CliRunner().invoke(
        main,
        [
            "--db", url, "correlate", "--indicators", str(_stix(tmp_path)),
            "--observables", str(_log(tmp_path)), "--out", str(out), "--case", "C-NONE",
        ],
    )  # fmt: skip
    assert result.exit_code == 1 and "C-NONE" in result.output
    assert not out.exists()
