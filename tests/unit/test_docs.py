"""Every command and every setting is documented (a cheap test, as Datasette does)."""

from __future__ import annotations

from pathlib import Path

import click

from watchfloor.entrypoints.cli import main

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _command_paths() -> list[str]:
    ctx = click.Context(main)
    out: list[str] = []

    def walk(cmd: click.Command, path: list[str]) -> None:
        if isinstance(cmd, click.Group):
            for name in cmd.list_commands(ctx):
                sub = cmd.get_command(ctx, name)
                assert sub is not None
                walk(sub, [*path, name])
        else:
            out.append(" ".join(path))

    walk(main, ["watchfloor"])
    return out


def test_every_command_is_in_the_cli_reference() -> None:
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    missing = [p for p in _command_paths() if f"`{p}" not in text]
    assert missing == [], f"document these in docs/cli.md: {missing}"


def test_every_environment_setting_is_documented() -> None:
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert "WATCHFLOOR_DATABASE_URL" in text
