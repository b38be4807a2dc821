"""Shared helpers for the command groups."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

import click

from watchfloor.bootstrap import App, bootstrap
from watchfloor.domain.errors import DomainError

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
