"""TAXII 2.1 throughput: add N objects through the server, page them out with the OASIS
taxii2-client, and poll them into the knowledge base with Watchfloor's own poller.

    .venv/bin/python benchmarks/bench_taxii.py [--objects 100000] [--page 1000] [--db URL]

Runs a real uvicorn server on 127.0.0.1 (a free port) over a fresh SQLite file
(or --db, e.g. a PostgreSQL URL). Prints objects per second for each direction.
For scale: the TAXII reference server (medallion) took about 38 s for 2,000.
"""

from __future__ import annotations

import argparse
import base64
import socket
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException
from taxii2client.v21 import Collection, as_pages

from watchfloor.adapters.taxii.poller import Feed, TaxiiPoller, knowledge_base_sink
from watchfloor.adapters.taxii.store import TaxiiStore
from watchfloor.bootstrap import bootstrap
from watchfloor.domain.markings import NATO, TLP, Classification, Clearance
from watchfloor.entrypoints.web.taxii import taxii_router


@dataclass(frozen=True)
class Bench:
    username: str
    clearance: Clearance


USER = Bench("bench", Clearance(Classification.SECRET, frozenset({NATO, "BENCH"}), TLP.RED))


def auth(request: Request) -> Bench:
    if request.headers.get("authorization") == "Basic " + base64.b64encode(b"bench:pw").decode():
        return USER
    raise HTTPException(401, "who are you")


def indicator(n: int) -> dict[str, Any]:
    ip = f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.UUID(int=n + (1 << 64), version=4)}",
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "name": f"bench indicator {n}",
        "description": "Synthetic indicator for the TAXII benchmark.",
        "indicator_types": ["malicious-activity"],
        "pattern": f"[ipv4-addr:value = '{ip}']",
        "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z",
        "object_marking_refs": [TLP.GREEN.stix_id],
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--objects", type=int, default=100_000)
    ap.add_argument("--page", type=int, default=1000)
    ap.add_argument("--chunk", type=int, default=5000, help="objects per POST")
    ap.add_argument("--db", default=None)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp()
    url = args.db or f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
    app = bootstrap(url)
    store = TaxiiStore(app.engine)
    api = FastAPI()
    api.include_router(taxii_router(app, auth, store=store))
    cid = store.add_collection("sharing", "bench", read_audience="BENCH", write_audience="BENCH").id
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(api, host="127.0.0.1", port=port, log_level="error"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    curl = f"http://127.0.0.1:{port}/taxii2/sharing/collections/{cid}/"
    objects = [indicator(n) for n in range(args.objects)]

    with Collection(curl, user="bench", password="pw") as collection:
        t0 = time.perf_counter()
        for start in range(0, len(objects), args.chunk):
            status = collection.add_objects({"objects": objects[start : start + args.chunk]})
            assert status.failure_count == 0, status.failures
        add_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        got = 0
        for envelope in as_pages(collection.get_objects, per_request=args.page):
            got += len(envelope.get("objects", []))
        page_s = time.perf_counter() - t0
    assert got == args.objects, got

    with TaxiiPoller(app.engine) as poller:
        t0 = time.perf_counter()
        result = poller.poll(
            Feed("bench", curl, "bench", "pw"), knowledge_base_sink(app.engine, "bench"), args.page
        )
        poll_s = time.perf_counter() - t0
    assert result.objects == args.objects

    n = args.objects
    print(f"database: {app.url}")
    print(
        f"add (taxii2-client POST, {args.chunk}/request): {n} objects in {add_s:.1f} s "
        f"= {n / add_s:,.0f} objects/s"
    )
    print(
        f"page out (taxii2-client as_pages, limit {args.page}): {n} objects in {page_s:.1f} s "
        f"= {n / page_s:,.0f} objects/s"
    )
    print(
        f"poll into knowledge base (watchfloor poller): {n} objects in {poll_s:.1f} s "
        f"= {n / poll_s:,.0f} objects/s"
    )
    server.should_exit = True
    return 0


if __name__ == "__main__":
    sys.exit(main())
