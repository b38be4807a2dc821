"""`watchfloor serve`: the shared 24/7 service (JSON API and pages) under uvicorn.

`--demo` first makes the database a demonstration cell: the bundled hybrid
scenario's evidence is played into it, rebased so the incident was detected a
few hours ago (legal reviews and the decision are left for people to make),
and one user per role is created with the documented demo password.
"""

from __future__ import annotations

import dataclasses
import os
from datetime import datetime, timedelta
from pathlib import Path

import click

from watchfloor.adapters.scenario import load_scenario
from watchfloor.bootstrap import App
from watchfloor.domain.errors import ConflictError
from watchfloor.domain.markings import NATO, TLP, Classification, Clearance
from watchfloor.domain.scenario import EvidenceInject, Scenario
from watchfloor.domain.users import Role
from watchfloor.entrypoints.cli._common import app_from, clean_errors
from watchfloor.entrypoints.web import MAX_UPLOAD_MB
from watchfloor.service import cases
from watchfloor.service import users as user_service
from watchfloor.service.exercise import run_scenario

#: The documented password of every demo user (docs/web.md). Demo databases only.
DEMO_PASSWORD = "watchfloor-demo"
DEMO_SCENARIO = "hybrid-satcom-outage.yaml"

#: One demo user per role: (username, role, clearance).
DEMO_USERS: tuple[tuple[str, Role, Clearance], ...] = (
    ("watch", Role.WATCH_ANALYST, Clearance(Classification.SECRET)),
    ("space", Role.SPACE_ANALYST, Clearance(Classification.SECRET)),
    ("legal", Role.LEGAL_ADVISER, Clearance(Classification.SECRET)),
    ("decider", Role.DECISION_MAKER, Clearance(Classification.COSMIC_TOP_SECRET)),
    (
        "partner",
        Role.PARTNER,
        Clearance(Classification.RESTRICTED, frozenset({"EST"}), TLP.GREEN),
    ),
    ("director", Role.EXERCISE_DIRECTOR, Clearance(Classification.SECRET)),
    ("admin", Role.ADMINISTRATOR, Clearance(Classification.RESTRICTED, frozenset({NATO}))),
)


def find_demo_scenario() -> Path:
    """The bundled scenario: ./scenarios, else the source checkout's scenarios folder."""
    for base in (Path.cwd(), *Path(__file__).resolve().parents):
        candidate = base / "scenarios" / DEMO_SCENARIO
        if candidate.is_file():
            return candidate
    raise click.ClickException(f"cannot find scenarios/{DEMO_SCENARIO}; run from the project root")


def rebase(scenario: Scenario, detected: datetime) -> Scenario:
    """The scenario shifted in time so that its incident is detected at `detected`."""
    shift = detected - scenario.incident.detected
    incident = dataclasses.replace(
        scenario.incident,
        occurred=scenario.incident.occurred + shift,
        detected=scenario.incident.detected + shift,
    )
    injects = tuple(
        dataclasses.replace(i, at=i.at + shift)
        for i in scenario.injects
        if isinstance(i.action, EvidenceInject)
    )
    return dataclasses.replace(
        scenario, start=scenario.start + shift, incident=incident, injects=injects
    )


