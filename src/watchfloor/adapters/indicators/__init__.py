"""Indicator sets from STIX bundles and MISP events."""

from __future__ import annotations

import json
from pathlib import Path

from watchfloor.adapters.indicators.misp import (
    MispFormatError,
    misp_indicators,
    parse_misp_events,
    read_misp_events,
)
from watchfloor.adapters.indicators.result import IndicatorImport, IndicatorImportError, Problem
from watchfloor.adapters.indicators.stix import (
    INDICATOR_TYPES,
    bundle_indicators,
    read_stix_indicators,
    stix_indicators,
)
from watchfloor.adapters.indicators.stix_patterns import (
    MalformedPattern,
    UnsupportedPattern,
    parse_simple_pattern,
)

__all__ = [
    "INDICATOR_TYPES",
    "IndicatorImport",
    "IndicatorImportError",
    "MalformedPattern",
    "MispFormatError",
    "Problem",
    "UnsupportedPattern",
    "bundle_indicators",
    "misp_indicators",
    "parse_indicator_file",
    "parse_misp_events",
    "parse_simple_pattern",
    "read_indicator_file",
    "read_misp_events",
    "read_stix_indicators",
    "stix_indicators",
]


def read_indicator_file(path: str | Path) -> IndicatorImport:
    """Indicators from a STIX bundle or a MISP export, told apart by content.

    Raises :class:`IndicatorImportError` (nothing imported) on bad input.
    """
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise IndicatorImportError(str(p), [Problem(str(p), f"cannot read: {exc}")]) from exc
    return parse_indicator_file(raw, source=str(p))


def parse_indicator_file(raw: bytes, *, source: str) -> IndicatorImport:
    """:func:`read_indicator_file` of content already read (an upload), named ``source``."""
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IndicatorImportError(source, [Problem(source, f"not a JSON file: {exc}")]) from exc
    if isinstance(data, dict) and data.get("type") == "bundle":
        return stix_indicators(data, source=source)
    try:
        events = parse_misp_events(data, source=source)
    except MispFormatError as exc:
        raise IndicatorImportError(
            source, [Problem(source, f"neither a STIX bundle nor a MISP export: {exc}")]
        ) from exc
    result = misp_indicators(events)
    result.source = source
    return result
