"""`watchfloor policy`: load and inspect the versioned policies."""

from __future__ import annotations

from pathlib import Path

import click

from watchfloor.adapters.policies import read_policy_texts
from watchfloor.entrypoints.cli._common import app_from, clean_errors
from watchfloor.service import cases


@click.group()
def policy() -> None:
    """Thresholds, evidence standards and the response menu."""


@policy.command("load")
@click.argument(
    "directory", type=click.Path(exists=True, file_okay=False, path_type=Path), required=False
)
@click.option("--by", default="administrator", show_default=True, help="Who loads them.")
@click.pass_context
@clean_errors
def policy_load(ctx: click.Context, directory: Path | None, by: str) -> None:
    """Validate the three policy files in DIRECTORY (default: the bundled ones) and activate them.

    A set with any error is refused whole; a version already stored with other
    text is refused (give a changed policy a new version).
    """
    app = app_from(ctx)
    texts = read_policy_texts(directory)
    with app.uow() as uow:
        changed = cases.install_policies(uow, texts, by, app.clock())
    for kind, t in sorted(texts.items()):
        state = "activated" if kind in changed else "already active"
        click.echo(f"{kind:<20} {t.version:<10} {state}")


@policy.command("show")
@click.pass_context
def policy_show(ctx: click.Context) -> None:
    """List the active policy versions."""
    app = app_from(ctx)
    with app.uow() as uow:
        for kind, s in sorted(uow.policies.active().items()):
            click.echo(f"{kind:<20} {s.version:<10} sha256:{s.sha256[:12]}")
