"""The watch floor in a real browser: headless Chromium against a real uvicorn server.

Sign in, open the demo case, approve an option as legal adviser, record the
decision as decision-maker, download the PDF. A screenshot of the case page is
left in test-artifacts/case-page.png.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from argon2 import PasswordHasher

from tests.conftest import REPO
from watchfloor.bootstrap import bootstrap
from watchfloor.entrypoints.cli.serve import DEMO_PASSWORD, seed_demo
from watchfloor.entrypoints.web.app import create_app
from watchfloor.service import users as user_service

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install chromium)"
    ),
]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The demo cell served by uvicorn on a free loopback port, in a thread."""
    with _serve(tmp_path) as served:
        yield served


@pytest.fixture
def small_upload_server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The same, taking uploads of up to 1 MiB."""
    with _serve(tmp_path, max_upload_bytes=1 << 20) as served:
        yield served


@pytest.fixture
def space_server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The same, its space page screening the nine-object slice of the real catalog."""
    from tests.web.conftest import nine_object_catalog

    with _serve(tmp_path, space=nine_object_catalog(tmp_path)) as served:
        yield served


@contextmanager
def _serve(tmp_path: Path, **settings: Any) -> Iterator[tuple[str, str]]:
    """(address, the demo case's id), ``settings`` given to ``create_app``."""
    user_service.use_password_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    app = bootstrap(f"sqlite:///{tmp_path / 'watchfloor.sqlite'}")
    case_id, _ = seed_demo(app)
    assert case_id is not None
    asgi = create_app(app, **settings)
    config = uvicorn.Config(asgi, host="127.0.0.1", port=0, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    port = srv.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", case_id
    finally:
        srv.should_exit = True
        thread.join(timeout=10)
        app.engine.dispose()
        user_service.use_password_hasher(PasswordHasher())


def test_sign_in_review_decide_and_download_the_package(
    server: tuple[str, str], tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, case_id = server
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                base_url=base, accept_downloads=True, viewport={"width": 1400, "height": 1000}
            )
            page = context.new_page()

            def sign_in(username: str) -> None:
                page.goto("/login")
                page.get_by_label("User name").fill(username)
                page.get_by_label("Password").fill(DEMO_PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                expect(page.get_by_role("heading", name="Case board")).to_be_visible()

            # The legal adviser opens the demo case from the board and approves an option.
            sign_in("legal")
            page.get_by_role("link", name=case_id).click()
            expect(page.locator("#hypothesis-chart")).to_be_visible()
            expect(page.locator("#clock-timeline")).to_be_visible()
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "case-page.png"), full_page=True)

            row = page.locator("#options tr.eligible").filter(has=page.locator("form")).first
            option_id = (row.get_attribute("id") or "").removeprefix("option-")
            assert option_id, "the demo case should have an eligible option to review"
            row.locator("select[name=outcome]").select_option("approved")
            row.locator("textarea[name=reasons]").fill(
                "Proportionate and lawful; within the mandate."
            )
            row.get_by_role("button", name="Record review").click()
            expect(page.get_by_role("status")).to_contain_text("Legal review recorded")
            expect(page.locator(f"#option-{option_id} .legal-status")).to_contain_text("approved")
            page.get_by_role("button", name="Sign out").click()

            # The decision-maker chooses the cleared option and downloads the package.
            sign_in("decider")
            page.goto(f"/cases/{case_id}/decision")
            page.locator(f"input[name=chosen][value='{option_id}']").check()
            page.get_by_label("Rationale").fill("Cleared, proportionate and within the deadline.")
            page.get_by_role("button", name="Record the decision").click()
            expect(page.locator("#decision-recorded")).to_contain_text("by decider")

            with page.expect_download() as info:
                page.locator("#package-pdf").click()
            target = tmp_path / "package.pdf"
            info.value.save_as(target)
            assert target.read_bytes().startswith(b"%PDF")
            context.close()
        finally:
            browser.close()


