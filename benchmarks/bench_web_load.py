"""Web load: concurrent clients reading case pages and adding evidence, over loopback.

The server runs in a second process (`watchfloor serve`, one uvicorn worker);
this process drives it with asyncio + httpx. Each client loops: read a case
page; every third round, read the case's version from the API and add one
evidence item with it (a 409 conflict is retried after re-reading, as a person
would). With `--think S` a client then reads the page for between S/2 and
3S/2 seconds (drawn uniformly, seeded per client), as people do not click in
step; without, it asks again at once (a closed loop). Clients start evenly
spread over the first `--ramp` seconds (5 by default; 0: all at once), and
what they ask in those seconds is reported apart, as the warm-up. Afterwards
every acknowledged write is counted in the database: any write acknowledged
but missing is a lost write.

    .venv/bin/python benchmarks/bench_web_load.py                 # SQLite, 50 clients, 60 s
    .venv/bin/python benchmarks/bench_web_load.py --think 1       # each client reads for 1 s
    .venv/bin/python benchmarks/bench_web_load.py --db postgresql+psycopg://postgres@127.0.0.1:5432/test

Bounded: --clients (default 50, max 200) and --duration (default 60 s, max 600 s).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, select

from watchfloor.adapters.db.tables import evidence
from watchfloor.bootstrap import bootstrap
from watchfloor.domain.case import Incident
from watchfloor.domain.hypotheses import Actor, Hypothesis, HypothesisKind
from watchfloor.domain.markings import Classification, Clearance, Marking
from watchfloor.domain.users import Role
from watchfloor.entrypoints.web.auth import users_uow
from watchfloor.service import cases
from watchfloor.service import users as user_service

ROOT = Path(__file__).resolve().parents[1]
CASES = 10


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"page": [], "write": []})
    #: those of requests started while clients were still starting (the ramp)
    warmup: dict[str, list[float]] = field(default_factory=lambda: {"page": [], "write": []})
    ramp_ends: float = 0.0
    errors: list[str] = field(default_factory=list)
    conflicts: int = 0
    acknowledged: dict[str, int] = field(default_factory=dict)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(url: str) -> tuple[str, list[str]]:
    app = bootstrap(url)
    now = app.clock()
    ids = []
    tag = uuid.uuid4().hex[:6]
    with app.uow() as uow:
        for i in range(CASES):
            cid = f"BENCH-{tag}-{i}"
            t0 = now - timedelta(hours=2)
            incident = Incident(
                "load",
                "load test",
                t0,
                t0 + timedelta(minutes=20),
                countries=("EST", "LVA"),
                sectors=("space",),
            )
            cases.open_case(uow, cid, f"Load case {i}", incident, Marking(), "bench", now)
            cases.add_hypotheses(
                uow,
                cid,
                [
                    Hypothesis("H-A", HypothesisKind.ACTOR, "Actor A", "A"),
                    Hypothesis("H-B", HypothesisKind.ACTOR, "Actor B", "B"),
                ],
                "bench",
                now,
                actors=[Actor("A", "Actor A", "State A"), Actor("B", "Actor B")],
            )
            ids.append(cid)
    with users_uow(app) as uow:
        name = f"bench-{tag}"
        user_service.add_user(
            uow,
            name,
            name,
            Role.WATCH_ANALYST,
            Clearance(Classification.SECRET),
            "bench-password",
            "bench",
            now,
        )
        token = user_service.rotate_token(uow, name, "bench", now)
    app.engine.dispose()
    return token, ids


def _took(stats: Stats, kind: str, t: float) -> None:
    """A request of ``kind`` started at ``t`` (``perf_counter``) has just answered."""
    (stats.latencies if t >= stats.ramp_ends else stats.warmup)[kind].append(
        time.perf_counter() - t
    )


async def client(
    n: int, base: str, token: str, case_id: str, stop: float, stats: Stats, think: float
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    reads = random.Random(n)  # how long this person reads a page
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as http:
        rnd = 0
        while time.monotonic() < stop:
            rnd += 1
            t = time.perf_counter()
            try:
                r = await http.get(f"/cases/{case_id}")
                _took(stats, "page", t)
                if r.status_code != 200:
                    stats.errors.append(f"page {r.status_code}")
                if think:  # a person reads the page
                    await asyncio.sleep(reads.uniform(0.5 * think, 1.5 * think))
                if rnd % 3:
                    continue
                for _attempt in range(20):
                    t = time.perf_counter()
                    v = (await http.get(f"/api/cases/{case_id}")).json()["version"]
                    eid = f"E-{n}-{rnd}"
                    body = {
                        "expected_version": v,
                        "items": [
                            {
                                "id": eid,
                                "title": f"beacon {eid}",
                                "source": f"sensor {n}",
                                "grade": "B2",
                                "evidence_class": "infrastructure",
                                "likelihoods": {"A": 0.6, "other": 0.05},
                                "dependence_group": f"g{n % 7}",
                                "marking": {"classification": "NU", "releasable_to": ["NATO"]},
                            }
                        ],
                    }
                    w = await http.post(f"/api/cases/{case_id}/evidence", json=body)
                    _took(stats, "write", t)
                    if w.status_code == 409:
                        stats.conflicts += 1
                        continue
                    if w.status_code == 200:
                        stats.acknowledged[case_id] = stats.acknowledged.get(case_id, 0) + 1
                    else:
                        stats.errors.append(f"write {w.status_code}: {w.text[:120]}")
                    break
            except httpx.HTTPError as e:
                stats.errors.append(f"{type(e).__name__}: {e}")


def pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000


async def drive(
    base: str,
    token: str,
    ids: list[str],
    clients: int,
    duration: float,
    think: float,
    ramp: float,
) -> Stats:
    stats = Stats(ramp_ends=time.perf_counter() + ramp)
    stop = time.monotonic() + duration

    async def started(i: int) -> None:
        await asyncio.sleep(ramp * i / clients)
        await client(i, base, token, ids[i % len(ids)], stop, stats, think)

    await asyncio.gather(*(started(i) for i in range(clients)))
    return stats


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=None, help="database URL (default: a fresh SQLite file)")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="seconds a client waits after reading a page (0: closed loop, as fast as it can)",
    )
    ap.add_argument(
        "--ramp",
        type=float,
        default=5.0,
        help="seconds over which the clients start (their requests reported as the warm-up)",
    )
    ap.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    args = ap.parse_args()
    clients = max(1, min(args.clients, 200))
    duration = max(1.0, min(args.duration, 600.0))
    tmp = tempfile.TemporaryDirectory()
    url = args.db or f"sqlite:///{Path(tmp.name) / 'bench.sqlite'}"
    token, ids = prepare(url)
    port = _free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "watchfloor"),
            "--db",
            url,
            "serve",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
        ],
        cwd=ROOT,
        env={**os.environ},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            if server.poll() is not None:
                err = server.stderr.read().decode() if server.stderr else ""
                raise SystemExit(f"the server stopped: {err[-2000:]}")
            try:
                if httpx.get(f"{base}/login", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        else:
            raise SystemExit("the server did not answer within 60 s")
        t0 = time.monotonic()
        think, ramp = max(0.0, args.think), min(max(0.0, args.ramp), duration / 2)
        stats = asyncio.run(drive(base, token, ids, clients, duration, think, ramp))
        elapsed = time.monotonic() - t0
    finally:
        server.terminate()
        server.wait(timeout=30)
        if server.stderr:
            server.stderr.close()
    app = bootstrap(url, migrate=False)
    with app.engine.connect() as conn:
        stored = dict(
            conn.execute(
                select(evidence.c.case_id, func.count())
                .where(evidence.c.case_id.in_(ids))
                .group_by(evidence.c.case_id)
            ).all()
        )
    app.engine.dispose()
    lost = sum(max(0, stats.acknowledged.get(c, 0) - stored.get(c, 0)) for c in ids)
    phantom = sum(max(0, stored.get(c, 0) - stats.acknowledged.get(c, 0)) for c in ids)
    pages, writes = stats.latencies["page"], stats.latencies["write"]
    backend = url.split(":", 1)[0]
    print(
        f"backend {backend}, {clients} clients, think {think:g} s, {elapsed:.0f} s, "
        f"{CASES} cases, {args.workers} uvicorn worker(s)"
    )
    early = stats.warmup["page"] + stats.warmup["write"]
    print(
        f"  warm-up (the first {ramp:g} s, clients starting): {len(early)} requests, "
        f"pages p50 {pct(stats.warmup['page'], 0.5):.0f} ms  "
        f"p99 {pct(stats.warmup['page'], 0.99):.0f} ms, "
        f"writes p99 {pct(stats.warmup['write'], 0.99):.0f} ms"
    )
    print(
        f"  requests: {len(pages) + len(writes)} measured after it "
        f"({(len(pages) + len(writes)) / max(elapsed - ramp, 1e-9):.1f}/s)"
    )
    print(
        f"  case pages: {len(pages)}  p50 {pct(pages, 0.5):.0f} ms  p99 {pct(pages, 0.99):.0f} ms"
    )
    print(
        f"  evidence writes (read version + post): {len(writes)}  p50 {pct(writes, 0.5):.0f} ms  "
        f"p99 {pct(writes, 0.99):.0f} ms  409 conflicts retried: {stats.conflicts}"
    )
    print(f"  errors: {len(stats.errors)} {sorted(set(stats.errors))[:5]}")
    print(
        f"  writes acknowledged {sum(stats.acknowledged.values())}, stored {sum(stored.values())}, "
        f"lost {lost}, unacknowledged but stored {phantom}"
    )
    if mean := (statistics.fmean(pages) if pages else 0):
        print(f"  mean page latency {mean * 1000:.0f} ms; at {datetime.now(UTC):%Y-%m-%d %H:%MZ}")
    tmp.cleanup()


if __name__ == "__main__":
    main()
