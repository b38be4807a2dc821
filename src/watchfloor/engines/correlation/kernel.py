"""Running the correlation kernel over a log.

Both engines call these: the DuckDB engine on this machine, the Dask engine
inside each task. One kernel, so one set of results. Parquet is streamed by
DuckDB's own reader in one query (:func:`correlate_parquet`), its batches
taken by worker threads; other formats arrive as Arrow record batches from an
observable reader (:func:`correlate_batches`), in chunks split across the
threads. DuckDB also turns text and numeric timestamps into instants, with its
own parser. Each batch then goes through the compiled kernel
(:mod:`._compiled`) — normalise, expand, probe the indicator index, verify —
which runs without the GIL.
"""

from __future__ import annotations

import functools
import os
import tempfile
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from watchfloor.engines.correlation import _compiled as nb
from watchfloor.engines.correlation._csv_records import FIELD_START, csv_records
from watchfloor.engines.correlation._json_split import split_elements
from watchfloor.engines.correlation.base import (
    INSTANTS_US,
    MATCH_SCHEMA,
    NO_VALUE,
    NUMBER_PATTERN,
    TIME_UNITS,
    ObservableLog,
    holds_lists,
)
from watchfloor.engines.correlation.indicator_set import IndicatorSet
from watchfloor.engines.correlation.key_index import KeyIndex, PlanArrays, string_buffers
from watchfloor.engines.correlation.keys import (
    IP_TYPE_NAMES,
    TYPE_NAMES,
    WS,
    KeyPlan,
    MalformedValue,
    ObservableKind,
    infer_kind,
    kind_from_type_name,
    observable_keys,
)
from watchfloor.engines.correlation.model import Indicator, RejectedRow
from watchfloor.engines.correlation.splits import estimate_elements, estimate_lines

__all__ = [
    "CHUNK_ROWS",
    "INPUT_SCHEMA",
    "REASONS",
    "Kernel",
    "TypeHashes",
    "compile_kernel",
    "correlate_batches",
    "correlate_parquet",
    "parquet_row_ranges",
    "type_code",
    "type_hashes_of",
]

#: What readers hand the kernel (``ts`` may also be a timestamp or a number).
INPUT_SCHEMA = pa.schema(
    [("row_no", pa.int64()), ("ts", pa.string()), ("value", pa.string()), ("type", pa.string())]
)
_REJECTS_PER_BATCH = 1000  # kept for the report; all are counted

#: Why a row was skipped, by the kernel's reason code; all but :data:`NO_VALUE`
#: (a row without a value: counted apart, not rejected) are malformed rows.
REASONS = {
    nb.R_TS: "missing or malformed timestamp",
    nb.R_EMPTY: NO_VALUE,
    nb.R_TYPE: "unknown observable type ",  # + the type as written
    nb.R_KIND: "cannot tell the kind of value",
    nb.R_IPV4: "not an IPv4 address",
    nb.R_IPV6: "not an IPv6 address",
    nb.R_DOMAIN: "not a domain name",
    nb.R_URL: "not a URL",
    nb.R_MD5: "not a MD5 (32 hex digits) hash",
    nb.R_SHA1: "not a SHA-1 (40 hex digits) hash",
    nb.R_SHA256: "not a SHA-256 (64 hex digits) hash",
}
_REASON_OF_KIND = {
    ObservableKind.IPV4: nb.R_IPV4,
    ObservableKind.IPV6: nb.R_IPV6,
    ObservableKind.DOMAIN: nb.R_DOMAIN,
    ObservableKind.URL: nb.R_URL,
    ObservableKind.MD5: nb.R_MD5,
    ObservableKind.SHA1: nb.R_SHA1,
    ObservableKind.SHA256: nb.R_SHA256,
}

#: Rows a batch: asked of DuckDB's Parquet stream, and gathered from a
#: reader's stream before a scan (memory stays bounded whatever the log's size).
CHUNK_ROWS = 1 << 20
_MIN_ROWS_PER_THREAD = 16_384
_READ_AHEAD_MB = 64
_T = TypeVar("_T")


def type_code(name: str | None) -> int:
    """The kernel's code for a type name: a kind, "infer", "ip", "hash" or unknown."""
    if name is None or name.strip(WS) == "":
        return nb.T_INFER
    try:
        kind = kind_from_type_name(name)
    except MalformedValue:
        return nb.T_UNKNOWN
    if kind is not None:
        return kind.value
    return nb.T_IP if name.strip(WS).lower() in IP_TYPE_NAMES else nb.T_HASH


#: A type name that stands for each type code (for rows the reference handles).
_CODE_NAMES: dict[int, str | None] = {
    nb.T_INFER: None,
    **{k.value: k.label for k in ObservableKind},
    nb.T_IP: "ip",
    nb.T_HASH: "hash",
}


@functools.cache
def _known_names() -> tuple[np.ndarray, np.ndarray]:
    """The known type names as the compiled lookup's table (built on first use,
    so that importing this module compiles nothing)."""
    names = [n.encode("ascii") for n in TYPE_NAMES]
    if not all(n == n.lower() and len(n) <= nb.NAME_WIDTH for n in names):
        raise ValueError(f"type names must be lower case and at most {nb.NAME_WIDTH} bytes")
    offsets = np.cumsum([0] + [len(n) for n in names]).astype(np.int64)
    codes = np.array([type_code(n) for n in TYPE_NAMES], np.int8)
    data = np.frombuffer(b"".join(names), np.uint8).copy()
    return nb.name_table(offsets, data, codes)


