"""Indicator correlation: observables from forensic logs against indicator sets.

Two engines behind one interface (:class:`IndicatorCorrelator`): DuckDB in
process (the default) and Dask distributed, running the same kernel.
"""

from watchfloor.engines.correlation.base import (
    MATCH_SCHEMA,
    TIME_UNITS,
    CorrelationResult,
    IndicatorCorrelator,
    ObservableLog,
    ObservableReader,
    Progress,
)
from watchfloor.engines.correlation.dask_correlator import DaskCorrelator
from watchfloor.engines.correlation.duckdb_correlator import DuckDBCorrelator
from watchfloor.engines.correlation.indicator_set import IndicatorProblem, IndicatorSet
from watchfloor.engines.correlation.keys import Key, KeyPlan, MalformedValue, ObservableKind
from watchfloor.engines.correlation.model import ActorRef, Indicator, Match, RejectedRow

__all__ = [
    "MATCH_SCHEMA",
    "TIME_UNITS",
    "ActorRef",
    "CorrelationResult",
    "DaskCorrelator",
    "DuckDBCorrelator",
    "Indicator",
    "IndicatorCorrelator",
    "IndicatorProblem",
    "IndicatorSet",
    "Key",
    "KeyPlan",
    "MalformedValue",
    "Match",
    "ObservableKind",
    "ObservableLog",
    "ObservableReader",
    "Progress",
    "RejectedRow",
]
