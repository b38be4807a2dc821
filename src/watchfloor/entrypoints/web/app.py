"""The ASGI application factory: `create_app(app)` wires routers, auth and error handling.

Routers are listed in one place, `routers()`: a new feature (the TAXII server,
say) adds its router there and uses `auth.current_user` for its principal.
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from watchfloor import __version__
from watchfloor.bootstrap import App
from watchfloor.domain.errors import ConflictError, DomainError, NotFound, PermissionDenied
from watchfloor.entrypoints.web import MAX_UPLOAD_MB
from watchfloor.entrypoints.web.auth import Forbidden, NotSignedIn, users_uow
from watchfloor.service import users as user_service

if TYPE_CHECKING:
    from watchfloor.entrypoints.web.space import SpaceCatalog

STATIC = Path(__file__).parent / "static"


def routers() -> list[APIRouter]:
    """Every router the service mounts, in order (pages last: they own `/`)."""
    from watchfloor.entrypoints.web.api import router as api
    from watchfloor.entrypoints.web.indicators import router as indicators
    from watchfloor.entrypoints.web.pages import router as pages
    from watchfloor.entrypoints.web.progress import router as progress
    from watchfloor.entrypoints.web.space import router as space

    return [api, indicators, progress, space, pages]


def _wants_json(request: Request) -> bool:
    path = request.url.path
    if path.startswith("/api/") or path == "/api":
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _error(request: Request, status: int, message: str) -> Response:
    if _wants_json(request):
        return JSONResponse({"detail": message}, status_code=status)
    from watchfloor.entrypoints.web.pages import error_page

    return error_page(request, status, message)


def _install_handlers(api: FastAPI) -> None:
    @api.exception_handler(NotSignedIn)
    async def _not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        if _wants_json(request):
            return JSONResponse(
                {"detail": exc.message},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="watchfloor"'},
            )
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    @api.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        return _error(request, 403, exc.message)

    @api.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        # NotFound also answers for cases the caller may not see: the message names only
        # what the caller asked for, never what is there.
        status = 400
        if isinstance(exc, NotFound):
            status = 404
        elif isinstance(exc, ConflictError):
            status = 409
        elif isinstance(exc, PermissionDenied):
            status = 403
        return _error(request, status, str(exc))

    @api.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
            problems.append(f"{where}: {err.get('msg', 'invalid')}" if where else err.get("msg"))
        message = "invalid input: " + "; ".join(str(p) for p in problems)
        if _wants_json(request):
            return JSONResponse({"detail": message, "problems": problems}, status_code=422)
        return _error(request, 422, message)

    @api.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        return _error(request, exc.status_code, str(exc.detail))


class BodyLimit:
    """ASGI middleware refusing a request whose body is over `max_bytes`, with a
    413 that says the limit: before reading it where the request states its length,
    else as soon as the count passes the limit (a chunked upload). Nothing of a
    refused request is stored: it is refused while the form is still being read.
    The error is raised where the route reads the body, so that the app's own
    handlers answer it (JSON for the API, the error page for a browser)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self, size: str) -> StarletteHTTPException:
        limit = self.max_bytes / (1 << 20)
        return StarletteHTTPException(
            413,
            f"the upload ({size}) is over this server's limit of {limit:g} MiB "
            "(`watchfloor serve --max-upload-mb`); correlate larger logs where they are, "
            "with `watchfloor correlate --case`",
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        stated = dict(scope["headers"]).get(b"content-length", b"")
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            if stated.isdigit() and int(stated) > self.max_bytes:
                raise self._too_large(f"{int(stated) / (1 << 20):.1f} MiB")
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise self._too_large(f"more than {seen / (1 << 20):.1f} MiB")
            return message

        await self.app(scope, limited, send)


def create_app(
    app: App,
    *,
    secure_cookies: bool = False,
    space: SpaceCatalog | None = None,
    max_upload_bytes: int = MAX_UPLOAD_MB << 20,
) -> FastAPI:
    """The ASGI app for one composition root. `secure_cookies` for HTTPS deployments;
    `space` the orbital catalog the space page screens against (none: the page says so);
    `max_upload_bytes` the most one request may send (see :class:`BodyLimit`)."""
    api = FastAPI(
        title="Watchfloor",
        version=__version__,
        description=(
            "Decision support for an allied cyber-and-space attribution-and-response cell. "
            "Authenticate with `Authorization: Bearer <token>` (see `watchfloor users "
            "rotate-token`). Every read returns only what the caller's clearance, "
            "releasability and TLP allow."
        ),
        docs_url=None,  # the interactive docs load scripts from a CDN; the cell has none
        redoc_url=None,
    )
    api.state.watchfloor = app
    api.state.secure_cookies = secure_cookies
    api.state.space = space
    api.state.max_upload_bytes = max_upload_bytes
    with users_uow(app) as uow:
        api.state.secret_key = user_service.secret_key(uow)
    _install_handlers(api)
    for router in routers():
        api.include_router(router)
    from watchfloor.entrypoints.web.auth import current_user
    from watchfloor.entrypoints.web.taxii import taxii_router

    api.include_router(taxii_router(app, current_user))  # TAXII 2.1 at /taxii2/
    api.mount("/static", StaticFiles(directory=STATIC), name="static")
    api.add_middleware(BodyLimit, max_bytes=max_upload_bytes)
    return api


def ready_to_serve() -> None:
    """What a server process does once, after building its app and before its
    first request: compile every page template (else the first request for
    each pays for it, and the first minute of a busy watch floor with it),
    then put every object made so far out of the garbage collector's reach
    (:func:`gc.freeze`). The imported libraries, the app and its templates are
    about 220,000 objects that live as long as the process; a full collection
    walked them all, a 120-190 ms pause of every request in flight, several
    times a minute under load. Now it walks only what requests make. Not for
    test processes, which build and drop many apps: frozen objects are never
    collected. It also loads the correlation kernel's machine code (compiled
    at install), which the first log upload waited 1.4 s for."""
    from watchfloor.engines.correlation.kernel import compile_kernel
    from watchfloor.entrypoints.web.pages import compile_templates

    compile_templates()
    compile_kernel()  # from the install's cache: about a second
    gc.collect()  # nothing collectable is frozen
    gc.freeze()