def _type_codes(types: pa.Array) -> np.ndarray:
    """:func:`type_code` of every row, compiled (non-ASCII names: T_REFERENCE)."""
    if pa.types.is_null(types.type):
        return np.zeros(len(types), np.int8)
    offsets, data = string_buffers(types)
    return np.asarray(nb.type_codes(offsets, data, _nulls(types), *_known_names()), np.int8)


#: A log with more distinct type names than this hands its names over, row by row.
_MAX_TYPE_NAMES = 4096


@dataclass(frozen=True, slots=True)
class TypeHashes:
    """A Parquet log's distinct type names by DuckDB's ``hash`` of each, so that
    DuckDB hands over one number a row instead of the name, and the kernel
    finds the row's type code with one probe of a table where no two of the
    names collide (:func:`._compiled.hashed_type_codes`). The names are few (a log has a
    handful of types), fetched once a run; each one's code is :func:`type_code`
    of it, Unicode and all.

    Exporting the names was the costliest part of the type column: the engine's
    query of value, timestamp and type, 1.46 CPU-s for the 10 M benchmark rows,
    1.29 with the hash for the name, against 0.07 for the distinct names (slow
    phase, medians of 5)."""

    names: dict[int, str | None]
    keys: np.ndarray  # the hash held in each slot
    codes: np.ndarray  # its type code (-1: an empty slot)
    multiplier: np.uint64
    shift: np.uint64

    @classmethod
    def of(cls, names: dict[int, str | None]) -> TypeHashes:
        """The table for ``names`` (hash -> name), at most a quarter full: an
        odd multiplier under which no two hashes share a home slot where one
        is found in a few tries (a log's handful of names), else the last one
        tried, collisions going to the next free slot."""
        hashes = np.array(list(names), np.uint64)
        bits = max(6, (4 * len(hashes) - 1).bit_length())
        shift = np.uint64(64 - bits)
        seeds = np.random.default_rng(len(hashes))
        for _ in range(32):
            multiplier = np.uint64(int(seeds.integers(1 << 62)) * 2 + 1)
            with np.errstate(over="ignore"):
                slots = (hashes * multiplier) >> shift
            if np.unique(slots).size == slots.size:
                break
        keys = np.zeros(1 << bits, np.uint64)
        codes = np.full(1 << bits, -1, np.int8)
        for h, home in zip(hashes.tolist(), slots.tolist(), strict=True):
            slot = home
            while codes[slot] >= 0:
                slot = (slot + 1) & ((1 << bits) - 1)
            keys[slot] = h
            codes[slot] = type_code(names[h])
        return cls(names, keys, codes, multiplier, shift)

    def codes_of(self, hashes: pa.Array) -> np.ndarray:
        """The type code of each row of a batch's ``type_hash`` column."""
        if hashes.null_count:
            hashes = hashes.fill_null(0)
        values = nb.read_only(np.asarray(hashes.to_numpy(zero_copy_only=False), np.uint64))
        found = nb.hashed_type_codes(values, self.keys, self.codes, self.multiplier, self.shift)
        if found.size and int(found.min()) < 0:
            raise ValueError("the log changed while it was read: a type name not seen before")
        return np.asarray(found, np.int8)

    def names_at(self, hashes: pa.Array, rows: np.ndarray) -> list[str | None]:
        """The type names of the rows at ``rows`` (positions in the batch)."""
        return [self.names[h] for h in hashes.take(pa.array(rows, pa.int64())).to_pylist()]


def type_hashes_of(con: duckdb.DuckDBPyConnection, source: str) -> TypeHashes | None:
    """The distinct type names of ``source`` (a subquery with a ``type`` column)
    as :class:`TypeHashes`, or None when there are over :data:`_MAX_TYPE_NAMES`
    of them or two share a hash (the names are then handed over row by row)."""
    # each distinct name hashed once (hashing every row in the DISTINCT cost twice the time)
    distinct = f"SELECT DISTINCT type FROM ({source})"
    rows = con.sql(
        f"SELECT type, hash(type) FROM ({distinct}) LIMIT {_MAX_TYPE_NAMES + 1}"
    ).fetchall()
    names = {int(h): name for name, h in rows}
    if len(rows) > _MAX_TYPE_NAMES or len(names) < len(rows):
        return None
    return TypeHashes.of(names)


def _nulls(array: pa.Array) -> np.ndarray:
    """Which rows are null, as numpy booleans (no per-row work when none is)."""
    if array.null_count == 0:
        return np.zeros(len(array), np.bool_)
    return np.asarray(array.is_null().to_numpy(zero_copy_only=False), np.bool_)


def _filled(array: pa.Array) -> np.ndarray:
    """An int64 array's values as numpy (nulls as 0), without a copy when it has no null."""
    if array.null_count:
        array = array.fill_null(0)
    return np.asarray(array.to_numpy(zero_copy_only=False), np.int64)


def _flattened(values: pa.Array) -> tuple[pa.Array, np.ndarray] | None:
    """A column of lists as its elements and the row each belongs to (None
    for any other column). A null list stands for one null value, as a null
    field of a column of single values does (a row without a value, counted
    as such); an empty list holds no value at all, and a null element is none
    (an object of an array without the field, a JSON null)."""
    if not holds_lists(values.type):
        return None
    unset = values.is_null().to_numpy(zero_copy_only=False)
    if values.null_count:
        values = pc.if_else(unset, pa.scalar([None], values.type), values)
    parents = np.asarray(pc.list_parent_indices(values).to_numpy(zero_copy_only=False), np.int64)
    flat = pc.list_flatten(values)
    if flat.null_count:
        kept = flat.is_valid().to_numpy(zero_copy_only=False) | unset[parents]
        flat, parents = flat.filter(pa.array(kept)), parents[kept]
    return flat, parents


