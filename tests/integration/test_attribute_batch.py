"""`watchfloor attribute batch` on a real ATT&CK bundle: the output contract."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.integration.helpers import case_db
from watchfloor.domain.hypotheses import Actor
from watchfloor.entrypoints.cli import main

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "attack"


def test_batch_output_contract(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text(
        "\n".join(
            [
                json.dumps(
                    {
                        "id": "known",
                        "techniques": ["T1003.001", "T1557.002"],
                        "software": ["S0002", "S0029"],
                        "note": "ignored",
                    }
                ),
                json.dumps({"id": 7, "techniques": ["T1059.999", "T9999"], "software": ["S9999"]}),
                "not json",
                json.dumps({"id": "bad", "techniques": "T1003"}),
            ]
        )
        + "\n"
    )
    out = tmp_path / "ranked.jsonl"

    result = CliRunner().invoke(
        main,
        [
            "attribute",
            "batch",
            "--kb",
            str(DATA / "enterprise-attack-8.2.json"),
            "--in",
            str(cases),
            "--out",
            str(out),
        ],
    )

    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["id"] for line in lines] == ["known", 7, None, "bad"]
    for line in lines[:2]:
        probabilities = [r["probability"] for r in line["ranking"]]
        assert probabilities == sorted(probabilities, reverse=True)
        assert all(p > 0 for p in probabilities)
        assert all(r["actor"].startswith("G") for r in line["ranking"])
        assert sum(probabilities) + line["unknown"] == pytest.approx(1.0, abs=1e-9)
        assert line["knowledge_base"]["version"] == "8.2"
    assert lines[1]["unknown_techniques"] == ["T9999"]
    assert lines[1]["unknown_software"] == ["S9999"]
    assert lines[1]["generalised"] == {"T1059.999": "T1059"}
    assert "error" in lines[2] and "error" in lines[3]
    assert "2 invalid line(s)" in result.output


def test_malformed_bundle_is_refused_with_the_failing_objects(tmp_path: Path) -> None:
    bundle = tmp_path / "bad.json"
    bundle.write_text(
        json.dumps(
            {
                "type": "bundle",
                "id": "bundle--x",
                "objects": [{"type": "intrusion-set", "id": "intrusion-set--nope", "name": "X"}],
            }
        )
    )
    cases = tmp_path / "cases.jsonl"
    cases.write_text('{"id": 1, "techniques": [], "software": []}\n')

    result = CliRunner().invoke(
        main,
        [
            "attribute",
            "batch",
            "--kb",
            str(bundle),
            "--in",
            str(cases),
            "--out",
            str(tmp_path / "out.jsonl"),
        ],
    )

    assert result.exit_code == 1
    assert "intrusion-set--nope" in result.output
    assert "nothing imported" in result.output


def test_stored_knowledge_base_scores_like_the_file(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'kb.sqlite'}"
    bundle = str(DATA / "enterprise-attack-8.2.json")
    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps({"id": 1, "techniques": ["T1003.001"], "software": ["S0002"]}))
    runner = CliRunner()

    loaded = runner.invoke(main, ["--db", db, "kb", "load", bundle])
    again = runner.invoke(main, ["--db", db, "kb", "load", bundle])
    from_store = runner.invoke(
        main,
        [
            "--db",
            db,
            "attribute",
            "batch",
            "--kb",
            "enterprise-attack@8.2",
            "--in",
            str(cases),
            "--out",
            str(tmp_path / "store.jsonl"),
        ],
    )
    from_file = runner.invoke(
        main,
        [
            "attribute",
            "batch",
            "--kb",
            bundle,
            "--in",
            str(cases),
            "--out",
            str(tmp_path / "file.jsonl"),
        ],
    )
    listed = runner.invoke(main, ["--db", db, "kb", "list"])

    assert loaded.exit_code == 0, loaded.output
    assert "10923 objects" in loaded.output
    assert (
        again.output.split("(sha256")[1].split(")")[0]
        == loaded.output.split("(sha256")[1].split(")")[0]
    )
    assert from_store.exit_code == 0 and from_file.exit_code == 0, from_store.output
    assert (tmp_path / "store.jsonl").read_text() == (tmp_path / "file.jsonl").read_text()
    assert listed.output.count("enterprise-attack@8.2") == 1


def _case_db(tmp_path: Path) -> str:
    """A case naming Sandworm by its ATT&CK id and Lazarus by name."""
    return case_db(
        tmp_path,
        "C-1",
        "Substation",
        datetime(2026, 3, 1, tzinfo=UTC),
        [
            ("H-S", "Sandworm did it", Actor("SANDWORM", "Unit 74455", aliases=("G0034",))),
            ("H-L", "Lazarus did it", Actor("LAZ", "Lazarus Group")),
        ],
    )


def test_observe_adds_the_scored_observation_to_a_case(tmp_path: Path) -> None:
    url = _case_db(tmp_path)
    ics = str(DATA / "ics-attack-18.1.json")
    runner = CliRunner()
    assert runner.invoke(main, ["--db", url, "kb", "load", ics]).exit_code == 0
    args = ["--db", url, "attribute", "observe", "C-1", "--source", "utility CERT"]
    stored = runner.invoke(
        main, [*args, "--techniques", "T0803, T0804 T0805", "--software", "S0604", "--grade", "B3"]
    )
    assert stored.exit_code == 0, stored.output
    assert "added attack-observation--" in stored.output
    assert "(B3, " in stored.output
    assert "Case actors linked: LAZ = G0032; SANDWORM = G0034." in stored.output
    assert "lead hypothesis now: Sandworm did it" in stored.output

    from_file = runner.invoke(main, [*args, "--kb", ics, "--techniques", "T0807"])
    assert from_file.exit_code == 0, from_file.output
    again = runner.invoke(main, [*args, "--kb", ics, "--techniques", "T0807"])
    assert again.exit_code == 1 and "already exists" in again.output
    nothing = runner.invoke(main, [*args])
    assert nothing.exit_code == 1 and "at least one technique" in nothing.output
    missing = runner.invoke(main, [*args[:4], "C-NONE", *args[5:], "--techniques", "T0807"])
    assert missing.exit_code == 1 and "C-NONE" in missing.output
