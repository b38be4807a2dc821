"""Sharing tables: TAXII 2.1 API roots, collections, objects, add-statuses and poll state.

A TAXII object row keeps the STIX object as JSON text (``raw``) beside the
columns reads filter on: id, type, spec_version, version (the ``modified``
timestamp, normalised to microseconds), ``date_added`` (microseconds since the
epoch, assigned by the server, strictly increasing across the server) and the
marking (classification rank, TLP rank, releasability as ``,A,B,``,
originator) so that every read filters by clearance in SQL.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
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

taxii_api_roots = Table(
    "taxii_api_roots",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("max_content_length", Integer, nullable=False),
)

taxii_collections = Table(
    "taxii_collections",
    metadata,
    Column("id", String(64), primary_key=True),
    Column(
        "api_root",
        String(64),
        ForeignKey("taxii_api_roots.name", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("title", String(200), nullable=False),
    Column("description", Text, nullable=False),
    # The partner group that may read (None: every authenticated principal) and
    # the one that may write (None: nobody over TAXII; the cell publishes itself).
    Column("read_audience", String(64), nullable=True),
    Column("write_audience", String(64), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

taxii_objects = Table(
    "taxii_objects",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column(
        "collection_id",
        String(64),
        ForeignKey("taxii_collections.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("stix_id", String(128), nullable=False),
    Column("type", String(64), nullable=False),
    Column("spec_version", String(8), nullable=False),
    Column("version", String(40), nullable=False),
    Column("date_added", BigInteger, nullable=False),
    Column("classification", Integer, nullable=False),
    Column("tlp", Integer, nullable=False),
    Column("releasable", Text, nullable=False),
    Column("originator", String(64), nullable=False),
    Column("raw", Text, nullable=False),
    UniqueConstraint("collection_id", "stix_id", "version", name="uq_taxii_objects_version"),
    UniqueConstraint("date_added", name="uq_taxii_objects_date_added"),
)
Index("ix_taxii_objects_coll_added", taxii_objects.c.collection_id, taxii_objects.c.date_added)
Index("ix_taxii_objects_coll_id", taxii_objects.c.collection_id, taxii_objects.c.stix_id)

taxii_status = Table(
    "taxii_status",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("api_root", String(64), nullable=False),
    Column("collection_id", String(64), nullable=False),
    Column("owner", String(128), nullable=False),
    Column("status", String(16), nullable=False),
    Column("request_timestamp", String(40), nullable=False),
    Column("total_count", Integer, nullable=False),
    Column("success_count", Integer, nullable=False),
    Column("failure_count", Integer, nullable=False),
    Column("pending_count", Integer, nullable=False),
    Column("details", Text, nullable=False),  # JSON: successes, failures
)

taxii_poll_state = Table(
    "taxii_poll_state",
    metadata,
    Column("feed", String(128), primary_key=True),
    Column("url", Text, nullable=False),
    Column("collection_id", String(64), nullable=False),
    Column("added_after", String(40), nullable=True),  # X-TAXII-Date-Added-Last seen so far
    Column("objects_imported", BigInteger, nullable=False),
    Column("polls", Integer, nullable=False),
    Column("last_polled_at", DateTime(timezone=True), nullable=True),
    Column("last_error", Text, nullable=True),
)