def _through(
    parents: np.ndarray, of_rows: Callable[[np.ndarray], _T]
) -> Callable[[np.ndarray], _T]:
    """``of_rows`` (asked of a batch's rows) asked of list elements instead."""
    return lambda elements: of_rows(parents[elements])


#: Text that ends in an offset or a zone after its time (``10:00Z``,
#: ``10:00:00.5 +02:00``, ``10:00 UTC``, ``10:00 Europe/Paris``), which
#: DuckDB's cast to TIMESTAMPTZ applies: such a time is no local time.
_OFFSET_AFTER_TIME = (
    r":\d{2}(?:[.,]\d+)?(?:\s*(?:[zZ]|[+-]\d{2}(?::?\d{2})?)|\s+[A-Za-z][A-Za-z0-9_/+-]*)\s*$"
)


def _ts_expr(t: pa.DataType, text_format: str | None = None, zone: str | None = None) -> str:
    """SQL for a column ``ts`` of type ``t`` as a TIMESTAMPTZ: text in
    ``text_format`` (``strptime``'s) where one is given, else ISO 8601;
    times without an offset in ``zone`` where one is given, else UTC."""

    def local(naive: str) -> str:
        return f"timezone({_literal(zone)}, {naive})" if zone else naive

    if pa.types.is_timestamp(t) and t.tz is not None:
        return "ts::TIMESTAMPTZ"
    if pa.types.is_timestamp(t) or pa.types.is_date(t):
        return local("ts::TIMESTAMP")
    if pa.types.is_integer(t) or pa.types.is_floating(t):
        return "to_timestamp(ts::DOUBLE)"
    if pa.types.is_null(t):
        return "NULL::TIMESTAMPTZ"
    if text_format is not None:
        parsed = f"try_strptime(ts::VARCHAR, {_literal(text_format)})"
        return parsed if _strptime_has_zone(text_format) else local(parsed)
    if zone is None:
        return "try_cast(ts::VARCHAR AS TIMESTAMPTZ)"
    return (
        f"CASE WHEN regexp_matches(ts::VARCHAR, {_literal(_OFFSET_AFTER_TIME)}) "
        f"THEN try_cast(ts::VARCHAR AS TIMESTAMPTZ) "
        f"ELSE {local('try_cast(ts::VARCHAR AS TIMESTAMP)')} END"
    )


def _literal(text: str) -> str:
    """``text`` as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


@functools.lru_cache(maxsize=64)
def _strptime_has_zone(text_format: str) -> bool:
    """Whether ``strptime`` reads an offset or a zone with ``text_format``
    (``%z``, ``%Z``): then it gives instants, else local times."""
    return str(_ask(f"SELECT typeof(try_strptime('', {_literal(text_format)}))")) != "TIMESTAMP"


def _ask(query: str) -> object:
    """The one value ``query`` gives, on a cursor of its own."""
    con = _connection(None, None)
    try:
        row = con.execute(query).fetchone()
        return row[0] if row else None
    finally:
        con.close()


def check_ts_format(text_format: str) -> None:
    """Raise :class:`ValueError` naming the problem where ``text_format`` is
    no format DuckDB's ``strptime`` knows."""
    try:
        _strptime_has_zone(text_format)
    except duckdb.Error as exc:
        raise ValueError(f"time format {text_format!r}: {_reason(exc)}") from None


def check_ts_zone(zone: str) -> None:
    """Raise :class:`ValueError` where ``zone`` is no time zone DuckDB knows
    (the IANA names: ``Europe/Brussels``)."""
    try:
        _ask(f"SELECT timezone({_literal(zone)}, TIMESTAMP '2000-01-01')")
    except duckdb.Error as exc:
        raise ValueError(f"time zone {zone!r}: {_reason(exc)}") from None


def _reason(exc: duckdb.Error) -> str:
    """DuckDB's message without its kind, on one line."""
    return " ".join(str(exc).split(": ", 1)[-1].split())


def _us_expr(
    t: pa.DataType, unit: str | None, text_format: str | None = None, zone: str | None = None
) -> str:
    """SQL for a column ``ts`` of type ``t`` as microseconds since the epoch:
    as :func:`_ts_expr` reads it, or with a ``unit``, numbers (or the text of
    numbers) in it, rounded and bounded as the readers' ``epoch_stamps`` does."""
    if unit is None or pa.types.is_timestamp(t) or pa.types.is_date(t):
        return f"epoch_us({_ts_expr(t, text_format, zone)})"
    if pa.types.is_integer(t) or pa.types.is_floating(t):
        n = "ts::DOUBLE"
    elif pa.types.is_string(t) or pa.types.is_large_string(t):
        text = "trim(ts::VARCHAR, ' \t')"
        n = f"(CASE WHEN regexp_full_match({text}, '{NUMBER_PATTERN}') THEN {text}::DOUBLE END)"
    else:
        return "NULL::BIGINT"
    per_second = TIME_UNITS[unit]
    if per_second == 1:  # whole seconds apart, in integers, as epoch_stamps does
        frac = f"round_even(({n} - trunc({n})) * 1e6, 0)::BIGINT"
        us = f"(trunc({n})::BIGINT * 1000000 + {frac})"
    elif per_second <= 1_000_000:
        us = f"round_even({n} * {1_000_000 // per_second}, 0)::BIGINT"
    else:
        us = f"round_even({n} / {per_second // 1_000_000}, 0)::BIGINT"
    first, last = INSTANTS_US
    finite = f"isfinite({n}) AND abs({n}) < {10**12 * per_second}"  # no BIGINT overflow
    return (
        f"(CASE WHEN {finite} THEN (CASE WHEN {us} BETWEEN {first} AND {last} THEN {us} END) END)"
    )


