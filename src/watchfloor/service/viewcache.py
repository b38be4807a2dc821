"""A small, thread-safe cache of per-viewer case views, one per database."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

from watchfloor.domain.assessment import CaseAssessment
from watchfloor.domain.case import Case


class ViewCache:
    """Recent per-viewer views, keyed by case version, clearance and policy versions.

    Any change to a case bumps its version, and a new policy set changes its
    digests, so a stale entry is never served; only the clock is recomputed.
    """

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, tuple[Case, CaseAssessment]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> tuple[Case, CaseAssessment] | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
            return hit

    def put(self, key: Hashable, value: tuple[Case, CaseAssessment]) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
