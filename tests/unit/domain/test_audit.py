"""The hash-chained audit trail: a clean chain verifies; tampering is found."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from watchfloor.domain.audit import GENESIS, AuditEntry, AuditEvent, canonical, seal, verify_chain

from .builders import T0


def chain(n: int) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    prev = GENESIS
    for i in range(n):
        event = AuditEvent(
            T0 + timedelta(minutes=i),
            f"analyst{i % 2}",
            "evidence.added",
            "C-1",
            {"evidence": f"E{i}"},
        )
        entry = seal(event, seq=i + 1, prev_hash=prev)
        entries.append(entry)
        prev = entry.hash
    return entries


def test_a_clean_chain_verifies() -> None:
    assert verify_chain(chain(5)) == []


def test_an_empty_chain_verifies() -> None:
    assert verify_chain([]) == []


def test_sealing_links_each_entry_to_the_one_before() -> None:
    entries = chain(3)

    assert entries[0].prev_hash == GENESIS
    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
    assert len({e.hash for e in entries}) == 3


def test_an_altered_entry_is_found() -> None:
    entries = chain(5)
    entries[2] = dataclasses.replace(entries[2], payload={"evidence": "E-forged"})

    problems = verify_chain(entries)

    assert [(p.seq, p.problem) for p in problems] == [
        (3, "content does not match its hash (entry altered)")
    ]


def test_an_altered_entry_with_a_recomputed_hash_breaks_the_next_link() -> None:
    entries = chain(5)
    forged = AuditEvent(entries[2].at, "intruder", "evidence.added", "C-1", {"evidence": "E9"})
    entries[2] = seal(forged, seq=3, prev_hash=entries[1].hash)

    problems = verify_chain(entries)

    assert [(p.seq, p.problem) for p in problems] == [
        (4, "previous-hash link broken (entry removed or reordered)")
    ]


def test_a_removed_entry_is_found() -> None:
    entries = chain(5)
    del entries[2]

    problems = verify_chain(entries)

    assert {p.seq for p in problems} == {4}
    assert any("sequence 4 where 3 was expected" in p.problem for p in problems)
    assert any("previous-hash link broken" in p.problem for p in problems)


def test_reordered_entries_are_found() -> None:
    entries = chain(5)
    entries[1], entries[3] = entries[3], entries[1]

    problems = verify_chain(entries)

    assert {p.seq for p in problems} >= {4, 2}
    assert all("removed or reordered" in p.problem for p in problems)


def test_payload_key_order_does_not_change_the_hash() -> None:
    a = seal(AuditEvent(T0, "x", "y", "z", {"a": 1, "b": [1, 2]}), 1, GENESIS)
    b = seal(AuditEvent(T0, "x", "y", "z", {"b": [1, 2], "a": 1}), 1, GENESIS)

    assert a.hash == b.hash
    assert canonical({"b": 1, "a": T0}) == '{"a":"2025-03-01 08:00:00+00:00","b":1}'


field_edits = st.sampled_from(["actor", "action", "subject", "payload", "at", "seq"])


@given(
    st.integers(1, 8).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1))), field_edits
)
def test_any_single_edit_of_any_field_is_found(where: tuple[int, int], field: str) -> None:
    n, i = where
    entries = chain(n)
    original = entries[i]
    edited_value = {
        "actor": "intruder",
        "action": "case.deleted",
        "subject": "C-2",
        "payload": {"evidence": "E-forged"},
        "at": original.at + timedelta(seconds=1),
        "seq": original.seq + 100,
    }[field]
    entries[i] = dataclasses.replace(original, **{field: edited_value})

    assert verify_chain(entries) != []
