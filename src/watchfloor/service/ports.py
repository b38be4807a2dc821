"""What the service layer asks of the outside world (the adapters implement it)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol

from watchfloor.domain.assessment import Policies
from watchfloor.domain.audit import AuditEntry, AuditEvent
from watchfloor.domain.case import Case
from watchfloor.domain.markings import Marking
from watchfloor.service.viewcache import ViewCache


@dataclass(frozen=True)
class PolicyText:
    """A policy file as stored: kind, version, the YAML text and its digest."""

    kind: str
    version: str
    text: str
    source: str = ""  # the file it was read from, named in errors

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


class CaseRepository(Protocol):
    def add(self, case: Case) -> None: ...
    def get(self, case_id: str) -> Case: ...
    def head(self, case_id: str) -> tuple[int, Marking]:
        """The case's version and marking, without loading it (NotFound if absent)."""
        ...


class AuditLog(Protocol):
    def append(self, events: Sequence[AuditEvent]) -> list[AuditEntry]: ...
    def entries(self, subject: str | None = None) -> list[AuditEntry]: ...


class StoredPolicyLike(Protocol):
    @property
    def version(self) -> str: ...
    @property
    def sha256(self) -> str: ...


class PolicyStore(Protocol):
    def put(self, kind: str, version: str, sha256: str, body: str, now: datetime) -> bool: ...
    def active(self) -> Mapping[str, StoredPolicyLike]: ...
    def validate(self, texts: Mapping[str, PolicyText]) -> Policies: ...
    def active_policies(self) -> Policies: ...


class UnitOfWork(Protocol):
    @property
    def cases(self) -> CaseRepository: ...
    @property
    def audit(self) -> AuditLog: ...
    @property
    def policies(self) -> PolicyStore: ...
    @property
    def clock(self) -> Callable[[], datetime]: ...
    @property
    def views(self) -> ViewCache:
        """Recent case views of this database (see `service.cases.view_case`)."""
        ...

    def __enter__(self) -> UnitOfWork: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
