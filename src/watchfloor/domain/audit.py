"""The append-only, hash-chained audit trail.

Each entry's hash is SHA-256 over its sequence number, time, actor, action,
subject, canonical JSON payload and the previous entry's hash. Altering an
entry breaks its hash; removing or reordering one breaks the chain of
`prev_hash` and the run of sequence numbers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditEvent:
    """Something that happened to a case, before it is sealed into the chain."""

    at: datetime
    actor: str
    action: str
    subject: str
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: datetime
    actor: str
    action: str
    subject: str
    payload: Mapping[str, Any]
    prev_hash: str
    hash: str


def canonical(payload: Mapping[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)


def entry_hash(
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    subject: str,
    payload: Mapping[str, Any],
    prev_hash: str,
) -> str:
    body = "\x1f".join(
        [str(seq), at.isoformat(), actor, action, subject, canonical(payload), prev_hash]
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def seal(event: AuditEvent, seq: int, prev_hash: str) -> AuditEntry:
    h = entry_hash(
        seq, event.at, event.actor, event.action, event.subject, event.payload, prev_hash
    )
    return AuditEntry(
        seq, event.at, event.actor, event.action, event.subject, event.payload, prev_hash, h
    )


@dataclass(frozen=True)
class AuditProblem:
    seq: int
    problem: str


def verify_chain(entries: Iterable[AuditEntry]) -> list[AuditProblem]:
    """Every break in the chain: altered, removed or reordered entries."""
    problems: list[AuditProblem] = []
    prev = GENESIS
    expected_seq = 1
    for e in entries:
        if e.seq != expected_seq:
            problems.append(
                AuditProblem(
                    e.seq,
                    f"sequence {e.seq} where {expected_seq} was expected "
                    "(entry removed or reordered)",
                )
            )
        if e.prev_hash != prev:
            problems.append(
                AuditProblem(e.seq, "previous-hash link broken (entry removed or reordered)")
            )
        recomputed = entry_hash(e.seq, e.at, e.actor, e.action, e.subject, e.payload, e.prev_hash)
        if recomputed != e.hash:
            problems.append(AuditProblem(e.seq, "content does not match its hash (entry altered)"))
        prev = e.hash
        expected_seq = e.seq + 1
    return problems
