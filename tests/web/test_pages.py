"""Server-rendered pages through a signed-in browser session: forms, CSRF, escaping, conflicts."""

from __future__ import annotations

from tests.web.conftest import PASSWORD, VISIBLE_CASE, Cell, csrf_of, version_of
from watchfloor.domain.users import Role


def _evidence_form(csrf: str, version: int, title: str) -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "expected_version": str(version),
        "title": title,
        "source": "watch floor",
        "grade": "C3",
        "evidence_class": "tradecraft",
        "likelihoods": "A=0.5, other=0.1",
        "classification": "NU",
        "releasable_to": "NATO",
        "tlp": "TLP:GREEN",
    }


def test_pages_need_a_session_and_a_wrong_password_is_refused(cell: Cell) -> None:
    anon = cell.api(None)
    anon.follow_redirects = False
    r = anon.get(f"/cases/{VISIBLE_CASE}")
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    page = anon.get("/login")
    r = anon.post(
        "/login",
        data={
            "username": "watch-analyst",
            "password": "wrong-pass",
            "csrf_token": csrf_of(page.text),
        },
    )
    assert r.status_code == 401 and "Unknown user or wrong password" in r.text
    r = anon.post(
        "/login", data={"username": "watch-analyst", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert r.status_code == 403


def test_a_form_without_the_csrf_nonce_is_refused_and_writes_nothing(cell: Cell) -> None:
    browser = cell.browser(Role.WATCH_ANALYST)
    v = version_of(browser, VISIBLE_CASE)
    form = _evidence_form("forged", v, "forged report")
    r = browser.post(f"/cases/{VISIBLE_CASE}/evidence", data=form)
    assert r.status_code == 403 and "CSRF" in r.text
    assert version_of(browser, VISIBLE_CASE) == v


def test_an_added_item_shows_escaped_and_a_stale_form_gets_409(cell: Cell) -> None:
    browser = cell.browser(Role.WATCH_ANALYST)
    page = browser.get(f"/cases/{VISIBLE_CASE}")
    csrf, v = csrf_of(page.text), version_of(browser, VISIBLE_CASE)
    hostile = "<script>alert('x')</script>"
    r = browser.post(f"/cases/{VISIBLE_CASE}/evidence", data=_evidence_form(csrf, v, hostile))
    assert r.status_code == 200 and "Evidence added" in r.text
    assert hostile not in r.text and "&lt;script&gt;" in r.text

    stale = browser.post(f"/cases/{VISIBLE_CASE}/evidence", data=_evidence_form(csrf, v, "late"))
    assert stale.status_code == 409
    assert "someone else changed it" in stale.text


def test_a_bad_form_gets_a_4xx_page_naming_the_problem(cell: Cell) -> None:
    browser = cell.browser(Role.WATCH_ANALYST)
    page = browser.get(f"/cases/{VISIBLE_CASE}")
    form = _evidence_form(csrf_of(page.text), version_of(browser, VISIBLE_CASE), "x")
    form["likelihoods"] = "A=lots"
    r = browser.post(f"/cases/{VISIBLE_CASE}/evidence", data=form)
    assert r.status_code == 400 and "ACTOR=PROBABILITY" in r.text
    form["likelihoods"], form["grade"] = "", "Q7"
    r = browser.post(f"/cases/{VISIBLE_CASE}/evidence", data=form)
    assert r.status_code == 400 and "invalid Admiralty grade" in r.text


def test_board_queue_audit_and_policies_render_for_an_analyst(cell: Cell) -> None:
    browser = cell.browser(Role.WATCH_ANALYST)
    board = browser.get("/")
    assert VISIBLE_CASE in board.text and "Time left" in board.text
    assert "Pending reviews" in browser.get("/reviews").text
    assert "case.opened" in browser.get("/audit").text
    assert "in force" in browser.get("/policies").text


def test_a_server_process_readies_templates_and_kernel_and_freezes_what_lives_long() -> None:
    # in a process of its own: frozen objects are never collected
    import subprocess
    import sys

    code = (
        "import gc\n"
        "from watchfloor.entrypoints.web.app import ready_to_serve\n"
        "from watchfloor.entrypoints.web.pages import _env\n"
        "from watchfloor.engines.correlation import _compiled\n"
        "ready_to_serve()\n"
        "print(gc.get_freeze_count(), len(_env().cache or {}),"
        " len(_compiled._scan_rows_nb.signatures))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    frozen, compiled, kernel = (int(x) for x in out.stdout.split())
    assert frozen > 50_000  # the libraries, the app and its templates
    assert compiled >= 18  # every page and report template, before the first request
    assert kernel == 1  # the correlation kernel's machine code, loaded
