"""Users, roles and what each role may do.

Role decides what one may *do*; the clearance (`domain.markings.Clearance`)
decides what one may *see*. The two never stand in for each other: an
administrator cleared to NATO RESTRICTED still sees nothing above it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from watchfloor.domain.errors import DomainError, PermissionDenied
from watchfloor.domain.markings import Clearance


class Permission(Enum):
    VIEW_CASES = "view_cases"
    OPEN_CASE = "open_case"
    ADD_EVIDENCE = "add_evidence"
    ADD_HYPOTHESES = "add_hypotheses"
    LEGAL_REVIEW = "legal_review"
    DECIDE = "decide"
    VIEW_AUDIT = "view_audit"
    VIEW_POLICIES = "view_policies"
    RUN_EXERCISE = "run_exercise"
    MANAGE_USERS = "manage_users"


_P = Permission
_ANALYST = frozenset(
    {
        _P.VIEW_CASES,
        _P.OPEN_CASE,
        _P.ADD_EVIDENCE,
        _P.ADD_HYPOTHESES,
        _P.VIEW_AUDIT,
        _P.VIEW_POLICIES,
    }
)


class Role(Enum):
    """The cell's roles (see the product brief), each with its permissions."""

    WATCH_ANALYST = ("watch_analyst", "watch analyst", _ANALYST)
    SPACE_ANALYST = ("space_analyst", "space analyst", _ANALYST)
    LEGAL_ADVISER = (
        "legal_adviser",
        "legal adviser",
        frozenset({_P.VIEW_CASES, _P.LEGAL_REVIEW, _P.VIEW_AUDIT, _P.VIEW_POLICIES}),
    )
    DECISION_MAKER = (
        "decision_maker",
        "decision-maker",
        frozenset({_P.VIEW_CASES, _P.DECIDE, _P.VIEW_AUDIT, _P.VIEW_POLICIES}),
    )
    # A partner (national CERT, private operator) reads what is released to it and
    # submits its own reports; it sees no audit trail and no internal policy text.
    PARTNER = ("partner", "partner", frozenset({_P.VIEW_CASES, _P.ADD_EVIDENCE}))
    EXERCISE_DIRECTOR = (
        "exercise_director",
        "exercise director",
        _ANALYST | {_P.RUN_EXERCISE},
    )
    ADMINISTRATOR = (
        "administrator",
        "administrator",
        frozenset({_P.VIEW_CASES, _P.VIEW_AUDIT, _P.VIEW_POLICIES, _P.MANAGE_USERS}),
    )

    def __init__(self, code: str, label: str, permissions: frozenset[Permission]) -> None:
        self.code = code
        self.label = label
        self.permissions = permissions

    def may(self, permission: Permission) -> bool:
        return permission in self.permissions

    @classmethod
    def parse(cls, text: str) -> Role:
        key = text.strip().lower().replace("-", "_").replace(" ", "_")
        for role in cls:
            if role.code == key:
                return role
        names = ", ".join(r.code for r in cls)
        raise DomainError(f"unknown role {text!r}: expected one of {names}")


_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


def check_username(name: str) -> str:
    if not _USERNAME.match(name):
        raise DomainError(
            f"invalid username {name!r}: 2-64 characters, lower-case letters, digits, '.', '_' "
            "or '-', starting with a letter or digit"
        )
    return name


def check_password(password: str) -> str:
    if len(password) < 10:
        raise DomainError("a password needs at least 10 characters")
    if len(password) > 1024:
        raise DomainError("a password may have at most 1024 characters")
    return password


@dataclass(frozen=True)
class User:
    """A person or machine account: its role and clearance."""

    username: str
    display_name: str
    role: Role
    clearance: Clearance
    active: bool = True

    def may(self, permission: Permission) -> bool:
        return self.active and self.role.may(permission)

    def require(self, permission: Permission) -> None:
        """Raise PermissionDenied, naming the role and the action, unless allowed."""
        if not self.may(permission):
            raise PermissionDenied(
                f"{self.username} ({self.role.label}) may not {permission.value.replace('_', ' ')}"
            )
