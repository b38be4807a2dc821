"""The TAXII 2.1 server against real peers: the OASIS taxii2-client over loopback (uvicorn in
a thread on 127.0.0.1), our own poller, and ATT&CK bundles round-tripped object for object."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import uvicorn
from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException
from taxii2client.common import _HTTPConnection
from taxii2client.v21 import ApiRoot, Collection, Server, as_pages

from tests.conftest import PG_URL, SHARED_DATA, FixedClock, pg_schema_url
from tests.sharing.builders import NOW, SECRET_STRINGS, shareable_case
from watchfloor.adapters.db.kb_repository import KnowledgeBaseRepository
from watchfloor.adapters.stix.writer import export_case
from watchfloor.adapters.taxii.poller import Feed, PollError, TaxiiPoller, knowledge_base_sink
from watchfloor.adapters.taxii.store import ObjectQuery, TaxiiStore
from watchfloor.bootstrap import App, bootstrap
from watchfloor.domain.markings import NATO, TLP, Classification, Clearance, Marking
from watchfloor.domain.tearline import parse_marking
from watchfloor.entrypoints.web.taxii import TAXII_MEDIA_TYPE, submitted_marking, taxii_router
from watchfloor.service import sharing


@dataclass(frozen=True)
class FakePartner:
    username: str
    clearance: Clearance


USERS = {
    ("cert-ee", "pw-ee"): FakePartner(
        "cert-ee", Clearance(Classification.UNCLASSIFIED, frozenset({"EST"}), TLP.AMBER)
    ),
    ("operator-x", "pw-x"): FakePartner(
        "operator-x",
        Clearance(Classification.UNCLASSIFIED, frozenset({"OPERATOR-X"}), TLP.GREEN),
    ),
    ("cell", "pw-cell"): FakePartner(
        "cell", Clearance(Classification.SECRET, frozenset({NATO, "CELL", "EST"}), TLP.RED)
    ),
}


def token_table_auth(request: Request) -> FakePartner:
    """A hand-written stand-in for the web auth: HTTP Basic against a fixed table."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        partner = USERS.get((user, password))
        if partner is not None:
            return partner
    raise HTTPException(401, "unknown user or wrong password")


@dataclass
class Taxii:
    app: App
    store: TaxiiStore
    base: str
    partner_collection: str
    submissions: str
    attack: str
    clock: FixedClock

    conns: dict[str, _HTTPConnection]

    def conn(self, user: str, password: str) -> _HTTPConnection:
        key = f"{user}:{password}"
        if key not in self.conns:  # one session per user, closed when the module ends
            self.conns[key] = _HTTPConnection(user, password, version="2.1")
        return self.conns[key]

    def root(self, user: str, password: str) -> ApiRoot:
        return ApiRoot(f"{self.base}sharing/", conn=self.conn(user, password))

    def collection(self, cid: str, user: str, password: str) -> Collection:
        url = f"{self.base}sharing/collections/{cid}/"
        return Collection(url, conn=self.conn(user, password))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def taxii(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Taxii]:
    if request.param == "postgresql":
        if not PG_URL:
            pytest.skip("WATCHFLOOR_TEST_PG_URL not set (scripts/test.sh sets it)")
        schema = pg_schema_url(PG_URL)
        url = next(schema)
        request.addfinalizer(lambda: next(schema, None))
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('taxii') / 'taxii.sqlite'}"
    clock = FixedClock()
    app = bootstrap(url, clock=clock)
    store = TaxiiStore(app.engine, clock)
    api = FastAPI()
    api.include_router(taxii_router(app, token_table_auth, store=store))
    partner = store.add_collection("sharing", "Partner version: EST", read_audience="EST").id
    submissions = store.add_collection(
        "sharing", "Submissions: EST", read_audience="EST", write_audience="EST"
    ).id
    store.add_collection("sharing", "Cell only", read_audience="CELL")
    attack = store.add_collection(
        "sharing", "ATT&CK", read_audience="CELL", write_audience="CELL"
    ).id
    # The partner version of the case at the partner's marking, then a later, more
    # sensitive version of the same objects that the partner must never see.
    with app.uow() as uow:
        case = shareable_case()
        uow.cases.add(case)
        uow.commit()

    def publish(objects: Any, markings: Any) -> None:
        store.add_objects(partner, objects, lambda o: markings.get(o["id"], Marking.public()))

    with app.uow(read_only=True) as uow:
        target = parse_marking("NU//REL TO EST//TLP:AMBER")
        sharing.publish_case(uow, "CASE-0042", target, NOW, export_case, publish)
        clock.advance(minutes=1)
        sharing.publish_case(
            uow,
            "CASE-0042",
            parse_marking("NS//REL TO NATO//TLP:RED"),
            NOW + timedelta(hours=1),
            export_case,
            publish,
        )
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(api, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.02)
    t = Taxii(
        app, store, f"http://127.0.0.1:{port}/taxii2/", partner, submissions, attack, clock, {}
    )
    yield t
    for conn in t.conns.values():
        conn.close()
    server.should_exit = True
    thread.join(timeout=10)
    app.engine.dispose()


