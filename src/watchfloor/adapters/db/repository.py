"""Repositories over one connection: cases, the audit chain and policy versions."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, Table, delete, func, insert, select, text, update

from watchfloor.adapters.db import mapping as m
from watchfloor.adapters.db.tables import (
    actors,
    audit_log,
    cases,
    evidence,
    hypotheses,
    legal_reviews,
    policy_versions,
)
from watchfloor.adapters.policies import policies_from_texts
from watchfloor.domain.assessment import Policies
from watchfloor.domain.audit import GENESIS, AuditEntry, AuditEvent, seal
from watchfloor.domain.case import Case
from watchfloor.domain.errors import ConflictError, DomainError, NotFound
from watchfloor.domain.markings import Clearance, Marking
from watchfloor.service.ports import PolicyText


@dataclass(frozen=True)
class CaseSummary:
    id: str
    title: str
    status: str
    exercise: str | None
    version: int
    updated_at: datetime


class SqlCaseRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.seen: dict[str, Case] = {}
        self._new: set[str] = set()
        self._stored_evidence: dict[str, set[str]] = {}

    def add(self, case: Case) -> None:
        if self.conn.execute(select(cases.c.id).where(cases.c.id == case.id)).first():
            raise ConflictError(f"case {case.id} already exists")
        self.seen[case.id] = case
        self._new.add(case.id)
        self._stored_evidence[case.id] = set()

    def get(self, case_id: str) -> Case:
        if case_id in self.seen:
            return self.seen[case_id]
        row = self.conn.execute(select(cases).where(cases.c.id == case_id)).mappings().first()
        if row is None:
            raise NotFound(f"no case {case_id!r}")

        def rows(table: Table, order: Any = None) -> Sequence[RowMapping]:
            q = select(table).where(table.c.case_id == case_id)
            if order is not None:
                q = q.order_by(order)
            return self.conn.execute(q).mappings().all()

        ev = [m.evidence_from(r) for r in rows(evidence, evidence.c.position)]
        case = m.case_from(
            row,
            [m.actor_from(r) for r in rows(actors)],
            [m.hypothesis_from(r) for r in rows(hypotheses, hypotheses.c.position)],
            ev,
            [m.review_from(r) for r in rows(legal_reviews)],
        )
        self.seen[case_id] = case
        self._stored_evidence[case_id] = {e.id for e in ev}
        return case

    def head(self, case_id: str) -> tuple[int, Marking]:
        if case_id in self.seen:
            case = self.seen[case_id]
            return case.version, case.marking
        row = (
            self.conn.execute(
                select(
                    cases.c.version,
                    cases.c.classification,
                    cases.c.tlp,
                    cases.c.pap,
                    cases.c.releasable_to,
                    cases.c.originator,
                ).where(cases.c.id == case_id)
            )
            .mappings()
            .first()
        )
        if row is None:
            raise NotFound(f"no case {case_id!r}")
        return int(row["version"]), m.marking_from(row)

    def summaries(self, clearance: Clearance | None = None) -> list[CaseSummary]:
        q = select(
            cases.c.id,
            cases.c.title,
            cases.c.status,
            cases.c.exercise,
            cases.c.version,
            cases.c.updated_at,
            cases.c.classification,
            cases.c.tlp,
            cases.c.pap,
            cases.c.releasable_to,
            cases.c.originator,
        ).order_by(cases.c.updated_at.desc())
        out = []
        for r in self.conn.execute(q).mappings():
            if clearance is not None and not clearance.may_see(m.marking_from(r)):
                continue
            updated = m.utc(r["updated_at"])
            assert updated is not None
            out.append(
                CaseSummary(r["id"], r["title"], r["status"], r["exercise"], r["version"], updated)
            )
        return out

    def save(self, case: Case, now: datetime) -> None:
        """Write the case; a concurrent change since it was read raises ConflictError."""
        if case.id in self._new:
            case.version = 1
            self.conn.execute(insert(cases).values(**m.case_row(case, now), created_at=now))
            self._new.discard(case.id)
        else:
            loaded = case.version
            case.version = loaded + 1
            result = self.conn.execute(
                update(cases)
                .where(cases.c.id == case.id, cases.c.version == loaded)
                .values(**m.case_row(case, now))
            )
            if result.rowcount != 1:
                case.version = loaded
                raise ConflictError(
                    f"case {case.id} was changed by someone else since version {loaded}; "
                    "reload it and apply your change again"
                )
        self._write_children(case)

    def _write_children(self, case: Case) -> None:
        cid = case.id
        for table in (actors, hypotheses, legal_reviews):
            self.conn.execute(delete(table).where(table.c.case_id == cid))
        if case.actors:
            self.conn.execute(insert(actors), [m.actor_row(cid, a) for a in case.actors.values()])
        self.conn.execute(
            insert(hypotheses),
            [m.hypothesis_row(cid, i, h) for i, h in enumerate(case.hypotheses)],
        )
        if case.reviews:
            self.conn.execute(
                insert(legal_reviews), [m.review_row(cid, r) for r in case.reviews.values()]
            )
        stored = self._stored_evidence.setdefault(cid, set())
        new_rows = [
            m.evidence_row(cid, i, e) for i, e in enumerate(case.evidence) if e.id not in stored
        ]
        if new_rows:
            self.conn.execute(insert(evidence), new_rows)
            stored.update(r["id"] for r in new_rows)


class SqlAuditLog:
    """The append-only chain. Appends serialise on a lock so the chain never forks."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def append(self, events: Sequence[AuditEvent]) -> list[AuditEntry]:
        if not events:
            return []
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(text("SELECT pg_advisory_xact_lock(727274)"))
        last = self.conn.execute(
            select(audit_log.c.seq, audit_log.c.hash).order_by(audit_log.c.seq.desc()).limit(1)
        ).first()
        seq, prev = (last[0], last[1]) if last else (0, GENESIS)
        sealed = []
        for ev in events:
            seq += 1
            entry = seal(ev, seq, prev)
            prev = entry.hash
            sealed.append(entry)
        self.conn.execute(
            insert(audit_log),
            [
                {
                    "seq": e.seq,
                    "at": e.at,
                    "actor": e.actor,
                    "action": e.action,
                    "subject": e.subject,
                    "payload": json.dumps(dict(e.payload), sort_keys=True, default=str),
                    "prev_hash": e.prev_hash,
                    "hash": e.hash,
                }
                for e in sealed
            ],
        )
        return sealed

    def entries(self, subject: str | None = None) -> list[AuditEntry]:
        q = select(audit_log).order_by(audit_log.c.seq)
        if subject is not None:
            q = q.where(audit_log.c.subject == subject)
        out = []
        for r in self.conn.execute(q).mappings():
            at = m.utc(r["at"])
            assert at is not None
            out.append(
                AuditEntry(
                    r["seq"],
                    at,
                    r["actor"],
                    r["action"],
                    r["subject"],
                    json.loads(r["payload"]),
                    r["prev_hash"],
                    r["hash"],
                )
            )
        return out

    def count(self) -> int:
        return int(self.conn.execute(select(func.count()).select_from(audit_log)).scalar_one())


