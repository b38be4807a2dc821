"""`watchfloor users`: accounts, clearances and API tokens (administration)."""

from __future__ import annotations

import getpass

import click

from watchfloor.domain.markings import NATO, TLP, Classification, Clearance
from watchfloor.domain.users import Role
from watchfloor.entrypoints.cli._common import app_from, clean_errors
from watchfloor.entrypoints.web.auth import users_uow
from watchfloor.service import users as user_service

ROLES = [r.code for r in Role]


def _clearance(level: str, audiences: str, max_tlp: str) -> Clearance:
    groups = frozenset(a.strip() for a in audiences.split(",") if a.strip())
    return Clearance(Classification.parse(level), groups, TLP.parse(max_tlp))


def _by() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


@click.group()
def users() -> None:
    """User accounts: roles decide what one may do, clearances what one may see."""


@users.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--name", "display_name", default="", help="Display name (default: the username).")
@click.option("--clearance", "level", default="NU", show_default=True, help="NU, NR, NC, NS, CTS.")
@click.option(
    "--audiences", default=NATO, show_default=True, help="Comma-separated groups (NATO, EST, ...)."
)
@click.option("--max-tlp", default="RED", show_default=True)
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    envvar="WATCHFLOOR_NEW_PASSWORD",
    help="Prompted for when not given (or set WATCHFLOOR_NEW_PASSWORD).",
)
@click.pass_context
@clean_errors
def users_add(
    ctx: click.Context,
    username: str,
    role: str,
    display_name: str,
    level: str,
    audiences: str,
    max_tlp: str,
    password: str,
) -> None:
    """Create USERNAME with a role, a clearance and a password (argon2-hashed)."""
    app = app_from(ctx)
    clearance = _clearance(level, audiences, max_tlp)
    with users_uow(app) as uow:
        user = user_service.add_user(
            uow, username, display_name, Role.parse(role), clearance, password, _by(), app.clock()
        )
    click.echo(f"user {user.username} added: {user.role.label}, cleared {_describe(clearance)}")


def _describe(c: Clearance) -> str:
    return f"{c.level.code}, audiences {', '.join(sorted(c.audiences)) or '-'}, {c.max_tlp.label}"


@users.command("list")
@click.pass_context
@clean_errors
def users_list(ctx: click.Context) -> None:
    """List users with their role and clearance."""
    app = app_from(ctx)
    with users_uow(app, read_only=True) as uow:
        accounts = user_service.list_users(uow)
    for u in accounts:
        state = "" if u.active else "  (disabled)"
        click.echo(f"{u.username:<20} {u.role.code:<18} {_describe(u.clearance)}{state}")


@users.command("set-clearance")
@click.argument("username")
@click.option("--clearance", "level", required=True, help="NU, NR, NC, NS, CTS.")
@click.option("--audiences", default=NATO, show_default=True)
@click.option("--max-tlp", default="RED", show_default=True)
@click.pass_context
@clean_errors
def users_set_clearance(
    ctx: click.Context, username: str, level: str, audiences: str, max_tlp: str
) -> None:
    """Set USERNAME's clearance; the user's open sessions end."""
    app = app_from(ctx)
    clearance = _clearance(level, audiences, max_tlp)
    with users_uow(app) as uow:
        user_service.set_clearance(uow, username, clearance, _by(), app.clock())
    click.echo(f"user {username} cleared {_describe(clearance)}; their sessions have ended")


@users.command("rotate-token")
@click.argument("username")
@click.pass_context
@clean_errors
def users_rotate_token(ctx: click.Context, username: str) -> None:
    """Issue a new API token for USERNAME (printed once); the previous token stops working."""
    app = app_from(ctx)
    with users_uow(app) as uow:
        token = user_service.rotate_token(uow, username, _by(), app.clock())
    click.echo(token)
