"""Tearlines: the version of a case for a lower marking, and the leak check behind it.

A downgrade works on three rules:

1. an evidence item whose marking is not `at_most` the target is dropped whole —
   its id, title, description, source and observables;
2. text is held in paragraph-marked blocks (portion marks such as
   ``(NS)``, ``(NU//REL TO NATO//TLP:GREEN)``, ``(PUBLIC)``); a paragraph
   without a mark carries the marking of the thing it belongs to, and only
   paragraphs at or below the target survive;
3. source identities never survive: each kept item names its source by its
   Admiralty grade only.

`check_no_leak` is the second line of defence: it scans the rendered output
for every distinctive string of what was dropped (ids, titles, sources,
observable values, every run of `SHINGLE_WORDS` words of dropped text, and
every identifier-like word of it) and refuses the output, naming the item,
when one appears that the released material does not itself contain.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from watchfloor.domain.case import Case
from watchfloor.domain.errors import DomainError
from watchfloor.domain.evidence import EvidenceItem
from watchfloor.domain.markings import (
    PAP,
    PUBLIC,
    TLP,
    Classification,
    Marking,
)

__all__ = [
    "MIN_DISTINCTIVE",
    "SHINGLE_WORDS",
    "MarkedParagraph",
    "Secret",
    "Tearline",
    "TearlineFact",
    "TearlineLeakError",
    "check_no_leak",
    "checked_text",
    "downgrade",
    "grade_text",
    "observables_of",
    "paragraphs",
    "parse_marking",
    "portion_mark",
    "releasable_paragraphs",
    "released_text",
    "secrets_of",
]

#: Strings shorter than this are too common to prove a leak.
MIN_DISTINCTIVE = 5
#: A run of this many words of dropped text found in the output is a leak.
SHINGLE_WORDS = 6


# --- markings as text ------------------------------------------------------------------------


def parse_marking(text: str, base: Marking | None = None) -> Marking:
    """Parse a marking line such as ``NS//REL TO NATO, EST//TLP:AMBER//PAP:GREEN``.

    Parts are separated by ``//`` and may come in any order: a classification
    (code or banner), releasability (``REL TO A, B``, ``REL PUBLIC``,
    ``NOFORN``), ``TLP:…`` and ``PAP:…``. Parts not given come from `base`
    (default: NATO UNCLASSIFIED, REL TO NATO, TLP:AMBER). ``PUBLIC`` and a bare
    ``TLP:CLEAR`` mean the public marking.
    """
    key = text.strip().strip("()").strip()
    if not key:
        raise DomainError("empty marking")
    upper = key.upper()
    if upper in ("PUBLIC", "TLP:CLEAR", "TLP:WHITE", "CLEAR"):
        return Marking.public()
    m = base or Marking()
    classification, releasable, tlp, pap = m.classification, m.releasable_to, m.tlp, m.pap
    for raw in key.split("//"):
        part = raw.strip()
        up = part.upper()
        if not part:
            raise DomainError(f"marking {text!r}: empty part")
        if up.startswith("TLP:"):
            tlp = TLP.parse(up)
        elif up.startswith("PAP:"):
            pap = PAP.parse(up)
        elif up in ("REL PUBLIC", "RELEASABLE TO PUBLIC", "REL TO PUBLIC"):
            releasable = frozenset({PUBLIC})
        elif up == "NOFORN":
            releasable = frozenset()
        elif up.startswith("REL TO "):
            audiences = [a.strip().upper() for a in part[7:].split(",")]
            if not all(audiences):
                raise DomainError(f"marking {text!r}: empty audience in {part!r}")
            releasable = frozenset(audiences)
        else:
            classification = Classification.parse(part)
    return Marking(classification, releasable, tlp, pap, m.originator)


def portion_mark(marking: Marking) -> str:
    """The portion mark of a paragraph at `marking`, e.g. ``(NU//REL TO NATO//TLP:GREEN)``."""
    if marking == Marking.public():
        return "(PUBLIC)"
    if PUBLIC in marking.releasable_to:
        rel = "REL PUBLIC"
    elif not marking.releasable_to:
        rel = "NOFORN"
    else:
        rel = "REL TO " + ", ".join(sorted(marking.releasable_to))
    return f"({marking.classification.code}//{rel}//{marking.tlp.label})"


@dataclass(frozen=True)
class MarkedParagraph:
    marking: Marking
    text: str
    marked: bool = True  # False: the paragraph had no portion mark and inherited its marking


_PORTION = re.compile(r"^\s*\(([^()\n]{2,80})\)\s*")


def paragraphs(text: str, default: Marking) -> list[MarkedParagraph]:
    """Split text into paragraphs (blank-line separated), each with its portion marking.

    A paragraph that opens with something in brackets that is not a marking
    (``(see annex)``) is an unmarked paragraph and inherits `default`.
    """
    out: list[MarkedParagraph] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        if not block.strip():
            continue
        match = _PORTION.match(block)
        if match:
            try:
                marking = parse_marking(match.group(1), default)
            except DomainError:
                marking = None
            if marking is not None:
                out.append(MarkedParagraph(marking, block[match.end() :].strip()))
                continue
        out.append(MarkedParagraph(default, block.strip(), marked=False))
    return out


def releasable_paragraphs(text: str, default: Marking, target: Marking) -> list[MarkedParagraph]:
    return [p for p in paragraphs(text, default) if p.marking.at_most(target)]


def grade_text(item: EvidenceItem) -> str:
    """How a source is named below its marking: by its grade only."""
    g = item.grade
    return (
        f"a source graded {g.code} ({g.reliability.description}; "
        f"information {g.credibility.description})"
    )


# --- the downgrade -------------------------------------------------------------------------


@dataclass(frozen=True)
class TearlineFact:
    """A kept evidence item as it may appear below its original marking."""

    id: str
    marking: Marking
    title: str
    evidence_class: str
    source: str  # the grade, never the identity
    paragraphs: tuple[MarkedParagraph, ...]
    observed_at: datetime | None
    observables: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Tearline:
    """The version of a case for `target`: everything in it is at or below `target`."""

    case_id: str
    target: Marking
    title: str
    summary: tuple[MarkedParagraph, ...]
    facts: tuple[TearlineFact, ...]
    dropped: tuple[str, ...]  # ids of the evidence items left out

    @property
    def marking(self) -> Marking:
        parts = [p.marking for p in self.summary] + [f.marking for f in self.facts]
        for f in self.facts:
            parts.extend(p.marking for p in f.paragraphs)
        return Marking.most_restrictive(parts) if parts else self.target

    def render_text(self) -> str:
        """The tearline as plain text, banner first and last, each paragraph portion-marked."""
        banner = self.target.banner()
        lines = [banner, "", self.title, ""]
        lines += [f"{portion_mark(p.marking)} {p.text}" for p in self.summary]
        for f in self.facts:
            lines += ["", f"{portion_mark(f.marking)} {f.title}"]
            lines.append(f"Evidence class: {f.evidence_class}; reported by {f.source}.")
            if f.observed_at is not None:
                lines.append(f"Observed: {f.observed_at.isoformat()}")
            lines += [f"{portion_mark(p.marking)} {p.text}" for p in f.paragraphs]
            lines += [f"Observable {kind}: {value}" for kind, value in f.observables]
        lines += ["", banner]
        return "\n".join(lines) + "\n"


def observables_of(item: EvidenceItem) -> list[tuple[str, str]]:
    """(type, value) pairs an item carries under ``attributes["observables"]``."""
    out: list[tuple[str, str]] = []
    for o in item.attributes.get("observables") or []:
        if isinstance(o, Mapping) and isinstance(o.get("type"), str):
            value = o.get("value")
            if isinstance(value, str):
                out.append((o["type"], value))
            for algo, digest in (o.get("hashes") or {}).items():
                out.append((f"{o['type']}:{algo}", str(digest)))
    return out


def downgrade(case: Case, target: Marking, title: str | None = None) -> Tearline:
    """The version of `case` for `target` (pure; no leak check: see `check_no_leak`)."""
    case_ok = case.marking.at_most(target)
    if title is None:  # a title given by a person is still leak-checked
        title = case.incident.title if case_ok else "Incident statement"
    summary = tuple(releasable_paragraphs(case.incident.summary, case.marking, target))
    facts: list[TearlineFact] = []
    dropped: list[str] = []
    for e in case.evidence:
        if not e.marking.at_most(target):
            dropped.append(e.id)
            continue
        facts.append(
            TearlineFact(
                id=e.id,
                marking=e.marking,
                title=e.title,
                evidence_class=e.evidence_class.value,
                source=grade_text(e),
                paragraphs=tuple(releasable_paragraphs(e.description, e.marking, target)),
                observed_at=e.observed_at,
                observables=tuple(observables_of(e)),
            )
        )
    return Tearline(case.id, target, title, summary, tuple(facts), tuple(dropped))


# --- the leak check ------------------------------------------------------------------------


@dataclass(frozen=True)
class Secret:
    """A distinctive string the output must not hold, and whose it is."""

    owner: str  # e.g. "evidence EV-7" or "the case summary"
    what: str  # "title", "source", "paragraph", …
    text: str


class TearlineLeakError(DomainError):
    """The output holds something above its marking; it is refused."""

    def __init__(self, secret: Secret, found: str) -> None:
        super().__init__(
            f"output refused: it contains the {secret.what} of {secret.owner} ({found!r}), "
            "which is above the target marking"
        )
        self.secret = secret
        self.found = found


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def _shingles(words: Sequence[str]) -> Iterator[tuple[str, ...]]:
    for i in range(len(words) - SHINGLE_WORDS + 1):
        yield tuple(words[i : i + SHINGLE_WORDS])


def secrets_of(case: Case, target: Marking) -> list[Secret]:
    """Every distinctive string of `case` that is above `target` (or a source identity)."""
    out: list[Secret] = []
    if not case.marking.at_most(target):
        out += [
            Secret(f"case {case.id}", "id", case.id),
            Secret(f"case {case.id}", "title", case.title),
            Secret(f"case {case.id}", "incident title", case.incident.title),
        ]
    for p in paragraphs(case.incident.summary, case.marking):
        if not p.marking.at_most(target):
            out.append(Secret(f"case {case.id}", "summary paragraph", p.text))
    for e in case.evidence:
        owner = f"evidence {e.id}"
        out.append(Secret(owner, "source", e.source))
        if e.marking.at_most(target):
            out += [
                Secret(owner, "paragraph", p.text)
                for p in paragraphs(e.description, e.marking)
                if not p.marking.at_most(target)
            ]
            continue
        out += [Secret(owner, "id", e.id), Secret(owner, "title", e.title)]
        out += [Secret(owner, "paragraph", p.text) for p in paragraphs(e.description, e.marking)]
        out += [Secret(owner, f"observable {k}", v) for k, v in observables_of(e)]
        for key, value in e.attributes.items():
            if isinstance(value, str) and key != "observables":
                out.append(Secret(owner, f"attribute {key}", value))
    return out


def released_text(case: Case, target: Marking) -> str:
    """Everything of `case` that may go to `target`, as one text (what may be repeated)."""
    t = downgrade(case, target)
    parts = [p.text for p in t.summary]
    if case.marking.at_most(target):
        parts += [case.id, case.title, case.incident.title]
    for f in t.facts:
        parts += [f.id, f.title, *(p.text for p in f.paragraphs)]
        parts += [v for _, v in f.observables]
    return "\n".join(parts)


_TOKEN = re.compile(r"[\w][\w.\-:/@]*[\w]")


def _identifiers(text: str) -> set[str]:
    """Identifier-like tokens: with a digit, a dot or hyphen inside, or in capitals
    (codewords, hosts, addresses, hashes, ids) — distinctive even alone."""
    out = set()
    for tok in _TOKEN.findall(text):
        if len(tok) < MIN_DISTINCTIVE:
            continue
        if any(c.isdigit() for c in tok) or "." in tok or "-" in tok or tok.isupper():
            out.add(tok.casefold())
    return out


#: The words of banners and portion marks, which every output carries.
_MARKING_WORDS = frozenset(
    w
    for text in [
        *(c.banner for c in Classification),
        *(t.label for t in TLP),
        *(p.label for p in PAP),
        "RELEASABLE TO PUBLIC NOFORN REL",
    ]
    for w in _identifiers(text)
)


def check_no_leak(output: str, secrets: Iterable[Secret], released: str = "") -> None:
    """Refuse `output` if it holds a secret that `released` (the releasable material) lacks.

    Three nets: the whole string (when at least `MIN_DISTINCTIVE` characters);
    any run of `SHINGLE_WORDS` words of it, so quoting part of a dropped
    paragraph is caught; and any identifier-like token in it (a codeword in
    capitals, a host, an address, a hash, an id), so one telling word is caught.
    """
    haystack, allowed = _norm(output), _norm(released)
    out_shingles = set(_shingles(_words(output)))
    ok_shingles = set(_shingles(_words(released)))
    out_ids = _identifiers(output) - _identifiers(released) - _MARKING_WORDS
    for s in secrets:
        needle = _norm(s.text)
        if len(needle) >= MIN_DISTINCTIVE and needle in haystack and needle not in allowed:
            raise TearlineLeakError(s, s.text)
        for sh in _shingles(_words(s.text)):
            if sh in out_shingles and sh not in ok_shingles:
                raise TearlineLeakError(s, " ".join(sh))
        for tok in sorted(_identifiers(s.text) & out_ids):
            raise TearlineLeakError(s, tok)


def checked_text(case: Case, target: Marking, title: str | None = None) -> str:
    """Downgrade, render and leak-check in one step."""
    t = downgrade(case, target, title)
    text = t.render_text()
    check_no_leak(text, secrets_of(case, target), released_text(case, target))
    return text
