"""Readers for forensic logs of observables (CSV, JSON lines, Parquet, Zeek logs)."""

from watchfloor.adapters.observables.reader import (
    ObservableLogError,
    detect_log,
    detect_logs,
    parquet_row_count,
    read_observables,
)

__all__ = [
    "ObservableLogError",
    "detect_log",
    "detect_logs",
    "parquet_row_count",
    "read_observables",
]