#: What a scan gives: its matches (:data:`MATCH_SCHEMA`), the rejected rows
#: kept for the report, and every rejected row counted by reason.
Item = tuple[pa.RecordBatch, list[RejectedRow], Counter[str]]


_DATABASES: dict[tuple[int | None, str | None], duckdb.DuckDBPyConnection] = {}
_DATABASES_LOCK = threading.Lock()


def _connection(threads: int | None, memory_limit: str | None) -> duckdb.DuckDBPyConnection:
    """A new connection (a cursor) to this process's in-memory DuckDB for
    these settings, configured for the kernel.

    The database is made once per process and per settings, then kept:
    opening one costs 25-35 ms, as much as correlating a few hundred
    thousand rows, while a cursor costs 0.1 ms. Its threads, memory limit,
    time zone and row order are global settings, the same for every kernel
    that shares it; the rest are the cursor's own. Kernels running at the
    same time share its threads instead of each starting its own."""
    with _DATABASES_LOCK:
        root = _DATABASES.get((threads, memory_limit))
        if root is None:
            root = duckdb.connect(":memory:")
            root.execute("SET TimeZone = 'UTC'")
            # Parquet is streamed and its rows numbered as they come: they must
            # come in file order (measured no slower than letting DuckDB reorder them).
            root.execute("SET preserve_insertion_order = true")
            if threads is not None:
                root.execute(f"SET threads = {int(threads)}")
            if memory_limit is not None:
                root.execute(f"SET memory_limit = '{memory_limit}'")
            _DATABASES[(threads, memory_limit)] = root
        con = root.cursor()
    con.execute("SET enable_progress_bar = false")
    # let DuckDB read a few batches ahead while the kernel works on others
    con.execute(f"SET streaming_buffer_size = '{_READ_AHEAD_MB}MB'")
    return con


