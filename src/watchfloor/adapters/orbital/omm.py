"""CCSDS Orbit Mean-Elements Messages in their four common encodings.

- CSV and JSON as CelesTrak publishes them (one object per row or array item,
  CCSDS keyword names as column names / keys);
- KVN (``KEY = value`` lines, one message after each ``CCSDS_OMM_VERS``);
- XML (NDM/XML, one ``<segment>`` per object).

Only SGP4 element sets in TEME are accepted. Each bad record becomes a
`RecordError` with its line; the rest loads.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any, Literal
from xml.parsers import expat

from watchfloor.adapters.orbital._fields import elements_from_fields
from watchfloor.engines.orbital.elements import ElementSet, LoadResult, RecordError

OmmFormat = Literal["csv", "kvn", "xml", "json"]


def read_omm(path: str | Path, fmt: OmmFormat | None = None) -> LoadResult[ElementSet]:
    p = Path(path)
    text = p.read_text(encoding="utf-8-sig", errors="replace")
    return read_omm_text(text, fmt=fmt or _guess_format(p, text), source=str(p))


def read_omm_text(
    text: str, *, fmt: OmmFormat | None = None, source: str = "<text>"
) -> LoadResult[ElementSet]:
    kind = fmt or _guess_format(None, text)
    records = {"csv": _csv_records, "kvn": _kvn_records, "xml": _xml_records, "json": _json_records}
    items: list[ElementSet] = []
    errors: list[RecordError] = []
    for line, fields in records[kind](text, source, errors):
        result = elements_from_fields(fields, f"{source}:{line}")
        if isinstance(result, str):
            errors.append(RecordError(source, line, result))
        else:
            items.append(result)
    return LoadResult(items, errors)


def _guess_format(path: Path | None, text: str) -> OmmFormat:
    suffix = path.suffix.lower().lstrip(".") if path is not None else ""
    if suffix in ("csv", "kvn", "xml", "json"):
        return suffix  # type: ignore[return-value]
    head = text.lstrip()[:200]
    if head.startswith("<"):
        return "xml"
    if head.startswith("[") or head.startswith("{"):
        return "json"
    if re.match(r"(CCSDS_OMM_VERS|COMMENT)\b", head):
        return "kvn"
    return "csv"


Records = list[tuple[int, dict[str, Any]]]


def _csv_records(text: str, source: str, errors: list[RecordError]) -> Records:
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip().upper() for h in next(reader)]
    except StopIteration:
        return []
    out: Records = []
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            errors.append(
                RecordError(source, line, f"{len(row)} columns where the header has {len(header)}")
            )
            continue
        out.append((line, dict(zip(header, row, strict=True))))
    return out


_KVN = re.compile(r"^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*(\[[^\]]*\])?\s*$")


def _kvn_records(text: str, source: str, errors: list[RecordError]) -> Records:
    out: Records = []
    current: dict[str, Any] | None = None
    start = 0
    for n, raw in enumerate(text.splitlines(), start=1):
        s = raw.strip()
        if not s or s.startswith("COMMENT"):
            continue
        m = _KVN.match(s)
        if m is None:
            errors.append(RecordError(source, n, f"not a KEY = value line: {s[:60]!r}"))
            continue
        key, value = m.group(1), m.group(2)
        if key == "CCSDS_OMM_VERS":
            if current is not None:
                out.append((start, current))
            current, start = {}, n
        if current is None:
            current, start = {}, n
        current[key] = value
    if current is not None:
        out.append((start, current))
    return out


def _xml_records(text: str, source: str, errors: list[RecordError]) -> Records:
    """Walk NDM/XML with expat so each segment keeps its line number."""
    out: Records = []
    parser = expat.ParserCreate()
    state: dict[str, Any] = {"fields": None, "line": 0, "text": [], "depth": 0}

    def start(tag: str, _attrs: dict[str, str]) -> None:
        local = tag.rsplit(":", 1)[-1]
        if local == "segment":
            state["fields"], state["line"] = {}, parser.CurrentLineNumber
        state["text"] = []

    def end(tag: str) -> None:
        local = tag.rsplit(":", 1)[-1]
        fields = state["fields"]
        if local == "segment" and fields is not None:
            out.append((state["line"], fields))
            state["fields"] = None
        elif fields is not None:
            value = "".join(state["text"]).strip()
            if value:
                fields[local.upper()] = value
        state["text"] = []

    def chars(data: str) -> None:
        state["text"].append(data)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(text, True)
    except expat.ExpatError as exc:
        errors.append(RecordError(source, exc.lineno, f"XML is not well formed: {exc}"))
    return out


def _json_records(text: str, source: str, errors: list[RecordError]) -> Records:
    """Decode array items one at a time, so each keeps its line and one bad item stays local."""
    decoder = json.JSONDecoder()
    out: Records = []
    pos = _skip_ws(text, 0)
    if text.startswith("{", pos):
        try:
            obj, _ = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            errors.append(RecordError(source, exc.lineno, f"JSON is not valid: {exc.msg}"))
            return out
        return [(text.count("\n", 0, pos) + 1, obj)] if isinstance(obj, dict) else out
    if not text.startswith("[", pos):
        errors.append(RecordError(source, 1, "JSON OMM must be an object or an array of objects"))
        return out
    pos = _skip_ws(text, pos + 1)
    while pos < len(text) and text[pos] != "]":
        line = text.count("\n", 0, pos) + 1
        try:
            obj, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            errors.append(RecordError(source, exc.lineno, f"JSON is not valid: {exc.msg}"))
            return out
        if isinstance(obj, dict):
            out.append((line, obj))
        else:
            errors.append(RecordError(source, line, "array item is not an object"))
        pos = _skip_ws(text, pos)
        if pos < len(text) and text[pos] == ",":
            pos = _skip_ws(text, pos + 1)
    return out


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos
