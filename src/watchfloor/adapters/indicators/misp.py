"""MISP JSON events: a general reader, and the indicators they carry.

:func:`read_misp_events` reads the event as MISP exports it — a single
``{"Event": …}``, a list of them, or a ``{"response": […]}`` search result —
into plain records (attributes, objects with their attributes, tags, galaxy
clusters). It knows nothing of matching; a later import of whole events into
cases reuses it.

:func:`misp_indicators` picks the attributes that are matchable observables
(``to_ids`` ones by default) and turns them into :class:`Indicator` records:
``first_seen``/``last_seen`` become the validity window, galaxy clusters of
type ``threat-actor`` the actor links, and a ``tlp:*`` tag the TLP. An event
imports whole or not at all: a malformed value fails it, naming the attribute.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from watchfloor.adapters.indicators.result import IndicatorImport, IndicatorImportError, Problem
from watchfloor.engines.correlation.keys import (
    MalformedValue,
    ObservableKind,
    indicator_keys,
)
from watchfloor.engines.correlation.model import ActorRef, Indicator

__all__ = [
    "MispAttribute",
    "MispEvent",
    "MispFormatError",
    "MispGalaxyCluster",
    "MispObject",
    "misp_indicators",
    "parse_misp_events",
    "read_misp_events",
]


class MispFormatError(ValueError):
    """Not a MISP event export."""


@dataclass(frozen=True, slots=True)
class MispGalaxyCluster:
    """A galaxy cluster attached to an event or attribute (``type`` is the galaxy type)."""

    uuid: str
    type: str
    value: str
    tag_name: str | None = None
    #: ``meta.synonyms``: the actor's other names
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MispAttribute:
    """One MISP attribute; ``object_uuid`` is set for attributes of an object."""

    uuid: str
    type: str
    category: str | None
    value: str
    to_ids: bool
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    comment: str | None = None
    tags: tuple[str, ...] = ()
    galaxy_clusters: tuple[MispGalaxyCluster, ...] = ()
    object_uuid: str | None = None
    object_relation: str | None = None


@dataclass(frozen=True, slots=True)
class MispObject:
    """A MISP object (file, domain-ip …) with its attributes."""

    uuid: str
    name: str
    attributes: tuple[MispAttribute, ...]


@dataclass(frozen=True, slots=True)
class MispEvent:
    """A MISP event as exported, without interpretation."""

    uuid: str
    info: str
    date: str | None
    org: str | None
    threat_level_id: str | None
    analysis: str | None
    tags: tuple[str, ...]
    galaxy_clusters: tuple[MispGalaxyCluster, ...]
    attributes: tuple[MispAttribute, ...]
    objects: tuple[MispObject, ...]
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    def all_attributes(self) -> list[MispAttribute]:
        """Event attributes, then the attributes of each object."""
        return [*self.attributes, *(a for o in self.objects for a in o.attributes)]

    @property
    def tlp(self) -> str | None:
        return _tlp_of(self.tags)


def read_misp_events(path: str | Path) -> list[MispEvent]:
    """Read a MISP JSON export file."""
    p = Path(path)
    try:
        data = json.loads(p.read_bytes())
    except (OSError, json.JSONDecodeError) as exc:
        raise MispFormatError(f"{p}: not a readable JSON file: {exc}") from exc
    return parse_misp_events(data, source=str(p))


def parse_misp_events(data: Any, *, source: str = "misp") -> list[MispEvent]:
    """Events from decoded JSON: ``{"Event": …}``, a list, or ``{"response": […]}``."""
    if isinstance(data, Mapping) and "response" in data:
        data = data["response"]
    items = data if isinstance(data, list) else [data]
    events = []
    for n, item in enumerate(items):
        ev = item.get("Event") if isinstance(item, Mapping) else None
        if not isinstance(ev, Mapping):
            raise MispFormatError(f"{source}: item #{n} has no 'Event' object")
        events.append(_event(ev, source, n))
    return events


def _text(v: Any) -> str | None:
    return v if isinstance(v, str) else (str(v) if isinstance(v, int | float) else None)


def _bool(v: Any) -> bool:
    if isinstance(v, str):
        return v.strip().lower() in ("1", "true", "yes")
    return bool(v)


def _time(v: Any) -> datetime | None:
    if isinstance(v, int | float) or (isinstance(v, str) and v.isdigit()):
        return datetime.fromtimestamp(float(v), UTC)
    if isinstance(v, str) and v:
        try:
            t = datetime.fromisoformat(v.replace("Z", "+00:00"))
        except ValueError:
            return None
        return t if t.tzinfo else t.replace(tzinfo=UTC)
    return None


def _tags(obj: Mapping[str, Any]) -> tuple[str, ...]:
    tags = obj.get("Tag") or []
    return tuple(
        t["name"] for t in tags if isinstance(t, Mapping) and isinstance(t.get("name"), str)
    )


def _clusters(obj: Mapping[str, Any]) -> tuple[MispGalaxyCluster, ...]:
    out: list[MispGalaxyCluster] = []
    for galaxy in obj.get("Galaxy") or []:
        if not isinstance(galaxy, Mapping):
            continue
        gtype = _text(galaxy.get("type")) or ""
        for c in galaxy.get("GalaxyCluster") or []:
            if isinstance(c, Mapping):
                out.append(
                    MispGalaxyCluster(
                        uuid=_text(c.get("uuid")) or "",
                        type=_text(c.get("type")) or gtype,
                        value=_text(c.get("value")) or "",
                        tag_name=_text(c.get("tag_name")),
                        synonyms=_synonyms(c.get("meta")),
                    )
                )
    return tuple(out)


def _attribute(a: Mapping[str, Any], object_uuid: str | None = None) -> MispAttribute:
    return MispAttribute(
        uuid=_text(a.get("uuid")) or _text(a.get("id")) or "",
        type=_text(a.get("type")) or "",
        category=_text(a.get("category")),
        value=_text(a.get("value")) or "",
        to_ids=_bool(a.get("to_ids", False)),
        first_seen=_time(a.get("first_seen")),
        last_seen=_time(a.get("last_seen")),
        comment=_text(a.get("comment")),
        tags=_tags(a),
        galaxy_clusters=_clusters(a),
        object_uuid=object_uuid,
        object_relation=_text(a.get("object_relation")),
    )


def _event(ev: Mapping[str, Any], source: str, n: int) -> MispEvent:
    attrs = ev.get("Attribute") or []
    objs = ev.get("Object") or []
    if not isinstance(attrs, list) or not isinstance(objs, list):
        raise MispFormatError(f"{source}: event #{n}: 'Attribute' and 'Object' must be lists")
    objects = []
    for o in objs:
        if isinstance(o, Mapping):
            uuid = _text(o.get("uuid")) or ""
            objects.append(
                MispObject(
                    uuid=uuid,
                    name=_text(o.get("name")) or "",
                    attributes=tuple(
                        _attribute(a, uuid)
                        for a in o.get("Attribute") or []
                        if isinstance(a, Mapping)
                    ),
                )
            )
    org = ev.get("Orgc") or ev.get("Org")
    return MispEvent(
        uuid=_text(ev.get("uuid")) or f"{source}#{n}",
        info=_text(ev.get("info")) or "",
        date=_text(ev.get("date")),
        org=_text(org.get("name")) if isinstance(org, Mapping) else None,
        threat_level_id=_text(ev.get("threat_level_id")),
        analysis=_text(ev.get("analysis")),
        tags=_tags(ev),
        galaxy_clusters=_clusters(ev),
        attributes=tuple(_attribute(a) for a in attrs if isinstance(a, Mapping)),
        objects=tuple(objects),
        raw=ev,
    )


# MISP attribute types that carry a matchable observable; composite types
# ("a|b") name which part is matched. "ip" means IPv4 or IPv6 by the value.
_IP = "ip"
_SIMPLE: dict[str, ObservableKind | str] = {
    "ip-src": _IP,
    "ip-dst": _IP,
    "domain": ObservableKind.DOMAIN,
    "hostname": ObservableKind.DOMAIN,
    "url": ObservableKind.URL,
    "uri": ObservableKind.URL,
    "link": ObservableKind.URL,
    "md5": ObservableKind.MD5,
    "sha1": ObservableKind.SHA1,
    "sha256": ObservableKind.SHA256,
}
_COMPOSITE: dict[str, tuple[tuple[int, ObservableKind | str], ...]] = {
    "ip-src|port": ((0, _IP),),
    "ip-dst|port": ((0, _IP),),
    "domain|ip": ((0, ObservableKind.DOMAIN), (1, _IP)),
    "hostname|port": ((0, ObservableKind.DOMAIN),),
    "filename|md5": ((1, ObservableKind.MD5),),
    "filename|sha1": ((1, ObservableKind.SHA1),),
    "filename|sha256": ((1, ObservableKind.SHA256),),
}
_TLP = ("tlp:clear", "tlp:white", "tlp:green", "tlp:amber", "tlp:amber+strict", "tlp:red")


def _tlp_of(tags: Iterable[str]) -> str | None:
    found = [t.strip().lower() for t in tags if t.strip().lower() in _TLP]
    if not found:
        return None
    worst = max(found, key=_TLP.index)
    return "TLP:CLEAR" if worst == "tlp:white" else worst.upper()


def _observables(attr: MispAttribute) -> list[tuple[ObservableKind, str]] | None:
    if attr.type in _SIMPLE:
        parts = [(0, _SIMPLE[attr.type])]
        values = [attr.value]
    elif attr.type in _COMPOSITE:
        parts = list(_COMPOSITE[attr.type])
        values = attr.value.split("|")
        if len(values) != 2:
            raise MalformedValue(f"{attr.type} value must have two parts: {attr.value!r}")
    else:
        return None
    out = []
    for i, kind in parts:
        v = values[i].strip()
        if kind == _IP:
            kind = ObservableKind.IPV6 if ":" in v else ObservableKind.IPV4
        assert isinstance(kind, ObservableKind)
        out.append((kind, v))
    return out


def _synonyms(meta: Any) -> tuple[str, ...]:
    """A cluster's ``meta.synonyms`` (a list of names; anything else: none)."""
    names = meta.get("synonyms") if isinstance(meta, Mapping) else None
    if not isinstance(names, list):
        return ()
    return tuple(n.strip() for n in names if isinstance(n, str) and n.strip())


