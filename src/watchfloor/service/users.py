"""User use cases: accounts, clearances, passwords (argon2) and API tokens.

Every change is audited on the case chain under the subject `user:<name>`;
no secret (password, token, hash) ever enters the audit payload.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from collections.abc import Callable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from watchfloor.domain.audit import AuditEntry, AuditEvent
from watchfloor.domain.errors import DomainError, NotFound
from watchfloor.domain.markings import Clearance
from watchfloor.domain.users import Role, User, check_password, check_username


class StoredUserLike(Protocol):
    @property
    def user(self) -> User: ...
    @property
    def password_hash(self) -> str: ...
    @property
    def session_epoch(self) -> int: ...
    @property
    def token_rotated_at(self) -> datetime | None: ...


class UserRepository(Protocol):
    def add(self, user: User, password_hash: str, now: datetime) -> None: ...
    def get(self, username: str) -> StoredUserLike: ...
    def by_token(self, token_sha256: str) -> StoredUserLike | None: ...
    def list(self) -> Sequence[StoredUserLike]: ...
    def set_clearance(self, username: str, clearance: Clearance) -> None: ...
    def set_role(self, username: str, role: Role) -> None: ...
    def set_password(self, username: str, password_hash: str) -> None: ...
    def rehash_password(self, username: str, password_hash: str) -> None: ...
    def set_token(self, username: str, token_sha256: str | None, now: datetime) -> None: ...
    def setting(self, key: str) -> str | None: ...
    def put_setting(self, key: str, value: str) -> None: ...


class AuditAppender(Protocol):
    def append(self, events: list[AuditEvent]) -> list[AuditEntry]: ...


class UsersUnitOfWork(Protocol):
    @property
    def users(self) -> UserRepository: ...
    @property
    def audit(self) -> AuditAppender: ...
    @property
    def clock(self) -> Callable[[], datetime]: ...

    def __enter__(self) -> UsersUnitOfWork: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...


_HASHER = PasswordHasher()  # argon2id, RFC 9106 low-memory profile
_DUMMY: dict[int, str] = {}


def use_password_hasher(hasher: PasswordHasher) -> None:
    """Replace the argon2 parameters for new hashes (tests use cheap ones; stored hashes
    carry their own parameters and keep verifying)."""
    global _HASHER
    _HASHER = hasher


def _dummy_hash() -> str:
    """Verified against when the user does not exist, so a wrong name costs as long as a
    wrong password."""
    key = id(_HASHER)
    if key not in _DUMMY:
        _DUMMY[key] = _HASHER.hash("watchfloor-no-such-user")
    return _DUMMY[key]


TOKEN_PREFIX = "wf_"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _audit(
    uow: UsersUnitOfWork, by: str, now: datetime, action: str, user: str, **payload: object
) -> None:
    uow.audit.append([AuditEvent(now, by, action, f"user:{user}", dict(payload))])


def _clearance_payload(c: Clearance) -> dict[str, object]:
    return {"level": c.level.code, "audiences": sorted(c.audiences), "max_tlp": c.max_tlp.label}


def add_user(
    uow: UsersUnitOfWork,
    username: str,
    display_name: str,
    role: Role,
    clearance: Clearance,
    password: str,
    by: str,
    now: datetime,
) -> User:
    user = User(check_username(username), display_name.strip() or username, role, clearance)
    uow.users.add(user, _HASHER.hash(check_password(password)), now)
    _audit(uow, by, now, "user.added", username, role=role.code, **_clearance_payload(clearance))
    uow.commit()
    return user


def list_users(uow: UsersUnitOfWork) -> list[User]:
    return [s.user for s in uow.users.list()]


def set_clearance(
    uow: UsersUnitOfWork, username: str, clearance: Clearance, by: str, now: datetime
) -> None:
    uow.users.set_clearance(username, clearance)
    _audit(uow, by, now, "user.clearance_set", username, **_clearance_payload(clearance))
    uow.commit()


def set_role(uow: UsersUnitOfWork, username: str, role: Role, by: str, now: datetime) -> None:
    uow.users.set_role(username, role)
    _audit(uow, by, now, "user.role_set", username, role=role.code)
    uow.commit()


def set_password(
    uow: UsersUnitOfWork, username: str, password: str, by: str, now: datetime
) -> None:
    uow.users.set_password(username, _HASHER.hash(check_password(password)))
    _audit(uow, by, now, "user.password_set", username)
    uow.commit()


def rotate_token(uow: UsersUnitOfWork, username: str, by: str, now: datetime) -> str:
    """Issue a new API token (returned once, stored only as its digest); the old one stops."""
    uow.users.get(username)  # names an unknown user clearly
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    uow.users.set_token(username, token_digest(token), now)
    _audit(uow, by, now, "user.token_rotated", username)
    uow.commit()
    return token


def authenticate_password(uow: UsersUnitOfWork, username: str, password: str) -> tuple[User, int]:
    """The user and session epoch for a correct name and password; DomainError otherwise.

    The message never says which of the two was wrong.
    """
    refused = DomainError("unknown user or wrong password")
    if len(password) > 1024:
        raise refused
    try:
        stored = uow.users.get(username)
    except NotFound:
        with contextlib.suppress(VerificationError):
            _HASHER.verify(_dummy_hash(), password)
        raise refused from None
    try:
        _HASHER.verify(stored.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise refused from None
    if not stored.user.active:
        raise refused
    return stored.user, stored.session_epoch


def authenticate_token(uow: UsersUnitOfWork, token: str) -> User | None:
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    stored = uow.users.by_token(token_digest(token))
    if stored is None or not stored.user.active:
        return None
    return stored.user


def session_user(uow: UsersUnitOfWork, username: str, epoch: int) -> User | None:
    """The user behind a session, if the session is still valid (same epoch, active)."""
    try:
        stored = uow.users.get(username)
    except NotFound:
        return None
    if stored.session_epoch != epoch or not stored.user.active:
        return None
    return stored.user


def secret_key(uow: UsersUnitOfWork) -> str:
    """The key that signs sessions, made once and shared by every server process."""
    key = uow.users.setting("session_key")
    if key is None:
        key = secrets.token_urlsafe(48)
        uow.users.put_setting("session_key", key)
        uow.commit()
    return key
