"""Small slices of the real catalogs under /work/shared/data/space (read in place)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from watchfloor.adapters.orbital import read_omm_text
from watchfloor.engines.orbital.catalog import Catalog
from watchfloor.engines.orbital.elements import ElementSet

SPACE = Path(__file__).parents[3] / ".." / "shared" / "data" / "space"
OMM_CSV = SPACE / "celestrak_full_catalog_omm_20241101.csv"
GEO_HISTORY = SPACE / "geo_tle_history_celestrak_20260523_20260530.tle"
SATCAT = SPACE / "satcat_20260123.csv"


def omm_slice(norad_ids: Iterable[int]) -> list[ElementSet]:
    """The OMM CSV rows of these objects (header kept), read with the real reader."""
    wanted = {str(n) for n in norad_ids}
    lines = OMM_CSV.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    col = header.index("NORAD_CAT_ID")
    rows = [ln for ln in lines[1:] if ln.split(",")[col] in wanted]
    result = read_omm_text("\n".join([lines[0], *rows]), fmt="csv", source=str(OMM_CSV))
    assert not result.errors
    return result.items


def catalog_of(norad_ids: Iterable[int]) -> Catalog:
    return Catalog(omm_slice(norad_ids))
