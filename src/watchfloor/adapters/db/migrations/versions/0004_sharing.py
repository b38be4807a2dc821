"""sharing: TAXII 2.1 api roots, collections, objects, statuses, poll state

Revision ID: 0004
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "taxii_api_roots",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("max_content_length", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_taxii_api_roots")),
    )
    op.create_table(
        "taxii_collections",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("api_root", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("read_audience", sa.String(length=64), nullable=True),
        sa.Column("write_audience", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["api_root"],
            ["taxii_api_roots.name"],
            name=op.f("fk_taxii_collections_api_root_taxii_api_roots"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_taxii_collections")),
    )
    op.create_table(
        "taxii_objects",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("collection_id", sa.String(length=64), nullable=False),
        sa.Column("stix_id", sa.String(length=128), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("spec_version", sa.String(length=8), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("date_added", sa.BigInteger(), nullable=False),
        sa.Column("classification", sa.Integer(), nullable=False),
        sa.Column("tlp", sa.Integer(), nullable=False),
        sa.Column("releasable", sa.Text(), nullable=False),
        sa.Column("originator", sa.String(length=64), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["taxii_collections.id"],
            name=op.f("fk_taxii_objects_collection_id_taxii_collections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_taxii_objects")),
        sa.UniqueConstraint("collection_id", "stix_id", "version", name="uq_taxii_objects_version"),
        sa.UniqueConstraint("date_added", name="uq_taxii_objects_date_added"),
    )
    op.create_index("ix_taxii_objects_coll_added", "taxii_objects", ["collection_id", "date_added"])
    op.create_index("ix_taxii_objects_coll_id", "taxii_objects", ["collection_id", "stix_id"])
    op.create_table(
        "taxii_status",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("api_root", sa.String(length=64), nullable=False),
        sa.Column("collection_id", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("request_timestamp", sa.String(length=40), nullable=False),
        sa.Column("total_count", sa.Integer(), nullable=False),
        sa.Column("success_count", sa.Integer(), nullable=False),
        sa.Column("failure_count", sa.Integer(), nullable=False),
        sa.Column("pending_count", sa.Integer(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_taxii_status")),
    )
    op.create_table(
        "taxii_poll_state",
        sa.Column("feed", sa.String(length=128), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("collection_id", sa.String(length=64), nullable=False),
        sa.Column("added_after", sa.String(length=40), nullable=True),
        sa.Column("objects_imported", sa.BigInteger(), nullable=False),
        sa.Column("polls", sa.Integer(), nullable=False),
        sa.Column("last_polled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("feed", name=op.f("pk_taxii_poll_state")),
    )


def downgrade() -> None:
    op.drop_table("taxii_poll_state")
    op.drop_table("taxii_status")
    op.drop_index("ix_taxii_objects_coll_id", table_name="taxii_objects")
    op.drop_index("ix_taxii_objects_coll_added", table_name="taxii_objects")
    op.drop_table("taxii_objects")
    op.drop_table("taxii_collections")
    op.drop_table("taxii_api_roots")
