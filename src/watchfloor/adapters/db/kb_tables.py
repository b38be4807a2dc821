"""Knowledge-base tables: each loaded STIX bundle (name, version, digest) and its objects.

Objects are stored per knowledge-base version, so every assessment can name the
exact version it used and older versions stay readable. The searchable fields
are columns; the full object is kept as JSON text in ``raw``.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from watchfloor.adapters.db.tables import metadata

kb_versions = Table(
    "kb_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False),
    Column("version", String(64), nullable=False),
    Column("sha256", String(64), nullable=True),
    Column("spec_version", String(8), nullable=False),
    Column("bundle_id", String(128), nullable=True),
    Column("object_count", Integer, nullable=False),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("name", "version", "sha256", name="uq_kb_versions_name_version_sha256"),
)

kb_objects = Table(
    "kb_objects",
    metadata,
    Column("kb_id", Integer, ForeignKey("kb_versions.id", ondelete="CASCADE"), primary_key=True),
    Column("stix_id", String(128), primary_key=True),
    Column("type", String(64), nullable=False),
    Column("spec_version", String(8), nullable=False),
    Column("external_id", String(32), nullable=True),
    Column("name", Text, nullable=True),
    Column("created", String(40), nullable=True),
    Column("modified", String(40), nullable=True),
    Column("revoked", Boolean, nullable=False),
    Column("deprecated", Boolean, nullable=False),
    Column("relationship_type", String(64), nullable=True),
    Column("source_ref", String(128), nullable=True),
    Column("target_ref", String(128), nullable=True),
    Column("raw", Text, nullable=False),
)

Index("ix_kb_objects_kb_type", kb_objects.c.kb_id, kb_objects.c.type)
Index("ix_kb_objects_kb_external_id", kb_objects.c.kb_id, kb_objects.c.external_id)
