"""Orbital forensics: SGP4 propagation, close-approach screening, manoeuvres, views, evidence.

The public façade; see docs/orbital.md for the method, tolerances and limits.
"""

from watchfloor.engines.orbital.base import Propagator, TimeChunk, TimeWindow
from watchfloor.engines.orbital.catalog import Catalog, interpolation_error_km
from watchfloor.engines.orbital.elements import ElementSet, LoadResult, RecordError, SatcatEntry
from watchfloor.engines.orbital.findings import CloseApproach, Manoeuvre, ProximityOperation
from watchfloor.engines.orbital.manoeuvres import detect_manoeuvres, detect_proximity_operations
from watchfloor.engines.orbital.propagation import ProcessPoolPropagator, SerialPropagator
from watchfloor.engines.orbital.screening import ScreeningResult, screen_catalog, screen_victim

__all__ = [
    "Catalog",
    "CloseApproach",
    "ElementSet",
    "LoadResult",
    "Manoeuvre",
    "ProcessPoolPropagator",
    "Propagator",
    "ProximityOperation",
    "RecordError",
    "SatcatEntry",
    "ScreeningResult",
    "SerialPropagator",
    "TimeChunk",
    "TimeWindow",
    "detect_manoeuvres",
    "detect_proximity_operations",
    "interpolation_error_km",
    "screen_catalog",
    "screen_victim",
]
