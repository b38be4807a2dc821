"""TLP 2.0 marking definitions in STIX 2.1, and the check the OASIS validator does not make.

FIRST publishes TLP 2.0 for STIX 2.1 as five marking definitions with fixed ids,
each carrying the property extension
``extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d`` with ``tlp_2_0``
set to the level. The OASIS validator checks the TLP 1.0 definitions only, so
an export that calls ``marking-definition--bab4…`` "TLP:RED" would pass it;
:func:`tlp_problems` refuses that: every official id must carry its own name
and level, every definition named ``TLP:…`` must use the official id, and every
reference to a TLP 2.0 id must find its definition in the bundle.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from watchfloor.domain.markings import TLP

__all__ = [
    "TLP2_EXTENSION_ID",
    "tlp_by_id",
    "tlp_marking_definition",
    "tlp_problems",
]

TLP2_EXTENSION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
_CREATED = "2022-10-01T00:00:00.000Z"


def _level(tlp: TLP) -> str:
    return tlp.label.removeprefix("TLP:").lower()


def tlp_by_id(marking_id: str) -> TLP | None:
    """The TLP 2.0 level an official marking-definition id stands for, else None."""
    for tlp in TLP:
        if tlp.stix_id == marking_id:
            return tlp
    return None


def tlp_marking_definition(tlp: TLP) -> dict[str, Any]:
    """The official STIX 2.1 marking definition of a TLP 2.0 level, as FIRST publishes it."""
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": tlp.stix_id,
        "created": _CREATED,
        "name": tlp.label,
        "extensions": {
            TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": _level(tlp)}
        },
    }


def _refs(obj: Mapping[str, Any]) -> Iterable[str]:
    refs = obj.get("object_marking_refs") or []
    yield from (r for r in refs if isinstance(r, str))
    for granular in obj.get("granular_markings") or []:
        if isinstance(granular, Mapping) and isinstance(granular.get("marking_ref"), str):
            yield granular["marking_ref"]


def tlp_problems(objects: Iterable[Mapping[str, Any]]) -> list[str]:
    """Every disagreement between TLP 2.0 ids, names and levels in these objects."""
    problems: list[str] = []
    defined: set[str] = set()
    objects = list(objects)
    for obj in objects:
        if obj.get("type") != "marking-definition":
            continue
        mid, name = str(obj.get("id")), obj.get("name")
        official = tlp_by_id(mid)
        ext = (obj.get("extensions") or {}).get(TLP2_EXTENSION_ID)
        if official is not None:
            defined.add(mid)
            if name != official.label:
                problems.append(f"{mid}: is {official.label} but is named {name!r}")
            level = ext.get("tlp_2_0") if isinstance(ext, Mapping) else None
            if level != _level(official):
                problems.append(
                    f"{mid}: is {official.label} but its tlp_2_0 extension says {level!r}"
                )
        elif isinstance(name, str) and name.upper().startswith("TLP:"):
            problems.append(f"{mid}: named {name!r} but is not the official TLP 2.0 id")
        elif isinstance(ext, Mapping):
            problems.append(f"{mid}: carries the TLP 2.0 extension but is not an official TLP id")
    for obj in objects:
        for ref in _refs(obj):
            if tlp_by_id(ref) is not None and ref not in defined:
                problems.append(f"{obj.get('id')}: refers to {ref} whose definition is missing")
    return problems
