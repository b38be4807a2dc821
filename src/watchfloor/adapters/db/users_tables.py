"""User accounts and web settings on the shared metadata.

Passwords are stored as argon2 hashes; API tokens as the SHA-256 of a
256-bit random token (a fast hash suffices for high-entropy secrets and lets
the token be looked up by its digest).
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, DateTime, Integer, String, Table, Text

from watchfloor.adapters.db.tables import metadata

users = Table(
    "users",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("display_name", Text, nullable=False),
    Column("role", String(32), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("clearance", Integer, nullable=False),
    Column("audiences", JSON, nullable=False),
    Column("max_tlp", Integer, nullable=False),
    Column("token_sha256", String(64), unique=True),
    Column("token_rotated_at", DateTime(timezone=True)),
    Column("session_epoch", Integer, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

web_settings = Table(
    "web_settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)
