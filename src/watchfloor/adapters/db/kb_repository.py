"""The knowledge-base store: bulk-load a STIX bundle, read it back as records.

A bundle is loaded in one transaction with one ``executemany`` insert, so it is
stored whole or not at all, and a bundle already stored (same name, version
and SHA-256) is not stored twice.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select

from watchfloor.adapters.db.kb_tables import kb_objects, kb_versions
from watchfloor.adapters.stix.reader import StixBundle, StixObject, parse_objects

__all__ = ["KnowledgeBaseRecord", "KnowledgeBaseRepository"]

_BATCH = 5000


@dataclass(frozen=True, slots=True)
class KnowledgeBaseRecord:
    """One stored knowledge-base version."""

    id: int
    name: str
    version: str
    sha256: str | None
    spec_version: str
    object_count: int
    loaded_at: datetime


class KnowledgeBaseRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, bundle: StixBundle, name: str, version: str) -> KnowledgeBaseRecord:
        """Store ``bundle`` as knowledge base ``name`` ``version`` (idempotent)."""
        existing = self.find(name, version, bundle.info.sha256)
        if existing is not None:
            return existing
        loaded_at = datetime.now(UTC)
        with self.engine.begin() as conn:
            key = conn.execute(
                insert(kb_versions).values(
                    name=name,
                    version=version,
                    sha256=bundle.info.sha256,
                    spec_version=bundle.info.spec_version,
                    bundle_id=bundle.info.bundle_id,
                    object_count=len(bundle.objects),
                    loaded_at=loaded_at,
                )
            ).inserted_primary_key
            kb_id = int(key[0]) if key is not None else 0
            rows = [_row(kb_id, o) for o in bundle.objects]
            for start in range(0, len(rows), _BATCH):
                conn.execute(insert(kb_objects), rows[start : start + _BATCH])
        return KnowledgeBaseRecord(
            kb_id,
            name,
            version,
            bundle.info.sha256,
            bundle.info.spec_version,
            len(bundle.objects),
            loaded_at,
        )

    def find(
        self, name: str, version: str | None = None, sha256: str | None = None
    ) -> KnowledgeBaseRecord | None:
        """The matching knowledge base, the most recently loaded first."""
        query = select(kb_versions).where(kb_versions.c.name == name)
        if version is not None:
            query = query.where(kb_versions.c.version == version)
        if sha256 is not None:
            query = query.where(kb_versions.c.sha256 == sha256)
        with self.engine.connect() as conn:
            row = conn.execute(query.order_by(kb_versions.c.id.desc())).first()
        return _record(row) if row is not None else None

    def lookup(self, reference: str | None) -> KnowledgeBaseRecord | None:
        """``NAME`` (its latest load), ``NAME@VERSION``, or ``None``: the
        knowledge base loaded last, whatever its name."""
        if reference is None:
            records = self.all()
            return records[-1] if records else None
        name, _, version = reference.partition("@")
        return self.find(name, version or None)

    def all(self) -> list[KnowledgeBaseRecord]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(kb_versions).order_by(kb_versions.c.id)).all()
        return [_record(r) for r in rows]

    def names_holding(self, stix_type: str) -> list[str]:
        """The names of the knowledge bases with at least one object of ``stix_type``."""
        query = (
            select(kb_versions.c.name)
            .distinct()
            .join(kb_objects, kb_objects.c.kb_id == kb_versions.c.id)
            .where(kb_objects.c.type == stix_type)
            .order_by(kb_versions.c.name)
        )
        with self.engine.connect() as conn:
            return [str(n) for n in conn.execute(query).scalars()]

    def objects(self, kb_id: int, types: Sequence[str] | None = None) -> list[StixObject]:
        """The stored objects of one knowledge base as reader records (re-validated)."""
        return self._objects([kb_id], types, f"knowledge base {kb_id}")

    def objects_named(self, name: str, types: Sequence[str] | None = None) -> list[StixObject]:
        """The stored objects of every load of knowledge base ``name`` (a TAXII
        feed stores each poll as one), the oldest load first; an object may
        come several times, once per version."""
        with self.engine.connect() as conn:
            ids = conn.execute(
                select(kb_versions.c.id)
                .where(kb_versions.c.name == name)
                .order_by(kb_versions.c.id)
            ).scalars()
            kb_ids = [int(i) for i in ids]
        return self._objects(kb_ids, types, f"knowledge base {name}") if kb_ids else []

    def _objects(
        self, kb_ids: Sequence[int], types: Sequence[str] | None, source: str
    ) -> list[StixObject]:
        query = (
            select(kb_objects.c.raw, kb_objects.c.spec_version)
            .where(kb_objects.c.kb_id.in_(list(kb_ids)))
            .order_by(kb_objects.c.kb_id)
        )
        if types:
            query = query.where(kb_objects.c.type.in_(list(types)))
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        decoded = []
        for raw, spec in rows:
            obj = json.loads(raw)
            obj.setdefault("spec_version", spec)
            decoded.append(obj)
        return parse_objects(decoded, source=source)


def _row(kb_id: int, o: StixObject) -> dict[str, object]:
    return {
        "kb_id": kb_id,
        "stix_id": o.id,
        "type": o.type,
        "spec_version": o.spec_version,
        "external_id": o.external_id,
        "name": o.name,
        "created": o.raw.get("created"),
        "modified": o.raw.get("modified"),
        "revoked": o.revoked,
        "deprecated": o.deprecated,
        "relationship_type": o.relationship_type,
        "source_ref": o.source_ref,
        "target_ref": o.target_ref,
        "raw": json.dumps(o.raw, separators=(",", ":")),
    }


def _record(row: object) -> KnowledgeBaseRecord:
    m = row._mapping  # type: ignore[attr-defined]
    return KnowledgeBaseRecord(
        m["id"],
        m["name"],
        m["version"],
        m["sha256"],
        m["spec_version"],
        m["object_count"],
        m["loaded_at"],
    )
