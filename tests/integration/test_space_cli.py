"""`watchfloor space screen` and `space manoeuvres`: the CSV contract, on real data slices."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

from click.testing import CliRunner

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