class Kernel:
    """What one correlation run holds in memory: the indicator index (an
    :attr:`IndicatorSet.index`, shared), the expansion plan, a DuckDB
    connection (a cursor of the process's database, see :func:`_connection`:
    reading, timestamps) and the threads (``threads`` for DuckDB
    and for the kernel; default: every core)."""

    def __init__(
        self,
        index: KeyIndex,
        plan: KeyPlan,
        threads: int | None = None,
        memory_limit: str | None = None,
    ) -> None:
        self.index = index
        self.plan = plan
        self._plan = PlanArrays.of(plan)
        self.threads = max(1, threads or os.cpu_count() or 1)
        self._settings = (threads, memory_limit)
        self.con = _connection(threads, memory_limit)
        self._pool = ThreadPoolExecutor(self.threads) if self.threads > 1 else None
        self._owner = True

    def cursor(self) -> Kernel:
        """The same index and threads with a DuckDB cursor of its own, for use
        on another thread; closing it leaves this kernel open."""
        twin = object.__new__(Kernel)
        twin.__dict__.update(self.__dict__)
        twin.con = _connection(*self._settings)
        twin._owner = False
        return twin

    def close(self) -> None:
        if self._pool is not None and self._owner:
            self._pool.shutdown()
        self.con.close()

    def __enter__(self) -> Kernel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- one batch -------------------------------------------------------------

    def _micros(
        self, ts: pa.Array, text_format: str | None, zone: str | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Timestamps as microseconds since the epoch (text in ``text_format``
        where one is given, local times in ``zone``), and which are missing."""
        if pa.types.is_timestamp(ts.type) and (ts.type.tz is not None or zone is None):
            us = ts.cast(pa.timestamp("us", tz="UTC")).cast(pa.int64())
        else:
            view = f"ts_in_{id(ts)}"
            self.con.register(view, pa.table({"ts": ts}))
            try:
                query = f"SELECT epoch_us({_ts_expr(ts.type, text_format, zone)}) FROM {view}"
                out = self.con.sql(query).to_arrow_table()
            finally:
                self.con.unregister(view)
            us = out.column(0).combine_chunks().cast(pa.int64())
        return _filled(us), _nulls(us)

    def scan(
        self,
        batch: pa.RecordBatch,
        file: str,
        *,
        field: str = "",
        split: bool = True,
        row_numbers: Callable[[np.ndarray], pa.Array] | None = None,
        type_hashes: TypeHashes | None = None,
        ts_format: str | None = None,
        ts_zone: str | None = None,
    ) -> Item:
        """Matches and rejects of one batch: ``row_no, ts, value, type``, or
        with the timestamps as microseconds already (by DuckDB, see
        :func:`correlate_parquet`): ``row_no, ts_us, value, type``, the type
        perhaps as ``type_hash``, DuckDB's hash of the name (``type_hashes``
        says which name each stands for). ``value`` may hold a list of
        values a row (Zeek's sets, JSON arrays): each element is matched, or
        rejected, under its row.
        ``field``: the log's column the values come from (for the matches).
        ``split``: share the batch among the kernel's threads.
        ``row_numbers``: instead of a ``row_no`` column, the row numbers of
        the batch's rows at the positions given (asked only for the rows
        that match or are rejected).
        ``ts_format``: the format of times written as text (``strptime``'s);
        ``ts_zone``: the zone of times written without an offset."""
        names = batch.schema.names
        values = batch.column("value")
        # a list of values a row (Zeek's sets, JSON arrays): each element is
        # scanned as a row of its own, and reported under its row
        flat = _flattened(values)
        parents = None
        if flat is not None:
            values, parents = flat
        if not pa.types.is_string(values.type):
            values = values.cast(pa.string())
        n = len(values)
        offsets, data = string_buffers(values)
        is_null = _nulls(values)
        type_names: Callable[[np.ndarray], list[str | None]]
        if "type_hash" in names:  # the type as its hash (see correlate_parquet)
            if type_hashes is None:
                raise ValueError("a batch of type hashes needs the log's TypeHashes")
            table, hashes = type_hashes, batch.column("type_hash")
            types = table.codes_of(hashes)

            def type_names(rows: np.ndarray) -> list[str | None]:
                return table.names_at(hashes, rows)
        else:
            raw_types = batch.column("type")
            types = _type_codes(raw_types)

            def type_names(rows: np.ndarray) -> list[str | None]:
                return list(raw_types.take(pa.array(rows, pa.int64())).to_pylist())

        if "ts_us" in names:
            us = batch.column("ts_us")
            ts, ts_null = _filled(us), _nulls(us)
        else:
            ts, ts_null = self._micros(batch.column("ts"), ts_format, ts_zone)
        if row_numbers is None:
            row_no = batch.column("row_no")

            def row_numbers(positions: np.ndarray) -> pa.Array:
                return row_no.take(pa.array(positions, pa.int64())).cast(pa.int64())

        if parents is not None:  # the rows' columns, element by element
            types, ts, ts_null = types[parents], ts[parents], ts_null[parents]
            type_names = _through(parents, type_names)
            row_numbers = _through(parents, row_numbers)
        plan, index = self._plan.arrays(), self.index.arrays()

        def run(start: int, stop: int) -> tuple[np.ndarray, ...]:
            return nb.scan(offsets, data, is_null, types, ts, ts_null, start, stop, plan, index)

        parts = min(self.threads if split else 1, max(1, n // _MIN_ROWS_PER_THREAD))
        bounds = [n * i // parts for i in range(parts + 1)]
        if parts == 1 or self._pool is None:
            outs = [run(0, n)]
        else:
            outs = list(self._pool.map(run, bounds[:-1], bounds[1:]))
        m_row = np.concatenate([o[0] for o in outs])
        m_idx = np.concatenate([o[1] for o in outs])
        m_kind = np.concatenate([o[2] for o in outs])
        j_row = np.concatenate([o[3] for o in outs])
        j_why = np.concatenate([o[4] for o in outs])
        f_row = np.concatenate([o[5] for o in outs])
        if f_row.size:
            m_row, m_idx, m_kind, j_row, j_why = self._reference_rows(
                values, types, type_names, f_row, ts, (m_row, m_idx, m_kind, j_row, j_why)
            )
        # rows rejected as no one kind or hash: "MD5=…,SHA256=…" as Sysmon writes
        # a file's hashes is a list of them (see _hash_lists)
        listed = _hash_lists(values, j_row, j_why)
        if listed is not None:
            others = ~np.isin(j_row, listed[0])
            j_row, j_why = j_row[others], j_why[others]
        out = (m_row, m_idx, m_kind, j_row, j_why)
        item = self._output(values, type_names, (file, field), ts, row_numbers, *out)
        if listed is None:
            return item
        rows, hashes, algorithms = listed
        us = pa.array(ts[rows], pa.int64(), mask=ts_null[rows])
        parts = pa.record_batch({"ts_us": us, "value": hashes, "type": algorithms})
        each = self.scan(
            parts,
            file,
            field=field,
            split=False,
            row_numbers=lambda at: row_numbers(rows[at]),
        )
        return (
            pa.concat_batches([item[0], each[0]]),
            sorted([*item[1], *each[1]], key=lambda r: r.row)[:_REJECTS_PER_BATCH],
            item[2] + each[2],
        )

    def _reference_rows(
        self,
        values_column: pa.Array,
        codes: np.ndarray,
        type_names: Callable[[np.ndarray], list[str | None]],
        rows: np.ndarray,
        ts: np.ndarray,
        found: tuple[np.ndarray, ...],
    ) -> tuple[np.ndarray, ...]:
        """Rows with non-ASCII bytes, normalised by the Python reference
        (Unicode lower case) and probed through the same index."""
        m_row, m_idx, m_kind, j_row, j_why = (list(a) for a in found)
        values = values_column.take(pa.array(rows)).to_pylist()
        raw = type_names(rows)
        for r, value, raw_type in zip(rows.tolist(), values, raw, strict=True):
            code = int(codes[r])
            if code == nb.T_REFERENCE:
                code = type_code(str(raw_type))
            name = str(raw_type) if code == nb.T_UNKNOWN else _CODE_NAMES[code]
            try:
                if code == nb.T_UNKNOWN:
                    raise MalformedValue("unknown type")
                kind = infer_kind(str(value), name)
            except MalformedValue:
                j_row.append(r)
                j_why.append(nb.R_TYPE if code == nb.T_UNKNOWN else nb.R_KIND)
                continue
            try:
                keys = observable_keys(str(value), name, self.plan)
            except MalformedValue:
                j_row.append(r)
                j_why.append(_REASON_OF_KIND[kind])
                continue
            for key in keys:
                for idx in self.index.lookup(key, int(ts[r])):
                    m_row.append(r)
                    m_idx.append(idx)
                    m_kind.append(kind.value)
        return (
            np.array(m_row, np.int64),
            np.array(m_idx, np.int64),
            np.array(m_kind, np.uint8),
            np.array(j_row, np.int64),
            np.array(j_why, np.uint8),
        )

    def _output(
        self,
        values: pa.Array,
        type_names: Callable[[np.ndarray], list[str | None]],
        where: tuple[str, str],
        ts: np.ndarray,
        row_numbers: Callable[[np.ndarray], pa.Array],
        m_row: np.ndarray,
        m_idx: np.ndarray,
        m_kind: np.ndarray,
        j_row: np.ndarray,
        j_why: np.ndarray,
    ) -> Item:
        file, field = where  # the log and its column
        take = pa.array(m_row, pa.int64())
        matches = pa.record_batch(
            [
                _repeat(file, m_row.size),
                row_numbers(m_row),
                _repeat(field, m_row.size),
                pa.array(ts[m_row], pa.int64()).cast(MATCH_SCHEMA.field("ts").type),
                values.take(take),
                pa.array(m_kind, pa.uint8()),
                pa.array(m_idx, pa.int64()),
            ],
            schema=MATCH_SCHEMA,
        )
        # every skipped row counted by reason, those without a value (null,
        # unset, absent, blank: nothing to correlate) too, as NO_VALUE
        tally = Counter(
            {
                REASONS[code].strip(): int(n)
                for code, n in enumerate(np.bincount(j_why, minlength=len(REASONS) + 1))
                if n
            }
        )
        if tally[NO_VALUE]:  # and only the malformed ones reported
            malformed = j_why != nb.R_EMPTY
            j_row, j_why = j_row[malformed], j_why[malformed]
        rejects: list[RejectedRow] = []
        if j_row.size:
            order = np.argsort(j_row, kind="stable")[:_REJECTS_PER_BATCH]
            kept = pa.array(j_row[order], pa.int64())
            nos = row_numbers(j_row[order]).to_pylist()
            raw = values.take(kept).to_pylist()
            kept_types = type_names(j_row[order])
            whys = j_why[order].tolist()
            for no, value, typ, why in zip(nos, raw, kept_types, whys, strict=True):
                reason = REASONS[why] + (str(typ) if why == nb.R_TYPE else "")
                rejects.append(RejectedRow(file, int(no), value, reason))
        return matches, rejects, tally


#: The hash algorithms a list of a file's hashes names (lower case, no
#: hyphen), which are also their type names.
_LISTED_HASHES = pa.array(["md5", "sha1", "sha256"])
_HASH_REASONS = (nb.R_KIND, nb.R_MD5, nb.R_SHA1, nb.R_SHA256)


def _hash_lists(
    values: pa.Array, rows: np.ndarray, reasons: np.ndarray
) -> tuple[np.ndarray, pa.Array, pa.Array] | None:
    """Of the rows rejected as no kind or no hash, those whose value is a
    list of a file's hashes, ``ALGORITHM=HEX`` separated by commas (or
    semicolons) as Sysmon writes them (``SHA1=…,MD5=…,SHA256=…,IMPHASH=…``):
    each MD5, SHA-1 and SHA-256 in them (the others, such as IMPHASH — a hash
    of the import table, not of the file — left out), the row each is of,
    and its algorithm as the type; None where there is none. Arrow's
    compute functions read them, no Python object a row."""
    candidates = rows[np.isin(reasons, _HASH_REASONS)]
    if not candidates.size:
        return None
    texts = values.take(pa.array(candidates, pa.int64()))
    parts = pc.split_pattern(pc.replace_substring(texts, ";", ","), ",")
    of = candidates[np.asarray(pc.list_parent_indices(parts).to_numpy(zero_copy_only=False))]
    flat = pc.list_flatten(parts)
    pair = pc.split_pattern(flat, "=", max_splits=1)
    name = pc.utf8_trim_whitespace(pc.list_element(pair, 0))
    algorithm = pc.replace_substring(pc.ascii_lower(name), "-", "")
    # every part ALGORITHM=DIGEST (one "=", a name of letters, digits, "-"), or no list
    fits = _flags(pc.equal(pc.count_substring(flat, "="), 1))
    fits &= _flags(pc.ascii_is_alnum(algorithm))
    fits &= ~np.isin(of, of[~fits])
    keep = fits & _flags(pc.is_in(algorithm, value_set=_LISTED_HASHES))
    if not keep.any():
        return None
    kept = pa.array(np.flatnonzero(keep), pa.int64())
    digests = pc.utf8_trim_whitespace(pc.list_element(pair.take(kept), 1))
    return of[keep], digests, algorithm.take(kept)


def _flags(mask: pa.Array) -> np.ndarray:
    """A boolean array's values as numpy (null as false)."""
    return np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), np.bool_)


