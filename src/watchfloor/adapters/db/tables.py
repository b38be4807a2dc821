"""The core tables, on one shared `metadata` (other modules add theirs to it).

Markings are stored as columns (classification rank, TLP rank, PAP rank,
releasability) so read paths can filter in SQL.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKeyConstraint,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _marking_columns() -> list[Column[object]]:
    return [
        Column("classification", Integer, nullable=False),
        Column("tlp", Integer, nullable=False),
        Column("pap", Integer, nullable=False),
        Column("releasable_to", JSON, nullable=False),
        Column("originator", String(64), nullable=False),
    ]


cases = Table(
    "cases",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("title", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("exercise", String(128)),
    Column("version", Integer, nullable=False),
    Column("incident", JSON, nullable=False),
    Column("milestones", JSON, nullable=False),
    Column("decision", JSON),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    *_marking_columns(),
)

actors = Table(
    "case_actors",
    metadata,
    Column("case_id", String(64), primary_key=True),
    Column("id", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("sponsor", String(128)),
    Column("cluster", String(128)),
    Column("aliases", JSON, nullable=False),
    Column("description", Text, nullable=False),
    ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
)

hypotheses = Table(
    "hypotheses",
    metadata,
    Column("case_id", String(64), primary_key=True),
    Column("id", String(64), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("label", Text, nullable=False),
    Column("actor", String(64)),
    Column("framed", String(64)),
    Column("prior", Float, nullable=False),
    Column("notes", Text, nullable=False),
    ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
)

evidence = Table(
    "evidence",
    metadata,
    Column("case_id", String(64), primary_key=True),
    Column("id", String(64), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("title", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("grade", String(2), nullable=False),
    Column("evidence_class", String(32), nullable=False),
    Column("diamond", String(32), nullable=False),
    Column("likelihoods", JSON, nullable=False),
    Column("baseline", Float, nullable=False),
    Column("dependence_group", String(128)),
    Column("cost_to_fake", String(8), nullable=False),
    Column("description", Text, nullable=False),
    Column("kind", String(64), nullable=False),
    Column("observed_at", DateTime(timezone=True)),
    Column("reported_at", DateTime(timezone=True)),
    Column("attributes", JSON, nullable=False),
    *_marking_columns(),
    ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
)

legal_reviews = Table(
    "legal_reviews",
    metadata,
    Column("case_id", String(64), primary_key=True),
    Column("option_id", String(128), primary_key=True),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("outcome", String(32), nullable=False),
    Column("reviewer", String(128)),
    Column("reasons", Text, nullable=False),
    Column("conditions", Text, nullable=False),
    Column("decided_at", DateTime(timezone=True)),
    ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("action", String(64), nullable=False),
    Column("subject", String(128), nullable=False),
    Column("payload", Text, nullable=False),  # canonical JSON, exactly as hashed
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

policy_versions = Table(
    "policy_versions",
    metadata,
    Column("kind", String(32), primary_key=True),
    Column("version", String(64), primary_key=True),
    Column("sha256", String(64), nullable=False),
    Column("body", Text, nullable=False),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
    Column("active", Boolean, nullable=False),
)
