"""The indicator-correlation role: a small interface and what it trades in.

A correlator is handed observable logs and an :class:`IndicatorSet` and never
knows how a log is parsed: an :class:`ObservableReader` (an adapter) turns a
log into Arrow record batches with the columns ``row_no`` (int64), ``ts``,
``value`` and ``type`` (strings; ``ts`` may also be an Arrow timestamp or a
number of seconds since the epoch), and reports the rows it could not parse.
"""

from __future__ import annotations

import abc
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

import pyarrow as pa

from watchfloor.engines.correlation.indicator_set import IndicatorSet
from watchfloor.engines.correlation.keys import ObservableKind
from watchfloor.engines.correlation.model import Match, RejectedRow

__all__ = [
    "INSTANTS_US",
    "MATCH_SCHEMA",
    "NO_VALUE",
    "NUMBER_PATTERN",
    "TEXT_LIST",
    "TIME_UNITS",
    "CorrelationResult",
    "IndicatorCorrelator",
    "ObservableLog",
    "ObservableReader",
    "Progress",
    "holds_lists",
    "reason_kind",
    "tally_reasons",
]

#: How many rejected rows a result keeps for the report (all are counted).
REJECTS_KEPT = 1000

#: Why a row is skipped without being malformed: its value field is null,
#: unset (Zeek's ``-``), absent (a JSON object without it: another kind of
#: event in a mixed log) or blank. Counted apart (``without_value``), never
#: reported row by row.
NO_VALUE = "no value"


def reason_kind(reason: str) -> str:
    """A reject's reason without its particulars ("not valid JSON: Expecting
    value" -> "not valid JSON"), to count the rejects of a log by kind."""
    return reason.split(":", 1)[0].strip()


def tally_reasons(rows: Iterable[RejectedRow]) -> Counter[str]:
    """Rejected rows counted by :func:`reason_kind`."""
    return Counter(reason_kind(r.reason) for r in rows)


#: The units a log's numeric times may be given in, as parts of a second.
TIME_UNITS = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}

#: A time given as the text of a number (spaces and tabs around it aside).
NUMBER_PATTERN = r"-?[0-9]+(\.[0-9]*)?"
#: The microseconds since the epoch that ``datetime`` holds: years 1 to 9999.
INSTANTS_US = (-62_135_596_800 * 1_000_000, 253_402_300_800 * 1_000_000 - 1)

#: A value column holding several values a row (a Zeek set, a JSON array).
TEXT_LIST = pa.list_(pa.string())


def holds_lists(t: pa.DataType) -> bool:
    """Whether a value column of type ``t`` holds a list of values a row."""
    return bool(pa.types.is_list(t) or pa.types.is_large_list(t))


MATCH_SCHEMA = pa.schema(
    [
        ("file", pa.string()),
        ("row", pa.int64()),
        ("field", pa.string()),
        ("ts", pa.timestamp("us", tz="UTC")),
        ("value", pa.string()),
        ("kind", pa.uint8()),
        ("idx", pa.int64()),
    ]
)


@dataclass(frozen=True, slots=True)
class ObservableLog:
    """A forensic log of observables: where it is and which columns hold what.

    ``format`` is ``csv``, ``jsonl``, ``json`` (one array of objects),
    ``parquet`` or ``zeek`` (Zeek's own tab-separated logs). ``type_column``
    of ``None`` means the kind of each value is inferred from its form.
    """

    path: str
    format: str
    ts_column: str
    value_column: str
    type_column: str | None = None
    #: Parquet only: read just these row groups (a partition of the file).
    row_groups: tuple[int, ...] | None = None
    #: Text logs only: read just the lines that start in these
    #: bytes (a partition of the file, see ``splits``), numbering its rows
    #: from 1 within it.
    byte_range: tuple[int, int] | None = None
    #: The unit of times given as numbers (``s``, ``ms``, ``us``, ``ns``):
    #: every time is then a number, or the text of one. None: JSON and
    #: Parquet numbers and Zeek ``time`` fields are seconds, and other
    #: times are text (a number in a CSV log is no time: ambiguous).
    ts_unit: str | None = None
    #: The format of times written as text (DuckDB's ``strptime`` codes, as
    #: C's: ``%m/%d/%Y %I:%M:%S %p``, ``%d/%b/%Y:%H:%M:%S %z``); None: ISO
    #: 8601. A time without an offset (no ``%z``) is UTC.
    ts_format: str | None = None
    #: The time zone of times written without an offset (an IANA name,
    #: ``Europe/Brussels``), as local exports write them; None: UTC.
    ts_zone: str | None = None
    #: CSV logs only: the field delimiter (``detect_log`` tells it from the
    #: header), which also says where a quoted field may start.
    delimiter: str = ","

    @property
    def name(self) -> str:
        return Path(self.path).name


