"""Every table of the project, imported once so `metadata` is complete for migrations."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from watchfloor.adapters.db import tables
from watchfloor.adapters.db.tables import metadata

# Modules named `*_tables.py` in this package add their tables to the shared metadata.
for _mod in pkgutil.iter_modules([str(Path(tables.__file__).parent)]):
    if _mod.name.endswith("_tables"):
        importlib.import_module(f"watchfloor.adapters.db.{_mod.name}")

__all__ = ["metadata"]
