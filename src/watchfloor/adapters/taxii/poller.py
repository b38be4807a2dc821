"""TAXII 2.1 client: poll a collection, resume where the last poll stopped, import.

A poll pages through ``objects/`` (``limit`` and ``next``) from the feed's
checkpoint (``added_after`` = the ``X-TAXII-Date-Added-Last`` of the last
poll that was imported), validates every object with the project's STIX
reader, and hands the whole poll to a sink (the knowledge base, a case) in one
go. The checkpoint moves only after the sink succeeded, so a poll that fails
half-way imports nothing and the next one starts from the same place.

httpx is used rather than the OASIS ``taxii2-client`` (a test-time peer here):
the client needs the ``X-TAXII-Date-Added-Last`` header, which that library
does not return.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import Engine, insert, select, update

from watchfloor.adapters.db.kb_repository import KnowledgeBaseRecord, KnowledgeBaseRepository
from watchfloor.adapters.db.sharing_tables import taxii_poll_state
from watchfloor.adapters.stix.reader import parse_bundle

__all__ = ["Feed", "PollError", "PollResult", "PollState", "TaxiiPoller", "knowledge_base_sink"]

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"

#: Receives the objects of one poll (raw, as served) and the checkpoint it reached.
Sink = Callable[[Sequence[Mapping[str, Any]], str], Any]


class PollError(Exception):
    """A poll failed; nothing of it was imported and the checkpoint did not move."""


@dataclass(frozen=True)
class Feed:
    """A TAXII collection to poll: ``url`` is the collection's URL (ending in ``/``)."""

    name: str
    url: str
    user: str | None = None
    password: str | None = None
    token: str | None = None

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    @property
    def collection_id(self) -> str:
        return self.url.rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class PollState:
    feed: str
    added_after: str | None
    objects_imported: int
    polls: int


@dataclass(frozen=True)
class PollResult:
    feed: str
    objects: int
    pages: int
    checkpoint: str | None
    seconds: float
    imported: Any = None  # what the sink returned


class TaxiiPoller:
    """Polls feeds, keeping each feed's checkpoint in ``taxii_poll_state``."""

    def __init__(self, engine: Engine, client: httpx.Client | None = None) -> None:
        self.engine = engine
        self.client = client or httpx.Client(timeout=120)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> TaxiiPoller:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def state(self, feed: str) -> PollState | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(taxii_poll_state).where(taxii_poll_state.c.feed == feed)
            ).first()
        if row is None:
            return None
        m = row._mapping
        return PollState(m["feed"], m["added_after"], m["objects_imported"], m["polls"])

    def poll(self, feed: Feed, sink: Sink, page_size: int = 1000) -> PollResult:
        started = time.perf_counter()
        previous = self.state(feed.name)
        checkpoint = previous.added_after if previous else None
        objects: list[Mapping[str, Any]] = []
        pages = 0
        params: dict[str, Any] = {"limit": page_size}
        if checkpoint:
            params["added_after"] = checkpoint
        last = checkpoint
        try:
            while True:
                resp = self.client.get(
                    feed.url + "objects/",
                    params=params,
                    headers={"Accept": TAXII_MEDIA_TYPE, **feed.auth_headers()},
                    auth=(feed.user, feed.password or "") if feed.user else None,
                )
                if resp.status_code != 200:
                    raise PollError(f"{feed.name}: {resp.status_code} {_error_title(resp)}")
                envelope = resp.json()
                pages += 1
                objects.extend(envelope.get("objects", []))
                last = resp.headers.get("X-TAXII-Date-Added-Last", last)
                if not envelope.get("more"):
                    break
                params = {"limit": page_size, "next": envelope["next"]}
        except httpx.HTTPError as e:
            self._record_error(feed, str(e))
            raise PollError(f"{feed.name}: {e}") from e
        except PollError as e:
            self._record_error(feed, str(e))
            raise
        imported = sink(objects, last or "") if objects else None
        self._advance(feed, last, len(objects))
        return PollResult(
            feed.name, len(objects), pages, last, time.perf_counter() - started, imported
        )

    def poll_forever(
        self,
        feeds: Sequence[tuple[Feed, Sink]],
        interval_s: float,
        rounds: int | None = None,
        sleep: Callable[[float], None] = time.sleep,
        report: Callable[[PollResult | PollError], None] = lambda _r: None,
    ) -> None:
        """Poll every feed each `interval_s` seconds (`rounds` times, or for ever); a failing
        feed is reported and retried next round, the others go on."""
        done = 0
        while rounds is None or done < rounds:
            for feed, sink in feeds:
                try:
                    report(self.poll(feed, sink))
                except PollError as e:
                    report(e)
            done += 1
            if rounds is None or done < rounds:
                sleep(interval_s)

    def _advance(self, feed: Feed, last: str | None, count: int) -> None:
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            exists = conn.execute(
                select(taxii_poll_state.c.feed).where(taxii_poll_state.c.feed == feed.name)
            ).first()
            if exists is None:
                conn.execute(
                    insert(taxii_poll_state).values(
                        feed=feed.name,
                        url=feed.url,
                        collection_id=feed.collection_id,
                        added_after=last,
                        objects_imported=count,
                        polls=1,
                        last_polled_at=now,
                        last_error=None,
                    )
                )
            else:
                c = taxii_poll_state.c
                conn.execute(
                    update(taxii_poll_state)
                    .where(c.feed == feed.name)
                    .values(
                        added_after=last,
                        objects_imported=c.objects_imported + count,
                        polls=c.polls + 1,
                        last_polled_at=now,
                        last_error=None,
                    )
                )

    def _record_error(self, feed: Feed, message: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(taxii_poll_state)
                .where(taxii_poll_state.c.feed == feed.name)
                .values(last_error=message[:2000], last_polled_at=datetime.now(UTC))
            )


def _error_title(resp: httpx.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:200]
    if isinstance(body, dict):
        return f"{body.get('title', '')}: {body.get('description', '')}".strip(": ")
    return str(body)[:200]


def knowledge_base_sink(
    engine: Engine, name: str
) -> Callable[[Sequence[Mapping[str, Any]], str], KnowledgeBaseRecord]:
    """Store each poll as knowledge base `name`, version = the poll's checkpoint, whole or
    not at all (a bad object fails the poll, named with its id and reason)."""
    repo = KnowledgeBaseRepository(engine)

    def sink(objects: Sequence[Mapping[str, Any]], checkpoint: str) -> KnowledgeBaseRecord:
        spec = "2.0" if all(_is_stix20(o) for o in objects) else "2.1"
        bundle = parse_bundle(
            {"type": "bundle", "spec_version": spec, "objects": list(objects)},
            source=f"TAXII feed {name}",
        )
        return repo.add(bundle, name, checkpoint)

    return sink


def _is_stix20(obj: Mapping[str, Any]) -> bool:
    return "spec_version" not in obj and "created" in obj
