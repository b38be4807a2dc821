"""Building the attribution knowledge from STIX records."""

from __future__ import annotations

import numpy as np

from watchfloor.engines.attribution import AttackKnowledge


def test_only_active_intrusion_sets_are_actors(tiny: AttackKnowledge) -> None:
    assert tiny.actor_ids == ("G0001", "G0002", "G0003")


def test_revoked_actor_redirects_and_lends_its_aliases(tiny: AttackKnowledge) -> None:
    assert tiny.resolve("G0099") == "G0003"
    assert {"Old", "Vieux"} <= set(tiny.actors[tiny.actor_index["G0003"]].aliases)


def test_campaign_usage_counts_for_the_actor_it_is_attributed_to(tiny: AttackKnowledge) -> None:
    row = tiny.actor_technique[tiny.actor_index["G0003"]]
    used = {tiny.techniques[i] for i in np.flatnonzero(row)}
    assert used == {"T5000", "T6000"}


def test_software_techniques_and_families(tiny: AttackKnowledge) -> None:
    s1, t4 = tiny.software_index["S0001"], tiny.technique_index["T4000"]
    assert tiny.software_technique[s1, t4] == 1
    sub = tiny.technique_index["T1000.001"]
    assert tiny.techniques[tiny.technique_family[sub]] == "T1000"


def test_attack_82_dimensions(attack82: AttackKnowledge) -> None:
    assert len(attack82.actors) == 109  # 111 intrusion sets, 2 revoked
    assert attack82.actor_technique.sum() > 1500
    assert attack82.resolve("T1066") == "T1027.005"


def test_reports_group_an_actors_usage_by_cited_source() -> None:
    from watchfloor.engines.attribution.profile import report_similarity

    from .conftest import tiny_with_reports

    kb = tiny_with_reports()
    g1 = kb.actor_index["G0001"]
    assert list(kb.report_actor) == [g1, g1]  # ATT&CK's self-reference is not a report
    n_t = len(kb.techniques)
    report_a = {
        kb.techniques[c] if c < n_t else kb.software[c - n_t]
        for c in np.flatnonzero(kb.report_evidence[0])
    }
    assert report_a == {"T1000.001", "T2000", "S0001"}
    # a case equal to report B (T2000 alone) has cosine 1 with G0001, 0 elsewhere
    evidence = np.zeros((1, kb.report_evidence.shape[1]))
    evidence[0, kb.technique_index["T2000"]] = 1.0
    similarity = report_similarity(kb, evidence)
    assert similarity[0, g1] == 1.0
    assert similarity[0].sum() == 1.0


def test_records_without_citations_have_no_reports(tiny: AttackKnowledge) -> None:
    assert tiny.report_evidence.shape[0] == 0