class ObservableReader(Protocol):
    """Reads a log as record batches; ``rejects`` receives rows it cannot parse."""

    def __call__(
        self, log: ObservableLog, rejects: Callable[[RejectedRow], None]
    ) -> Iterator[pa.RecordBatch]: ...


#: Progress callback: (rows read so far, rows in all, or None when unknown;
#: for CSV, JSON-lines and Zeek logs an estimate from their first MiB, never
#: below the rows read).
Progress = Callable[[int, int | None], None]


@dataclass
class CorrelationResult:
    """Matches (an Arrow table, :data:`MATCH_SCHEMA`) and rejected rows.

    ``idx`` in the table points into ``indicators.indicators``. Memory grows
    with the number of matches, not with the number of rows read.
    """

    indicators: IndicatorSet
    table: pa.Table
    rows_read: int = 0
    rejected_count: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    #: Every rejected row counted by its reason (:func:`reason_kind`), kept or not.
    rejected_by_reason: Counter[str] = field(default_factory=Counter)
    #: Rows (or elements of a list) skipped as they hold no value (:data:`NO_VALUE`).
    without_value: int = 0

    def add_rejects(
        self, rows: Sequence[RejectedRow], tally: Mapping[str, int] | None = None
    ) -> None:
        """Rejected rows: those to keep for the report (up to :data:`REJECTS_KEPT`
        in all), and every one counted by reason (``tally``, where
        :data:`NO_VALUE` counts the rows without a value; else the rows')."""
        room = REJECTS_KEPT - len(self.rejected)
        if room > 0:
            self.rejected.extend(rows[:room])
        counted = Counter(tally if tally is not None else tally_reasons(rows))
        self.without_value += counted.pop(NO_VALUE, 0)
        self.rejected_by_reason.update(counted)
        self.rejected_count += sum(counted.values())

    def __len__(self) -> int:
        return int(self.table.num_rows)

    def sorted_table(self) -> pa.Table:
        """Matches in a stable order: file, row, field, indicator."""
        return self.table.sort_by(
            [
                ("file", "ascending"),
                ("row", "ascending"),
                ("field", "ascending"),
                ("idx", "ascending"),
            ]
        )

    def matches(self) -> Iterator[Match]:
        """The matches as records, in :meth:`sorted_table` order."""
        for r in self.sorted_table().to_pylist():
            ts: datetime = r["ts"]
            yield Match(
                file=r["file"],
                row=r["row"],
                observed_at=ts,
                observed_value=r["value"],
                observed_kind=ObservableKind(r["kind"]),
                indicator=self.indicators.indicators[r["idx"]],
                field=r["field"],
            )


class IndicatorCorrelator(abc.ABC):
    """Matches observable logs against an indicator set.

    Implementations must give the same matches and the same rejects for the
    same input; they differ in where the work runs.
    """

    name: str = "abstract"

    def correlate(
        self,
        indicators: IndicatorSet,
        logs: Sequence[ObservableLog],
        *,
        progress: Progress | None = None,
    ) -> CorrelationResult:
        """Every (observation, indicator) pair whose keys meet while the
        indicator is valid, and every malformed row (skipped, with its reason)."""
        for log in logs:
            if log.format not in ("csv", "json", "jsonl", "parquet", "zeek"):
                raise ValueError(f"{log.path}: unsupported observable format {log.format!r}")
        return self._correlate(indicators, logs, progress)

    @abc.abstractmethod
    def _correlate(
        self,
        indicators: IndicatorSet,
        logs: Sequence[ObservableLog],
        progress: Progress | None,
    ) -> CorrelationResult: ...