def seed_demo(app: App, scenario_path: Path | None = None) -> tuple[str | None, list[str]]:
    """Load the demo case (unless a case of that scenario exists) and the demo users.

    Returns the id of the case it opened (None when one was there) and the users it created.
    """
    path = scenario_path or find_demo_scenario()
    with app.uow() as uow:
        policies = cases.active_policies(uow)
        scenario = load_scenario(path, policies)
        present = any(s.exercise == scenario.id for s in uow.cases.summaries())
    opened = None
    if not present:
        now = app.clock()
        # Detected 4 hours ago; the evidence arrives as scripted, the last item just now.
        live = rebase(scenario, now - timedelta(hours=4))
        last = max((i.at for i in live.injects), default=now)
        live = rebase(scenario, now - timedelta(hours=4) - (last - now))
        run = run_scenario(lambda clock: app.uow(clock), live)
        opened = run.case.id
    created = []
    from watchfloor.entrypoints.web.auth import users_uow

    with users_uow(app) as uow:
        for username, role, clearance in DEMO_USERS:
            try:
                user_service.add_user(
                    uow,
                    username,
                    f"Demo {role.label}",
                    role,
                    clearance,
                    DEMO_PASSWORD,
                    "demo-setup",
                    app.clock(),
                )
            except ConflictError:
                continue
            created.append(username)
    return opened, created


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--demo",
    is_flag=True,
    help="Load the bundled hybrid scenario and create one demo user per role first.",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes (one per core is a good start).",
)
@click.option("--secure-cookies", is_flag=True, help="Mark cookies Secure (behind HTTPS).")
@click.option(
    "--catalog",
    "catalog_path",
    envvar="WATCHFLOOR_CATALOG",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="TLE or OMM file the space page screens against (env WATCHFLOOR_CATALOG).",
)
@click.option(
    "--satcat",
    "satcat_path",
    envvar="WATCHFLOOR_SATCAT",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="SATCAT CSV for owners on the space page (env WATCHFLOOR_SATCAT).",
)
@click.option(
    "--max-upload-mb",
    envvar="WATCHFLOOR_MAX_UPLOAD_MB",
    default=MAX_UPLOAD_MB,
    show_default=True,
    type=click.IntRange(1, 1 << 20),
    help="The most one request may upload, in MiB: all of a correlation's logs and "
    "indicator files together (env WATCHFLOOR_MAX_UPLOAD_MB).",
)
@click.pass_context
@clean_errors
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    demo: bool,
    workers: int,
    secure_cookies: bool,
    catalog_path: Path | None,
    satcat_path: Path | None,
    max_upload_mb: int,
) -> None:
    """Run the web service: JSON API (OpenAPI at /openapi.json) and pages."""
    import uvicorn

    from watchfloor.entrypoints.web.app import create_app, ready_to_serve
    from watchfloor.entrypoints.web.space import SpaceCatalog

    if satcat_path is not None and catalog_path is None:
        raise click.UsageError("--satcat needs --catalog")
    space = None
    if catalog_path is not None:
        space = SpaceCatalog.from_files(catalog_path, satcat_path)
        click.echo(
            f"Space page: {len(space.catalog)} objects from {space.label}"
            + (f" ({space.bad_records} bad records skipped)" if space.bad_records else "")
        )
    app = app_from(ctx)
    if demo:
        opened, created = seed_demo(app)
        if opened:
            click.echo(f"Demo case {opened} loaded from the bundled hybrid scenario.")
        else:
            click.echo("Demo case already loaded.")
        for username, role, _ in DEMO_USERS:
            state = "created" if username in created else "exists"
            click.echo(f"  user {username:<9} {role.label:<18} ({state})")
        click.echo(f"Demo password for every demo user: {DEMO_PASSWORD}")
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    click.echo(f"Watchfloor is serving at http://{shown}:{port}/ (database {app.url})")
    click.echo(f"API description: http://{shown}:{port}/openapi.json")
    if workers > 1:
        # Worker processes import the app by name and rebuild it from the environment.
        os.environ["WATCHFLOOR_DATABASE_URL"] = app.engine.url.render_as_string(hide_password=False)
        os.environ["WATCHFLOOR_SECURE_COOKIES"] = "1" if secure_cookies else "0"
        os.environ["WATCHFLOOR_MAX_UPLOAD_MB"] = str(max_upload_mb)
        for name, path in (("CATALOG", catalog_path), ("SATCAT", satcat_path)):
            if path is not None:
                os.environ[f"WATCHFLOOR_{name}"] = str(path.resolve())
        app.engine.dispose()
        uvicorn.run(
            "watchfloor.entrypoints.web.asgi:app_factory",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
        )
        return
    asgi = create_app(
        app, secure_cookies=secure_cookies, space=space, max_upload_bytes=max_upload_mb << 20
    )
    ready_to_serve()
    uvicorn.Server(uvicorn.Config(asgi, host=host, port=port, log_level="warning")).run()
