"""Markings: NATO classification, releasability, TLP 2.0 and PAP.

A `Marking` travels with every item. A `Clearance` describes a viewer. The one
rule every read path uses is `Clearance.may_see(marking)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from functools import total_ordering

from watchfloor.domain.errors import DomainError


@total_ordering
class Classification(Enum):
    """NATO security classification levels, lowest first."""

    UNCLASSIFIED = ("NU", "NATO UNCLASSIFIED", 0)
    RESTRICTED = ("NR", "NATO RESTRICTED", 1)
    CONFIDENTIAL = ("NC", "NATO CONFIDENTIAL", 2)
    SECRET = ("NS", "NATO SECRET", 3)
    COSMIC_TOP_SECRET = ("CTS", "COSMIC TOP SECRET", 4)

    def __init__(self, code: str, banner: str, rank: int) -> None:
        self.code = code
        self.banner = banner
        self.rank = rank

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Classification):
            return NotImplemented
        return self.rank < other.rank

    @classmethod
    def parse(cls, text: str) -> Classification:
        key = text.strip().upper().replace("_", " ")
        for level in cls:
            if key in (level.code, level.banner, level.name.replace("_", " ")):
                return level
        codes = ", ".join(level.code for level in cls)
        raise DomainError(f"unknown classification {text!r}: expected one of {codes}")


@total_ordering
class TLP(Enum):
    """Traffic Light Protocol 2.0, least restrictive first, with the official STIX ids."""

    CLEAR = ("TLP:CLEAR", 0, "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487")
    GREEN = ("TLP:GREEN", 1, "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb")
    AMBER = ("TLP:AMBER", 2, "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421")
    AMBER_STRICT = (
        "TLP:AMBER+STRICT",
        3,
        "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    )
    RED = ("TLP:RED", 4, "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1")

    def __init__(self, label: str, rank: int, stix_id: str) -> None:
        self.label = label
        self.rank = rank
        self.stix_id = stix_id

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, TLP):
            return NotImplemented
        return self.rank < other.rank

    @classmethod
    def parse(cls, text: str) -> TLP:
        key = text.strip().upper()
        if not key.startswith("TLP:"):
            key = "TLP:" + key
        key = key.replace("_", "+").replace("AMBER STRICT", "AMBER+STRICT")
        if key == "TLP:WHITE":  # TLP 1.0 name, mapped as TLP 2.0 prescribes
            return cls.CLEAR
        for level in cls:
            if level.label == key:
                return level
        raise DomainError(
            f"unknown TLP {text!r}: expected CLEAR, GREEN, AMBER, AMBER+STRICT or RED"
        )


@total_ordering
class PAP(Enum):
    """Permissible Actions Protocol, least restrictive first."""

    CLEAR = ("PAP:CLEAR", 0)
    GREEN = ("PAP:GREEN", 1)
    AMBER = ("PAP:AMBER", 2)
    RED = ("PAP:RED", 3)

    def __init__(self, label: str, rank: int) -> None:
        self.label = label
        self.rank = rank

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, PAP):
            return NotImplemented
        return self.rank < other.rank

    @classmethod
    def parse(cls, text: str) -> PAP:
        key = text.strip().upper()
        if not key.startswith("PAP:"):
            key = "PAP:" + key
        if key == "PAP:WHITE":
            return cls.CLEAR
        for level in cls:
            if level.label == key:
                return level
        raise DomainError(f"unknown PAP {text!r}: expected CLEAR, GREEN, AMBER or RED")


#: Releasable to everyone: the audience of a public statement.
PUBLIC = "PUBLIC"
#: All allies; a marking releasable to NATO is releasable to every member nation.
NATO = "NATO"
#: The member nations (ISO 3166 alpha-3), covered by a release to NATO.
NATO_MEMBERS = frozenset(
    "ALB BEL BGR CAN HRV CZE DNK EST FIN FRA DEU GRC HUN ISL ITA LVA LTU LUX MNE NLD "
    "MKD NOR POL PRT ROU SVK SVN ESP SWE TUR GBR USA".split()
)


#: The originator given to a product whose items share no audience: no viewer holds it, so
#: nobody sees the product until a person re-marks it.
NO_COMMON_AUDIENCE = "NO COMMON AUDIENCE"


def _within_nato(audience: str) -> bool:
    return audience == NATO or audience in NATO_MEMBERS


@dataclass(frozen=True)
class Marking:
    """The marking of one item: classification, releasability, TLP and PAP.

    `releasable_to` lists audiences: `PUBLIC`, `NATO`, or nation codes (ISO 3166
    alpha-3, e.g. `EST`) and partner groups. An empty set means "no foreign
    release" (originator's nation only, named in `originator`).
    """

    classification: Classification = Classification.UNCLASSIFIED
    releasable_to: frozenset[str] = frozenset({NATO})
    tlp: TLP = TLP.AMBER
    pap: PAP = PAP.AMBER
    originator: str = NATO

    def banner(self) -> str:
        rel = self.releasability_line()
        return f"{self.classification.banner} // {rel} // {self.tlp.label}"

    def releasability_line(self) -> str:
        if PUBLIC in self.releasable_to:
            return "RELEASABLE TO PUBLIC"
        if not self.releasable_to:
            return f"NOFORN ({self.originator})"
        return "REL TO " + ", ".join(sorted(self.releasable_to))

    def at_most(self, ceiling: Marking) -> bool:
        """True when this marking is no more restrictive than `ceiling` on every axis."""
        return (
            self.classification <= ceiling.classification
            and self.tlp <= ceiling.tlp
            and _admits_everyone_admitted_by(self, ceiling)
        )

    @staticmethod
    def most_restrictive(markings: list[Marking]) -> Marking:
        """The marking of a product built from these items (the high-water mark)."""
        if not markings:
            return Marking()
        audiences = markings[0].releasable_to
        for m in markings[1:]:
            audiences = _intersect_audiences(audiences, m.releasable_to)
        return Marking(
            classification=max(m.classification for m in markings),
            releasable_to=audiences,
            tlp=max(m.tlp for m in markings),
            pap=max(m.pap for m in markings),
            originator=_product_originator(markings, audiences),
        )

    @staticmethod
    def public() -> Marking:
        return Marking(Classification.UNCLASSIFIED, frozenset({PUBLIC}), TLP.CLEAR, PAP.CLEAR)


def _admitted(marking: Marking) -> frozenset[str] | None:
    """The audiences any one of which lets a viewer see `marking`; None: everyone."""
    if PUBLIC in marking.releasable_to:
        return None
    if not marking.releasable_to:
        if marking.originator == NO_COMMON_AUDIENCE:
            return frozenset()
        return frozenset({marking.originator})
    if NATO in marking.releasable_to:
        return marking.releasable_to | NATO_MEMBERS
    return marking.releasable_to


def _admits_everyone_admitted_by(item: Marking, target: Marking) -> bool:
    """An item may go to `target` when every viewer the target admits, the item admits too."""
    item_audiences, target_audiences = _admitted(item), _admitted(target)
    if item_audiences is None:
        return True
    return target_audiences is not None and target_audiences <= item_audiences


def _product_originator(markings: list[Marking], audiences: frozenset[str]) -> str:
    """The originator of a product released to no audience: the one originator of its
    originator-only items when every other item may go to it, else nobody."""
    if audiences:
        return markings[0].originator
    owners = {m.originator for m in markings if not m.releasable_to}
    if len(owners) == 1:
        owner = Marking(releasable_to=frozenset(), originator=next(iter(owners)))
        if all(_admits_everyone_admitted_by(m, owner) for m in markings):
            return owner.originator
    return NO_COMMON_AUDIENCE


def _intersect_audiences(a: frozenset[str], b: frozenset[str]) -> frozenset[str]:
    if PUBLIC in a:
        return b
    if PUBLIC in b:
        return a
    if NATO in a and NATO not in b:
        return frozenset(x for x in b if _within_nato(x))
    if NATO in b and NATO not in a:
        return frozenset(x for x in a if _within_nato(x))
    return a & b


@dataclass(frozen=True)
class Clearance:
    """What a viewer may see: highest classification, nationality/groups, highest TLP.

    `audiences` are the groups the viewer belongs to (`NATO` for allied staff, a
    nation code, a partner group). A partner outside NATO holds only its own groups.
    """

    level: Classification
    audiences: frozenset[str] = field(default_factory=lambda: frozenset({NATO}))
    max_tlp: TLP = TLP.RED

    def may_see(self, marking: Marking) -> bool:
        if marking.classification > self.level or marking.tlp > self.max_tlp:
            return False
        if PUBLIC in marking.releasable_to:
            return True
        if not marking.releasable_to:
            return marking.originator in self.audiences
        if NATO in marking.releasable_to and any(_within_nato(a) for a in self.audiences):
            return True
        return bool(marking.releasable_to & self.audiences)

    @staticmethod
    def public() -> Clearance:
        return Clearance(Classification.UNCLASSIFIED, frozenset({PUBLIC}), TLP.CLEAR)
