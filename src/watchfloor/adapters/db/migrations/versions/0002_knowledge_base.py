"""knowledge base: loaded STIX bundles and their objects

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kb_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("spec_version", sa.String(length=8), nullable=False),
        sa.Column("bundle_id", sa.String(length=128), nullable=True),
        sa.Column("object_count", sa.Integer(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_versions")),
        sa.UniqueConstraint("name", "version", "sha256", name="uq_kb_versions_name_version_sha256"),
    )
    op.create_table(
        "kb_objects",
        sa.Column("kb_id", sa.Integer(), nullable=False),
        sa.Column("stix_id", sa.String(length=128), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("spec_version", sa.String(length=8), nullable=False),
        sa.Column("external_id", sa.String(length=32), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("created", sa.String(length=40), nullable=True),
        sa.Column("modified", sa.String(length=40), nullable=True),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("deprecated", sa.Boolean(), nullable=False),
        sa.Column("relationship_type", sa.String(length=64), nullable=True),
        sa.Column("source_ref", sa.String(length=128), nullable=True),
        sa.Column("target_ref", sa.String(length=128), nullable=True),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["kb_id"],
            ["kb_versions.id"],
            name=op.f("fk_kb_objects_kb_id_kb_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("kb_id", "stix_id", name=op.f("pk_kb_objects")),
    )
    op.create_index("ix_kb_objects_kb_type", "kb_objects", ["kb_id", "type"])
    op.create_index("ix_kb_objects_kb_external_id", "kb_objects", ["kb_id", "external_id"])


def downgrade() -> None:
    op.drop_index("ix_kb_objects_kb_external_id", table_name="kb_objects")
    op.drop_index("ix_kb_objects_kb_type", table_name="kb_objects")
    op.drop_table("kb_objects")
    op.drop_table("kb_versions")
