"""The TAXII 2.1 server: discovery, API roots, collections, objects, manifests, versions,
adding objects with a status resource.

`taxii_router(app, authenticate)` builds a self-contained `APIRouter`;
`authenticate` is any FastAPI dependency returning a principal with
``.username`` and ``.clearance`` (in the service, `auth.current_user`).

- A partner sees a collection when its audiences hold the collection's read
  group, and within it only the objects its clearance may see (filtered in SQL,
  so paging never reveals what was filtered out); it may write only to a
  collection whose write group it holds (its submission collection).
- Every error — including failed authentication and malformed parameters — is
  a TAXII error message with media type ``application/taxii+json;version=2.1``
  and the status code the specification gives; nothing answers 5xx on bad input.
- ``next`` is the ``date_added`` (microseconds) of the last object of the page;
  ``date_added`` is server-assigned and strictly increasing, so paging is stable
  while objects are added.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Coroutine, Mapping
from datetime import UTC
from typing import Any, Protocol

from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from watchfloor.adapters.stix.reader import StixBundleError, parse_objects
from watchfloor.adapters.stix.tlp import tlp_by_id
from watchfloor.adapters.taxii.store import (
    AddResult,
    Collection,
    ObjectQuery,
    Page,
    TaxiiStore,
    format_timestamp,
    normalise_timestamp,
    parse_timestamp,
)
from watchfloor.bootstrap import App
from watchfloor.domain.markings import NATO, TLP, Clearance, Marking

__all__ = ["TAXII_MEDIA_TYPE", "Partner", "TaxiiError", "default_api_root", "taxii_router"]

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
STIX_MEDIA_TYPE = "application/stix+json;version=2.1"
DEFAULT_API_ROOT = "sharing"
MAX_PAGE = 1000
# TLP 1.0 marking-definition ids (STIX 2.0 / 2.1 core), for objects partners submit.
_TLP1 = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": TLP.CLEAR,
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": TLP.GREEN,
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": TLP.AMBER,
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": TLP.RED,
}


class Partner(Protocol):
    @property
    def username(self) -> str: ...
    @property
    def clearance(self) -> Clearance: ...


class TaxiiError(Exception):
    def __init__(self, status: int, title: str, description: str = "") -> None:
        super().__init__(title)
        self.status, self.title, self.description = status, title, description


def taxii_response(
    body: Mapping[str, Any] | str, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    content = body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))
    return Response(content, status, headers=dict(headers or {}), media_type=TAXII_MEDIA_TYPE)


def error_response(status: int, title: str, description: str = "") -> Response:
    body: dict[str, Any] = {"title": title, "http_status": str(status)}
    if description:
        body["description"] = description
    extra = {"WWW-Authenticate": 'Basic realm="taxii", Bearer'} if status == 401 else {}
    return taxii_response(body, status, extra)


class TaxiiRoute(APIRoute):
    """Turns every failure inside a TAXII route, authentication included, into a TAXII
    error message (the router cannot rely on the host app's exception handlers)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except TaxiiError as e:
                return error_response(e.status, e.title, e.description)
            except RequestValidationError as e:
                return error_response(400, "Invalid request", str(e.errors())[:500])
            except StarletteHTTPException as e:
                return error_response(e.status_code, str(e.detail))
            except Exception as e:  # authentication failures of the host's auth module
                name = type(e).__name__
                if name == "NotSignedIn":
                    return error_response(401, "Authentication required", str(e))
                if name in ("Forbidden", "PermissionDenied"):
                    return error_response(403, "Forbidden", str(e))
                raise

        return route


def _check_accept(request: Request) -> None:
    accept = request.headers.get("accept", "")
    if not accept:
        return
    for part in accept.split(","):
        media = part.split(";")[0].strip().lower()
        params = part.replace(" ", "").lower()
        if media in ("*/*", "application/*"):
            return
        if media == "application/taxii+json" and (
            "version=" not in params or "version=2.1" in params
        ):
            return
    raise TaxiiError(406, "Not acceptable", f"this server speaks {TAXII_MEDIA_TYPE}")


def _csv(request: Request, name: str) -> tuple[str, ...]:
    values = [v for raw in request.query_params.getlist(name) for v in raw.split(",")]
    return tuple(dict.fromkeys(v.strip() for v in values if v.strip()))


_ID = re.compile(r"^[a-z0-9-]+--[0-9a-fA-F-]{36}$")


def parse_query(request: Request, allow_id_filter: bool = True) -> ObjectQuery:
    q = request.query_params
    try:
        limit = int(q.get("limit", MAX_PAGE))
    except ValueError:
        raise TaxiiError(400, "Invalid limit", "limit must be a positive integer") from None
    if limit < 1:
        raise TaxiiError(400, "Invalid limit", "limit must be a positive integer")
    added_after = next_ = None
    if "added_after" in q:
        try:
            added_after = parse_timestamp(q["added_after"])
        except ValueError as e:
            raise TaxiiError(400, "Invalid added_after", str(e)) from None
    if "next" in q:
        if not q["next"].isdigit():
            raise TaxiiError(400, "Invalid next", "next is not a value this server gave out")
        next_ = int(q["next"])
    versions = []
    for v in _csv(request, "match[version]") or ("last",):
        if v in ("first", "last", "all"):
            versions.append(v)
            continue
        try:
            versions.append(normalise_timestamp(v))
        except ValueError:
            raise TaxiiError(400, "Invalid match[version]", f"{v!r}") from None
    spec_versions = _csv(request, "match[spec_version]")
    if any(s not in ("2.0", "2.1") for s in spec_versions):
        raise TaxiiError(400, "Invalid match[spec_version]", "expected 2.0 and/or 2.1")
    ids = _csv(request, "match[id]") if allow_id_filter else ()
    if any(not _ID.match(i) for i in ids):
        raise TaxiiError(400, "Invalid match[id]", "ids have the form <type>--<uuid>")
    return ObjectQuery(
        limit=min(limit, MAX_PAGE),
        added_after=added_after,
        next=next_,
        ids=ids,
        types=_csv(request, "match[type]"),
        versions=tuple(versions),
        spec_versions=spec_versions,
    )


def _page_headers(page: Page) -> dict[str, str]:
    if not page.rows:
        return {}
    return {
        "X-TAXII-Date-Added-First": format_timestamp(page.rows[0].date_added),
        "X-TAXII-Date-Added-Last": format_timestamp(page.rows[-1].date_added),
    }


def _envelope(page: Page) -> str:
    if not page.rows:
        return '{"more":false}'
    head = '{"more":true,"next":' + json.dumps(page.next) if page.more else '{"more":false'
    return head + ',"objects":[' + ",".join(r.raw for r in page.rows) + "]}"


def submitted_marking(obj: Mapping[str, Any], clearance: Clearance) -> Marking:
    """A partner's object: UNCLASSIFIED, its TLP from its marking refs (AMBER if none),
    releasable to the submitter's groups and to the cell (NATO); TLP:CLEAR is public."""
    refs = obj.get("object_marking_refs") or []
    levels = [t for r in refs if isinstance(r, str) and (t := tlp_by_id(r) or _TLP1.get(r))]
    tlp = max(levels) if levels else TLP.AMBER
    if tlp is TLP.CLEAR:
        return Marking.public()
    return Marking(releasable_to=frozenset(clearance.audiences | {NATO}), tlp=tlp)


def default_api_root(store: TaxiiStore) -> None:
    store.ensure_api_root(
        DEFAULT_API_ROOT,
        "Watchfloor partner sharing",
        "Partner versions of cases, at each partner's marking; one submission collection "
        "per partner group.",
    )


def taxii_router(
    app: App,
    authenticate: Callable[..., Any],
    prefix: str = "/taxii2",
    store: TaxiiStore | None = None,
) -> APIRouter:
    """The TAXII 2.1 server as a router (discovery at ``{prefix}/``)."""
    taxii = store or TaxiiStore(app.engine, app.clock)
    default_api_root(taxii)
    router = APIRouter(prefix=prefix, route_class=TaxiiRoute, tags=["taxii"])
    who = Depends(authenticate)

    def root_or_404(name: str) -> Any:
        root = taxii.api_root(name)
        if root is None:
            raise TaxiiError(404, "API root not found", name)
        return root

    def readable(api_root: str, cid: str, user: Partner) -> Collection:
        root_or_404(api_root)
        c = taxii.collection(api_root, cid)
        if c is None or not (c.can_read(user.clearance) or c.can_write(user.clearance)):
            raise TaxiiError(404, "Collection not found", cid)
        if not c.can_read(user.clearance):
            raise TaxiiError(403, "Forbidden", f"{user.username} may not read collection {cid}")
        return c

    @router.get("/")
    def discovery(request: Request, user: Partner = who) -> Response:
        _check_accept(request)
        base = str(request.base_url).rstrip("/") + prefix
        roots = [f"{base}/{r.name}/" for r in taxii.api_roots()]
        body = {
            "title": "Watchfloor TAXII 2.1",
            "description": "Partner sharing of the attribution-and-response cell.",
            "contact": "watch officer",
            "default": f"{base}/{DEFAULT_API_ROOT}/",
            "api_roots": roots,
        }
        return taxii_response(body)

    @router.get("/{api_root}/")
    def api_root_info(api_root: str, request: Request, user: Partner = who) -> Response:
        _check_accept(request)
        root = root_or_404(api_root)
        return taxii_response(
            {
                "title": root.title,
                "description": root.description,
                "versions": [TAXII_MEDIA_TYPE],
                "max_content_length": root.max_content_length,
            }
        )

    def collection_resource(c: Collection, clearance: Clearance) -> dict[str, Any]:
        return {
            "id": c.id,
            "title": c.title,
            "description": c.description,
            "can_read": c.can_read(clearance),
            "can_write": c.can_write(clearance),
            "media_types": [STIX_MEDIA_TYPE],
        }

    @router.get("/{api_root}/collections/")
    def collections(api_root: str, request: Request, user: Partner = who) -> Response:
        _check_accept(request)
        root_or_404(api_root)
        shown = [
            collection_resource(c, user.clearance)
            for c in taxii.collections(api_root)
            if c.can_read(user.clearance) or c.can_write(user.clearance)
        ]
        return taxii_response({"collections": shown} if shown else {})

    @router.get("/{api_root}/collections/{cid}/")
    def collection(api_root: str, cid: str, request: Request, user: Partner = who) -> Response:
        _check_accept(request)
        root_or_404(api_root)
        c = taxii.collection(api_root, cid)
        if c is None or not (c.can_read(user.clearance) or c.can_write(user.clearance)):
            raise TaxiiError(404, "Collection not found", cid)
        return taxii_response(collection_resource(c, user.clearance))

    @router.get("/{api_root}/collections/{cid}/objects/")
    def get_objects(api_root: str, cid: str, request: Request, user: Partner = who) -> Response:
        _check_accept(request)
        c = readable(api_root, cid, user)
        page = taxii.query(c.id, user.clearance, parse_query(request))
        return taxii_response(_envelope(page), headers=_page_headers(page))

    @router.get("/{api_root}/collections/{cid}/objects/{object_id}/")
    def get_object(
        api_root: str, cid: str, object_id: str, request: Request, user: Partner = who
    ) -> Response:
        _check_accept(request)
        c = readable(api_root, cid, user)
        q = parse_query(request, allow_id_filter=False)
        page = taxii.query(c.id, user.clearance, _with_id(q, object_id))
        if not page.rows and not q.next:
            raise TaxiiError(404, "Object not found", object_id)
        return taxii_response(_envelope(page), headers=_page_headers(page))

    @router.get("/{api_root}/collections/{cid}/objects/{object_id}/versions/")
    def versions(
        api_root: str, cid: str, object_id: str, request: Request, user: Partner = who
    ) -> Response:
        _check_accept(request)
        c = readable(api_root, cid, user)
        q = parse_query(request, allow_id_filter=False)
        q = _with_id(q, object_id, versions=("all",))
        page = taxii.query(c.id, user.clearance, q, columns_only=True)
        if not page.rows and not q.next:
            raise TaxiiError(404, "Object not found", object_id)
        body: dict[str, Any] = {"more": page.more, "versions": [r.version for r in page.rows]}
        if page.more:
            body["next"] = page.next
        return taxii_response(body, headers=_page_headers(page))

    @router.get("/{api_root}/collections/{cid}/manifest/")
    def manifest(api_root: str, cid: str, request: Request, user: Partner = who) -> Response:
        _check_accept(request)
        c = readable(api_root, cid, user)
        page = taxii.query(c.id, user.clearance, parse_query(request), columns_only=True)
        if not page.rows:
            return taxii_response({"more": False})
        body: dict[str, Any] = {
            "more": page.more,
            "objects": [
                {
                    "id": r.stix_id,
                    "date_added": format_timestamp(r.date_added),
                    "version": r.version,
                    "media_type": f"application/stix+json;version={r.spec_version}",
                }
                for r in page.rows
            ],
        }
        if page.more:
            body["next"] = page.next
        return taxii_response(body, headers=_page_headers(page))

    @router.post("/{api_root}/collections/{cid}/objects/")
    async def add_objects(
        api_root: str, cid: str, request: Request, user: Partner = who
    ) -> Response:
        _check_accept(request)
        root = root_or_404(api_root)
        c = taxii.collection(api_root, cid)
        if c is None or not (c.can_read(user.clearance) or c.can_write(user.clearance)):
            raise TaxiiError(404, "Collection not found", cid)
        if not c.can_write(user.clearance):
            raise TaxiiError(403, "Forbidden", f"{user.username} may not write to {cid}")
        ctype = request.headers.get("content-type", "").replace(" ", "").lower()
        if not ctype.startswith("application/taxii+json") or (
            "version=" in ctype and "version=2.1" not in ctype
        ):
            raise TaxiiError(415, "Unsupported media type", f"send {TAXII_MEDIA_TYPE}")
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > root.max_content_length:
            raise TaxiiError(413, "Request too large", f"limit {root.max_content_length} bytes")
        body = await request.body()
        if len(body) > root.max_content_length:
            raise TaxiiError(413, "Request too large", f"limit {root.max_content_length} bytes")
        requested = format_timestamp(_now_us(app))
        result = add_envelope(taxii, c.id, body, user.clearance)
        status = taxii.save_status(api_root, c.id, user.username, result, requested)
        return taxii_response(status, 202)

    @router.get("/{api_root}/status/{status_id}/")
    def get_status(
        api_root: str, status_id: str, request: Request, user: Partner = who
    ) -> Response:
        _check_accept(request)
        root_or_404(api_root)
        status = taxii.status(api_root, status_id, user.username)
        if status is None:
            raise TaxiiError(404, "Status not found", status_id)
        return taxii_response(status)

    return router


def add_envelope(store: TaxiiStore, cid: str, body: bytes, clearance: Clearance) -> AddResult:
    """Validate a TAXII envelope and store it whole, or store nothing and report each bad
    object (its id and reason) as a failure, the good ones as not added."""
    try:
        envelope = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise TaxiiError(400, "Not JSON", str(e)) from None
    objects = envelope.get("objects") if isinstance(envelope, dict) else None
    if not isinstance(objects, list):
        raise TaxiiError(400, "Not an envelope", 'expected {"objects": [...]}')
    try:
        records = parse_objects(objects, default_spec_version="2.1", source="envelope")
    except StixBundleError as e:
        bad = {p.index: p for p in e.problems}
        result = AddResult()
        for i, obj in enumerate(objects):
            oid = obj.get("id") if isinstance(obj, dict) else None
            oid = oid if isinstance(oid, str) else None
            if i in bad:
                result.failures.append((oid, bad[i].reason))
            else:
                result.failures.append(
                    (oid, "not added: other objects of the envelope are invalid")
                )
        return result
    del records  # validated; stored as sent
    return store.add_objects(
        cid, objects, lambda o: submitted_marking(o, clearance), spec_version_of
    )


def spec_version_of(obj: Mapping[str, Any]) -> str:
    """An object's STIX version: its ``spec_version``; without one, an object with
    ``created`` is STIX 2.0 (2.1 requires the property on SDOs and SROs), else 2.1."""
    spec = obj.get("spec_version")
    if isinstance(spec, str):
        return spec
    return "2.0" if "created" in obj else "2.1"


def _with_id(
    q: ObjectQuery, object_id: str, versions: tuple[str, ...] | None = None
) -> ObjectQuery:
    return ObjectQuery(
        limit=q.limit,
        added_after=q.added_after,
        next=q.next,
        ids=(object_id,),
        types=q.types,
        versions=versions or q.versions,
        spec_versions=q.spec_versions,
    )


def _now_us(app: App) -> int:
    t = app.clock()
    t = t if t.tzinfo else t.replace(tzinfo=UTC)
    return int(t.timestamp()) * 1_000_000 + t.microsecond
