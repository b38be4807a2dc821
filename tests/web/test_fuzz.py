"""Schema-based fuzzing of the OpenAPI document (schemathesis, in process): never a 5xx.

Bounded: a few examples per operation, so the whole run stays in seconds.
Run deeper by hand with WATCHFLOOR_FUZZ_EXAMPLES=500.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.conftest import FixedClock
from tests.web.conftest import Cell, make_cell
from watchfloor.domain.users import Role
from watchfloor.entrypoints.web.app import create_app

EXAMPLES = int(os.environ.get("WATCHFLOOR_FUZZ_EXAMPLES", "8"))


@pytest.fixture(scope="module")
def fuzz_cell(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cell]:
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'watchfloor.sqlite'}"
    cell = make_cell(url, FixedClock())
    yield cell
    cell.app.engine.dispose()


def test_the_api_never_answers_5xx(fuzz_cell: Cell) -> None:
    """Every operation of the document, valid and invalid inputs, as two roles."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(fuzz_cell.app))
    headers = [
        {"Authorization": f"Bearer {fuzz_cell.tokens[role]}"}
        for role in (Role.WATCH_ANALYST, Role.LEGAL_ADVISER)
    ]
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def run(case: Any) -> None:
            for h in headers:
                case.call_and_validate(headers=h, checks=[not_a_server_error])

        run()
