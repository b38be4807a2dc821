"""Print the command reference for docs/cli.md from the click command tree.

Usage: .venv/bin/python scripts/cli-reference.py > /tmp/ref.md  (then paste into docs/cli.md)
"""

from __future__ import annotations

import click

from watchfloor.entrypoints.cli import main


def walk(ctx: click.Context, cmd: click.Command, path: list[str]) -> None:
    if isinstance(cmd, click.Group):
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            if sub is not None:
                walk(ctx, sub, [*path, name])
        return
    usage = " ".join(cmd.collect_usage_pieces(ctx))
    print(f"### `{' '.join(path)}`\n")
    print(f"    {' '.join(path)} {usage}\n")
    print((cmd.help or "").strip().replace("\b\n", "") + "\n")
    opts = [p for p in cmd.params if isinstance(p, click.Option)]
    if opts:
        print("| option | meaning |\n|---|---|")
        for o in opts:
            print(f"| `{', '.join(o.opts)}` | {(o.help or '').strip()} |")
        print()


if __name__ == "__main__":
    walk(click.Context(main), main, ["watchfloor"])
