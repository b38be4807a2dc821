"""Authentication for every router: sessions for pages, bearer tokens for machines.

Use `current_user` as a FastAPI dependency in any router (the TAXII server does)::

    from watchfloor.entrypoints.web.auth import Principal, current_user

    @router.get("/thing")
    def thing(user: Principal = Depends(current_user)) -> ...:
        if not user.clearance.may_see(item.marking): ...

A request carrying `Authorization: Bearer <token>` is authenticated by its API
token only; otherwise by the signed session cookie. Neither: 401. Role decides
what a principal may do (`require(Permission.X)`); its `clearance` decides what
it may see, on every read path.

Cross-site request forgery: sessions carry a random nonce; every unsafe request
authenticated by a session must present it (form field `csrf_token` or header
`X-CSRF-Token`). Token-authenticated requests carry no ambient credentials and
need none.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from watchfloor.adapters.db.users_repository import SqlUsersUnitOfWork
from watchfloor.bootstrap import App
from watchfloor.domain.markings import Clearance
from watchfloor.domain.users import Permission, Role, User
from watchfloor.service import users as user_service

SESSION_COOKIE = "wf_session"
PRESESSION_COOKIE = "wf_presession"
SESSION_MAX_AGE_S = 12 * 3600  # one watch plus hand-over
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class NotSignedIn(Exception):
    """No valid session or token: 401 for the API, a redirect to sign-in for pages."""

    def __init__(self, message: str = "sign in first: no valid session or API token") -> None:
        super().__init__(message)
        self.message = message


class Forbidden(Exception):
    """Signed in, but the role does not allow the action, or the CSRF check failed (403)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Principal:
    """Who is asking: name, role, clearance, and how they proved it."""

    username: str
    display_name: str
    role: Role
    clearance: Clearance
    via: Literal["session", "token"]
    csrf: str = ""  # the session's nonce; empty for token principals

    @property
    def user(self) -> User:
        return User(self.username, self.display_name, self.role, self.clearance)

    def may(self, permission: Permission) -> bool:
        return self.role.may(permission)


def watchfloor_app(request: Request) -> App:
    """The composition root's `App`, stored on the ASGI app by `create_app`."""
    app: App = request.app.state.watchfloor
    return app


def users_uow(app: App, read_only: bool = False) -> SqlUsersUnitOfWork:
    return SqlUsersUnitOfWork(app.engine, app.clock, read_only)


def _serializer(request: Request, salt: str) -> URLSafeTimedSerializer:
    key: str = request.app.state.secret_key
    return URLSafeTimedSerializer(key, salt=salt)


def session_cookie_value(request: Request, user: User, epoch: int) -> tuple[str, str]:
    """A signed session cookie value and its CSRF nonce."""
    nonce = secrets.token_urlsafe(24)
    value = _serializer(request, "session").dumps({"u": user.username, "e": epoch, "c": nonce})
    return value, nonce


def _read_session(request: Request) -> dict[str, Any] | None:
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw or len(raw) > 4096:
        return None
    try:
        data = _serializer(request, "session").loads(raw, max_age=SESSION_MAX_AGE_S)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not {"u", "e", "c"} <= data.keys():
        return None
    return data


def presession_nonce(request: Request) -> tuple[str, str]:
    """The sign-in form's CSRF nonce (reused from its cookie when valid) and the cookie value."""
    raw = request.cookies.get(PRESESSION_COOKIE)
    if raw and len(raw) < 1024:
        try:
            nonce = _serializer(request, "presession").loads(raw, max_age=3600)
            if isinstance(nonce, str):
                return nonce, raw
        except BadSignature:
            pass
    nonce = secrets.token_urlsafe(24)
    return nonce, _serializer(request, "presession").dumps(nonce)


def check_presession(request: Request, submitted: str) -> None:
    raw = request.cookies.get(PRESESSION_COOKIE, "")
    try:
        nonce = _serializer(request, "presession").loads(raw, max_age=3600) if raw else None
    except BadSignature:
        nonce = None
    if not isinstance(nonce, str) or not hmac.compare_digest(nonce, submitted):
        raise Forbidden("the sign-in form has expired or was not sent by this site; reload it")


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotSignedIn("the Authorization header must be 'Bearer <token>'")
    return token.strip()


def optional_user(request: Request) -> Principal | None:
    """The principal, or None when the request carries no valid credentials."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    app = watchfloor_app(request)
    token = _bearer(request)
    principal: Principal | None = None
    if token is not None:
        with users_uow(app, read_only=True) as uow:
            user = user_service.authenticate_token(uow, token)
        if user is None:
            raise NotSignedIn("the API token is not valid (unknown, rotated or disabled)")
        principal = Principal(user.username, user.display_name, user.role, user.clearance, "token")
    else:
        data = _read_session(request)
        if data is not None:
            with users_uow(app, read_only=True) as uow:
                user = user_service.session_user(uow, str(data["u"]), int(data["e"]))
            if user is not None:
                principal = Principal(
                    user.username,
                    user.display_name,
                    user.role,
                    user.clearance,
                    "session",
                    str(data["c"]),
                )
    request.state.principal = principal
    return principal


def current_user(request: Request) -> Principal:
    """The authenticated principal (session or bearer token); 401 otherwise."""
    principal = optional_user(request)
    if principal is None:
        raise NotSignedIn()
    return principal


async def _submitted_csrf(request: Request) -> str:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    ctype = request.headers.get("content-type", "")
    if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


async def csrf_protected(
    request: Request, user: Annotated[Principal, Depends(current_user)]
) -> Principal:
    """`current_user`, and for unsafe methods on a session, a matching CSRF nonce."""
    if request.method in UNSAFE_METHODS and user.via == "session":
        submitted = await _submitted_csrf(request)
        if not submitted or not hmac.compare_digest(submitted, user.csrf):
            raise Forbidden(
                "the form was not sent by this site or your session changed (CSRF check failed); "
                "reload the page and try again"
            )
    return user


def require(permission: Permission) -> Callable[..., Any]:
    """A dependency: the principal (CSRF-checked on writes), if its role allows `permission`."""

    def dependency(user: Annotated[Principal, Depends(csrf_protected)]) -> Principal:
        if not user.may(permission):
            raise Forbidden(
                f"{user.username} ({user.role.label}) may not {permission.value.replace('_', ' ')}"
            )
        return user

    dependency.__name__ = f"require_{permission.value}"
    return dependency
