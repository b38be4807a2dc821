"""Fast STIX 2.0 / 2.1 bundle reading into plain typed records.

This is the project's one STIX reader. It parses JSON with the standard library
and applies a light, per-object validation — the checks that matter for loading
a knowledge base correctly — rather than building full ``stix2`` objects, which
is an order of magnitude slower on a 19,000-object ATT&CK bundle (see
``benchmarks/bench_kb_load.py``).

What is checked, per object:

* ``type`` is a string of the STIX form (lower case, digits, hyphens);
* ``id`` has the form ``<type>--<uuid>`` and its prefix equals ``type``;
* the common properties required for its kind (SDO/SRO: ``created`` and
  ``modified``; STIX 2.1 objects: ``spec_version``) and the type-specific
  required properties of the common SDO/SRO types;
* timestamps are RFC 3339 in UTC (``...Z``) and ``modified >= created``;
* ``revoked``, ``aliases``, ``external_references`` and
  ``kill_chain_phases`` have the right shapes.

A bundle is read whole or not at all: if any object fails, :class:`StixBundleError`
lists every failing object with its id and the reason, and nothing is returned.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

__all__ = [
    "BundleInfo",
    "ExternalReference",
    "KillChainPhase",
    "StixBundle",
    "StixBundleError",
    "StixObject",
    "StixProblem",
    "bundle_of",
    "parse_bundle",
    "parse_objects",
    "read_bundle",
]

# ATT&CK publishes its own ids under these external-reference source names.
ATTACK_SOURCE_NAMES = frozenset({"mitre-attack", "mitre-ics-attack", "mitre-mobile-attack"})

_TYPE_RE = re.compile(r"^(x-)?[a-z0-9]+(-[a-z0-9]+)*$")
_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")

# STIX Cyber-observable Objects (2.1) carry no created/modified.
_SCO_TYPES = frozenset(
    {
        "artifact",
        "autonomous-system",
        "directory",
        "domain-name",
        "email-addr",
        "email-message",
        "file",
        "ipv4-addr",
        "ipv6-addr",
        "mac-addr",
        "mutex",
        "network-traffic",
        "process",
        "software",
        "url",
        "user-account",
        "windows-registry-key",
        "x509-certificate",
    }
)
# Meta objects with their own rules (no "modified" on marking definitions).
_META_REQUIRED: dict[str, tuple[str, ...]] = {
    "marking-definition": ("created",),
    "language-content": ("created", "modified", "object_ref", "contents"),
    "extension-definition": ("created", "modified", "name", "schema", "version"),
}
# Type-specific required properties of the common SDOs and SROs (union of what
# 2.0 and 2.1 require where they agree; ATT&CK-relevant types first).
_TYPE_REQUIRED: dict[str, tuple[str, ...]] = {
    "attack-pattern": ("name",),
    "campaign": ("name",),
    "course-of-action": ("name",),
    "intrusion-set": ("name",),
    "malware": (),  # 2.1 makes name optional when is_family is false
    "tool": ("name",),
    "threat-actor": ("name",),
    "identity": ("name",),
    "infrastructure": ("name",),
    "indicator": ("pattern", "valid_from"),
    "report": ("name", "published", "object_refs"),
    "vulnerability": ("name",),
    "note": ("content", "object_refs"),
    "opinion": ("opinion", "object_refs"),
    "grouping": ("context", "object_refs"),
    "observed-data": ("first_observed", "last_observed", "number_observed"),
    "malware-analysis": ("product",),
    "relationship": ("relationship_type", "source_ref", "target_ref"),
    "sighting": ("sighting_of_ref",),
}
_TIMESTAMP_PROPERTIES = (
    "created",
    "modified",
    "first_seen",
    "last_seen",
    "valid_from",
    "published",
)


@dataclass(frozen=True, slots=True)
class ExternalReference:
    """One entry of ``external_references``."""

    source_name: str
    external_id: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class KillChainPhase:
    """One entry of ``kill_chain_phases`` (for ATT&CK, the tactic)."""

    kill_chain_name: str
    phase_name: str


@dataclass(frozen=True, slots=True)
class StixObject:
    """A STIX object as a plain record; ``raw`` keeps every property as read.

    ``external_id`` is the ATT&CK id (``T1059.001``, ``G0007``, ``S0002`` …) when
    the object carries one under an ATT&CK source name, else ``None``.
    ``deprecated`` is ATT&CK's ``x_mitre_deprecated``. For relationships,
    ``relationship_type``, ``source_ref`` and ``target_ref`` are set.
    """

    type: str
    id: str
    spec_version: str
    created: datetime | None
    modified: datetime | None
    revoked: bool
    deprecated: bool
    name: str | None
    aliases: tuple[str, ...]
    external_id: str | None
    external_references: tuple[ExternalReference, ...]
    kill_chain_phases: tuple[KillChainPhase, ...]
    relationship_type: str | None
    source_ref: str | None
    target_ref: str | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @property
    def is_active(self) -> bool:
        """Neither revoked nor deprecated."""
        return not (self.revoked or self.deprecated)


@dataclass(frozen=True, slots=True)
class StixProblem:
    """Why one object could not be read: its position, its id (if any) and the reason."""

    index: int
    object_id: str | None
    reason: str

    def __str__(self) -> str:
        return f"object #{self.index} ({self.object_id or 'no id'}): {self.reason}"


class StixBundleError(ValueError):
    """The bundle was rejected as a whole; ``problems`` names each failing object."""

    def __init__(self, problems: Sequence[StixProblem], source: str = "bundle") -> None:
        self.problems: tuple[StixProblem, ...] = tuple(problems)
        shown = "; ".join(str(p) for p in self.problems[:10])
        more = f" (and {len(self.problems) - 10} more)" if len(self.problems) > 10 else ""
        super().__init__(
            f"{source}: {len(self.problems)} invalid object(s), nothing imported: {shown}{more}"
        )


@dataclass(frozen=True, slots=True)
class BundleInfo:
    """What identifies a bundle: its id, spec version, content digest and, when it
    carries an ``x-mitre-collection`` object, the collection's name and version."""

    bundle_id: str | None
    spec_version: str
    sha256: str | None
    object_count: int
    collection_name: str | None
    collection_version: str | None
    latest_modified: datetime | None


