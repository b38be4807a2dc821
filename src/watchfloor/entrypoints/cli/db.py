"""`watchfloor db`: schema migrations."""

from __future__ import annotations

import click

from watchfloor.adapters.db.engine import current_revisions, head_revisions, upgrade
from watchfloor.entrypoints.cli._common import app_from, clean_errors


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="heads", show_default=True, help="Target revision.")
@click.pass_context
@clean_errors
def db_upgrade(ctx: click.Context, revision: str) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    app = app_from(ctx, migrate=False)
    upgrade(app.engine, revision)
    click.echo(f"{app.url}: schema at {_text(current_revisions(app.engine))}")


@db.command("current")
@click.pass_context
def db_current(ctx: click.Context) -> None:
    """Show the schema revision of the database and the newest one available."""
    app = app_from(ctx, migrate=False)
    current = _text(current_revisions(app.engine)) or "empty"
    click.echo(f"database: {current}; newest: {_text(head_revisions())}")


def _text(revisions: frozenset[str]) -> str:
    return ", ".join(sorted(revisions))
