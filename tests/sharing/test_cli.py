"""The sharing commands: export, downgrade, MISP import (one transaction per event)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from stix2validator import ValidationOptions, validate_instance

from tests.conftest import FixedClock
from tests.sharing.builders import NATO_SECRET, SECRET_STRINGS, shareable_case
from watchfloor.bootstrap import bootstrap
from watchfloor.domain.markings import TLP
from watchfloor.entrypoints.cli import main


def _db_with_case(url: str, clock: FixedClock) -> None:
    app = bootstrap(url, clock=clock)
    with app.uow() as uow:
        uow.cases.add(shareable_case(NATO_SECRET))
        uow.commit()
    app.engine.dispose()


def test_export_and_downgrade_commands(sqlite_url: str, clock: FixedClock, tmp_path: Path) -> None:
    _db_with_case(sqlite_url, clock)
    runner = CliRunner()
    out = tmp_path / "partner.json"
    r = runner.invoke(
        main,
        [
            "--db",
            sqlite_url,
            "share",
            "export",
            "CASE-0042",
            "--marking",
            "NU//REL TO NATO//TLP:AMBER",
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    bundle = json.loads(out.read_text())
    assert validate_instance(bundle, ValidationOptions(strict=True, version="2.1")).is_valid
    statement = tmp_path / "public.txt"
    r = runner.invoke(
        main,
        [
            "--db",
            sqlite_url,
            "share",
            "downgrade",
            "CASE-0042",
            "--to",
            "TLP:CLEAR",
            "--out",
            str(statement),
        ],
    )
    assert r.exit_code == 0, r.output
    text = statement.read_text()
    assert "TLP:CLEAR" in text and not any(s in text for s in SECRET_STRINGS)
    r = runner.invoke(
        main, ["--db", sqlite_url, "share", "downgrade", "CASE-0042", "--to", "TLP:PURPLE"]
    )
    assert r.exit_code != 0 and "unknown TLP" in r.output


def _event(uuid: str, value: str, tlp: str = "tlp:green") -> dict[str, object]:
    return {
        "Event": {
            "uuid": uuid,
            "info": f"Phishing wave {uuid[:4]}",
            "Orgc": {"name": "CERT-EE"},
            "Tag": [{"name": tlp}, {"name": "PAP:GREEN"}],
            "Attribute": [
                {
                    "uuid": uuid[:-4] + "aaaa",
                    "type": "ip-dst",
                    "category": "Network activity",
                    "value": value,
                    "to_ids": True,
                },
                {
                    "uuid": uuid[:-4] + "bbbb",
                    "type": "domain",
                    "category": "Network activity",
                    "value": "lure.example",
                    "to_ids": False,
                },
            ],
            "Galaxy": [
                {
                    "type": "threat-actor",
                    "GalaxyCluster": [
                        {
                            "uuid": "7cdff317-a673-4474-84ec-4f1754947823",
                            "type": "threat-actor",
                            "value": "Ursa Group",
                        }
                    ],
                }
            ],
        }
    }


def test_misp_import_one_transaction_per_event(
    sqlite_url: str, clock: FixedClock, tmp_path: Path
) -> None:
    _db_with_case(sqlite_url, clock)
    good = "5e2f1c1a-0d3b-4c8e-9f1a-2b3c4d5e0001"
    events = [_event(good, "198.51.100.9"), _event(good, "198.51.100.9")]
    path = tmp_path / "events.json"
    path.write_text(json.dumps(events))
    r = CliRunner().invoke(
        main, ["--db", sqlite_url, "misp", "import", str(path), "--case", "CASE-0042"]
    )
    assert r.exit_code == 1
    assert "1 of 2 events imported" in r.output and f"misp-{good}: already in case" in r.output
    app = bootstrap(sqlite_url, clock=clock)
    with app.uow(read_only=True) as uow:
        case = uow.cases.get("CASE-0042")
    app.engine.dispose()
    item = next(e for e in case.evidence if e.id == f"misp-{good}")
    assert item.marking.tlp is TLP.GREEN
    assert item.attributes["indicators"] == [
        {"pattern": "[ipv4-addr:value = '198.51.100.9']", "name": "MISP ip-dst 198.51.100.9"}
    ]
    assert {o["type"] for o in item.attributes["observables"]} == {"ipv4-addr", "domain-name"}
    assert any(a.name == "Ursa Group" for a in case.actors.values())


def test_a_malformed_misp_event_is_refused_with_its_attribute(
    sqlite_url: str, clock: FixedClock, tmp_path: Path
) -> None:
    _db_with_case(sqlite_url, clock)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([_event("5e2f1c1a-0d3b-4c8e-9f1a-2b3c4d5e0002", "999.1.1.1")]))
    r = CliRunner().invoke(
        main, ["--db", sqlite_url, "misp", "import", str(path), "--case", "CASE-0042"]
    )
    assert r.exit_code != 0
    assert "5e2f1c1a-0d3b-4c8e-9f1a-2b3c4d5eaaaa" in r.output and "not an IP address" in r.output