def test_discovery_and_api_root(taxii: Taxii) -> None:
    # (taxii2-client gives its API roots the server's user and password, not a shared
    # connection, so this test builds the server from credentials and closes everything)
    with Server(taxii.base, user="cert-ee", password="pw-ee") as server:
        try:
            assert server.title == "Watchfloor TAXII 2.1"
            assert [r.url for r in server.api_roots] == [f"{taxii.base}sharing/"]
            root = server.default
            assert root is not None
            assert TAXII_MEDIA_TYPE in root.versions
        finally:
            for r in server.api_roots:
                r.close()


def test_a_partner_sees_its_own_collections_and_may_write_only_to_its_submissions(
    taxii: Taxii,
) -> None:
    root = taxii.root("cert-ee", "pw-ee")
    seen = {c.title: (c.can_read, c.can_write) for c in root.collections}
    assert seen == {"Partner version: EST": (True, False), "Submissions: EST": (True, True)}


def _all_objects(collection: Collection, per_request: int, **filters: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for envelope in as_pages(collection.get_objects, per_request=per_request, **filters):
        out.extend(envelope.get("objects", []))
    return out


def test_paging_returns_every_visible_object_once_and_nothing_above_the_marking(
    taxii: Taxii,
) -> None:
    collection = taxii.collection(taxii.partner_collection, "cert-ee", "pw-ee")
    objects = _all_objects(collection, per_request=4)
    ids = [o["id"] for o in objects]
    assert len(ids) == len(set(ids)) > 10
    text = json.dumps(objects)
    for secret in SECRET_STRINGS:
        assert secret not in text
    (incident,) = [o for o in objects if o["type"] == "incident"]
    assert incident["name"] == "Incident under assessment"  # the NR title stays with the cell
    cell = taxii.store.query(
        taxii.partner_collection,
        USERS[("cell", "pw-cell")].clearance,
        ObjectQuery(types=("incident",)),
    )
    assert "Grid control outage" in cell.rows[0].raw


def test_filters_by_type_id_version_and_added_after(taxii: Taxii) -> None:
    collection = taxii.collection(taxii.partner_collection, "cell", "pw-cell")
    notes = _all_objects(collection, 50, type="note")
    assert notes and all(o["type"] == "note" for o in notes)
    one = notes[0]["id"]
    assert [o["id"] for o in _all_objects(collection, 50, id=one)] == [one]
    every = _all_objects(collection, 50, id=one, version="all")
    assert len(every) == 2  # the partner version and the later, more sensitive one
    first = _all_objects(collection, 50, id=one, version="first")
    assert first[0]["modified"] < notes[0]["modified"]
    manifest = collection.get_manifest(limit=1000)
    dates = sorted(m["date_added"] for m in manifest["objects"])
    later = _all_objects(collection, 50, added_after=dates[-3], version="all")
    assert len(later) == 2
    assert _all_objects(collection, 50, spec_version="2.0") == []


def test_manifest_and_versions(taxii: Taxii) -> None:
    partner = taxii.collection(taxii.partner_collection, "cert-ee", "pw-ee")
    manifest = partner.get_manifest()
    entry = manifest["objects"][0]
    assert entry["media_type"] == "application/stix+json;version=2.1"
    assert entry["date_added"].endswith("Z") and len(entry["date_added"]) == 27  # microseconds
    (incident,) = _all_objects(partner, 100, type="incident")
    assert partner.object_versions(incident["id"])["versions"] == [
        incident["modified"].replace(".000Z", ".000000Z")
    ]  # the later version, marked NR with the case title, is not the partner's to know of
    cell = taxii.collection(taxii.partner_collection, "cell", "pw-cell")
    assert len(cell.object_versions(incident["id"])["versions"]) == 2
    (lure,) = [
        o for o in _all_objects(partner, 100, type="note") if "Cyrillic" in o.get("abstract", "")
    ]
    assert len(partner.object_versions(lure["id"])["versions"]) == 2  # both at NU TLP:GREEN


def test_adding_objects_gives_a_status_and_they_can_be_read_back(taxii: Taxii) -> None:
    submissions = taxii.collection(taxii.submissions, "cert-ee", "pw-ee")
    indicator = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": "indicator--3f2b8a39-1c5e-4b6a-9d3f-0c1a2b3c4d5e",
        "created": "2026-03-03T05:00:00.000Z",
        "modified": "2026-03-03T05:00:00.000Z",
        "name": "C2 seen at our utility",
        "pattern": "[ipv4-addr:value = '192.0.2.44']",
        "pattern_type": "stix",
        "valid_from": "2026-03-03T05:00:00Z",
        "object_marking_refs": [TLP.GREEN.stix_id],
    }
    status = submissions.add_objects({"objects": [indicator]})
    assert status.status == "complete"
    assert (status.success_count, status.failure_count) == (1, 0)
    assert submissions.get_object(indicator["id"])["objects"] == [indicator]
    # the cell reads partner submissions through the store, marked as submitted
    m = submitted_marking(indicator, USERS[("cert-ee", "pw-ee")].clearance)
    assert m.tlp is TLP.GREEN and NATO in m.releasable_to