@dataclass(frozen=True)
class StoredPolicy:
    kind: str
    version: str
    sha256: str
    body: str
    loaded_at: datetime
    active: bool


_PARSED: dict[tuple[str, ...], Policies] = {}


class SqlPolicyStore:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def validate(self, texts: Mapping[str, PolicyText]) -> Policies:
        return policies_from_texts(texts)

    def active_policies(self) -> Policies:
        """The policies in force, parsed once per distinct set of versions."""
        stored = self.active()
        missing = {"thresholds", "evidence_standards", "response_menu"} - set(stored)
        if missing:
            raise DomainError(
                f"no active {', '.join(sorted(missing))} policy: run `watchfloor policy load`"
            )
        key = tuple(sorted(s.sha256 for s in stored.values()))
        if key not in _PARSED:
            texts = {k: PolicyText(k, s.version, s.body) for k, s in stored.items()}
            _PARSED[key] = policies_from_texts(texts)
        return _PARSED[key]

    def put(self, kind: str, version: str, sha256: str, body: str, now: datetime) -> bool:
        """Store and activate a policy version. Returns False if it was already active.

        A version, once stored, is immutable: the same version with other text is refused.
        """
        row = (
            self.conn.execute(
                select(policy_versions).where(
                    policy_versions.c.kind == kind, policy_versions.c.version == version
                )
            )
            .mappings()
            .first()
        )
        if row is not None and row["sha256"] != sha256:
            raise ConflictError(
                f"{kind} policy version {version} is already stored with other content; "
                "give the changed policy a new version"
            )
        if row is not None and row["active"]:
            return False
        self.conn.execute(
            update(policy_versions).where(policy_versions.c.kind == kind).values(active=False)
        )
        if row is None:
            self.conn.execute(
                insert(policy_versions).values(
                    kind=kind, version=version, sha256=sha256, body=body, loaded_at=now, active=True
                )
            )
        else:
            self.conn.execute(
                update(policy_versions)
                .where(policy_versions.c.kind == kind, policy_versions.c.version == version)
                .values(active=True)
            )
        return True

    def active(self) -> dict[str, StoredPolicy]:
        q = select(policy_versions).where(policy_versions.c.active.is_(True))
        return {r["kind"]: self._from(r) for r in self.conn.execute(q).mappings()}

    def versions(self, kind: str) -> list[StoredPolicy]:
        q = (
            select(policy_versions)
            .where(policy_versions.c.kind == kind)
            .order_by(policy_versions.c.loaded_at)
        )
        return [self._from(r) for r in self.conn.execute(q).mappings()]

    @staticmethod
    def _from(r: object) -> StoredPolicy:
        row = dict(r)  # type: ignore[call-overload]
        loaded = m.utc(row["loaded_at"])
        assert loaded is not None
        return StoredPolicy(
            row["kind"], row["version"], row["sha256"], row["body"], loaded, bool(row["active"])
        )
