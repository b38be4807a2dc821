"""Shared helpers for the command groups."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

import click

from watchfloor.bootstrap import App, bootstrap
from watchfloor.domain.errors import DomainError
from watchfloor.domain.grading import AdmiraltyGrade
from watchfloor.domain.markings import Marking

F = TypeVar("F", bound=Callable[..., Any])


def app_from(ctx: click.Context, migrate: bool = True) -> App:
    obj = ctx.find_root().obj or {}
    return bootstrap(obj.get("database_url"), migrate=migrate)


def clean_errors(fn: F) -> F:
    """Turn domain and input errors into a one-line message and exit status 2."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except DomainError as e:
            raise click.ClickException(str(e)) from None

    return cast(F, wrapper)


#: The marking of evidence a command adds unless `--marking` says otherwise.
DEFAULT_MARKING = "NU//REL TO NATO//TLP:AMBER"


def case_options(fn: F) -> F:
    """`--case`, `--grade`, `--marking`, `--by`: add the results to a case as evidence."""
    return click.option(
        "--case",
        "case_id",
        default=None,
        help="Also add the results to this case as evidence (printed on stdout).",
    )(case_target_options(fn))


def case_target_options(fn: F) -> F:
    """`--grade`, `--marking`, `--by`: how evidence added to a case is graded, marked, signed."""
    fn = click.option(
        "--by", default=None, help="Who is recorded in the audit trail (default: cli:USER)."
    )(fn)
    fn = click.option(
        "--marking",
        "marking_text",
        default=DEFAULT_MARKING,
        show_default=True,
        help="Marking of the evidence items, as for `watchfloor share`.",
    )(fn)
    fn = click.option(
        "--grade",
        "grade_text",
        default="B2",
        show_default=True,
        help="Admiralty grading of the evidence items.",
    )(fn)
    return fn


class CaseTarget:
    """Where results go: a case checked to exist before any work, with a grading and marking."""

    def __init__(
        self, ctx: click.Context, case_id: str, grade_text: str, marking_text: str, by: str | None
    ) -> None:
        from watchfloor.domain.tearline import parse_marking

        try:
            self.grade = AdmiraltyGrade.parse(grade_text)
        except DomainError as e:
            raise click.BadParameter(str(e), param_hint="--grade") from None
        try:
            self.marking: Marking = parse_marking(marking_text)
        except (DomainError, ValueError) as e:
            raise click.BadParameter(str(e), param_hint="--marking") from None
        self.case_id = case_id
        self.by = by or cli_user()
        self.app = app_from(ctx)
        with self.app.uow(read_only=True) as uow:
            uow.cases.head(case_id)  # NotFound now, not after minutes of work


def cli_user() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"
