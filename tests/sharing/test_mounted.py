"""The TAXII server inside the web service answers with the service's own authentication."""

from __future__ import annotations

import warnings

from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():  # starlette asks for httpx2; the project locks httpx
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

from tests.conftest import FixedClock
from watchfloor.bootstrap import bootstrap
from watchfloor.entrypoints.web.app import create_app
from watchfloor.entrypoints.web.taxii import TAXII_MEDIA_TYPE


def test_taxii_in_the_service_refuses_the_unauthenticated_with_a_taxii_401(
    sqlite_url: str, clock: FixedClock
) -> None:
    app = bootstrap(sqlite_url, clock=clock)
    with TestClient(create_app(app)) as client:
        r = client.get("/taxii2/", headers={"Accept": TAXII_MEDIA_TYPE})
        assert r.status_code == 401
        assert r.headers["content-type"] == TAXII_MEDIA_TYPE
        r = client.get("/taxii2/", headers={"Authorization": "Bearer nope"})
        assert r.status_code == 401 and r.json()["http_status"] == "401"
    app.engine.dispose()
