"""Shared checks for OMM-style field dictionaries (CelesTrak keys)."""

from __future__ import annotations

from collections.abc import Mapping

from watchfloor.engines.orbital.elements import ElementSet, parse_epoch

REQUIRED = (
    "EPOCH",
    "MEAN_MOTION",
    "ECCENTRICITY",
    "INCLINATION",
    "RA_OF_ASC_NODE",
    "ARG_OF_PERICENTER",
    "MEAN_ANOMALY",
    "NORAD_CAT_ID",
)


def elements_from_fields(fields: Mapping[str, object], where: str) -> ElementSet | str:
    """An `ElementSet` from OMM fields, or the reason it cannot be one."""
    f = {k.strip().upper(): v for k, v in fields.items() if k is not None}
    missing = [k for k in REQUIRED if _blank(f.get(k))]
    if missing:
        return "missing " + ", ".join(missing)
    frame = str(f.get("REF_FRAME") or "TEME").strip().upper()
    if frame != "TEME":
        return f"reference frame {frame} is not TEME: SGP4 elements are TEME"
    theory = str(f.get("MEAN_ELEMENT_THEORY") or "SGP4").strip().upper()
    if "SGP4" not in theory and theory != "SGP/SGP4":
        return f"mean element theory {theory} is not SGP4"
    try:
        epoch = parse_epoch(str(f["EPOCH"]))
    except ValueError as exc:
        return f"bad EPOCH {f['EPOCH']!r}: {exc}"
    numbers: dict[str, float] = {}
    for key in (
        "MEAN_MOTION",
        "ECCENTRICITY",
        "INCLINATION",
        "RA_OF_ASC_NODE",
        "ARG_OF_PERICENTER",
        "MEAN_ANOMALY",
        "BSTAR",
        "MEAN_MOTION_DOT",
        "MEAN_MOTION_DDOT",
    ):
        raw = f.get(key)
        if _blank(raw):
            numbers[key] = 0.0
            continue
        try:
            numbers[key] = float(str(raw).strip())
        except ValueError:
            return f"{key} is not a number: {raw!r}"
    try:
        norad = int(str(f["NORAD_CAT_ID"]).strip())
    except ValueError:
        return f"NORAD_CAT_ID is not an integer: {f['NORAD_CAT_ID']!r}"
    if not 0 < norad <= 339999:
        return f"NORAD_CAT_ID {norad} out of range"
    if not numbers["MEAN_MOTION"] > 0.0:
        return f"MEAN_MOTION must be positive, got {numbers['MEAN_MOTION']}"
    if not 0.0 <= numbers["ECCENTRICITY"] < 1.0:
        return f"ECCENTRICITY must lie in [0, 1), got {numbers['ECCENTRICITY']}"
    if not 0.0 <= numbers["INCLINATION"] <= 180.0:
        return f"INCLINATION must lie in [0, 180] degrees, got {numbers['INCLINATION']}"
    ints: dict[str, int] = {}
    for key, default in (("EPHEMERIS_TYPE", 0), ("ELEMENT_SET_NO", 999), ("REV_AT_EPOCH", 0)):
        raw = f.get(key)
        try:
            ints[key] = default if _blank(raw) else int(float(str(raw).strip()))
        except ValueError:
            return f"{key} is not an integer: {raw!r}"
    elements = ElementSet(
        norad_id=norad,
        name=str(f.get("OBJECT_NAME") or norad).strip(),
        epoch=epoch,
        mean_motion_rev_day=numbers["MEAN_MOTION"],
        eccentricity=numbers["ECCENTRICITY"],
        inclination_deg=numbers["INCLINATION"],
        raan_deg=numbers["RA_OF_ASC_NODE"],
        arg_perigee_deg=numbers["ARG_OF_PERICENTER"],
        mean_anomaly_deg=numbers["MEAN_ANOMALY"],
        bstar_per_earth_radius=numbers["BSTAR"],
        mean_motion_dot_rev_day2=numbers["MEAN_MOTION_DOT"],
        mean_motion_ddot_rev_day3=numbers["MEAN_MOTION_DDOT"],
        object_id=str(f.get("OBJECT_ID") or "").strip(),
        classification=str(f.get("CLASSIFICATION_TYPE") or "U").strip() or "U",
        ephemeris_type=ints["EPHEMERIS_TYPE"],
        element_set_no=ints["ELEMENT_SET_NO"],
        rev_at_epoch=ints["REV_AT_EPOCH"],
        source=where,
    )
    sat = elements.satrec()
    if sat.error != 0:
        return f"SGP4 rejects the elements (error {sat.error})"
    return elements


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