@dataclass(frozen=True, slots=True)
class StixBundle:
    """The objects of one bundle, in file order, with an index by id."""

    info: BundleInfo
    objects: tuple[StixObject, ...]
    by_id: Mapping[str, StixObject] = field(repr=False)

    def of_type(self, *types: str) -> list[StixObject]:
        wanted = frozenset(types)
        return [o for o in self.objects if o.type in wanted]

    def __len__(self) -> int:
        return len(self.objects)


def read_bundle(path: str | Path) -> StixBundle:
    """Read a STIX bundle file (JSON). Raises :class:`StixBundleError` if invalid."""
    data = Path(path).read_bytes()
    return parse_bundle(data, source=str(path))


def parse_bundle(data: bytes | str | Mapping[str, Any], *, source: str = "bundle") -> StixBundle:
    """Parse a bundle given as JSON text/bytes or an already-decoded mapping."""
    digest: str | None = None
    if isinstance(data, bytes | str):
        raw_bytes = data.encode() if isinstance(data, str) else data
        digest = hashlib.sha256(raw_bytes).hexdigest()
        try:
            decoded = json.loads(raw_bytes)
        except json.JSONDecodeError as exc:
            raise StixBundleError([StixProblem(-1, None, f"not JSON: {exc}")], source) from exc
    else:
        decoded = data
    if not isinstance(decoded, Mapping) or decoded.get("type") != "bundle":
        raise StixBundleError([StixProblem(-1, None, "top level is not a STIX bundle")], source)
    objects = decoded.get("objects", [])
    if not isinstance(objects, list):
        raise StixBundleError(
            [StixProblem(-1, decoded.get("id"), "'objects' is not a list")], source
        )
    # A 2.0 bundle states its version once; 2.1 objects state their own.
    bundle_spec = decoded.get("spec_version")
    default_spec = bundle_spec if isinstance(bundle_spec, str) else "2.1"
    records = parse_objects(objects, default_spec_version=default_spec, source=source)
    return _assemble(records, decoded.get("id"), default_spec, digest)