def test_a_partner_is_refused_where_it_may_not_write_or_read(taxii: Taxii) -> None:
    read_only = taxii.collection(taxii.partner_collection, "cert-ee", "pw-ee")
    with pytest.raises(Exception, match="does not allow writing"):  # the client checks first
        read_only.add_objects({"objects": []})
    url = f"{taxii.base}sharing/collections/{taxii.partner_collection}/objects/"
    headers = {"Accept": TAXII_MEDIA_TYPE, "Content-Type": TAXII_MEDIA_TYPE}
    r = httpx.post(url, content=b'{"objects":[]}', headers=headers, auth=("cert-ee", "pw-ee"))
    assert r.status_code == 403
    assert r.headers["content-type"] == TAXII_MEDIA_TYPE
    assert r.json()["http_status"] == "403"
    outsider = taxii.collection(taxii.partner_collection, "operator-x", "pw-x")
    with pytest.raises(requests.HTTPError, match="404"):
        outsider.get_objects()


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("GET", "", {"auth": None}, 401),
        ("GET", "", {"auth": ("cert-ee", "wrong")}, 401),
        ("GET", "sharing/collections/{p}/objects/", {"headers": {"Accept": "text/html"}}, 406),
        ("GET", "sharing/collections/{p}/objects/?limit=zero", {}, 400),
        ("GET", "sharing/collections/{p}/objects/?added_after=yesterday", {}, 400),
        ("GET", "sharing/collections/{p}/objects/?next=abc", {}, 400),
        ("GET", "sharing/collections/{p}/objects/?match[id]=not-an-id", {}, 400),
        ("GET", "sharing/collections/nope/objects/", {}, 404),
        ("GET", "elsewhere/", {}, 404),
        ("GET", "sharing/status/unknown/", {}, 404),
        ("POST", "sharing/collections/{s}/objects/", {"content": b"{}", "ct": "json"}, 415),
        ("POST", "sharing/collections/{s}/objects/", {"content": b"not json"}, 400),
        ("POST", "sharing/collections/{s}/objects/", {"content": b'{"objects": 3}'}, 400),
    ],
)
def test_bad_requests_get_taxii_error_messages(
    taxii: Taxii, method: str, path: str, kwargs: dict[str, Any], status: int
) -> None:
    url = taxii.base + path.format(p=taxii.partner_collection, s=taxii.submissions)
    headers = {"Accept": TAXII_MEDIA_TYPE, "Content-Type": TAXII_MEDIA_TYPE}
    headers |= kwargs.get("headers", {})
    if kwargs.get("ct") == "json":
        headers["Content-Type"] = "application/json"
    auth = kwargs.get("auth", ("cert-ee", "pw-ee"))
    r = httpx.request(method, url, headers=headers, content=kwargs.get("content"), auth=auth)
    assert r.status_code == status
    assert r.headers["content-type"] == TAXII_MEDIA_TYPE
    assert r.json()["http_status"] == str(status)


