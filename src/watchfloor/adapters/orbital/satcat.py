"""CelesTrak SATCAT CSV: owner, object type and dates per catalog number."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

from watchfloor.engines.orbital.elements import LoadResult, RecordError, SatcatEntry

_REQUIRED = ("NORAD_CAT_ID", "OWNER")


def read_satcat(path: str | Path) -> LoadResult[SatcatEntry]:
    p = Path(path)
    return read_satcat_text(p.read_text(encoding="utf-8-sig", errors="replace"), source=str(p))


def read_satcat_text(text: str, *, source: str = "<text>") -> LoadResult[SatcatEntry]:
    items: list[SatcatEntry] = []
    errors: list[RecordError] = []
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip().upper() for h in next(reader)]
    except StopIteration:
        return LoadResult(items, errors)
    missing = [k for k in _REQUIRED if k not in header]
    if missing:
        errors.append(RecordError(source, 1, "header lacks " + ", ".join(missing)))
        return LoadResult(items, errors)
    for row in reader:
        line = reader.line_num
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(header):
            errors.append(
                RecordError(source, line, f"{len(row)} columns where the header has {len(header)}")
            )
            continue
        f = dict(zip(header, (c.strip() for c in row), strict=True))
        try:
            norad = int(f["NORAD_CAT_ID"])
        except ValueError:
            errors.append(RecordError(source, line, f"NORAD_CAT_ID {f['NORAD_CAT_ID']!r}"))
            continue
        try:
            launch = _date(f.get("LAUNCH_DATE", ""))
            decay = _date(f.get("DECAY_DATE", ""))
        except ValueError as exc:
            errors.append(RecordError(source, line, f"bad date: {exc}"))
            continue
        items.append(
            SatcatEntry(
                norad_id=norad,
                name=f.get("OBJECT_NAME", ""),
                object_id=f.get("OBJECT_ID", ""),
                object_type=f.get("OBJECT_TYPE", "") or "UNK",
                ops_status=f.get("OPS_STATUS_CODE", ""),
                owner=f["OWNER"] or "UNK",
                launch_date=launch,
                decay_date=decay,
            )
        )
    return LoadResult(items, errors)


def _date(text: str) -> date | None:
    return date.fromisoformat(text) if text else None
