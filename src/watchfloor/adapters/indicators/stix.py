"""Indicators from a STIX 2.0/2.1 bundle, with their validity and their actors.

The bundle is read by the project's STIX reader; this module turns its
``indicator`` objects into matchable :class:`Indicator` records. Actor links:
an ``indicates`` relationship from the indicator to an intrusion-set,
threat-actor or campaign; and, for a campaign, its ``attributed-to``
intrusion-sets and threat-actors as well.

All or nothing: a malformed pattern or value fails the whole bundle, and the
error lists every failing object by id. A well-formed pattern beyond the
simple forms is skipped and reported as unsupported; revoked indicators are
skipped too. Indicators already stored (a knowledge base, a TAXII feed's
polls: :func:`bundle_indicators` with ``strict=False``) are not refused for
one bad object: it is skipped, with its reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from watchfloor.adapters.indicators.result import IndicatorImport, IndicatorImportError, Problem
from watchfloor.adapters.indicators.stix_patterns import (
    MalformedPattern,
    UnsupportedPattern,
    parse_simple_pattern,
)
from watchfloor.adapters.stix import StixBundle, StixBundleError, parse_bundle
from watchfloor.engines.correlation.keys import MalformedValue, indicator_keys
from watchfloor.engines.correlation.model import ActorRef, Indicator

__all__ = ["INDICATOR_TYPES", "bundle_indicators", "read_stix_indicators", "stix_indicators"]

_ACTOR_TYPES = frozenset({"intrusion-set", "threat-actor", "campaign"})
#: The object types :func:`bundle_indicators` reads (the rest of a bundle is ignored).
INDICATOR_TYPES = ("indicator", "relationship", "marking-definition", *sorted(_ACTOR_TYPES))
_TLP_IDS = {
    # TLP 1.0 (STIX 2.x common markings)
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": "TLP:CLEAR",
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": "TLP:GREEN",
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": "TLP:AMBER",
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": "TLP:RED",
    # TLP 2.0
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": "TLP:CLEAR",
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": "TLP:GREEN",
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": "TLP:AMBER",
    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": "TLP:AMBER+STRICT",
    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": "TLP:RED",
}
_TLP_RANK = ["TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"]


def read_stix_indicators(path: str | Path) -> IndicatorImport:
    """Read a bundle file; see :func:`stix_indicators`."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise IndicatorImportError(str(p), [Problem(str(p), f"cannot read: {exc}")]) from exc
    return stix_indicators(data, source=str(p))


def stix_indicators(data: bytes | str | Mapping[str, Any], *, source: str) -> IndicatorImport:
    """Indicators of a bundle (JSON text or decoded), whole or not at all.

    Raises :class:`IndicatorImportError` naming each failing object.
    """
    try:
        bundle = parse_bundle(data, source=source)
    except StixBundleError as exc:
        problems = [Problem(p.object_id or f"object #{p.index}", p.reason) for p in exc.problems]
        raise IndicatorImportError(source, problems) from exc
    return bundle_indicators(bundle, source=source)


