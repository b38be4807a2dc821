"""The `watchfloor` command line. Each command group lives in its own module.

Groups are imported only when invoked, so `watchfloor audit verify` does not
pay for PDF fonts, orbital kernels or the web framework.
"""

from __future__ import annotations

import importlib
import importlib.util

import click

from watchfloor import __version__

#: Command name -> "module:attribute". Add a line here to register a new group.
COMMANDS: dict[str, str] = {
    "attribute": "watchfloor.entrypoints.cli.attribute:attribute",
    "audit": "watchfloor.entrypoints.cli.audit:audit",
    "correlate": "watchfloor.entrypoints.cli.correlate:correlate",
    "db": "watchfloor.entrypoints.cli.db:db",
    "exercise": "watchfloor.entrypoints.cli.exercise:exercise",
    "kb": "watchfloor.entrypoints.cli.kb:kb",
    "misp": "watchfloor.entrypoints.cli.share:misp",
    "policy": "watchfloor.entrypoints.cli.policy:policy",
    "serve": "watchfloor.entrypoints.cli.serve:serve",
    "share": "watchfloor.entrypoints.cli.share:share",
    "space": "watchfloor.entrypoints.cli.space:space",
    "taxii": "watchfloor.entrypoints.cli.share:taxii",
    "users": "watchfloor.entrypoints.cli.users:users",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._available()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = super().get_command(ctx, cmd_name)
        if found is not None or cmd_name not in self._available():
            return found
        module, attr = COMMANDS[cmd_name].split(":")
        command = getattr(importlib.import_module(module), attr)
        if not isinstance(command, click.Command):
            raise TypeError(f"{COMMANDS[cmd_name]} is not a click command")
        return command

    @staticmethod
    def _available() -> list[str]:
        return [
            name
            for name, target in COMMANDS.items()
            if importlib.util.find_spec(target.split(":")[0]) is not None
        ]


@click.group(cls=LazyGroup)
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