def bundle_of(records: Iterable[StixObject]) -> StixBundle:
    """Objects gathered from several places (the stored loads of one knowledge
    base) as one bundle without an id; of several versions of an object, the
    latest "modified" wins."""
    return _assemble(list(records), None, "2.1", None)


def parse_objects(
    objects: Iterable[Any], *, default_spec_version: str = "2.1", source: str = "objects"
) -> list[StixObject]:
    """Validate and convert decoded STIX objects (e.g. a TAXII envelope's ``objects``).

    All or nothing: raises :class:`StixBundleError` listing every bad object.
    """
    records: list[StixObject] = []
    problems: list[StixProblem] = []
    for index, obj in enumerate(objects):
        try:
            records.append(_parse_object(obj, default_spec_version))
        except _Invalid as exc:
            object_id = obj.get("id") if isinstance(obj, Mapping) else None
            problems.append(
                StixProblem(index, object_id if isinstance(object_id, str) else None, str(exc))
            )
    if problems:
        raise StixBundleError(problems, source)
    return records


class _Invalid(Exception):
    pass


def _parse_object(obj: Any, default_spec: str) -> StixObject:
    if not isinstance(obj, Mapping):
        raise _Invalid("not a JSON object")
    stix_type = obj.get("type")
    if not isinstance(stix_type, str) or not _TYPE_RE.match(stix_type):
        raise _Invalid(f"missing or malformed 'type': {stix_type!r}")
    object_id = obj.get("id")
    if not isinstance(object_id, str):
        raise _Invalid("missing 'id'")
    prefix, sep, uuid = object_id.partition("--")
    if not sep or prefix != stix_type or not _UUID_RE.match(uuid):
        raise _Invalid(f"'id' must be '{stix_type}--<uuid>', got {object_id!r}")

    spec_version = obj.get("spec_version", default_spec)
    if not isinstance(spec_version, str) or spec_version not in ("2.0", "2.1"):
        raise _Invalid(f"unsupported spec_version {spec_version!r}")

    if stix_type in _SCO_TYPES:
        required: tuple[str, ...] = ()
    elif stix_type in _META_REQUIRED:
        required = _META_REQUIRED[stix_type]
    else:
        required = ("created", "modified", *_TYPE_REQUIRED.get(stix_type, ()))
    missing = [prop for prop in required if prop not in obj]
    if missing:
        raise _Invalid(f"missing required propert{'y' if len(missing) == 1 else 'ies'} {missing}")

    for prop in _TIMESTAMP_PROPERTIES:
        if prop in obj:
            _check_timestamp(obj[prop], prop)
    created = _timestamp(obj.get("created"))
    modified = _timestamp(obj.get("modified"))
    if created is not None and modified is not None and modified < created:
        raise _Invalid("'modified' is earlier than 'created'")

    revoked = obj.get("revoked", False)
    if not isinstance(revoked, bool):
        raise _Invalid("'revoked' must be a boolean")
    deprecated = obj.get("x_mitre_deprecated", False)
    if not isinstance(deprecated, bool):
        raise _Invalid("'x_mitre_deprecated' must be a boolean")
    name = obj.get("name")
    if name is not None and not isinstance(name, str):
        raise _Invalid("'name' must be a string")

    references = _external_references(obj.get("external_references", ()))
    external_id = next(
        (r.external_id for r in references if r.source_name in ATTACK_SOURCE_NAMES), None
    )

    relationship_type = source_ref = target_ref = None
    if stix_type == "relationship":
        relationship_type, source_ref, target_ref = (
            obj["relationship_type"],
            obj["source_ref"],
            obj["target_ref"],
        )
        for prop, ref in (("source_ref", source_ref), ("target_ref", target_ref)):
            if not isinstance(ref, str) or "--" not in ref:
                raise _Invalid(f"'{prop}' is not an identifier: {ref!r}")
        if not isinstance(relationship_type, str):
            raise _Invalid("'relationship_type' must be a string")

    return StixObject(
        type=stix_type,
        id=object_id,
        spec_version=spec_version,
        created=created,
        modified=modified,
        revoked=revoked,
        deprecated=deprecated,
        name=name,
        aliases=tuple(
            dict.fromkeys(_string_list(obj, "aliases") + _string_list(obj, "x_mitre_aliases"))
        ),
        external_id=external_id,
        external_references=references,
        kill_chain_phases=_kill_chain_phases(obj.get("kill_chain_phases", ())),
        relationship_type=relationship_type,
        source_ref=source_ref,
        target_ref=target_ref,
        raw=obj,
    )


