"""Malformed scenarios and policies: a clear error naming file, field and line; nothing stored."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from tests.conftest import SCENARIOS
from watchfloor.adapters.db.tables import cases as cases_table
from watchfloor.adapters.policies import DEFAULT_POLICY_DIR
from watchfloor.bootstrap import bootstrap
from watchfloor.entrypoints.cli import main

HYBRID = (SCENARIOS / "hybrid-satcom-outage.yaml").read_text(encoding="utf-8")


def _broken(tmp_path: Path, old: str, new: str) -> tuple[Path, int]:
    assert old in HYBRID
    text = HYBRID.replace(old, new, 1)
    line = text[: text.index(new)].count("\n") + 1
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    return path, line


def _run(db: str, scenario: Path, out: Path) -> tuple[int, str]:
    r = CliRunner().invoke(
        main, ["--db", db, "exercise", "run", str(scenario), "--out", str(out), "--quiet"]
    )
    return r.exit_code, r.output


def _case_count(db: str) -> int:
    app = bootstrap(db)
    with app.engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(cases_table)).scalar_one()
    app.engine.dispose()
    return int(n)


@pytest.mark.parametrize(
    ("old", "new", "field", "problem"),
    [
        (
            "grade: B2\n      class: malware",
            "grade: B9\n      class: malware",
            "injects[0].evidence.grade",
            "invalid Admiralty grade 'B9'",
        ),
        (
            "class: malware",
            "class: rumours",
            "injects[0].evidence.class",
            "unknown evidence class 'rumours'",
        ),
        (
            "JADE-ORBIT: 0.04, PEOPLES",
            "JADE-ORBITT: 0.04, PEOPLES",
            "injects[0].evidence.likelihoods.JADE-ORBITT",
            "no actor 'JADE-ORBITT'",
        ),
        (
            "option: network-defence-surge",
            "option: launch-the-missiles",
            "injects[8].legal.option",
            "no option 'launch-the-missiles'",
        ),
        ('at: "+35m"', 'at: "+35 minutes"', "injects[0].at", "bad offset"),
        ("planted: [E-05]", "planted: [E-99]", "ground_truth.planted[0]", "no evidence 'E-99'"),
    ],
)
def test_a_malformed_scenario_is_refused_naming_file_field_and_line(
    tmp_path: Path, sqlite_url: str, old: str, new: str, field: str, problem: str
) -> None:
    scenario, line = _broken(tmp_path, old, new)
    code, output = _run(sqlite_url, scenario, tmp_path / "out")
    assert code != 0
    assert f"{scenario}:{line}" in output
    assert field in output
    assert problem in output
    assert _case_count(sqlite_url) == 0  # nothing stored
    assert not (tmp_path / "out").exists()


def test_a_scenario_that_is_not_yaml_reports_its_line(tmp_path: Path, sqlite_url: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("scenario: x\ntitle: [unclosed\nstart: 2026-01-01\n", encoding="utf-8")
    code, output = _run(sqlite_url, path, tmp_path / "out")
    assert code != 0
    assert f"{path}:" in output and "not valid YAML" in output


def _policy_dir(tmp_path: Path, name: str, old: str, new: str) -> Path:
    d = tmp_path / "policies"
    d.mkdir()
    for f in DEFAULT_POLICY_DIR.glob("*.yaml"):
        text = f.read_text(encoding="utf-8")
        if f.name == name:
            assert old in text
            text = text.replace(old, new, 1).replace('version: "2026.1"', 'version: "2026.2"')
        (d / f.name).write_text(text, encoding="utf-8")
    return d


def test_a_bad_policy_set_is_refused_whole_and_the_active_one_stays(
    tmp_path: Path, sqlite_url: str
) -> None:
    d = _policy_dir(
        tmp_path,
        "response-menu.yaml",
        "min_tier: collective_defence_candidate",
        "min_tier: armageddon",
    )
    r = CliRunner().invoke(main, ["--db", sqlite_url, "policy", "load", str(d)])
    assert r.exit_code != 0
    assert "response-menu.yaml:" in r.output
    assert "min_tier" in r.output and "no tier 'armageddon'" in r.output
    shown = CliRunner().invoke(main, ["--db", sqlite_url, "policy", "show"]).output
    assert "2026.1" in shown and "2026.2" not in shown


def test_a_tier_that_names_an_unknown_criterion_is_refused(tmp_path: Path, sqlite_url: str) -> None:
    d = _policy_dir(
        tmp_path,
        "thresholds.yaml",
        "min_scores: {cross_border_effects: 1}",
        "min_scores: {cross_border_effect: 1}",
    )
    r = CliRunner().invoke(main, ["--db", sqlite_url, "policy", "load", str(d)])
    assert r.exit_code != 0
    assert "thresholds.yaml:" in r.output
    assert "no criterion 'cross_border_effect'" in r.output


def test_a_changed_policy_needs_a_new_version(tmp_path: Path, sqlite_url: str) -> None:
    d = _policy_dir(
        tmp_path, "thresholds.yaml", "decision_deadline_hours: 12", "decision_deadline_hours: 10"
    )
    (d / "thresholds.yaml").write_text(
        (d / "thresholds.yaml").read_text().replace('version: "2026.2"', 'version: "2026.1"')
    )
    r = CliRunner().invoke(main, ["--db", sqlite_url, "policy", "load", str(d)])
    assert r.exit_code != 0
    assert "already stored with other content" in r.output
