"""`watchfloor audit`: inspect and verify the tamper-evident audit trail."""

from __future__ import annotations

import click

from watchfloor.domain.audit import verify_chain
from watchfloor.entrypoints.cli._common import app_from


@click.group()
def audit() -> None:
    """The append-only, hash-chained audit trail."""


@audit.command("verify")
@click.pass_context
def audit_verify(ctx: click.Context) -> None:
    """Check every entry's hash and link; exit 1 on any altered, removed or reordered entry."""
    app = app_from(ctx, migrate=False)
    with app.uow() as uow:
        entries = uow.audit.entries()
    problems = verify_chain(entries)
    if problems:
        for p in problems:
            click.echo(f"entry {p.seq}: {p.problem}", err=True)
        click.echo(f"audit trail BROKEN: {len(problems)} problem(s) in {len(entries)} entries")
        ctx.exit(1)
    head = entries[-1].hash[:16] if entries else "-"
    click.echo(f"audit trail intact: {len(entries)} entries, head {head}")


@audit.command("show")
@click.option("--case", "case_id", default=None, help="Only the entries of this case.")
@click.option("--limit", default=50, show_default=True)
@click.pass_context
def audit_show(ctx: click.Context, case_id: str | None, limit: int) -> None:
    """Print the newest entries."""
    app = app_from(ctx, migrate=False)
    with app.uow() as uow:
        entries = uow.audit.entries(case_id)
    for e in entries[-limit:]:
        click.echo(f"{e.seq:>6} {e.at.isoformat()} {e.actor:<16} {e.action:<22} {e.subject}")
