"""User accounts and web settings: a repository and its own small unit of work.

User changes are audited in the same transaction as the change, on the same
tamper-evident chain as the cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from watchfloor.adapters.db.mapping import utc
from watchfloor.adapters.db.repository import SqlAuditLog
from watchfloor.adapters.db.uow import Transaction
from watchfloor.adapters.db.users_tables import users, web_settings
from watchfloor.domain.errors import ConflictError, NotFound
from watchfloor.domain.markings import TLP, Classification, Clearance
from watchfloor.domain.users import Role, User

_CLASS_BY_RANK = {c.rank: c for c in Classification}
_TLP_BY_RANK = {t.rank: t for t in TLP}


@dataclass(frozen=True)
class StoredUser:
    """A user as stored, with what only the authentication layer needs."""

    user: User
    password_hash: str
    session_epoch: int
    token_rotated_at: datetime | None


def _user_from(row: Any) -> StoredUser:
    clearance = Clearance(
        _CLASS_BY_RANK[row["clearance"]],
        frozenset(row["audiences"]),
        _TLP_BY_RANK[row["max_tlp"]],
    )
    user = User(
        row["username"], row["display_name"], Role.parse(row["role"]), clearance, row["active"]
    )
    return StoredUser(
        user, row["password_hash"], row["session_epoch"], utc(row["token_rotated_at"])
    )


def _clearance_columns(c: Clearance) -> dict[str, Any]:
    return {
        "clearance": c.level.rank,
        "audiences": sorted(c.audiences),
        "max_tlp": c.max_tlp.rank,
    }


class SqlUserRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, user: User, password_hash: str, now: datetime) -> None:
        if self.conn.execute(
            select(users.c.username).where(users.c.username == user.username)
        ).first():
            raise ConflictError(f"user {user.username!r} already exists")
        self.conn.execute(
            insert(users).values(
                username=user.username,
                display_name=user.display_name,
                role=user.role.code,
                password_hash=password_hash,
                session_epoch=0,
                active=user.active,
                created_at=now,
                **_clearance_columns(user.clearance),
            )
        )

    def get(self, username: str) -> StoredUser:
        row = (
            self.conn.execute(select(users).where(users.c.username == username)).mappings().first()
        )
        if row is None:
            raise NotFound(f"no user {username!r}")
        return _user_from(row)

    def by_token(self, token_sha256: str) -> StoredUser | None:
        row = (
            self.conn.execute(select(users).where(users.c.token_sha256 == token_sha256))
            .mappings()
            .first()
        )
        return None if row is None else _user_from(row)

    def list(self) -> list[StoredUser]:
        rows = self.conn.execute(select(users).order_by(users.c.username)).mappings()
        return [_user_from(r) for r in rows]

    def _update(self, username: str, **values: Any) -> None:
        result = self.conn.execute(
            update(users).where(users.c.username == username).values(**values)
        )
        if result.rowcount != 1:
            raise NotFound(f"no user {username!r}")

    def set_clearance(self, username: str, clearance: Clearance) -> None:
        # A new clearance ends the sessions issued under the old one.
        epoch = self.get(username).session_epoch + 1
        self._update(username, session_epoch=epoch, **_clearance_columns(clearance))

    def set_role(self, username: str, role: Role) -> None:
        epoch = self.get(username).session_epoch + 1
        self._update(username, role=role.code, session_epoch=epoch)

    def set_password(self, username: str, password_hash: str) -> None:
        epoch = self.get(username).session_epoch + 1
        self._update(username, password_hash=password_hash, session_epoch=epoch)

    def rehash_password(self, username: str, password_hash: str) -> None:
        self._update(username, password_hash=password_hash)

    def set_token(self, username: str, token_sha256: str | None, now: datetime) -> None:
        self._update(username, token_sha256=token_sha256, token_rotated_at=now)

    def set_active(self, username: str, active: bool) -> None:
        epoch = self.get(username).session_epoch + 1
        self._update(username, active=active, session_epoch=epoch)

    def setting(self, key: str) -> str | None:
        row = self.conn.execute(
            select(web_settings.c.value).where(web_settings.c.key == key)
        ).first()
        return None if row is None else str(row[0])

    def put_setting(self, key: str, value: str) -> None:
        if self.setting(key) is None:
            self.conn.execute(insert(web_settings).values(key=key, value=value))
        else:
            self.conn.execute(
                update(web_settings).where(web_settings.c.key == key).values(value=value)
            )


class SqlUsersUnitOfWork(Transaction):
    """One transaction over the users and the audit chain."""

    users: SqlUserRepository
    audit: SqlAuditLog

    def _open(self, conn: Connection) -> None:
        self.users = SqlUserRepository(conn)
        self.audit = SqlAuditLog(conn)