def compile_kernel() -> None:
    """Compile the kernel's machine code now (it is cached on disk), so that
    the first correlation on a fresh install does not wait 20-40 s for it:
    every path a log takes — a batch of type names, a Parquet log's type
    hashes, lists of values, a row left to the Python reference (its keys
    hashed one by one), an index built from keys — the parser that counts a
    CSV byte range's records, and the pass that cuts a JSON array into its
    elements. Each is compiled once whatever the log, as the arrays they
    take are made read-only first (``_compiled.read_only``)."""
    plan = KeyPlan(ipv4_prefixes=(32, 24), ipv6_prefixes=(128,), domain_depths=(2,))
    values = ["198.51.100.7", "2001:db8::1", "a.example", "http://a.example/x", "0" * 32, "x"]
    values += ["http://198.51.100.7/\u00e9", "b\u00fccher.example"]  # for the reference
    indicators = IndicatorSet.build(
        [
            Indicator("compile-ip", ObservableKind.IPV4, "198.51.100.7", "compile"),
            Indicator("compile-domain", ObservableKind.DOMAIN, "a.example", "compile"),
        ]
    )
    batch = pa.record_batch(
        {
            "row_no": pa.array(range(len(values)), pa.int64()),
            "ts": pa.array(["2024-01-01T00:00:00Z"] * len(values)),
            "value": pa.array(values),
            "type": pa.array([None, "ipv6", "domain", "url", "hash", "nonsense", None, None]),
        }
    )
    listed = batch.set_column(2, "value", pa.array([[v] for v in values]))
    with (
        Kernel(indicators.index, plan, threads=1) as kernel,
        tempfile.TemporaryDirectory() as folder,
    ):
        kernel.scan(batch, "compile")
        kernel.scan(listed, "compile")
        pq.write_table(pa.Table.from_batches([batch]), f"{folder}/log.parquet")
        log = ObservableLog(f"{folder}/log.parquet", "parquet", "ts", "value", "type")
        for _ in correlate_parquet(kernel, log):
            pass
    csv_records(np.frombuffer(b'a,"b\nc"\n', np.uint8), ord(","), ord('"'), FIELD_START)
    split_elements(np.frombuffer(b'{"a": [1, 2]}, "b\\"c"]', np.uint8), True)


