"""Indicator matches from uploaded files, through the API and the case page:
real multipart uploads, the DuckDB correlator, the case in the cell's database."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.integration.helpers import FEED, poll_feed
from tests.unit.correlation.helpers import indicator_bundle, write_log
from tests.web.conftest import VISIBLE_CASE, Cell, csrf_of, version_of
from watchfloor.adapters.observables import archive as archive_module
from watchfloor.adapters.taxii.poller import knowledge_base_sink
from watchfloor.domain.users import Role

API = f"/api/cases/{VISIBLE_CASE}/indicator-matches"
PAGE = f"/cases/{VISIBLE_CASE}/indicator-matches"


def _files(tmp_path: Path) -> list[tuple[str, tuple[str, bytes, str]]]:
    """Two indicator sets (Actor A's domain, the case's own actor by name, and
    a range of a crew the case does not name) and a proxy log of four rows."""
    ours = indicator_bundle(actor="Actor A")
    theirs = indicator_bundle("[ipv4-addr:value = '198.51.100.0/24']", actor="Crew Z", n=10)
    log = write_log(
        tmp_path / "proxy.csv",
        [
            ("2025-02-01T00:00:00Z", "www.evil.example", None),
            ("2025-02-01T00:00:01Z", "198.51.100.23", None),
            ("2025-02-01T00:00:02Z", "example.org", None),
            ("2025-02-01T00:00:03Z", "1.2.3.4.5", "ipv4"),
        ],
    )
    return [
        ("indicators", ("feed-a.json", json.dumps(ours).encode(), "application/json")),
        ("indicators", ("feed-z.json", json.dumps(theirs).encode(), "application/json")),
        ("observables", ("proxy.csv", log.read_bytes(), "text/csv")),
    ]


def _form(version: int, **extra: str) -> dict[str, str]:
    return {
        "expected_version": str(version),
        "grade": "B3",
        "classification": "NU",
        "releasable_to": "NATO",
        "tlp": "GREEN",
        **extra,
    }


def _evidence(cell: Cell) -> dict[str, Any]:
    r = cell.api(Role.WATCH_ANALYST).get(f"/api/cases/{VISIBLE_CASE}")
    assert r.status_code == 200, r.text
    return {e["id"]: e for e in r.json()["evidence"]}


def test_uploaded_logs_are_correlated_and_the_linked_match_added_once(
    cell: Cell, tmp_path: Path
) -> None:
    api = cell.api(Role.WATCH_ANALYST)
    before = version_of(api, VISIBLE_CASE)
    r = api.post(API, data=_form(before), files=_files(tmp_path))
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["rows_read"] == 4 and out["matches"] == 2
    assert [(s["source"], s["values"]) for s in out["indicator_sets"]] == [
        ("feed-a.json", 1),
        ("feed-z.json", 1),
    ]
    assert out["logs"] == ["proxy.csv"]
    [added] = out["added"]
    assert added["actors"] == ["A"]
    assert added["title"] == "domain evil.example seen 1× (indicator of Actor A)"
    assert [x["indicator_actors"] for x in out["left_out"]] == [["Crew Z"]]
    assert out["rejected_rows"] == 1
    assert out["rejected"] == [
        {"file": "proxy.csv", "row": 5, "value": "1.2.3.4.5", "reason": "not an IPv4 address"}
    ]

    item = _evidence(cell)[added["id"]]
    assert item["likelihoods"] == {"A": 0.8}
    assert item["grade"] == "B3"
    # the log is named as uploaded, never by where the server kept it
    assert "in proxy.csv;" in item["description"]
    assert version_of(api, VISIBLE_CASE) == before + 1

    again = api.post(API, data=_form(before + 1), files=_files(tmp_path))
    assert again.status_code == 200, again.text
    assert again.json()["added"] == [] and again.json()["already_in_case"] == [added["id"]]
    assert version_of(api, VISIBLE_CASE) == before + 1


def test_a_malformed_indicator_set_is_refused_naming_it_and_nothing_is_added(
    cell: Cell, tmp_path: Path
) -> None:
    api = cell.api(Role.WATCH_ANALYST)
    before = version_of(api, VISIBLE_CASE)
    bad = indicator_bundle("[domain-name:value = ", actor="Actor A")
    files = [
        ("indicators", ("broken.json", json.dumps(bad).encode(), "application/json")),
        *[f for f in _files(tmp_path) if f[0] == "observables"],
    ]
    r = api.post(API, data=_form(before), files=files)
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert "broken.json" in detail and "indicator--00000000-0000-4000-8000-000000000002" in detail
    assert version_of(api, VISIBLE_CASE) == before


def test_a_log_of_unknown_form_or_no_file_at_all_is_refused(cell: Cell, tmp_path: Path) -> None:
    api = cell.api(Role.WATCH_ANALYST)
    version = version_of(api, VISIBLE_CASE)
    indicators = [f for f in _files(tmp_path) if f[0] == "indicators"]
    notes = ("observables", ("notes.txt", b"198.51.100.23\n", "text/plain"))
    r = api.post(API, data=_form(version), files=[*indicators, notes])
    assert r.status_code == 422
    assert "notes.txt: cannot tell the format" in r.json()["detail"]
    assert "watchfloor-upload" not in r.json()["detail"]  # no server path leaks out
    # a browser sends an empty part for a file input left empty
    empty = ("observables", ("", b"", "application/octet-stream"))
    r = api.post(API, data=_form(version), files=[*indicators, empty])
    assert r.status_code == 422
    assert "choose at least one log of observables" in r.json()["detail"]


def test_a_zeek_log_is_read_through_the_column_the_uploader_names(
    cell: Cell, tmp_path: Path
) -> None:
    from tests.unit.correlation.test_observable_readers import ZEEK_CONN

    api = cell.api(Role.WATCH_ANALYST)
    version = version_of(api, VISIBLE_CASE)
    # Actor A's domain, seen as a DNS query in a conn.log-like Zeek log of 2025
    zeek = ZEEK_CONN.replace("15913", "17384").replace("www.example", "www.evil.example")
    ours = indicator_bundle(actor="Actor A")
    files = [
        ("indicators", ("feed-a.json", json.dumps(ours).encode(), "application/json")),
        ("observables", ("dns.log", zeek.encode(), "text/plain")),
    ]
    r = api.post(API, data=_form(version), files=files)
    assert r.status_code == 422
    assert "dns.log: no value column" in r.json()["detail"]
    r = api.post(API, data=_form(version, value_column="query"), files=files)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["rows_read"] == 4 and out["matches"] == 2  # evil\x2eexample and www.evil.example
    # (empty), and unset with a malformed time: no value, not malformed rows
    assert out["without_value"] == 2
    assert [(x["file"], x["row"], x["reason"]) for x in out["rejected"]] == [
        ("dns.log", 11, "expected 8 fields, found 1"),
    ]
    assert [a["title"] for a in out["added"]] == [
        "domain evil.example seen 2× (indicator of Actor A)"
    ]
    r = api.post(API, data=_form(version + 1, value_column="answers"), files=files)
    assert r.status_code == 422
    assert "dns.log: no column 'answers'" in r.json()["detail"]
    # several value columns, each read in turn
    r = api.post(API, data=_form(version + 1, value_column="id.orig_h, query"), files=files)
    assert r.status_code == 200, r.text
    assert r.json()["rows_read"] == 8 and r.json()["matches"] == 2


def test_an_edr_log_of_epoch_milliseconds_and_arrays_is_read_in_the_unit_named(
    cell: Cell, tmp_path: Path
) -> None:
    api = cell.api(Role.WATCH_ANALYST)
    version = version_of(api, VISIBLE_CASE)
    events = [  # times as the text of epoch milliseconds, the hosts an array
        {"timestamp": "1738368000000", "hosts": ["example.org", "www.evil.example"]},
        {"timestamp": "1738368001500", "hosts": []},
        {"timestamp": "1738368002000", "hosts": ["cdn.evil.example"]},
    ]
    log = "".join(json.dumps(e) + "\n" for e in events).encode()
    ours = indicator_bundle(actor="Actor A")
    files = [
        ("indicators", ("feed-a.json", json.dumps(ours).encode(), "application/json")),
        ("observables", ("edr.jsonl", log, "application/x-ndjson")),
    ]
    r = api.post(API, data=_form(version, value_column="hosts"), files=files)
    assert r.status_code == 200, r.text  # the times are no ISO 8601 text: all rejected
    assert r.json()["matches"] == 0 and len(r.json()["rejected"]) == 3
    assert {x["reason"] for x in r.json()["rejected"]} == {"missing or malformed timestamp"}
    assert r.json()["rejected_by_reason"] == {"missing or malformed timestamp": 3}
    r = api.post(API, data=_form(version, value_column="hosts", ts_unit="minutes"), files=files)
    assert r.status_code == 422
    assert "edr.jsonl: no time unit 'minutes'" in r.json()["detail"]
    r = api.post(API, data=_form(version, value_column="hosts", ts_unit="ms"), files=files)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["rows_read"] == 3 and out["matches"] == 2 and out["rejected"] == []
    assert [a["title"] for a in out["added"]] == [
        "domain evil.example seen 2× (indicator of Actor A)"
    ]
    # the same log compressed, as it comes off a collector: read alike (the item is there)
    files[1] = ("observables", ("edr.jsonl.gz", gzip.compress(log), "application/gzip"))
    form = _form(version + 1, value_column="hosts", ts_unit="ms")
    r = api.post(API, data=form, files=files)
    assert r.status_code == 200, r.text
    assert r.json()["matches"] == 2 and r.json()["added"] == []
    assert r.json()["already_in_case"] == [out["added"][0]["id"]]


def test_nobody_adds_matches_above_their_own_clearance(cell: Cell, tmp_path: Path) -> None:
    partner = cell.api(Role.PARTNER)  # cleared up to TLP:GREEN
    version = version_of(cell.api(Role.WATCH_ANALYST), VISIBLE_CASE)
    r = partner.post(API, data=_form(version, tlp="AMBER"), files=_files(tmp_path))
    assert r.status_code == 400
    assert "above your own clearance" in r.json()["detail"]
    # an indicator's own TLP raises the item above the partner's clearance too
    marked = indicator_bundle(actor="Actor A")
    objects = marked["objects"]
    assert isinstance(objects, list)
    objects[1]["object_marking_refs"] = [
        "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"  # TLP:AMBER
    ]
    files = [
        ("indicators", ("amber.json", json.dumps(marked).encode(), "application/json")),
        *[f for f in _files(tmp_path) if f[0] == "observables"],
    ]
    r = partner.post(API, data=_form(version), files=files)
    assert r.status_code == 400
    assert "its indicator's marking makes it" in r.json()["detail"]
    assert version_of(cell.api(Role.WATCH_ANALYST), VISIBLE_CASE) == version
    # and a role that may not add evidence may not upload
    r = cell.api(Role.LEGAL_ADVISER).post(API, data=_form(version), files=_files(tmp_path))
    assert r.status_code == 403


def test_the_case_page_form_uploads_and_shows_what_matched(cell: Cell, tmp_path: Path) -> None:
    browser = cell.browser(Role.WATCH_ANALYST)
    page = browser.get(f"/cases/{VISIBLE_CASE}")
    assert 'id="add-indicator-matches"' in page.text
    assert 'enctype="multipart/form-data"' in page.text
    version = version_of(cell.api(Role.WATCH_ANALYST), VISIBLE_CASE)
    r = browser.post(
        PAGE,
        data={**_form(version), "csrf_token": csrf_of(page.text)},
        files=_files(tmp_path),
    )
    assert r.status_code == 200, r.text
    assert "2 match(es) of 2 indicator value(s) in 4 row(s); 1 evidence item(s) added" in r.text
    assert "domain evil.example seen 1× (indicator of Actor A)" in r.text
    assert "indicator actors: Crew Z" in r.text
    assert "proxy.csv row 5: not an IPv4 address (1.2.3.4.5)" in r.text
    assert "By reason: not an IPv4 address 1." in r.text
    assert "NATO UNCLASSIFIED" in r.text  # the page carries the items' marking
    case = browser.get(f"/cases/{VISIBLE_CASE}")
    assert "domain evil.example seen 1×" in case.text


def test_the_page_counts_the_rows_without_a_value_apart_from_malformed_ones(
    cell: Cell, tmp_path: Path
) -> None:
    # a mixed proxy log: a connection without a host is no malformed row
    browser = cell.browser(Role.WATCH_ANALYST)
    page = browser.get(f"/cases/{VISIBLE_CASE}")
    log = tmp_path / "proxy.jsonl"
    events = [
        {"ts": "2025-02-01T00:00:00Z", "host": "www.evil.example"},
        {"ts": "2025-02-01T00:00:01Z", "bytes": 1200},
        {"ts": "2025-02-01T00:00:02Z", "host": None},
        {"ts": "2025-02-01T00:00:03Z", "host": "evil..example"},
    ]
    log.write_text("".join(json.dumps(e) + "\n" for e in events))
    ours = indicator_bundle(actor="Actor A")
    files = [
        ("indicators", ("feed-a.json", json.dumps(ours).encode(), "application/json")),
        ("observables", ("proxy.jsonl", log.read_bytes(), "application/x-ndjson")),
    ]
    version = version_of(cell.api(Role.WATCH_ANALYST), VISIBLE_CASE)
    form = {**_form(version, value_column="host"), "csrf_token": csrf_of(page.text)}
    r = browser.post(PAGE, data=form, files=files)
    assert r.status_code == 200, r.text
    assert "1 match(es) of 1 indicator value(s) in 4 row(s)" in r.text
    assert "1 malformed row(s) skipped" in r.text
    assert "2 row(s) without a value (null, unset, blank" in r.text
    assert "By reason: not a domain name 1." in r.text


def _big_log(tmp_path: Path, rows: int) -> tuple[str, tuple[str, bytes, str]]:
    log = write_log(
        tmp_path / "big.csv",
        [(f"2025-02-01T00:00:{i % 60:02d}Z", f"host-{i}.evil.example", None) for i in range(rows)],
    )
    return ("observables", ("big.csv", log.read_bytes(), "text/csv"))


def test_an_upload_over_the_servers_limit_is_refused_saying_the_limit(
    cell: Cell, tmp_path: Path
) -> None:
    cell.max_upload_bytes = 64 << 10
    api = cell.api(Role.WATCH_ANALYST)
    before = version_of(api, VISIBLE_CASE)
    indicators = [f for f in _files(tmp_path) if f[0] == "indicators"]
    r = api.post(API, data=_form(before), files=[*indicators, _big_log(tmp_path, 3000)])
    assert r.status_code == 413
    detail = r.json()["detail"]
    assert "over this server's limit of 0.0625 MiB" in detail
    assert "--max-upload-mb" in detail and "watchfloor correlate --case" in detail
    assert version_of(api, VISIBLE_CASE) == before

    # a chunked upload states no length: it is counted as it comes, and refused alike
    request = api.build_request(
        "POST", API, data=_form(before), files=[*indicators, _big_log(tmp_path, 3000)]
    )
    body = request.read()
    chunks = (body[i : i + 8192] for i in range(0, len(body), 8192))
    headers = {"content-type": request.headers["content-type"]}
    r = api.post(API, content=chunks, headers=headers)
    assert r.status_code == 413
    assert "the upload (more than " in r.json()["detail"]  # counted, not stated
    assert version_of(api, VISIBLE_CASE) == before

    # within the limit, the same upload goes through
    r = api.post(API, data=_form(before), files=[*indicators, _big_log(tmp_path, 100)])
    assert r.status_code == 200, r.text
    assert r.json()["rows_read"] == 100


def test_the_case_page_says_the_limit_and_refuses_a_larger_upload_on_a_page(
    cell: Cell, tmp_path: Path
) -> None:
    cell.max_upload_bytes = 64 << 10
    browser = cell.browser(Role.WATCH_ANALYST)
    page = browser.get(f"/cases/{VISIBLE_CASE}")
    assert "Up to 0.0625 MiB in all per upload" in page.text
    version = version_of(cell.api(Role.WATCH_ANALYST), VISIBLE_CASE)
    r = browser.post(
        PAGE,
        data={**_form(version), "csrf_token": csrf_of(page.text)},
        files=[*_files(tmp_path), _big_log(tmp_path, 3000)],
    )
    assert r.status_code == 413
    assert "text/html" in r.headers["content-type"]
    assert "over this server&#39;s limit of 0.0625 MiB" in r.text
    assert version_of(cell.api(Role.WATCH_ANALYST), VISIBLE_CASE) == version


def test_the_case_page_form_checks_the_csrf_nonce(cell: Cell, tmp_path: Path) -> None:
    browser = cell.browser(Role.WATCH_ANALYST)
    version = version_of(cell.api(Role.WATCH_ANALYST), VISIBLE_CASE)
    r = browser.post(PAGE, data=_form(version), files=_files(tmp_path))
    assert r.status_code == 403
    assert version_of(cell.api(Role.WATCH_ANALYST), VISIBLE_CASE) == version


def test_a_partner_feed_polled_into_the_store_serves_as_the_indicators(
    cell: Cell, tmp_path: Path
) -> None:
    browser = cell.browser(Role.WATCH_ANALYST)
    assert 'name="knowledge_base" multiple' not in browser.get(f"/cases/{VISIBLE_CASE}").text
    poll_feed(cell.app)  # Actor A's indicator, now for evil2.example
    page = browser.get(f"/cases/{VISIBLE_CASE}")
    assert f'<option value="{FEED}">{FEED}</option>' in page.text
    log = write_log(tmp_path / "dns.parquet", [("2025-02-02T00:00:00Z", "a.evil2.example", None)])
    r = browser.post(
        PAGE,
        data={
            **_form(version_of(cell.api(Role.WATCH_ANALYST), VISIBLE_CASE)),
            "csrf_token": csrf_of(page.text),
            "knowledge_base": FEED,
        },
        files=[("observables", ("dns.parquet", log.read_bytes(), "application/octet-stream"))],
    )
    assert r.status_code == 200, r.text
    assert "1 match(es) of 1 indicator value(s) in 1 row(s); 1 evidence item(s) added" in r.text
    read = "Indicators from <strong>knowledge base partner-feed</strong>: 1 value(s), 1 skipped"
    assert read in r.text
    # an unknown knowledge base is named, and nothing is added
    api = cell.api(Role.WATCH_ANALYST)
    version = version_of(api, VISIBLE_CASE)
    files = [("observables", ("dns.parquet", log.read_bytes(), "application/octet-stream"))]
    r = api.post(API, data={**_form(version), "knowledge_base": "nope"}, files=files)
    assert r.status_code == 404 and "no knowledge base 'nope' is stored" in r.json()["detail"]
    r = api.post(API, data=_form(version), files=files)
    assert r.status_code == 422 and "choose the indicators" in r.json()["detail"]
    assert version_of(api, VISIBLE_CASE) == version


def test_stored_indicators_above_the_uploaders_tlp_are_not_used(cell: Cell, tmp_path: Path) -> None:
    amber = indicator_bundle(actor="Actor A")
    objects = amber["objects"]
    assert isinstance(objects, list)
    objects[1]["object_marking_refs"] = [
        "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"  # TLP:AMBER
    ]
    knowledge_base_sink(cell.app.engine, "amber-feed")(objects, "2025-01-01T00:00:00Z")
    log = write_log(tmp_path / "dns.csv", [("2025-02-02T00:00:00Z", "evil.example", None)])
    files = [("observables", ("dns.csv", log.read_bytes(), "text/csv"))]
    version = version_of(cell.api(Role.WATCH_ANALYST), VISIBLE_CASE)
    form = {**_form(version), "knowledge_base": "amber-feed"}
    # a partner cleared to TLP:GREEN: the AMBER indicator is counted, not used nor shown
    r = cell.api(Role.PARTNER).post(API, data=form, files=files)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["matches"] == 0 and out["added"] == [] and out["left_out"] == []
    assert out["indicator_sets"][0]["skipped"] == [
        "1 indicator value(s): marked above your TLP clearance; not used"
    ]
    assert "evil.example" not in r.text
    # an analyst cleared to TLP:RED uses it
    r = cell.api(Role.WATCH_ANALYST).post(API, data=form, files=files)
    assert r.status_code == 200, r.text
    assert r.json()["matches"] == 1


def test_an_event_viewer_export_is_read_in_the_time_format_named(cell: Cell) -> None:
    api = cell.api(Role.WATCH_ANALYST)
    version = version_of(api, VISIBLE_CASE)
    # Windows Event Viewer's "Save All Events As… CSV": month first, a 12-hour clock
    log = (
        b"Level,Date and Time,Source,Event ID,Task Category,value\r\n"
        b"Information,2/1/2025 1:00:00 AM,Microsoft-Windows-DNS-Client,3008,None,example.org\r\n"
        b"Warning,2/1/2025 1:00:02 PM,Microsoft-Windows-DNS-Client,3008,None,cdn.evil.example\r\n"
    )
    files = [
        ("indicators", ("feed-a.json", json.dumps(indicator_bundle(actor="Actor A")).encode())),
        ("observables", ("system.csv", log, "text/csv")),
    ]
    form = _form(version, ts_column="Date and Time", ts_format="%m/%d/%Y %I:%M:%S %Q")
    r = api.post(API, data=form, files=files)
    assert r.status_code == 422
    assert "system.csv: time format '%m/%d/%Y %I:%M:%S %Q'" in r.json()["detail"]
    form = _form(version, ts_column="Date and Time", ts_format="%m/%d/%Y %I:%M:%S %p")
    r = api.post(API, data={**form, "ts_zone": "Europe/Bruxelles"}, files=files)
    assert r.status_code == 422
    assert "system.csv: time zone 'Europe/Bruxelles'" in r.json()["detail"]
    # the export's clock is Brussels' (1:00:02 PM is 12:00:02 UTC)
    r = api.post(API, data={**form, "ts_zone": "Europe/Brussels"}, files=files)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["rows_read"] == 2 and out["matches"] == 1 and out["rejected"] == []
    assert [a["title"] for a in out["added"]] == [
        "domain evil.example seen 1× (indicator of Actor A)"
    ]


def _zipped(members: dict[str, bytes], encrypted: bool = False) -> bytes:
    """A ZIP archive of ``members`` (``encrypted``: each marked so, in its
    local and its central header, as Python's zipfile cannot write one)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    raw = bytearray(buffer.getvalue())
    if encrypted:
        for signature, flags in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            at = raw.find(signature)
            while at >= 0:
                raw[at + flags] |= 0x1
                at = raw.find(signature, at + 4)
    return bytes(raw)


def test_a_zip_archive_of_logs_is_taken_apart_and_each_log_read(
    cell: Cell, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = cell.api(Role.WATCH_ANALYST)
    version = version_of(api, VISIBLE_CASE)
    files = _files(tmp_path)
    proxy = files[2][1][1]
    dns = b'{"ts": "2025-02-01T00:00:05Z", "query": "cdn.evil.example"}\n'

    def logs(dns: bytes) -> bytes:
        return _zipped(
            {
                "collected/proxy.csv": proxy,
                "collected/zeek/dns.jsonl": dns,
                "../../outside.csv": proxy,  # kept inside the server's folder
                "__MACOSX/collected/._proxy.csv": b"\x00\x05\x16\x07",  # macOS's, not a log
            }
        )

    files[2] = ("observables", ("logs.zip", logs(dns), "application/zip"))
    r = api.post(API, data=_form(version), files=files)
    assert r.status_code == 422  # the DNS log's value column has no usual name: by its path
    assert "logs.zip/collected/zeek/dns.jsonl: no value column" in r.json()["detail"]
    files[2] = ("observables", ("logs.zip", logs(dns.replace(b"query", b"value")), "x"))
    r = api.post(API, data=_form(version), files=files)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["logs"] == [
        "logs.zip/collected/proxy.csv",
        "logs.zip/collected/zeek/dns.jsonl",
        "logs.zip/outside.csv",
    ]
    assert out["rows_read"] == 4 + 1 + 4 and out["matches"] == 2 + 1 + 2
    assert {x["file"] for x in out["rejected"]} == {
        "logs.zip/collected/proxy.csv",
        "logs.zip/outside.csv",
    }
    # a ZIP bomb, and an encrypted log, refuse the archive by name
    monkeypatch.setattr(archive_module, "UNPACK_MAX_BYTES", 1000)
    files[2] = ("observables", ("big.zip", _zipped({"a.csv": proxy * 10}), "x"))
    r = api.post(API, data=_form(version), files=files)
    assert r.status_code == 422
    assert r.json()["detail"].startswith("big.zip: expands past 0 MiB")
    monkeypatch.undo()
    files[2] = ("observables", ("sealed.zip", _zipped({"a.csv": proxy}, encrypted=True), "x"))
    r = api.post(API, data=_form(version), files=files)
    assert r.status_code == 422
    assert r.json()["detail"] == "sealed.zip: a.csv is encrypted"
    assert version_of(api, VISIBLE_CASE) == version + 1  # only the good upload added
