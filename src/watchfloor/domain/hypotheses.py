"""Candidate actors and the competing attribution hypotheses built on them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum

from watchfloor.domain.errors import DomainError


@dataclass(frozen=True)
class Actor:
    """A threat actor as the knowledge base knows it.

    `cluster` is the activity cluster the cell tracks it under (e.g. a UNC or
    a partner's designation); `sponsor` the state it works for, if any.
    """

    id: str
    name: str
    sponsor: str | None = None
    cluster: str | None = None
    aliases: tuple[str, ...] = ()
    description: str = ""


class HypothesisKind(Enum):
    ACTOR = "actor"
    UNKNOWN = "unknown"  # "unknown / other actor": always present
    FALSE_FLAG = "false_flag"  # actor X made it look like actor Y


class Layer(Enum):
    """Attribution layers, from technical to political."""

    ACTIVITY_CLUSTER = "activity_cluster"
    NAMED_ACTOR = "named_actor"
    STATE = "state"

    @property
    def label(self) -> str:
        return {
            "activity_cluster": "activity cluster",
            "named_actor": "named actor",
            "state": "state sponsor",
        }[self.value]

    @property
    def rank(self) -> int:
        return [layer.value for layer in Layer].index(self.value)

    @classmethod
    def parse(cls, text: str) -> Layer:
        key = text.strip().lower().replace(" ", "_").replace("-", "_")
        aliases = {"cluster": "activity_cluster", "actor": "named_actor", "state_sponsor": "state"}
        key = aliases.get(key, key)
        for layer in cls:
            if layer.value == key:
                return layer
        raise DomainError(
            f"unknown attribution layer {text!r}: expected activity_cluster, named_actor or state"
        )


UNATTRIBUTED = "unattributed"


@dataclass(frozen=True)
class Hypothesis:
    """One competing explanation of who is responsible.

    - ACTOR: `actor` did it.
    - FALSE_FLAG: `actor` did it and planted evidence pointing at `framed`.
    - UNKNOWN: someone not named among the hypotheses did it.
    """

    id: str
    kind: HypothesisKind
    label: str
    actor: str | None = None
    framed: str | None = None
    prior: float = 1.0
    notes: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.prior <= 0:
            raise DomainError(f"hypothesis {self.id}: prior must be positive, got {self.prior}")
        if self.kind is HypothesisKind.ACTOR and not self.actor:
            raise DomainError(f"hypothesis {self.id}: an actor hypothesis needs an actor")
        if self.kind is HypothesisKind.FALSE_FLAG and not (self.actor and self.framed):
            raise DomainError(
                f"hypothesis {self.id}: a false-flag hypothesis needs the actor "
                "and the framed actor"
            )

    @staticmethod
    def unknown(prior: float = 1.0) -> Hypothesis:
        return Hypothesis("H-unknown", HypothesisKind.UNKNOWN, "Unknown / other actor", prior=prior)

    def responsible(self, actors: dict[str, Actor], layer: Layer) -> str:
        """Who this hypothesis holds responsible at the given layer."""
        if self.kind is HypothesisKind.UNKNOWN or self.actor is None:
            return UNATTRIBUTED
        actor = actors.get(self.actor)
        if layer is Layer.NAMED_ACTOR:
            return self.actor
        if actor is None:
            return UNATTRIBUTED
        if layer is Layer.ACTIVITY_CLUSTER:
            return actor.cluster or f"cluster of {actor.id}"
        return actor.sponsor or "non-state"


def _name_key(text: str) -> str:
    """A name as compared across sources: case, spaces and punctuation ignored."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def actor_links(
    actors: Iterable[Actor], known: Mapping[str, Iterable[str]]
) -> dict[str, tuple[str, ...]]:
    """Which of another source's actors each case actor stands for.

    ``known`` maps each actor of the other source (a knowledge base, an
    indicator feed) to the names it goes by: its id, name and aliases. A case
    actor stands for every one of them that shares a name with its own id,
    name or aliases, compared without case, spaces or punctuation
    (``APT 28`` is ``apt28``). Case actors that stand for none are left out.
    """
    by_name: dict[str, list[str]] = {}
    for ref, names in known.items():
        for name in names:
            key = _name_key(name)
            if key and ref not in by_name.setdefault(key, []):
                by_name[key].append(ref)
    links: dict[str, tuple[str, ...]] = {}
    for actor in actors:
        refs: dict[str, None] = {}
        for name in (actor.id, actor.name, *actor.aliases):
            for ref in by_name.get(_name_key(name), ()):
                refs[ref] = None
        if refs:
            links[actor.id] = tuple(refs)
    return links