def bundle_indicators(bundle: StixBundle, *, source: str, strict: bool = True) -> IndicatorImport:
    """The matchable indicators of a bundle already read. ``strict``: a bad
    indicator fails the whole bundle (:class:`IndicatorImportError`); else it
    is skipped, with its reason."""
    label = bundle.info.bundle_id or source
    actors = _actor_links(bundle)
    tlp_names = _marking_names(bundle)
    out: list[Indicator] = []
    failed: list[Problem] = []
    unsupported: list[Problem] = []
    skipped: list[Problem] = []
    for obj in bundle.of_type("indicator"):
        raw = obj.raw
        if obj.revoked:
            skipped.append(Problem(obj.id, "revoked"))
            continue
        pattern_type = raw.get("pattern_type", "stix")
        if pattern_type != "stix":
            unsupported.append(Problem(obj.id, f"pattern_type {pattern_type!r} is not matched"))
            continue
        try:
            comparisons = parse_simple_pattern(raw.get("pattern", ""))
        except MalformedPattern as exc:
            failed.append(Problem(obj.id, f"malformed pattern: {exc}"))
            continue
        except UnsupportedPattern as exc:
            unsupported.append(Problem(obj.id, f"unsupported pattern: {exc}"))
            continue
        valid_from = _timestamp(raw.get("valid_from"))
        valid_until = _timestamp(raw.get("valid_until"))
        if raw.get("valid_until") is not None and valid_until is None:
            failed.append(
                Problem(obj.id, f"valid_until is not a timestamp: {raw['valid_until']!r}")
            )
            continue
        if valid_from is not None and valid_until is not None and valid_until <= valid_from:
            failed.append(Problem(obj.id, "valid_until is not after valid_from"))
            continue
        bad = False
        for kind, value in comparisons:
            try:
                indicator_keys(kind, value)
            except MalformedValue as exc:
                failed.append(Problem(obj.id, str(exc)))
                bad = True
        if bad:
            continue
        tlp = _tlp(raw.get("object_marking_refs"), tlp_names)
        for kind, value in comparisons:
            out.append(
                Indicator(
                    id=obj.id,
                    kind=kind,
                    value=value,
                    source=label,
                    valid_from=valid_from,
                    valid_until=valid_until,
                    actors=actors.get(obj.id, ()),
                    tlp=tlp,
                    name=obj.name,
                )
            )
    if failed and strict:
        raise IndicatorImportError(source, failed)
    return IndicatorImport(source, out, unsupported=unsupported, skipped=skipped + failed)


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _marking_names(bundle: StixBundle) -> dict[str, str]:
    names = dict(_TLP_IDS)
    for m in bundle.of_type("marking-definition"):
        definition = m.raw.get("definition")
        if m.raw.get("definition_type") == "tlp" and isinstance(definition, Mapping):
            level = str(definition.get("tlp", "")).upper()
            names[m.id] = "TLP:CLEAR" if level == "WHITE" else f"TLP:{level}"
        elif isinstance(m.name, str) and m.name.upper().startswith("TLP:"):
            names[m.id] = m.name.upper().replace("TLP:WHITE", "TLP:CLEAR")
    return names


def _tlp(refs: Any, names: Mapping[str, str]) -> str | None:
    if not isinstance(refs, list):
        return None
    found = [names[r] for r in refs if isinstance(r, str) and r in names]
    known = [t for t in found if t in _TLP_RANK]
    return max(known, key=_TLP_RANK.index) if known else None


def _actor_links(bundle: StixBundle) -> dict[str, tuple[ActorRef, ...]]:
    def ref(object_id: str) -> ActorRef | None:
        o = bundle.by_id.get(object_id)
        if o is None or o.type not in _ACTOR_TYPES:
            return None
        return ActorRef(o.id, o.type, o.name or o.id, tuple(a for a in o.aliases if a))

    attributed: dict[str, list[ActorRef]] = {}
    indicates: dict[str, list[str]] = {}
    for rel in bundle.of_type("relationship"):
        if rel.revoked or rel.source_ref is None or rel.target_ref is None:
            continue
        if rel.relationship_type == "attributed-to" and rel.source_ref.startswith("campaign--"):
            target = ref(rel.target_ref)
            if target is not None and target.type != "campaign":
                attributed.setdefault(rel.source_ref, []).append(target)
        elif rel.relationship_type == "indicates" and rel.source_ref.startswith("indicator--"):
            indicates.setdefault(rel.source_ref, []).append(rel.target_ref)
    links: dict[str, tuple[ActorRef, ...]] = {}
    for indicator_id, targets in indicates.items():
        refs: list[ActorRef] = []
        for target_id in targets:
            actor = ref(target_id)
            if actor is None:
                continue
            refs.append(actor)
            if actor.type == "campaign":
                refs.extend(attributed.get(actor.id, ()))
        if refs:
            links[indicator_id] = tuple(dict.fromkeys(refs))
    return links
