"""A small hand-made knowledge base, and ATT&CK 8.2 parsed once per session."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from watchfloor.adapters.stix import StixObject, read_bundle
from watchfloor.adapters.stix.reader import ExternalReference
from watchfloor.engines.attribution import AttackKnowledge, KnowledgeBaseVersion

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "attack"
_STAMP = datetime(2021, 1, 1, tzinfo=UTC)


def record(
    stix_type: str,
    n: int,
    external_id: str | None = None,
    *,
    name: str | None = None,
    aliases: tuple[str, ...] = (),
    revoked: bool = False,
    modified: datetime = _STAMP,
    rel: tuple[str, str, str] | None = None,
) -> StixObject:
    refs = (ExternalReference("mitre-attack", external_id),) if external_id else ()
    return StixObject(
        type=stix_type,
        id=f"{stix_type}--00000000-0000-4000-8000-{n:012d}",
        spec_version="2.1",
        created=_STAMP,
        modified=modified,
        revoked=revoked,
        deprecated=False,
        name=name or external_id,
        aliases=aliases,
        external_id=external_id,
        external_references=refs,
        kill_chain_phases=(),
        relationship_type=rel[0] if rel else None,
        source_ref=rel[1] if rel else None,
        target_ref=rel[2] if rel else None,
        raw={},
    )


def uses(n: int, source: StixObject, target: StixObject, kind: str = "uses") -> StixObject:
    return record("relationship", n, rel=(kind, source.id, target.id))


def tiny_objects() -> list[StixObject]:
    """Three groups with distinct profiles; G0003 also has a revoked predecessor
    G0099 and a campaign attributed to it; T1000.001 is a sub-technique."""
    t = {
        tid: record("attack-pattern", i, tid)
        for i, tid in enumerate(
            ["T1000", "T1000.001", "T2000", "T3000", "T4000", "T5000", "T6000"], start=1
        )
    }
    s1 = record("malware", 20, "S0001")
    s2 = record("tool", 21, "S0002")
    g1 = record("intrusion-set", 30, "G0001", name="One", aliases=("One", "Uno"))
    g2 = record("intrusion-set", 31, "G0002", name="Two")
    g3 = record("intrusion-set", 32, "G0003", name="Three")
    old = record("intrusion-set", 33, "G0099", name="Old", aliases=("Vieux",), revoked=True)
    campaign = record("campaign", 34, "C0001", name="Op")
    rels = [
        uses(100, g1, t["T1000.001"]),
        uses(101, g1, t["T2000"]),
        uses(102, g1, s1),
        uses(103, g2, t["T3000"]),
        uses(104, g2, t["T4000"]),
        uses(105, g2, s2),
        uses(106, g3, t["T5000"]),
        uses(107, campaign, t["T6000"]),
        uses(108, campaign, g3, "attributed-to"),
        uses(109, old, g3, "revoked-by"),
        uses(110, s1, t["T4000"]),
    ]
    return [*t.values(), s1, s2, g1, g2, g3, old, campaign, *rels]


@pytest.fixture(scope="session")
def tiny() -> AttackKnowledge:
    return AttackKnowledge.from_objects(tiny_objects(), KnowledgeBaseVersion("tiny", "1"))


@pytest.fixture(scope="session")
def attack82() -> AttackKnowledge:
    bundle = read_bundle(DATA / "enterprise-attack-8.2.json")
    version = KnowledgeBaseVersion("enterprise-attack", "8.2", bundle.info.sha256)
    return AttackKnowledge.from_objects(bundle.objects, version)


def tiny_with_reports() -> AttackKnowledge:
    """The tiny knowledge base with citations: G0001's uses of T1000.001, T2000
    and S0001 cite "Vendor A 2020" (report A), its use of T2000 also cites
    "Vendor B 2021" (report B)."""
    from dataclasses import replace

    cite_a = (ExternalReference("mitre-attack", None), ExternalReference("Vendor A 2020", None))
    cite_b = (ExternalReference("Vendor B 2021", None),)
    objects = []
    for o in tiny_objects():
        if o.id.endswith("000000000100") or o.id.endswith(
            "000000000102"
        ):  # G0001 -> T1000.001, S0001
            o = replace(o, external_references=cite_a)
        elif o.id.endswith("000000000101"):  # G0001 -> T2000
            o = replace(o, external_references=cite_a + cite_b)
        objects.append(o)
    return AttackKnowledge.from_objects(objects, KnowledgeBaseVersion("tiny", "r"))
