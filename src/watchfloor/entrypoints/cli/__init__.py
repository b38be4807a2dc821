"""The `watchfloor` command line. Each command group lives in its own module."""

from __future__ import annotations

import click

from watchfloor import __version__


@click.group()
@click.version_option(__version__, prog_name="watchfloor")
@click.option(
    "--db",
    "database_url",
    envvar="WATCHFLOOR_DATABASE_URL",
    default=None,
    help="Database URL (default: SQLite file watchfloor.sqlite in the working directory).",
)
@click.pass_context
def main(ctx: click.Context, database_url: str | None) -> None:
    """Watchfloor: from detection to an alliance decision, in hours."""
    ctx.ensure_object(dict)
    ctx.obj["database_url"] = database_url


def _register() -> None:
    # Command groups register here, one import per module.
    from watchfloor.entrypoints.cli.audit import audit
    from watchfloor.entrypoints.cli.db import db
    from watchfloor.entrypoints.cli.exercise import exercise
    from watchfloor.entrypoints.cli.policy import policy

    for group in (audit, db, exercise, policy):
        main.add_command(group)
    from watchfloor.entrypoints.cli.attribute import attribute

    main.add_command(attribute)
    from watchfloor.entrypoints.cli.kb import kb

    main.add_command(kb)
    from watchfloor.entrypoints.cli.serve import serve
    from watchfloor.entrypoints.cli.users import users

    main.add_command(serve)
    main.add_command(users)
    from watchfloor.entrypoints.cli.space import space

    main.add_command(space)


_register()
