"""Open an element catalog whatever its form: TLE, or OMM as CSV, KVN, XML or JSON."""

from __future__ import annotations

from pathlib import Path

from watchfloor.adapters.orbital.omm import read_omm
from watchfloor.adapters.orbital.tle import read_tle
from watchfloor.engines.orbital.elements import ElementSet, LoadResult


def read_catalog(path: str | Path) -> LoadResult[ElementSet]:
    """Read elements; TLE files are recognised by their '1 '/'2 ' lines, all else is OMM."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in (".tle", ".txt", ".3le", ".2le"):
        return read_tle(p)
    if suffix in (".csv", ".kvn", ".xml", ".json"):
        return read_omm(p)
    with p.open(encoding="utf-8", errors="replace") as fh:
        head = [fh.readline() for _ in range(3)]
    if any(h.startswith("1 ") for h in head) and any(h.startswith("2 ") for h in head):
        return read_tle(p)
    return read_omm(p)
