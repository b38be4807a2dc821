"""Readers: every OMM encoding gives the same elements; bad records are reported, the rest loads."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from sgp4 import omm as sgp4_omm
from sgp4.api import Satrec

from watchfloor.adapters.orbital import read_catalog, read_omm_text, read_satcat_text, read_tle_text
from watchfloor.adapters.orbital.tle import tle_checksum

from ._data import GEO_HISTORY, OMM_CSV

IDS = ("25544", "5", "26824")
# TDRS 3, the first record of the GEO history.
TLE_1 = "1 19548U 88091B   26143.32273126 -.00000312  00000+0  00000+0 0  9990"
TLE_2 = "2 19548  12.6208 341.1717 0039473 357.5480 329.3274  1.00264833125139"


def _csv_rows() -> tuple[list[str], list[dict[str, str]]]:
    lines = OMM_CSV.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    rows = [dict(zip(header, ln.split(","), strict=True)) for ln in lines[1:]]
    return header, [r for r in rows if r["NORAD_CAT_ID"] in IDS]


def _kvn(row: dict[str, str]) -> str:
    meta = "CCSDS_OMM_VERS = 2.0\nCOMMENT made by the test\nCREATION_DATE = 2024-11-01T00:00:00\n"
    body = "".join(f"{k} = {v}\n" for k, v in row.items())
    return meta + "REF_FRAME = TEME\nMEAN_ELEMENT_THEORY = SGP4\n" + body


def _xml(rows: list[dict[str, str]]) -> str:
    segs = []
    for r in rows:
        meta = "".join(f"<{k}>{r[k]}</{k}>" for k in ("OBJECT_NAME", "OBJECT_ID"))
        mean = "".join(
            f"<{k}>{r[k]}</{k}>"
            for k in (
                "EPOCH", "MEAN_MOTION", "ECCENTRICITY", "INCLINATION", "RA_OF_ASC_NODE",
                "ARG_OF_PERICENTER", "MEAN_ANOMALY",
            )
        )  # fmt: skip
        tle = "".join(
            f"<{k}>{r[k]}</{k}>"
            for k in (
                "EPHEMERIS_TYPE", "CLASSIFICATION_TYPE", "NORAD_CAT_ID", "ELEMENT_SET_NO",
                "REV_AT_EPOCH", "BSTAR", "MEAN_MOTION_DOT", "MEAN_MOTION_DDOT",
            )
        )  # fmt: skip
        segs.append(
            f"<segment>\n<metadata>{meta}<REF_FRAME>TEME</REF_FRAME></metadata>\n"
            f"<data><meanElements>{mean}</meanElements>\n"
            f"<tleParameters>{tle}</tleParameters></data>\n</segment>\n"
        )
    return '<?xml version="1.0"?>\n<ndm><omm><body>\n' + "".join(segs) + "</body></omm></ndm>\n"


def _position(sat: Satrec) -> np.ndarray:
    err, r, _ = sat.sgp4(2460615.5, 0.25)
    assert err == 0
    return np.array(r)


def test_every_omm_encoding_reproduces_sgp4s_own_omm_reader() -> None:
    header, rows = _csv_rows()
    csv_text = "\n".join([",".join(header), *(",".join(r.values()) for r in rows)])
    texts = {
        "csv": csv_text,
        "kvn": "\n".join(_kvn(r) for r in rows),
        "xml": _xml(rows),
        "json": json.dumps(rows, indent=1),
    }
    expected = {}
    for r in rows:
        sat = Satrec()
        sgp4_omm.initialize(sat, r)
        expected[int(r["NORAD_CAT_ID"])] = _position(sat)
    for fmt, text in texts.items():
        loaded = read_omm_text(text, fmt=fmt)  # type: ignore[arg-type]
        assert not loaded.errors, (fmt, loaded.errors)
        assert sorted(e.norad_id for e in loaded.items) == sorted(expected), fmt
        for e in loaded.items:
            assert np.allclose(_position(e.satrec()), expected[e.norad_id], atol=1e-9), fmt


def test_bad_omm_records_are_reported_with_their_line_and_the_rest_loads() -> None:
    header, rows = _csv_rows()
    good = [",".join(r.values()) for r in rows]
    bad_ecc = dict(rows[0], ECCENTRICITY="1.7")
    bad_epoch = dict(rows[1], EPOCH="yesterday")
    text = "\n".join([
        ",".join(header), good[0], ",".join(bad_ecc.values()), "1,2,3",
        ",".join(bad_epoch.values()), good[2],
    ])  # fmt: skip
    loaded = read_omm_text(text, fmt="csv", source="cat.csv")
    assert len(loaded.items) == 2
    reasons = {e.line: e.reason for e in loaded.errors}
    assert set(reasons) == {3, 4, 5}
    assert "ECCENTRICITY" in reasons[3]
    assert "columns" in reasons[4]
    assert "EPOCH" in reasons[5]
    assert all(e.file == "cat.csv" for e in loaded.errors)


def test_bad_kvn_and_json_records_stay_local() -> None:
    _, rows = _csv_rows()
    kvn = _kvn(rows[0]) + _kvn(dict(rows[1], MEAN_MOTION="fast")) + _kvn(rows[2])
    loaded = read_omm_text(kvn, fmt="kvn")
    assert len(loaded.items) == 2
    [err] = loaded.errors
    assert "MEAN_MOTION" in err.reason
    assert kvn.splitlines()[err.line - 1].startswith("CCSDS_OMM_VERS")
    items = [rows[0], {"OBJECT_NAME": "NO ELEMENTS"}, rows[2]]
    loaded = read_omm_text(json.dumps(items, indent=1), fmt="json")
    assert len(loaded.items) == 2
    [err] = loaded.errors
    assert "missing" in err.reason and err.line > 1


def test_tle_two_and_three_line_forms_and_checksum_errors() -> None:
    broken = TLE_2[:-1] + str((int(TLE_2[-1]) + 1) % 10)
    text = "\n".join(["TDRS 3", TLE_1, TLE_2, TLE_1, TLE_2, "0 BROKEN", TLE_1, broken, TLE_1])
    loaded = read_tle_text(text, source="t.tle")
    assert [e.name for e in loaded.items] == ["TDRS 3", "19548"]
    assert loaded.items[0].tle_line1 == TLE_1
    assert loaded.items[0].object_id == "1988-091B"
    lines = sorted((e.line, e.reason) for e in loaded.errors)
    assert lines[0][0] == 6 and "checksum" in lines[0][1]
    assert lines[1][0] == 9 and "line 2" in lines[1][1]
    assert tle_checksum(TLE_1) == int(TLE_1[68])


def test_real_geo_history_loads_completely(tmp_path: Path) -> None:
    head = "\n".join(GEO_HISTORY.read_text(encoding="utf-8").splitlines()[:300])
    path = tmp_path / "history.tle"
    path.write_text(head, encoding="utf-8")
    loaded = read_catalog(path)
    assert len(loaded.items) == 100 and not loaded.errors


def test_satcat_rows_with_bad_dates_are_reported() -> None:
    text = (
        "OBJECT_NAME,OBJECT_ID,NORAD_CAT_ID,OBJECT_TYPE,OPS_STATUS_CODE,OWNER,LAUNCH_DATE,DECAY_DATE\n"
        "SJ-21,2021-094A,49330,PAY,+,PRC,2021-10-24,\n"
        "X,2021-001A,notanumber,PAY,,US,2021-01-01,\n"
        "Y,2021-001B,49331,DEB,D,US,2021-13-01,\n"
    )
    loaded = read_satcat_text(text)
    [entry] = loaded.items
    assert (entry.norad_id, entry.owner, entry.decayed) == (49330, "PRC", False)
    assert [e.line for e in loaded.errors] == [3, 4]