def test_a_malformed_object_fails_the_whole_envelope_with_its_id_and_reason(
    taxii: Taxii,
) -> None:
    submissions = taxii.collection(taxii.submissions, "cert-ee", "pw-ee")
    good = {
        "type": "identity",
        "spec_version": "2.1",
        "id": "identity--9a0c7c38-7d8a-4b4c-8a59-2b1c3d4e5f60",
        "created": "2026-03-03T05:00:00.000Z",
        "modified": "2026-03-03T05:00:00.000Z",
        "name": "Utility CERT",
    }
    bad = {"type": "indicator", "spec_version": "2.1", "id": "indicator--bad"}
    status = submissions.add_objects({"objects": [good, bad]})
    assert (status.success_count, status.failure_count) == (0, 2)
    reasons = {f["id"]: f["message"] for f in status.failures}
    assert "'id' must be 'indicator--<uuid>'" in reasons["indicator--bad"]
    with pytest.raises(requests.HTTPError, match="404"):
        submissions.get_object(good["id"])


def _round_trip(taxii: Taxii, objects: list[dict[str, Any]], name: str) -> str:
    cid = taxii.store.add_collection(
        "sharing", name, read_audience="CELL", write_audience="CELL"
    ).id
    cell = taxii.collection(cid, "cell", "pw-cell")
    for start in range(0, len(objects), 2000):
        status = cell.add_objects({"objects": objects[start : start + 2000]})
        assert status.failure_count == 0
    with TaxiiPoller(taxii.app.engine) as poller:
        feed = Feed(name, f"{taxii.base}sharing/collections/{cid}/", "cell", "pw-cell")
        result = poller.poll(feed, knowledge_base_sink(taxii.app.engine, name), page_size=1000)
        # resume: a second poll finds nothing new and imports nothing again
        assert poller.poll(feed, knowledge_base_sink(taxii.app.engine, name)).objects == 0
    assert result.objects == len(objects) and result.pages >= 2
    repo = KnowledgeBaseRepository(taxii.app.engine)
    record = repo.find(name)
    assert record is not None
    stored = {o.id: dict(o.raw) for o in repo.objects(record.id)}
    # object for object (the knowledge base states a 2.0 object's version when read back)
    assert stored == {o["id"]: {"spec_version": "2.0", **o} for o in objects}
    assert len(repo.all()) == len({r.name for r in repo.all()})  # one version per feed
    return cid


def test_attack_ics_21_bundle_round_trips_through_taxii(taxii: Taxii) -> None:
    bundle = json.loads((SHARED_DATA / "attack" / "ics-attack-18.1.json").read_text())
    objects = bundle["objects"]
    cid = _round_trip(taxii, objects, "ics-attack")
    first = taxii.collection(cid, "cell", "pw-cell").get_manifest(limit=1)
    assert first["objects"][0]["media_type"].endswith("version=2.1")


def test_attack_enterprise_20_slice_round_trips_and_keeps_spec_version_20(taxii: Taxii) -> None:
    path = Path(SHARED_DATA / "attack" / "enterprise-attack-8.2.json")
    objects = json.loads(path.read_text())["objects"][:1500]
    cid = _round_trip(taxii, objects, "enterprise-slice")
    cell = taxii.collection(cid, "cell", "pw-cell")
    assert cell.get_objects(id=objects[0]["id"], spec_version="2.0")["objects"] == [objects[0]]


def test_poll_failure_keeps_the_checkpoint(taxii: Taxii) -> None:
    feed = Feed("denied", f"{taxii.base}sharing/collections/{taxii.attack}/", "cert-ee", "pw-ee")
    with TaxiiPoller(taxii.app.engine) as poller:
        with pytest.raises(PollError, match="404"):
            poller.poll(feed, knowledge_base_sink(taxii.app.engine, "denied"))
        assert poller.state("denied") is None
