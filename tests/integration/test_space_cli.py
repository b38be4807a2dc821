"""`watchfloor space screen` and `space manoeuvres`: the CSV contract, on real data slices."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from tests.integration.helpers import case_db
from watchfloor.domain.hypotheses import Actor
from watchfloor.entrypoints.cli import main

SPACE = Path(__file__).parents[2] / ".." / "shared" / "data" / "space"
IDS = {"25544", "49044", "26824", "44625", "46546", "58783", "6126", "7727", "10970"}


def _slice(tmp_path: Path) -> Path:
    lines = (SPACE / "celestrak_full_catalog_omm_20241101.csv").read_text().splitlines()
    keep = [ln for ln in lines[1:] if ln.split(",")[11] in IDS]
    bad = lines[1].replace(",.1843421,", ",1.5,")  # eccentricity out of range: reported, skipped
    path = tmp_path / "catalog.csv"
    path.write_text("\n".join([lines[0], *keep, bad]) + "\n")
    return path


def test_screen_writes_the_contract_columns(tmp_path: Path) -> None:
    out = tmp_path / "events.csv"
    result = CliRunner().invoke(
        main,
        [
            "space", "screen", "--catalog", str(_slice(tmp_path)),
            "--satcat", str(SPACE / "satcat_20260123.csv"), "--start", "2024-11-01T00:00Z",
            "--hours", "1", "--threshold-km", "10", "--out", str(out), "--workers", "1",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "ECCENTRICITY" in result.output  # the bad record is named
    rows = list(csv.DictReader(out.read_text().splitlines()))
    assert rows[0].keys() >= {
        "norad_a", "norad_b", "tca_utc", "miss_km", "rel_speed_km_s", "owner_a", "owner_b",
    }  # fmt: skip
    pairs = {(r["norad_a"], r["norad_b"]) for r in rows}
    assert {("46546", "58783"), ("6126", "7727"), ("25544", "49044")} <= pairs
    for r in rows:
        assert int(r["norad_a"]) < int(r["norad_b"])
        assert datetime.fromisoformat(r["tca_utc"].replace("Z", "+00:00")).utcoffset() is not None
        assert 0.0 <= float(r["miss_km"]) <= 10.0
    assert {r["owner_a"] for r in rows if r["norad_a"] == "6126"} == {"US"}


def test_screen_with_a_victim_keeps_only_its_approaches(tmp_path: Path) -> None:
    out = tmp_path / "victim.csv"
    result = CliRunner().invoke(
        main,
        [
            "space", "screen", "--catalog", str(_slice(tmp_path)), "--start", "2024-11-01T00:00",
            "--hours", "1", "--threshold-km", "10", "--victim", "58783", "--out", str(out),
            "--workers", "1",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.read_text().splitlines()))
    assert [(r["norad_a"], r["norad_b"]) for r in rows] == [("46546", "58783")]
    assert "owner_a" not in rows[0]


def test_unknown_victim_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "space", "screen", "--catalog", str(_slice(tmp_path)), "--start", "2024-11-01",
            "--hours", "1", "--threshold-km", "10", "--victim", "99999999",
            "--out", str(tmp_path / "x.csv"), "--workers", "1",
        ],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "99999999" in result.output


def test_manoeuvres_command_reports_both_kinds_of_finding(tmp_path: Path) -> None:
    text = (SPACE / "geo_tle_history_celestrak_20260523_20260530.tle").read_text().splitlines()
    wanted = {"46113", "28358", "49330"}
    keep: list[str] = []
    for k in range(0, len(text) - 2, 3):
        if text[k + 1][2:7].strip() in wanted:
            keep += text[k : k + 3]
    history = tmp_path / "h.tle"
    history.write_text("\n".join(keep) + "\n")
    out = tmp_path / "m.csv"
    result = CliRunner().invoke(
        main,
        [
            "space", "manoeuvres", "--history", str(history),
            "--satcat", str(SPACE / "satcat_20260123.csv"), "--out", str(out),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.read_text().splitlines()))
    kinds = {r["finding"] for r in rows}
    assert kinds == {"manoeuvre", "proximity"}
    prox = [r for r in rows if r["finding"] == "proximity"]
    assert {(p["norad_a"], p["norad_b"]) for p in prox} == {("28358", "46113")}


def _case_db(tmp_path: Path) -> str:
    """A SQLite database with one case whose actors are sponsored by Russia and China."""
    return case_db(
        tmp_path,
        "C-SAT",
        "Landsat 1 lost",
        datetime(2024, 11, 1, tzinfo=UTC),
        [
            ("H-RU", "R did it", Actor("R", "Unit R", sponsor="RUS")),
            ("H-CN", "C did it", Actor("C", "Unit C", sponsor="China")),
        ],
    )


def test_screen_with_a_case_adds_the_approaches_as_evidence_once(tmp_path: Path) -> None:
    url = _case_db(tmp_path)
    args = [
        "--db", url, "space", "screen", "--catalog", str(_slice(tmp_path)),
        "--satcat", str(SPACE / "satcat_20260123.csv"), "--start", "2024-11-01T00:00Z",
        "--hours", "1", "--threshold-km", "10", "--victim", "6126", "--workers", "1",
        "--case", "C-SAT", "--grade", "B3", "--marking", "NC//REL TO NATO//TLP:AMBER",
    ]  # fmt: skip
    out = tmp_path / "events.csv"
    first = CliRunner().invoke(main, [*args, "--out", str(out)])
    assert first.exit_code == 0, first.output
    assert "added ORB-CA-6126-7727-" in first.output
    assert "(owner CIS)" in first.output
    assert out.read_text().splitlines()[0].split(",")[:5] == [
        "norad_a", "norad_b", "tca_utc", "miss_km", "rel_speed_km_s",
    ]  # fmt: skip
    second = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "again.csv")])
    assert second.exit_code == 0, second.output
    assert "0 finding(s) added to case C-SAT" in second.output
    assert "skipped ORB-CA-6126-7727-" in second.output


def test_screen_with_a_case_needs_a_victim_and_a_valid_grade(tmp_path: Path) -> None:
    url = _case_db(tmp_path)
    base = [
        "--db", url, "space", "screen", "--catalog", str(_slice(tmp_path)),
        "--start", "2024-11-01", "--hours", "1", "--threshold-km", "10",
        "--out", str(tmp_path / "x.csv"), "--case", "C-SAT",
    ]  # fmt: skip
    no_victim = CliRunner().invoke(main, base)
    assert no_victim.exit_code == 2 and "--victim" in no_victim.output
    bad = CliRunner().invoke(main, [*base, "--victim", "6126", "--grade", "Z9"])
    assert bad.exit_code == 2 and "Z9" in bad.output
    missing = CliRunner().invoke(main, [*base[:-1], "C-NONE", "--victim", "6126"])
    assert missing.exit_code == 1 and "C-NONE" in missing.output