def _repeat(text: str, n: int) -> pa.Array:
    """A string array holding ``text`` ``n`` times, built from its buffers."""
    raw = text.encode("utf-8")
    offsets = np.arange(n + 1, dtype=np.int64) * len(raw)
    return pa.Array.from_buffers(
        pa.large_string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(raw * n)]
    ).cast(pa.string())


def correlate_batches(
    kernel: Kernel,
    batches: Iterator[pa.RecordBatch],
    log: ObservableLog,
    on_rows: Callable[[int], None] | None = None,
) -> Iterator[Item]:
    """Stream ``batches`` through the kernel, about :data:`CHUNK_ROWS` rows at a time.

    Yields (match batch of :data:`MATCH_SCHEMA`, rejected rows kept, rejected
    count). ``on_rows`` is called with the number of rows of each chunk done.
    """
    chunk: list[pa.RecordBatch] = []
    rows = 0

    def flush() -> Item:
        table = pa.Table.from_batches(chunk).combine_chunks()
        merged = table.to_batches()[0] if table.num_rows else chunk[0]
        out = kernel.scan(
            merged, log.path, field=log.value_column, ts_format=log.ts_format, ts_zone=log.ts_zone
        )
        if on_rows is not None:
            on_rows(rows)
        return out

    for b in batches:
        if chunk and b.schema != chunk[0].schema:  # a reader's column types may change
            yield flush()
            chunk, rows = [], 0
        chunk.append(b)
        rows += b.num_rows
        if rows >= CHUNK_ROWS:
            yield flush()
            chunk, rows = [], 0
    if chunk:
        yield flush()


