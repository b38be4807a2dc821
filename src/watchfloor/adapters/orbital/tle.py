"""Two-line and three-line element sets (NORAD TLE).

A record is a line 1 / line 2 pair, optionally preceded by a name line
(with or without the "0 " prefix of the three-line form). Each line is
checked for its number, length, modulo-10 checksum and matching catalog
number before `sgp4` parses it.
"""

from __future__ import annotations

from pathlib import Path

from sgp4.api import WGS72, Satrec

from watchfloor.engines.orbital.elements import (
    ElementSet,
    LoadResult,
    RecordError,
    elements_from_satrec,
)


def tle_checksum(line: str) -> int:
    """Modulo-10 checksum of the first 68 columns: digits count, '-' counts one."""
    total = 0
    for ch in line[:68]:
        if ch.isdigit():
            total += int(ch)
        elif ch == "-":
            total += 1
    return total % 10


def read_tle(path: str | Path) -> LoadResult[ElementSet]:
    p = Path(path)
    return read_tle_text(p.read_text(encoding="utf-8", errors="replace"), source=str(p))


def read_tle_text(text: str, *, source: str = "<text>") -> LoadResult[ElementSet]:
    items: list[ElementSet] = []
    errors: list[RecordError] = []
    lines = [(n, raw.rstrip("\r\n")) for n, raw in enumerate(text.splitlines(), start=1)]
    lines = [(n, s) for n, s in lines if s.strip()]
    name: tuple[int, str] | None = None
    i = 0
    while i < len(lines):
        n, line = lines[i]
        if line.startswith("1 "):
            if i + 1 >= len(lines) or not lines[i + 1][1].startswith("2 "):
                errors.append(RecordError(source, n, "line 1 without a following line 2"))
                i += 1
                name = None
                continue
            line2 = lines[i + 1][1]
            label = name[1] if name else ""
            result = _parse_pair(line, line2, label, f"{source}:{name[0] if name else n}")
            if isinstance(result, str):
                errors.append(RecordError(source, name[0] if name else n, result))
            else:
                items.append(result)
            name = None
            i += 2
            continue
        if line.startswith("2 "):
            errors.append(RecordError(source, n, "line 2 without a preceding line 1"))
            name = None
            i += 1
            continue
        if name is not None:
            errors.append(RecordError(source, name[0], "name line without element lines"))
        text_name = line[2:] if line.startswith("0 ") else line
        name = (n, text_name.strip())
        i += 1
    if name is not None:
        errors.append(RecordError(source, name[0], "name line without element lines"))
    return LoadResult(items, errors)


def _parse_pair(line1: str, line2: str, name: str, where: str) -> ElementSet | str:
    l1, l2 = line1.rstrip(), line2.rstrip()
    for number, line in ((1, l1), (2, l2)):
        if len(line) < 69:
            return f"line {number} is {len(line)} characters long, expected 69"
        if not line[68].isdigit():
            return f"line {number} has no checksum digit in column 69"
        if tle_checksum(line) != int(line[68]):
            return f"line {number} checksum is {line[68]}, the columns sum to {tle_checksum(line)}"
    if l1[2:7] != l2[2:7]:
        return f"catalog numbers differ between lines: {l1[2:7]!r} and {l2[2:7]!r}"
    try:
        sat = Satrec.twoline2rv(l1[:69], l2[:69], WGS72)
    except (ValueError, IndexError) as exc:
        return f"unreadable element set: {exc}"
    if sat.error != 0:
        return f"SGP4 rejects the elements (error {sat.error})"
    if not 0.0 <= sat.ecco < 1.0 or sat.no_kozai <= 0.0:
        return "eccentricity or mean motion out of range"
    return elements_from_satrec(
        sat,
        name=name or str(sat.satnum),
        source=where,
        object_id=_intl_designator(l1[9:17]),
        classification=l1[7],
        tle_line1=l1[:69],
        tle_line2=l2[:69],
    )


def _intl_designator(field: str) -> str:
    """'98067A  ' -> '1998-067A' (TLE years 57-99 are 1900s)."""
    f = field.strip()
    if len(f) < 5 or not f[:2].isdigit():
        return f
    yy = int(f[:2])
    year = 1900 + yy if yy >= 57 else 2000 + yy
    return f"{year}-{f[2:]}"
