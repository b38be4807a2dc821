"""Both bundled scenarios through the real `watchfloor` command; the audit trail under attack."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.conftest import SCENARIOS

WATCHFLOOR = Path(sys.executable).parent / "watchfloor"


def _wf(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(WATCHFLOOR), *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def grey_lantern(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    work = tmp_path_factory.mktemp("grey")
    r = _wf(work, "exercise", "run", str(SCENARIOS / "hybrid-satcom-outage.yaml"), "--out", "out")
    assert r.returncode == 0, r.stderr
    return work, r.stdout


def test_hybrid_scenario_summary_names_lead_likelihood_confidence_tier_and_clock(
    grey_lantern: tuple[Path, str],
) -> None:
    _, out = grey_lantern
    assert "Lead hypothesis:  IRON TUNDRA (Kastor) conducted the attack" in out
    assert "Analytic confidence: high" in out
    assert "State layer:      Republic of Kastor (almost certain" in out
    assert "Tier:             collective-defence candidate" in out
    assert "public-attribution-state" in out.split("Cleared options:")[1].splitlines()[0]
    # Rejected by the legal adviser, so never cleared:
    assert "collective-defence-consideration" not in out.split("Cleared options:")[1]
    assert "before the deadline" in out


def test_hybrid_scenario_writes_a_package_whose_pdf_has_the_banner_on_every_page(
    grey_lantern: tuple[Path, str],
) -> None:
    work, _ = grey_lantern
    summary = json.loads((work / "out" / "summary.json").read_text())
    assert summary["icd203"] in {"likely", "very likely", "almost certain", "roughly even chance"}
    html = (work / "out" / "decision-package.html").read_text()
    assert "NATO SECRET" in html
    assert "IRON TUNDRA" in html
    pdf = PdfReader(work / "out" / "decision-package.pdf")
    assert len(pdf.pages) >= 2
    for page in pdf.pages:
        assert "NATO SECRET" in page.extract_text()


def test_below_threshold_scenario_stays_below_threshold(quiet_harbour_db: Path) -> None:
    assert quiet_harbour_db.exists()  # the fixture ran it and checked tier, decision and PDF


def _tamper(db: Path, sql: str) -> None:
    with sqlite3.connect(db) as conn:
        conn.executescript(sql)


@pytest.fixture(scope="module")
def quiet_harbour_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("quiet")
    r = _wf(work, "exercise", "run", str(SCENARIOS / "below-threshold-ddos.yaml"), "--out", "o")
    assert r.returncode == 0, r.stderr
    assert "Tier:             below threshold" in r.stdout
    assert "Decision:         allied-situational-awareness" in r.stdout
    assert (work / "o" / "decision-package.pdf").read_bytes().startswith(b"%PDF")
    return work / "watchfloor.sqlite"


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("UPDATE audit_log SET actor = 'mallory' WHERE seq = 5", "entry altered"),
        ("DELETE FROM audit_log WHERE seq = 7", "entry removed or reordered"),
        (
            "UPDATE audit_log SET seq = -1 WHERE seq = 3; UPDATE audit_log SET seq = 3 "
            "WHERE seq = 4; UPDATE audit_log SET seq = 4 WHERE seq = -1;",
            "removed or reordered",
        ),
    ],
    ids=["altered", "removed", "reordered"],
)
def test_audit_verify_detects_an_altered_removed_or_reordered_entry(
    tmp_path: Path, quiet_harbour_db: Path, sql: str, message: str
) -> None:
    shutil.copy(quiet_harbour_db, tmp_path / "watchfloor.sqlite")
    ok = _wf(tmp_path, "audit", "verify")
    assert ok.returncode == 0 and "intact" in ok.stdout
    _tamper(tmp_path / "watchfloor.sqlite", sql)
    broken = _wf(tmp_path, "audit", "verify")
    assert broken.returncode == 1
    assert "BROKEN" in broken.stdout
    assert message in broken.stderr


def test_hybrid_scenario_after_action_scores_the_judgement_and_the_planted_item(
    grey_lantern: tuple[Path, str],
) -> None:
    work, _ = grey_lantern
    record = json.loads((work / "out" / "after-action.json").read_text())
    score = record["score"]
    assert score["lead_right"] is True
    assert score["tier"]["right"] is True
    assert [p["evidence"] for p in score["planted"]] == ["E-05"]
    assert score["planted"][0]["pushed_toward"] == "JADE-ORBIT"
    assert 0.0 <= score["brier"] <= 1.0


def test_hybrid_public_statement_holds_only_releasable_content(
    grey_lantern: tuple[Path, str],
) -> None:
    work, _ = grey_lantern
    text = (work / "out" / "public-statement.txt").read_text()
    assert text.startswith("NATO UNCLASSIFIED // RELEASABLE TO PUBLIC // TLP:CLEAR")
    assert "Republic of Kastor" in text
    # Public items appear, with their source replaced by its grade ...
    assert "People's Cyber Front claims the attack on Telegram" in text
    assert "Open-source monitoring" not in text
    # ... and nothing above TLP:CLEAR / public release does.
    for withheld in ("demonstrate reach", "human intelligence", "KOSMOS-2611", "VPN appliance"):
        assert withheld.lower() not in text.lower()
