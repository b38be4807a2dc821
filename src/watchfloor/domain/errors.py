"""Domain errors: each names the item and the problem."""

from __future__ import annotations


class DomainError(ValueError):
    """A rule of the domain was broken; the message names the item and the problem."""


class ConflictError(DomainError):
    """An update was based on a stale version of an aggregate."""


class NotFound(DomainError):
    """The named item does not exist (or is not visible to the caller)."""


class PermissionDenied(DomainError):
    """The caller's role does not allow this action."""