def _actors(clusters: Iterable[MispGalaxyCluster]) -> tuple[ActorRef, ...]:
    refs = [
        ActorRef(c.uuid, "threat-actor", c.value, c.synonyms)
        for c in clusters
        if c.type == "threat-actor" and c.uuid
    ]
    return tuple(dict.fromkeys(refs))


def misp_indicators(
    events: Iterable[MispEvent], *, source: str | None = None, to_ids_only: bool = True
) -> IndicatorImport:
    """Matchable indicators of the events; each event whole or not at all.

    ``source`` defaults to each event's uuid (one dependence group per event).
    Raises :class:`IndicatorImportError` naming each failing attribute.
    """
    out: list[Indicator] = []
    failed: list[Problem] = []
    unsupported: list[Problem] = []
    skipped: list[Problem] = []
    events = list(events)
    for ev in events:
        event_actors = _actors(ev.galaxy_clusters)
        event_tlp = ev.tlp
        for attr in ev.all_attributes():
            item = f"event {ev.uuid} attribute {attr.uuid}"
            if to_ids_only and not attr.to_ids:
                skipped.append(Problem(item, "to_ids is false"))
                continue
            try:
                observables = _observables(attr)
                if observables is None:
                    unsupported.append(
                        Problem(item, f"attribute type {attr.type!r} is not matched")
                    )
                    continue
                for kind, value in observables:
                    indicator_keys(kind, value)
            except MalformedValue as exc:
                failed.append(Problem(item, f"{attr.type}: {exc}"))
                continue
            if attr.first_seen and attr.last_seen and attr.last_seen < attr.first_seen:
                failed.append(Problem(item, "last_seen is before first_seen"))
                continue
            # last_seen is the last sighting: the indicator stays valid through it
            until = attr.last_seen
            if until is not None and attr.first_seen is not None and until == attr.first_seen:
                until = None
            actors = tuple(dict.fromkeys(event_actors + _actors(attr.galaxy_clusters)))
            for kind, value in observables:
                out.append(
                    Indicator(
                        id=attr.uuid,
                        kind=kind,
                        value=value,
                        source=source or f"misp-event--{ev.uuid}",
                        valid_from=attr.first_seen,
                        valid_until=until,
                        actors=actors,
                        tlp=_tlp_of(attr.tags) or event_tlp,
                        name=ev.info,
                    )
                )
    if failed:
        raise IndicatorImportError(source or ", ".join(e.uuid for e in events), failed)
    return IndicatorImport(source or "misp", out, unsupported=unsupported, skipped=skipped)