def _check_timestamp(value: Any, name: str) -> None:
    if not isinstance(value, str) or not _TIMESTAMP_RE.match(value):
        raise _Invalid(f"'{name}' is not an RFC 3339 UTC timestamp: {value!r}")
    try:
        datetime.fromisoformat(value)
    except ValueError as exc:
        raise _Invalid(f"'{name}' is not a valid date/time: {value!r}") from exc


def _timestamp(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _string_list(obj: Mapping[str, Any], name: str) -> tuple[str, ...]:
    value = obj.get(name)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Invalid(f"'{name}' must be a list of strings")
    return tuple(value)


def _external_references(value: Any) -> tuple[ExternalReference, ...]:
    if not isinstance(value, list | tuple):
        raise _Invalid("'external_references' must be a list")
    out: list[ExternalReference] = []
    for ref in value:
        if not isinstance(ref, Mapping) or not isinstance(ref.get("source_name"), str):
            raise _Invalid("an external reference lacks 'source_name'")
        external_id, url = ref.get("external_id"), ref.get("url")
        out.append(
            ExternalReference(
                ref["source_name"],
                external_id if isinstance(external_id, str) else None,
                url if isinstance(url, str) else None,
            )
        )
    return tuple(out)


def _kill_chain_phases(value: Any) -> tuple[KillChainPhase, ...]:
    if not isinstance(value, list | tuple):
        raise _Invalid("'kill_chain_phases' must be a list")
    out: list[KillChainPhase] = []
    for phase in value:
        if not (
            isinstance(phase, Mapping)
            and isinstance(phase.get("kill_chain_name"), str)
            and isinstance(phase.get("phase_name"), str)
        ):
            raise _Invalid("a kill-chain phase needs 'kill_chain_name' and 'phase_name'")
        out.append(KillChainPhase(phase["kill_chain_name"], phase["phase_name"]))
    return tuple(out)


def _assemble(
    records: list[StixObject], bundle_id: Any, default_spec: str, digest: str | None
) -> StixBundle:
    by_id: dict[str, StixObject] = {}
    for record in records:
        # STIX allows several versions of one object; the latest "modified" wins.
        current = by_id.get(record.id)
        if current is None or _later(record, current):
            by_id[record.id] = record
    objects = tuple(by_id.values()) if len(by_id) != len(records) else tuple(records)
    collection = next((o for o in objects if o.type == "x-mitre-collection"), None)
    collection_version = collection.raw.get("x_mitre_version") if collection else None
    stamps = [o.modified for o in objects if o.modified is not None]
    info = BundleInfo(
        bundle_id=bundle_id if isinstance(bundle_id, str) else None,
        spec_version=default_spec,
        sha256=digest,
        object_count=len(objects),
        collection_name=collection.name if collection else None,
        collection_version=collection_version if isinstance(collection_version, str) else None,
        latest_modified=max(stamps) if stamps else None,
    )
    return StixBundle(info=info, objects=objects, by_id=by_id)


def _later(a: StixObject, b: StixObject) -> bool:
    if a.modified is None or b.modified is None:
        return False
    return a.modified > b.modified
