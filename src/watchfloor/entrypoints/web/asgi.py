"""An import-string entry for process-based servers (`watchfloor serve --workers N`).

Each worker process builds its own composition root from the environment:
`WATCHFLOOR_DATABASE_URL`, `WATCHFLOOR_SECURE_COOKIES` and `WATCHFLOOR_MAX_UPLOAD_MB`
(set by `serve`), and
`WATCHFLOOR_CATALOG` / `WATCHFLOOR_SATCAT` for the space page (each worker loads them).
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI

from watchfloor.bootstrap import bootstrap
from watchfloor.entrypoints.web import MAX_UPLOAD_MB
from watchfloor.entrypoints.web.app import create_app, ready_to_serve


def app_factory() -> FastAPI:
    """The ASGI app of one worker; the parent process has already migrated the schema."""
    app = bootstrap(os.environ.get("WATCHFLOOR_DATABASE_URL"), migrate=False)
    secure = os.environ.get("WATCHFLOOR_SECURE_COOKIES") == "1"
    space = None
    if os.environ.get("WATCHFLOOR_CATALOG"):
        from watchfloor.entrypoints.web.space import SpaceCatalog

        satcat = os.environ.get("WATCHFLOOR_SATCAT")
        space = SpaceCatalog.from_files(
            Path(os.environ["WATCHFLOOR_CATALOG"]), Path(satcat) if satcat else None
        )
    upload_mb = int(os.environ.get("WATCHFLOOR_MAX_UPLOAD_MB", MAX_UPLOAD_MB))
    api = create_app(app, secure_cookies=secure, space=space, max_upload_bytes=upload_mb << 20)
    ready_to_serve()
    return api
