"""Fixtures: the casebook's hybrid case, decided or not."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from watchfloor.domain.assessment import CaseAssessment
from watchfloor.domain.case import Case

from .casebook import build_case


@pytest.fixture
def make_case() -> Callable[..., tuple[Case, CaseAssessment]]:
    """Build, assess, review and (optionally) decide the case; each test may swap the evidence."""
    return build_case


@pytest.fixture
def decided(make_case: Callable[..., tuple[Case, CaseAssessment]]) -> tuple[Case, CaseAssessment]:
    return make_case()
