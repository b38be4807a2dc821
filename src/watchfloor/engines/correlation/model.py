"""Indicators, matches and rejects: the records the correlation role trades in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from watchfloor.engines.correlation.keys import ObservableKind

__all__ = ["ActorRef", "Indicator", "Match", "RejectedRow"]


@dataclass(frozen=True, slots=True)
class ActorRef:
    """An actor an indicator points to: a STIX intrusion-set, threat-actor or
    campaign id (or a MISP galaxy cluster uuid), with its type, name and other
    names (STIX ``aliases``, MISP ``synonyms``)."""

    id: str
    type: str
    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Indicator:
    """One matchable comparison of an indicator.

    A STIX indicator whose pattern ORs several comparisons gives one record per
    comparison, all with the same ``id``. ``source`` names where the indicator
    came from (a bundle, a MISP event): matches of one source form one
    dependence group as evidence. ``valid_until`` of ``None`` means open-ended;
    an observation at ``t`` matches when ``valid_from <= t < valid_until``.
    """

    id: str
    kind: ObservableKind
    value: str
    source: str
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    actors: tuple[ActorRef, ...] = ()
    tlp: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Match:
    """An observation that met an indicator.

    ``row`` is the row's line (JSON lines, Zeek: 1-based physical line),
    record (CSV: the header is 1, as a spreadsheet numbers its rows; the line
    unless a quoted field holds a line end) or row number (Parquet: 0-based),
    within ``file``; ``field`` the log's column
    that held the value.
    """

    file: str
    row: int
    observed_at: datetime
    observed_value: str
    observed_kind: ObservableKind
    indicator: Indicator
    field: str = ""


@dataclass(frozen=True, slots=True)
class RejectedRow:
    """A malformed observable row, skipped: where it is and why."""

    file: str
    row: int
    value: str | None
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row}: {self.reason} ({self.value!r})"
