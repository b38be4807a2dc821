"""The TAXII 2.1 store: API roots, collections, object versions, statuses, in SQL.

Reads filter by the reader's clearance in SQL (classification rank, TLP rank
and releasability are columns), so a partner never receives a row it may not
see, and paging counts only rows it may see.

STIX 2.0 objects are stored as they came (no ``spec_version`` property added)
and reported with spec_version 2.0 in manifests and ``match[spec_version]``:
TAXII 2.1 allows any STIX version in a collection, and keeping them unchanged
lets a round trip give back exactly what was sent.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    and_,
    func,
    insert,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.exc import IntegrityError

from watchfloor.adapters.db.sharing_tables import (
    taxii_api_roots,
    taxii_collections,
    taxii_objects,
    taxii_status,
)
from watchfloor.domain.markings import NATO, NATO_MEMBERS, PUBLIC, Clearance, Marking

__all__ = [
    "ApiRoot",
    "Collection",
    "ObjectQuery",
    "ObjectRow",
    "Page",
    "TaxiiStore",
    "format_timestamp",
    "parse_timestamp",
]

_BATCH = 2000


def parse_timestamp(text: str) -> int:
    """An RFC 3339 UTC timestamp as microseconds since the epoch (ValueError if malformed)."""
    if not isinstance(text, str) or not text.endswith("Z") or "T" not in text:
        raise ValueError(f"not an RFC 3339 UTC timestamp: {text!r}")
    t = datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)
    return int(t.timestamp()) * 1_000_000 + t.microsecond


def format_timestamp(us: int) -> str:
    t = datetime.fromtimestamp(us // 1_000_000, UTC).replace(microsecond=us % 1_000_000)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def normalise_timestamp(text: str) -> str:
    return format_timestamp(parse_timestamp(text))


@dataclass(frozen=True)
class ApiRoot:
    name: str
    title: str
    description: str
    max_content_length: int


@dataclass(frozen=True)
class Collection:
    id: str
    api_root: str
    title: str
    description: str
    read_audience: str | None
    write_audience: str | None

    def can_read(self, clearance: Clearance) -> bool:
        return self.read_audience is None or self.read_audience in clearance.audiences

    def can_write(self, clearance: Clearance) -> bool:
        return self.write_audience is not None and self.write_audience in clearance.audiences


@dataclass(frozen=True)
class ObjectQuery:
    """The filters of a TAXII read (already validated)."""

    limit: int = 1000
    added_after: int | None = None
    next: int | None = None
    ids: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    versions: tuple[str, ...] = ("last",)  # "first", "last", "all" or normalised timestamps
    spec_versions: tuple[str, ...] = ()


@dataclass(frozen=True)
class ObjectRow:
    stix_id: str
    version: str
    date_added: int
    spec_version: str
    raw: str


@dataclass(frozen=True)
class Page:
    rows: list[ObjectRow]
    more: bool

    @property
    def next(self) -> str | None:
        return str(self.rows[-1].date_added) if self.more and self.rows else None


@dataclass
class AddResult:
    """Per object: (id, version) added or already present, and failures with reasons."""

    successes: list[tuple[str, str]] = field(default_factory=list)
    failures: list[tuple[str | None, str]] = field(default_factory=list)


def _releasable_text(m: Marking) -> str:
    return "," + ",".join(sorted(m.releasable_to)) + ("," if m.releasable_to else "")


def marking_columns(m: Marking) -> dict[str, Any]:
    return {
        "classification": m.classification.rank,
        "tlp": m.tlp.rank,
        "releasable": _releasable_text(m),
        "originator": m.originator,
    }


def _visible(t: Any, clearance: Clearance) -> ColumnElement[bool]:
    """SQL for `clearance.may_see(row marking)`, on table (or alias) `t`."""
    rel = t.c.releasable
    audience = [rel.like(f"%,{PUBLIC},%")]
    audience += [rel.like(f"%,{a},%") for a in sorted(clearance.audiences)]
    if any(a == NATO or a in NATO_MEMBERS for a in clearance.audiences):
        audience.append(rel.like(f"%,{NATO},%"))
    audience.append(and_(rel == ",", t.c.originator.in_(sorted(clearance.audiences))))
    return and_(
        t.c.classification <= clearance.level.rank,
        t.c.tlp <= clearance.max_tlp.rank,
        or_(*audience),
    )


def object_version(obj: Mapping[str, Any], date_added: int) -> str:
    """The TAXII version of an object: ``modified``, else ``created``, else date added."""
    stamp = obj.get("modified") or obj.get("created")
    return normalise_timestamp(stamp) if isinstance(stamp, str) else format_timestamp(date_added)


class TaxiiStore:
    def __init__(self, engine: Engine, clock: Callable[[], datetime] | None = None) -> None:
        self.engine = engine
        self.clock = clock or (lambda: datetime.now(UTC))

    # --- api roots and collections ---------------------------------------------------------

    def ensure_api_root(
        self, name: str, title: str, description: str = "", max_content_length: int = 10 << 20
    ) -> ApiRoot:
        root = self.api_root(name)
        if root is None:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(taxii_api_roots).values(
                        name=name,
                        title=title,
                        description=description,
                        max_content_length=max_content_length,
                    )
                )
            root = ApiRoot(name, title, description, max_content_length)
        return root

    def api_roots(self) -> list[ApiRoot]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(taxii_api_roots).order_by(taxii_api_roots.c.name)).all()
        return [ApiRoot(*r) for r in rows]

    def api_root(self, name: str) -> ApiRoot | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(taxii_api_roots).where(taxii_api_roots.c.name == name)
            ).first()
        return ApiRoot(*row) if row is not None else None

    def add_collection(
        self,
        api_root: str,
        title: str,
        description: str = "",
        read_audience: str | None = None,
        write_audience: str | None = None,
        collection_id: str | None = None,
    ) -> Collection:
        cid = collection_id or str(uuid.uuid4())
        with self.engine.begin() as conn:
            conn.execute(
                insert(taxii_collections).values(
                    id=cid,
                    api_root=api_root,
                    title=title,
                    description=description,
                    read_audience=read_audience,
                    write_audience=write_audience,
                    created_at=self.clock(),
                )
            )
        return Collection(cid, api_root, title, description, read_audience, write_audience)

    def collections(self, api_root: str) -> list[Collection]:
        query = (
            select(*_COLLECTION_COLUMNS)
            .where(taxii_collections.c.api_root == api_root)
            .order_by(taxii_collections.c.created_at, taxii_collections.c.id)
        )
        with self.engine.connect() as conn:
            return [Collection(*r) for r in conn.execute(query).all()]

    def collection(self, api_root: str, collection_id: str) -> Collection | None:
        query = select(*_COLLECTION_COLUMNS).where(
            taxii_collections.c.api_root == api_root, taxii_collections.c.id == collection_id
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return Collection(*row) if row is not None else None

    # --- objects ---------------------------------------------------------------------------

    def add_objects(
        self,
        collection_id: str,
        objects: Sequence[Mapping[str, Any]],
        marking_of: Callable[[Mapping[str, Any]], Marking],
        spec_version_of: Callable[[Mapping[str, Any]], str] | None = None,
    ) -> AddResult:
        """Store every object (one transaction); an object version already present counts as
        a success and is not stored twice. ``date_added`` is strictly increasing."""
        result = AddResult()
        for _attempt in range(5):
            try:
                with self.engine.begin() as conn:
                    result = self._add(conn, collection_id, objects, marking_of, spec_version_of)
                return result
            except IntegrityError:  # a concurrent writer took our date_added values
                continue
        raise RuntimeError("could not assign date_added after 5 attempts")

    def _add(
        self,
        conn: Any,
        collection_id: str,
        objects: Sequence[Mapping[str, Any]],
        marking_of: Callable[[Mapping[str, Any]], Marking],
        spec_version_of: Callable[[Mapping[str, Any]], str] | None,
    ) -> AddResult:
        result = AddResult()
        now = self.clock()
        now_us = int(now.timestamp()) * 1_000_000 + now.microsecond
        last = conn.execute(select(func.max(taxii_objects.c.date_added))).scalar()
        added = max(now_us, int(last or 0) + 1)
        existing: set[tuple[str, str]] = set()
        ids = sorted({str(o["id"]) for o in objects})
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            existing.update(
                (r[0], r[1])
                for r in conn.execute(
                    select(taxii_objects.c.stix_id, taxii_objects.c.version).where(
                        taxii_objects.c.collection_id == collection_id,
                        taxii_objects.c.stix_id.in_(chunk),
                    )
                )
            )
        rows: list[dict[str, Any]] = []
        for obj in objects:
            version = object_version(obj, added)
            key = (str(obj["id"]), version)
            result.successes.append(key)
            if key in existing:
                continue
            existing.add(key)
            spec = spec_version_of(obj) if spec_version_of else str(obj.get("spec_version", "2.1"))
            rows.append(
                {
                    "collection_id": collection_id,
                    "stix_id": key[0],
                    "type": str(obj["type"]),
                    "spec_version": spec,
                    "version": version,
                    "date_added": added,
                    "raw": json.dumps(obj, separators=(",", ":"), ensure_ascii=False),
                    **marking_columns(marking_of(obj)),
                }
            )
            added += 1
        for start in range(0, len(rows), _BATCH):
            conn.execute(insert(taxii_objects), rows[start : start + _BATCH])
        return result

    def query(
        self,
        collection_id: str,
        clearance: Clearance,
        q: ObjectQuery,
        columns_only: bool = False,
    ) -> Page:
        t = taxii_objects
        cond = [t.c.collection_id == collection_id, _visible(t, clearance)]
        lower = max(q.added_after or 0, q.next or 0)
        if lower:
            cond.append(t.c.date_added > lower)
        if q.ids:
            cond.append(t.c.stix_id.in_(q.ids))
        if q.types:
            cond.append(t.c.type.in_(q.types))
        if q.spec_versions:
            cond.append(t.c.spec_version.in_(q.spec_versions))
        cond.append(self._version_filter(collection_id, clearance, q))
        raw = literal("") if columns_only else t.c.raw
        query = (
            select(t.c.stix_id, t.c.version, t.c.date_added, t.c.spec_version, raw)
            .where(*cond)
            .order_by(t.c.date_added)
            .limit(q.limit + 1)
        )
        with self.engine.connect() as conn:
            rows = [ObjectRow(*r) for r in conn.execute(query).all()]
        return Page(rows[: q.limit], len(rows) > q.limit)

    def _version_filter(
        self, collection_id: str, clearance: Clearance, q: ObjectQuery
    ) -> ColumnElement[bool]:
        if "all" in q.versions:
            return true()
        t, other = taxii_objects, taxii_objects.alias("other")
        same = and_(
            other.c.collection_id == collection_id,
            other.c.stix_id == t.c.stix_id,
            _visible(other, clearance),
        )
        if q.spec_versions:
            same = and_(same, other.c.spec_version.in_(q.spec_versions))
        terms: list[ColumnElement[bool]] = []
        for v in q.versions:
            if v == "last":
                terms.append(
                    t.c.version == select(func.max(other.c.version)).where(same).scalar_subquery()
                )
            elif v == "first":
                terms.append(
                    t.c.version == select(func.min(other.c.version)).where(same).scalar_subquery()
                )
            else:
                terms.append(t.c.version == v)
        return or_(*terms)

    def count(self, collection_id: str) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count()).where(taxii_objects.c.collection_id == collection_id)
                ).scalar_one()
            )

    # --- status resources ------------------------------------------------------------------

    def save_status(
        self, api_root: str, collection_id: str, owner: str, result: AddResult, requested: str
    ) -> dict[str, Any]:
        sid = str(uuid.uuid4())
        details = {
            "successes": [{"id": i, "version": v} for i, v in result.successes],
            "failures": [{"id": i or "", "message": m} for i, m in result.failures],
        }
        with self.engine.begin() as conn:
            conn.execute(
                insert(taxii_status).values(
                    id=sid,
                    api_root=api_root,
                    collection_id=collection_id,
                    owner=owner,
                    status="complete",
                    request_timestamp=requested,
                    total_count=len(result.successes) + len(result.failures),
                    success_count=len(result.successes),
                    failure_count=len(result.failures),
                    pending_count=0,
                    details=json.dumps(details),
                )
            )
        status = self.status(api_root, sid, owner)
        assert status is not None
        return status

    def status(self, api_root: str, status_id: str, owner: str) -> dict[str, Any] | None:
        query = select(taxii_status).where(
            taxii_status.c.api_root == api_root,
            taxii_status.c.id == status_id,
            taxii_status.c.owner == owner,
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        m = row._mapping
        details = json.loads(m["details"])
        out: dict[str, Any] = {
            "id": m["id"],
            "status": m["status"],
            "request_timestamp": m["request_timestamp"],
            "total_count": m["total_count"],
            "success_count": m["success_count"],
            "failure_count": m["failure_count"],
            "pending_count": m["pending_count"],
        }
        if details["successes"]:
            out["successes"] = details["successes"]
        if details["failures"]:
            out["failures"] = details["failures"]
        return out


_COLLECTION_COLUMNS = (
    taxii_collections.c.id,
    taxii_collections.c.api_root,
    taxii_collections.c.title,
    taxii_collections.c.description,
    taxii_collections.c.read_audience,
    taxii_collections.c.write_audience,
)


def unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))
