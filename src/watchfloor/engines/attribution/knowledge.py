"""The ATT&CK knowledge that attribution scorers read, as matrices.

:class:`AttackKnowledge` is built from STIX records (any objects with the
attributes of :class:`StixRecord` — the reader's ``StixObject`` and the
knowledge-base store's rows both qualify), so this engine never depends on
where the data came from.

What it keeps, per knowledge-base version:

* the active intrusion sets (actors) with ATT&CK id, name, aliases (those of
  intrusion sets revoked into them included) and dates;
* the technique and software vocabularies (ATT&CK ids), with revoked ids
  redirected to their replacements;
* three incidence matrices (dense ``uint8``; ATT&CK is ~150 x ~1,500):
  ``actor_technique`` (actor uses technique, directly or through a campaign
  attributed to it), ``actor_software`` and ``software_technique``;
* ``technique_family``: each technique's parent (a technique is its own family);
* *reports*: per actor and cited source (the ``source_name`` of an external
  reference on the actor's ``uses`` relationships, ATT&CK's own excepted), the
  techniques and software that source attributes to the actor —
  ``report_actor`` (the actor row of each report) and ``report_evidence``
  (reports x techniques-then-software, the columns of a case's evidence).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import numpy as np
import numpy.typing as npt

__all__ = ["Actor", "AttackKnowledge", "KnowledgeBaseVersion", "StixRecord"]

_SOFTWARE_TYPES = frozenset({"malware", "tool"})
_ACTOR_TYPE = "intrusion-set"
# External references under these source names are the object's own ATT&CK id,
# not a cited report.
_SELF_REFERENCES = frozenset({"mitre-attack", "mitre-ics-attack", "mitre-mobile-attack"})


class StixRecord(Protocol):
    """What the builder reads from a STIX object (see the STIX reader's ``StixObject``)."""

    @property
    def type(self) -> str: ...
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str | None: ...
    @property
    def aliases(self) -> tuple[str, ...]: ...
    @property
    def external_id(self) -> str | None: ...
    @property
    def revoked(self) -> bool: ...
    @property
    def deprecated(self) -> bool: ...
    @property
    def created(self) -> datetime | None: ...
    @property
    def modified(self) -> datetime | None: ...
    @property
    def relationship_type(self) -> str | None: ...
    @property
    def source_ref(self) -> str | None: ...
    @property
    def target_ref(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class KnowledgeBaseVersion:
    """Which knowledge base an assessment used: name, version and content digest."""

    name: str
    version: str
    sha256: str | None = None

    def __str__(self) -> str:
        digest = f" ({self.sha256[:12]})" if self.sha256 else ""
        return f"{self.name} {self.version}{digest}"


@dataclass(frozen=True, slots=True)
class Actor:
    """An intrusion set of the knowledge base."""

    external_id: str
    stix_id: str
    name: str
    aliases: tuple[str, ...]
    created: datetime | None
    modified: datetime | None


Matrix = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class AttackKnowledge:
    """Actors, techniques and software of one knowledge base, as incidence matrices."""

    version: KnowledgeBaseVersion
    actors: tuple[Actor, ...]
    techniques: tuple[str, ...]
    software: tuple[str, ...]
    actor_technique: Matrix
    actor_software: Matrix
    software_technique: Matrix
    technique_family: npt.NDArray[np.intp]
    redirects: Mapping[str, str] = field(default_factory=dict)
    released: datetime | None = None
    report_actor: npt.NDArray[np.intp] = field(
        default_factory=lambda: np.zeros(0, dtype=np.intp), repr=False
    )
    report_evidence: Matrix = field(
        default_factory=lambda: np.zeros((0, 0), dtype=np.uint8), repr=False
    )
    technique_index: Mapping[str, int] = field(init=False, repr=False)
    software_index: Mapping[str, int] = field(init=False, repr=False)
    actor_index: Mapping[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "technique_index", {t: i for i, t in enumerate(self.techniques)})
        object.__setattr__(self, "software_index", {s: i for i, s in enumerate(self.software)})
        object.__setattr__(
            self, "actor_index", {a.external_id: i for i, a in enumerate(self.actors)}
        )

    @property
    def actor_ids(self) -> tuple[str, ...]:
        return tuple(a.external_id for a in self.actors)

    def resolve(self, external_id: str) -> str:
        """Follow revoked-by redirects (a revoked id to the id that replaced it)."""
        seen: set[str] = set()
        while external_id in self.redirects and external_id not in seen:
            seen.add(external_id)
            external_id = self.redirects[external_id]
        return external_id

    @classmethod
    def from_objects(
        cls, objects: Iterable[StixRecord], version: KnowledgeBaseVersion
    ) -> AttackKnowledge:
        """Build from STIX records: intrusion sets, campaigns, attack patterns,
        malware, tools and their ``uses`` / ``attributed-to`` / ``revoked-by``
        relationships. Revoked and deprecated objects are not actors, techniques
        or software of their own; revoked ones are redirected to their successor."""
        records = list(objects)
        by_stix = {r.id: r for r in records if r.type != "relationship"}
        relationships = [
            r for r in records if r.type == "relationship" and not (r.revoked or r.deprecated)
        ]

        # revoked-by: stix id -> successor stix id (chains followed below)
        successor: dict[str, str] = {}
        for rel in relationships:
            if rel.relationship_type == "revoked-by" and rel.source_ref and rel.target_ref:
                successor[rel.source_ref] = rel.target_ref

        def final(stix_id: str) -> str:
            seen: set[str] = set()
            while stix_id in successor and stix_id not in seen:
                seen.add(stix_id)
                stix_id = successor[stix_id]
            return stix_id

        def active(record: StixRecord) -> bool:
            return not (record.revoked or record.deprecated) and record.external_id is not None

        actor_records = [r for r in records if r.type == _ACTOR_TYPE and active(r)]
        actor_records.sort(key=lambda r: r.external_id or "")
        technique_records = [r for r in records if r.type == "attack-pattern" and active(r)]
        technique_records.sort(key=lambda r: r.external_id or "")
        software_records = [r for r in records if r.type in _SOFTWARE_TYPES and active(r)]
        software_records.sort(key=lambda r: r.external_id or "")

        actor_row = {r.id: i for i, r in enumerate(actor_records)}
        technique_col = {r.id: i for i, r in enumerate(technique_records)}
        software_col = {r.id: i for i, r in enumerate(software_records)}

        # Aliases of revoked intrusion sets move to their successor.
        extra_aliases: dict[str, list[str]] = {}
        redirects: dict[str, str] = {}
        for stix_id, record in by_stix.items():
            heir = by_stix.get(final(stix_id))
            if record.revoked and heir is not None and stix_id != heir.id:
                if record.external_id and heir.external_id:
                    redirects[record.external_id] = heir.external_id
                if record.type == _ACTOR_TYPE:
                    extra_aliases.setdefault(heir.id, []).extend(
                        [record.name or "", *record.aliases]
                    )

        # campaign -> actor rows it is attributed to
        campaign_actors: dict[str, list[int]] = {}
        for rel in relationships:
            if rel.relationship_type == "attributed-to" and rel.source_ref and rel.target_ref:
                row = actor_row.get(final(rel.target_ref))
                if row is not None and rel.source_ref.startswith("campaign--"):
                    campaign_actors.setdefault(rel.source_ref, []).append(row)

        n_a, n_t, n_s = len(actor_records), len(technique_records), len(software_records)
        actor_technique = np.zeros((n_a, n_t), dtype=np.uint8)
        actor_software = np.zeros((n_a, n_s), dtype=np.uint8)
        software_technique = np.zeros((n_s, n_t), dtype=np.uint8)
        # (actor row, cited source) -> evidence columns it reports
        reports: dict[tuple[int, str], set[int]] = {}
        for rel in relationships:
            if rel.relationship_type != "uses" or not rel.source_ref or not rel.target_ref:
                continue
            source, target = final(rel.source_ref), final(rel.target_ref)
            if source in actor_row:
                rows = [actor_row[source]]
                column = technique_col.get(target)
                if column is None and target in software_col:
                    column = n_t + software_col[target]
                if column is not None:
                    for citation in _citations(rel):
                        reports.setdefault((actor_row[source], citation), set()).add(column)
            elif source in campaign_actors:
                rows = campaign_actors[source]
            elif source in software_col:
                if target in technique_col:
                    software_technique[software_col[source], technique_col[target]] = 1
                continue
            else:
                continue
            for row in rows:
                if target in technique_col:
                    actor_technique[row, technique_col[target]] = 1
                elif target in software_col:
                    actor_software[row, software_col[target]] = 1

        techniques = tuple(r.external_id or "" for r in technique_records)
        index = {t: i for i, t in enumerate(techniques)}
        family = np.array(
            [index.get(t.split(".", 1)[0], i) for i, t in enumerate(techniques)], dtype=np.intp
        )
        actors = tuple(
            Actor(
                external_id=r.external_id or "",
                stix_id=r.id,
                name=r.name or "",
                aliases=tuple(
                    dict.fromkeys(a for a in (*r.aliases, *extra_aliases.get(r.id, ())) if a)
                ),
                created=r.created,
                modified=r.modified,
            )
            for r in actor_records
        )
        report_keys = sorted(reports)
        report_evidence = np.zeros((len(report_keys), n_t + n_s), dtype=np.uint8)
        for i, key in enumerate(report_keys):
            report_evidence[i, sorted(reports[key])] = 1
        stamps = [r.modified for r in records if r.modified is not None]
        return cls(
            version=version,
            actors=actors,
            techniques=techniques,
            software=tuple(r.external_id or "" for r in software_records),
            actor_technique=actor_technique,
            actor_software=actor_software,
            software_technique=software_technique,
            technique_family=family,
            redirects=redirects,
            released=max(stamps) if stamps else None,
            report_actor=np.array([row for row, _ in report_keys], dtype=np.intp),
            report_evidence=report_evidence,
        )


def _citations(record: StixRecord) -> list[str]:
    """Source names of the reports a record cites (its ATT&CK self-reference excepted).
    Records without external references (e.g. plain test doubles) cite nothing."""
    references = getattr(record, "external_references", ())
    names = (getattr(ref, "source_name", None) for ref in references)
    return [n for n in names if isinstance(n, str) and n and n not in _SELF_REFERENCES]
