"""Readers for orbital data: TLE, CCSDS OMM (CSV, KVN, XML, JSON) and SATCAT CSV.

Each reader returns a `LoadResult`: the records it could load and one
`RecordError` (file, line, reason) for each record it could not.
"""

from watchfloor.adapters.orbital.catalog_file import read_catalog
from watchfloor.adapters.orbital.omm import read_omm, read_omm_text
from watchfloor.adapters.orbital.satcat import read_satcat, read_satcat_text
from watchfloor.adapters.orbital.tle import read_tle, read_tle_text

__all__ = [
    "read_catalog",
    "read_omm",
    "read_omm_text",
    "read_satcat",
    "read_satcat_text",
    "read_tle",
    "read_tle_text",
]
