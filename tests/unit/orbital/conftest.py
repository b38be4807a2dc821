"""Skip the orbital tests when the shared space data is not there."""

from __future__ import annotations

import pytest

from ._data import OMM_CSV, SPACE


@pytest.fixture(scope="session", autouse=True)
def _data_present() -> None:
    if not OMM_CSV.exists():
        pytest.skip(f"shared space data not found at {SPACE}")