def _sign_in(page: Any, username: str) -> None:
    page.goto("/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _sandworm_hypothesis(page: Any, case_id: str) -> None:
    """Sign in as the watch analyst and add Sandworm, alias G0034 and Voodoo Bear."""
    from playwright.sync_api import expect

    _sign_in(page, "watch")
    page.goto(f"/cases/{case_id}")
    hypothesis = page.locator("#add-hypothesis")
    hypothesis.get_by_label("Hypothesis id").fill("H-SW")
    hypothesis.get_by_label("Label", exact=True).fill("Sandworm did it")
    hypothesis.get_by_label("Actor id", exact=True).fill("SANDWORM")
    hypothesis.get_by_label("New actor's name").fill("Sandworm")
    hypothesis.get_by_label("Aliases").fill("G0034, Voodoo Bear")
    hypothesis.get_by_role("button", name="Add hypothesis").click()
    expect(page.get_by_role("status")).to_contain_text("Hypothesis added")


def test_an_analyst_adds_attack_observations_that_link_to_a_new_hypothesis(
    server: tuple[str, str], tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    from tests.conftest import SHARED_DATA
    from watchfloor.adapters.db.engine import make_engine
    from watchfloor.adapters.db.kb_repository import KnowledgeBaseRepository
    from watchfloor.adapters.stix import read_bundle

    engine = make_engine(f"sqlite:///{tmp_path / 'watchfloor.sqlite'}")
    bundle = read_bundle(SHARED_DATA / "attack" / "ics-attack-18.1.json")
    KnowledgeBaseRepository(engine).add(bundle, "ics-attack", "18.1")
    engine.dispose()
    base, case_id = server
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(base_url=base, viewport={"width": 1400, "height": 1000})
            _sandworm_hypothesis(page, case_id)

            attack = page.locator("#add-attack")
            expect(attack.get_by_label("Knowledge base")).to_have_value("ics-attack@18.1")
            attack.get_by_label("Techniques").fill("T0803, T0804 T0805\nT0807 T0813 T0814")
            attack.get_by_label("Software").fill("S0089")
            attack.get_by_label("Source").fill("utility CERT report")
            attack.get_by_label("Admiralty grade").fill("B2")
            attack.get_by_role("button", name="Score and add").click()
            expect(page.get_by_role("status")).to_contain_text("ATT&CK observation scored")
            expect(page.locator("#evidence")).to_contain_text("SANDWORM = G0034")
            expect(page.locator("#evidence")).to_contain_text("Most probable intrusion sets")
            ARTIFACTS.mkdir(exist_ok=True)
            page.locator("#evidence").screenshot(path=str(ARTIFACTS / "attack-evidence.png"))
        finally:
            browser.close()


def test_an_analyst_uploads_a_log_and_an_indicator_set_from_the_case_page(
    server: tuple[str, str],
    tmp_path: Path,
    held_log_reader: tuple[threading.Event, threading.Event],
) -> None:
    import json

    from playwright.sync_api import expect, sync_playwright

    from tests.unit.correlation.helpers import indicator_bundle, write_log

    bundle = tmp_path / "cert-feed.json"
    bundle.write_text(json.dumps(indicator_bundle(actor="Voodoo Bear")))
    log = write_log(
        tmp_path / "proxy.jsonl",
        [
            ("2025-02-01T00:00:00Z", "cdn.evil.example", "domain"),
            ("2025-02-01T00:00:01Z", "example.org", "domain"),
            ("2025-02-01T00:00:02Z", "not a hash", "sha256"),
        ],
    )
    base, case_id = server
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(base_url=base, viewport={"width": 1400, "height": 1000})
            _sandworm_hypothesis(page, case_id)

            upload = page.locator("#add-indicator-matches")
            upload.get_by_label("Indicator sets").set_input_files(str(bundle))
            upload.get_by_label("Logs").set_input_files(str(log))
            upload.get_by_label("Admiralty grade").fill("B3")
            upload.get_by_role("button", name="Correlate and add").click()
            # while the server reads the log (held here), the form shows its step
            status = upload.get_by_role("status")
            expect(status).to_contain_text("Correlating the logs")
            expect(upload.get_by_role("button", name="Correlate and add")).to_be_disabled()
            ARTIFACTS.mkdir(exist_ok=True)
            status.screenshot(path=str(ARTIFACTS / "upload-progress.png"))
            held_log_reader[1].set()
            summary = page.locator("#match-summary")
            expect(summary).to_contain_text("1 match(es) of 1 indicator value(s) in 3 row(s)")
            expect(summary).to_contain_text("1 evidence item(s) added")
            expect(page.locator("#added")).to_contain_text("SANDWORM")
            expect(page.locator("#rejected")).to_contain_text("proxy.jsonl row 3: not a SHA-256")
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "indicator-matches.png"), full_page=True)

            page.get_by_role("link", name="Back to the case").click()
            expect(page.locator("#evidence")).to_contain_text(
                "domain evil.example seen 1× (indicator of Voodoo Bear)"
            )
        finally:
            browser.close()


def test_logs_over_the_upload_limit_are_refused_before_any_is_sent(
    small_upload_server: tuple[str, str], tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    big = tmp_path / "netflow.csv"
    row = "2025-02-01T00:00:00Z,198.51.100.23,ipv4\n"
    big.write_text("timestamp,value,type\n" + row * (2 * (1 << 20) // len(row)))
    base, case_id = small_upload_server
    posts: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(base_url=base)
            _sign_in(page, "watch")
            page.goto(f"/cases/{case_id}")
            page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
            upload = page.locator("#add-indicator-matches")
            upload.get_by_label("Logs").set_input_files(str(big))
            upload.get_by_role("button", name="Correlate and add").click()
            expect(upload.get_by_role("status")).to_contain_text(
                "The files chosen hold 2.0 MiB, over this server's limit of 1.0 MiB"
            )
            assert posts == []
            assert page.url.endswith(f"/cases/{case_id}")
        finally:
            browser.close()


def test_the_space_page_shows_the_screening_step_then_the_approaches(
    space_server: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from playwright.sync_api import expect, sync_playwright

    from tests.web.conftest import SCREEN
    from watchfloor.entrypoints.web import space

    release = threading.Event()
    real = space.screen_victim

    def held(*args: Any, **kwargs: Any) -> Any:
        assert release.wait(60), "the test never released the screening"
        return real(*args, **kwargs)

    monkeypatch.setattr(space, "screen_victim", held)
    base, _ = space_server
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(base_url=base)
            _sign_in(page, "space")
            page.goto("/space")
            form = page.locator("#screen")
            for name, value in SCREEN.items():
                form.locator(f"input[name={name}]").fill(value)
            form.get_by_role("button", name="Screen").click()
            expect(form.get_by_role("status")).to_contain_text("Screening the catalog")
            release.set()
            expect(page.locator("#approaches")).to_contain_text("7727 COSMOS 724")
            # the address a plain submit would show, without the progress token
            assert "victim=6126" in page.url and "progress_token" not in page.url
        finally:
            release.set()
            browser.close()