def sql_identifier(name: str) -> str:
    """``name`` as an SQL identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


def parquet_path(schema: pa.Schema, name: str) -> tuple[str, pa.DataType]:
    """SQL reading field ``name`` of a Parquet log, and its Arrow type: the
    column of that very name, else its dotted path into structs (OCSF's
    ``src_endpoint.ip``, as Amazon Security Lake stores it) and through lists
    of structs, whose values make one list, flattened at any depth as a JSON
    path is (see ``adapters.observables.jsonl``). Raises :class:`KeyError`
    for a path that is none."""
    if name in schema.names:
        return _flat_sql(sql_identifier(name), schema.field(name).type)
    first, *rest = name.split(".")
    if not rest or first not in schema.names:
        raise KeyError(name)
    return _descend(sql_identifier(first), schema.field(first).type, rest, 0)


def _descend(sql: str, t: pa.DataType, keys: list[str], depth: int) -> tuple[str, pa.DataType]:
    if not keys:
        return _flat_sql(sql, t)
    if pa.types.is_struct(t):
        at = t.get_field_index(keys[0])
        if at < 0:
            raise KeyError(keys[0])
        return _descend(
            f"struct_extract({sql}, {_literal(keys[0])})", t.field(at).type, keys[1:], depth
        )
    if holds_lists(t):  # on through every element
        each = f"x{depth}"
        inner, inner_t = _descend(each, t.value_type, keys, depth + 1)
        listed = f"list_transform({sql}, lambda {each}: {inner})"
        if holds_lists(inner_t):
            return f"flatten({listed})", inner_t
        return listed, pa.list_(inner_t)
    raise KeyError(keys[0])


def _flat_sql(sql: str, t: pa.DataType) -> tuple[str, pa.DataType]:
    """A list of lists (at any depth) as the list of their elements."""
    while holds_lists(t) and holds_lists(t.value_type):
        sql, t = f"flatten({sql})", t.value_type
    return sql, t


def parquet_row_ranges(
    log: ObservableLog, max_rows: int | None = CHUNK_ROWS
) -> list[tuple[int, int]]:
    """The log's row groups as runs of rows [start, stop), a run growing while
    it holds fewer than ``max_rows`` (``None``: as long as groups are adjacent)."""
    meta = pq.ParquetFile(log.path).metadata
    starts = [0]
    for i in range(meta.num_row_groups):
        starts.append(starts[-1] + meta.row_group(i).num_rows)
    groups = log.row_groups if log.row_groups is not None else range(meta.num_row_groups)
    ranges: list[tuple[int, int]] = []
    for g in groups:
        a, b = starts[g], starts[g + 1]
        room = max_rows is None or (bool(ranges) and ranges[-1][1] - ranges[-1][0] < max_rows)
        if ranges and ranges[-1][1] == a and room:
            ranges[-1] = (ranges[-1][0], b)
        else:
            ranges.append((a, b))
    return ranges


def rows_in(log: ObservableLog) -> int:
    """A log's rows for a progress report: counted (Parquet), else estimated
    from its first MiB of lines (a CSV log's header aside), or for a JSON
    array of the elements that end in its first MiB."""
    if log.format == "parquet":
        return sum(b - a for a, b in parquet_row_ranges(log))
    if log.format == "json":
        return estimate_elements(log.path)
    comment = b"#" if log.format == "zeek" else None  # its header and #close lines
    return max(0, estimate_lines(log.path, comment=comment) - (log.format == "csv"))


def _row_filter(log: ObservableLog, runs: list[tuple[int, int]]) -> str:
    """A WHERE clause keeping the log's row groups, ``runs`` of rows (all: none)."""
    if log.row_groups is None:
        return ""
    if not runs:
        return "WHERE false"
    terms = " OR ".join(f"(file_row_number >= {a} AND file_row_number < {b})" for a, b in runs)
    return f"WHERE {terms}"


def _row_numbers(runs: list[tuple[int, int]], k: np.ndarray) -> pa.Array:
    """The file row numbers of output rows ``k`` (0-based) of a scan that
    returns, in file order, the rows of ``runs`` ([start, stop) each)."""
    lengths = np.array([b - a for a, b in runs], np.int64)
    ends = np.cumsum(lengths)
    run = np.searchsorted(ends, k, side="right")
    starts = np.array([a for a, _ in runs], np.int64)
    return pa.array(starts[run] + (k - (ends[run] - lengths[run])), pa.int64())


def _scanned(
    kernel: Kernel,
    reader: pa.RecordBatchReader,
    log: ObservableLog,
    runs: list[tuple[int, int]],
    type_hashes: TypeHashes | None,
) -> Iterator[tuple[int, Item]]:
    """(rows, result) of each of the reader's batches, which come in file order
    and hold the rows of ``runs``.

    ``kernel.threads`` workers each take the next batch from the reader (one
    at a time; DuckDB reads it with its own threads and releases the GIL),
    number its rows and scan it whole, so reading and matching overlap.
    Measured on 2 cores, this beat splitting every batch across the threads.
    """
    lock = threading.Lock()
    taken = 0

    def work() -> tuple[int, Item] | None:
        nonlocal taken
        with lock:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                return None
            first, taken = taken, taken + batch.num_rows

        def row_numbers(positions: np.ndarray) -> pa.Array:
            return _row_numbers(runs, positions + first)

        item = kernel.scan(
            batch,
            log.path,
            field=log.value_column,
            split=False,
            row_numbers=row_numbers,
            type_hashes=type_hashes,
        )
        return batch.num_rows, item

    with ThreadPoolExecutor(kernel.threads) as pool:
        pending = deque(pool.submit(work) for _ in range(kernel.threads))
        while pending:
            done = pending.popleft().result()
            if done is None:
                continue
            pending.append(pool.submit(work))
            yield done


def correlate_parquet(
    kernel: Kernel,
    log: ObservableLog,
    on_rows: Callable[[int], None] | None = None,
) -> Iterator[Item]:
    """A Parquet log read by DuckDB itself, in one streaming query (parallel,
    row groups pruned by row number, rows in file order), which also turns the
    timestamps into microseconds. Row numbers are 0-based row indices."""
    path = log.path.replace("'", "''")
    schema = pq.read_schema(log.path)
    typ = (
        f"{parquet_path(schema, log.type_column)[0]}::VARCHAR"
        if log.type_column
        else "NULL::VARCHAR"
    )
    ts_sql, ts_type = parquet_path(schema, log.ts_column)
    value_sql, value_type = parquet_path(schema, log.value_column)
    listed = holds_lists(value_type)
    runs = parquet_row_ranges(log, max_rows=None)
    rows_of = f"read_parquet('{path}', file_row_number = true) {_row_filter(log, runs)}"
    # the type names as DuckDB's hash of each, where the log has few (see TypeHashes)
    hashes = None
    if log.type_column:
        hashes = type_hashes_of(kernel.con, f"SELECT {typ} AS type FROM {rows_of}")
    query = f"""
SELECT {_us_expr(ts_type, log.ts_unit, log.ts_format, log.ts_zone)} AS ts_us, value,
       {"hash(type) AS type_hash" if hashes is not None else "type"}
FROM (SELECT {ts_sql} AS ts,
             ({value_sql})::{"VARCHAR[]" if listed else "VARCHAR"} AS value,
             {typ} AS type
      FROM {rows_of})
"""
    # every worker holds a batch: about CHUNK_ROWS rows in flight in all
    batch_rows = max(1 << 16, CHUNK_ROWS // kernel.threads)
    reader = kernel.con.sql(query).to_arrow_reader(batch_rows)
    try:
        for rows, item in _scanned(kernel, reader, log, runs, hashes):
            yield item
            if on_rows is not None:
                on_rows(rows)
    finally:
        reader.close()
