"""Observable logs (CSV, JSON lines, Parquet, Zeek's own logs) read as streams
of record batches: the format told, the columns found, each format's reader
(JSON lines in :mod:`.jsonl`, Zeek's header in :mod:`.zeek`).

Each log has a timestamp column, a value column and optionally a type column;
without one, the kind of each value is inferred from its form. The value
column may hold several values a row (a Zeek set or vector, a JSON array, a
Parquet list): the batch's value column is then a list a row. The columns are
found by name (:data:`TS_NAMES`, :data:`VALUE_NAMES`, :data:`TYPE_NAMES`) unless
given. Rows that cannot be parsed (a CSV line with the wrong number of fields,
a JSON line that is not a JSON object) are skipped and reported with their
line number; values that are not valid observables are reported by the
correlator, also by line.

Row numbers: JSON lines and Zeek logs give the physical line; CSV logs the
record, as a spreadsheet numbers its rows (the header is 1; the line, unless
a quoted field holds a line end); Parquet gives the 0-based row index in the
file.

Timestamps come as the log holds them, for the correlator to read: text (CSV,
JSON strings; JSON numbers of seconds since the epoch among them are made
text), Parquet's own type, or UTC timestamps where a block of JSON lines
gives them all as numbers of seconds (as Zeek writes them), and for a Zeek
log's ``time`` fields. A batch's column types may therefore change from one
batch to the next.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from watchfloor.adapters.observables.base import (
    ObservableLogError,
    number_stamps,
    observable_batch,
)
from watchfloor.adapters.observables.json_array import (
    array_names,
    opens_as_json_array,
    read_json_array,
)
from watchfloor.adapters.observables.jsonl import json_names, read_jsonl
from watchfloor.adapters.observables.zeek import ZeekHeader, is_zeek_log
from watchfloor.engines.correlation.base import TIME_UNITS, ObservableLog, holds_lists
from watchfloor.engines.correlation.kernel import (
    check_ts_format,
    check_ts_zone,
    parquet_path,
    sql_identifier,
)
from watchfloor.engines.correlation.model import RejectedRow
from watchfloor.engines.correlation.splits import open_lines, open_log, packing_of

__all__ = [
    "TS_NAMES",
    "TYPE_NAMES",
    "VALUE_NAMES",
    "ObservableLogError",
    "detect_log",
    "detect_logs",
    "parquet_row_count",
    "read_observables",
]

TS_NAMES = (
    "timestamp",
    "ts",
    "time",
    "@timestamp",
    "datetime",
    "date",
    "observed_at",
    "first_seen",
)
VALUE_NAMES = ("value", "observable", "indicator", "ioc", "artifact", "observed_value")
TYPE_NAMES = ("type", "kind", "observable_type", "value_type", "ioc_type")
_FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",  # the delimiter is told from the header
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_BATCH = 65_536
_CSV_BLOCK = 1 << 22  # bytes of a CSV or Zeek log parsed at a time
_NAMES_FROM = 1 << 20  # bytes of JSON lines whose objects name the columns
_DELIMITERS = (",", ";", "\t", "|")  # a CSV log's, the usual first
_PACKED_SUFFIXES = (".gz", ".gzip", ".bz2", ".xz")
#: Containers a log may come in that are not read, and what to do instead.
_TAKE_OUT = "take its logs out and give each one (compressed with gzip, bzip2 or xz if need be)"
_NOT_READ = {
    b"PK\x03\x04": f"a ZIP archive; {_TAKE_OUT}",
    b"7z\xbc\xaf\x27\x1c": f"a 7-Zip archive; {_TAKE_OUT}",
    b"Rar!\x1a\x07": f"a RAR archive; {_TAKE_OUT}",
    b"\x28\xb5\x2f\xfd": "compressed with Zstandard, which is not read here; give it as "
    "it is, or compressed with gzip, bzip2 or xz",
}


def _check_text(path: Path) -> None:
    """Refuse an archive, and a file whose first KiB (decompressed, and as
    UTF-8 where it is UTF-16) holds a NUL byte: no text log in UTF-8."""
    with open(path, "rb") as raw:
        magic = raw.read(8)
    for mark, what in _NOT_READ.items():
        if magic.startswith(mark):
            raise ObservableLogError(f"{path}: {what}")
    with open_log(path) as fh:
        head = fh.read(1 << 10)
    if b"\x00" in head:
        raise ObservableLogError(
            f"{path}: holds NUL bytes, so it is no text log in UTF-8 (UTF-16 is read where it "
            "opens with its byte-order mark; a Parquet file needs the suffix .parquet)"
        )


def _format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    # a text log compressed as rotated: conn.log.gz, eve.json.gz, dns.log.xz
    packing = packing_of(path)
    if packing is not None and suffix in _PACKED_SUFFIXES:
        suffix = Path(path.stem).suffix.lower()
    fmt = _FORMATS.get(suffix)
    if fmt == "parquet" and packing is not None:
        raise ObservableLogError(
            f"{path}: a Parquet file compressed with {packing.name}; give it as it is"
        )
    if fmt == "jsonl" and suffix == ".json" and opens_as_json_array(path):
        return "json"  # one array of objects, as consoles export them
    if fmt is None:
        if is_zeek_log(path):  # Zeek's own logs: conn.log, dns.log...
            return "zeek"
        if _opens_as_json_object(path):  # Zeek's JSON logs, named conn.log too
            return "jsonl"
        raise ObservableLogError(
            f"{path}: cannot tell the format from the suffix {suffix!r}; "
            "expected .csv/.tsv, .jsonl/.ndjson, .parquet or a Zeek log (the text ones may be .gz)"
        )
    return fmt


def parquet_names(schema: pa.Schema) -> list[str]:
    """A Parquet schema's column names, then the dotted paths of the fields of
    its structs, and of the structs in its lists (see ``kernel.parquet_path``)."""
    names = list(schema.names)

    def fields(prefix: str, t: pa.DataType) -> None:
        while holds_lists(t):
            t = t.value_type
        if pa.types.is_struct(t):
            for f in t:
                names.append(f"{prefix}.{f.name}")
                fields(f"{prefix}.{f.name}", f.type)

    for f in schema:
        fields(f.name, f.type)
    return list(dict.fromkeys(names))


def _columns(path: Path, fmt: str) -> list[str]:
    if fmt == "zeek":
        return ZeekHeader.read(path).fields
    if fmt == "parquet":
        return parquet_names(pq.read_schema(path))
    if fmt == "csv":
        return csv_header(path)[0]
    # JSON: the names in the objects of the first MiB (an event log mixes
    # kinds of events, each with fields of its own)
    names: dict[str, None] = {}

    def named(obj: object) -> None:
        if isinstance(obj, dict):
            names.update(dict.fromkeys(json_names(obj)))

    if fmt == "json":
        array_names(path, _NAMES_FROM, named)
        return list(names)
    with _text(path) as fh:
        for line in fh.readlines(_NAMES_FROM):
            if line.strip():
                try:
                    named(json.loads(line))
                except json.JSONDecodeError:
                    continue
    return list(names)


def csv_header(path: Path) -> tuple[list[str], str]:
    """A CSV log's column names and its delimiter: of ``,``, ``;`` (as Excel
    writes CSV where the comma is the decimal mark), tab and ``|``, the one
    that cuts the header into the most names (a comma where none does). A
    byte-order mark (Excel's "CSV UTF-8") is no part of the first name."""
    with _text(path, newline="") as fh:
        header = fh.readline(_NAMES_FROM).removeprefix("\ufeff")
    cuts = {d: next(csv.reader([header], delimiter=d), []) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: len(cuts[d]))  # the first of equals: ","
    return cuts[best], best


def _opens_as_json_object(path: Path) -> bool:
    """Whether the file's first line that is not blank is a JSON object (of
    at most a MiB: whatever else the file is, it is not read whole for this)."""
    with _text(path) as fh:
        for _ in range(1000):
            line = fh.readline(_NAMES_FROM)
            if not line:
                break
            if line.strip():
                try:
                    return isinstance(json.loads(line), dict)
                except json.JSONDecodeError:
                    return False
    return False


def _text(path: Path, newline: str | None = None) -> io.TextIOWrapper:
    """A text log open as text (decompressed where it is compressed)."""
    return io.TextIOWrapper(open_log(path), encoding="utf-8", errors="replace", newline=newline)


def _pick(
    columns: Sequence[str], wanted: str | None, names: Sequence[str], what: str, path: Path
) -> str | None:
    if wanted is not None:
        if wanted not in columns:
            raise ObservableLogError(
                f"{path}: no column {wanted!r} (columns: {', '.join(columns)})"
            )
        return wanted
    lower = {c.lower(): c for c in columns}
    for n in names:
        if n in lower:
            return lower[n]
    if what == "type":
        return None
    raise ObservableLogError(
        f"{path}: no {what} column; name one of {', '.join(names)} or give it explicitly"
    )


def detect_log(
    path: str | Path,
    *,
    format: str | None = None,
    ts_column: str | None = None,
    value_column: str | None = None,
    type_column: str | None = None,
    ts_unit: str | None = None,
    ts_format: str | None = None,
    ts_zone: str | None = None,
) -> ObservableLog:
    """Describe a log: its format (from the suffix) and its columns (by name);
    how it writes its times: ``ts_unit``, as numbers in that unit
    (:data:`TIME_UNITS`); ``ts_format``, as text in that ``strptime`` format;
    ``ts_zone``, those without an offset in that zone (else UTC)."""
    times = _Times(ts_unit, ts_format, ts_zone)
    [log] = _detect(path, format, ts_column, [value_column], type_column, times)
    return log


def detect_logs(
    path: str | Path,
    *,
    ts_column: str | None = None,
    value_columns: Sequence[str] = (),
    type_column: str | None = None,
    ts_unit: str | None = None,
    ts_format: str | None = None,
    ts_zone: str | None = None,
) -> list[ObservableLog]:
    """:func:`detect_log` once for each of ``value_columns`` (a log read once
    for each, such as both ends of a connection), or once with the value
    column found by name where none is given; the file is looked at once."""
    values: Sequence[str | None] = value_columns or [None]
    times = _Times(ts_unit, ts_format, ts_zone)
    return _detect(path, None, ts_column, values, type_column, times)


class _Times(NamedTuple):
    """How a log writes its times (see :func:`detect_log`)."""

    unit: str | None
    format: str | None
    zone: str | None

    def check(self, p: Path) -> None:
        """Refuse a unit, format or zone that is none, or that clash."""
        if self.unit is not None and self.unit not in TIME_UNITS:
            units = ", ".join(TIME_UNITS)
            raise ObservableLogError(f"{p}: no time unit {self.unit!r} (units: {units})")
        if self.unit is not None and (self.format or self.zone) is not None:
            raise ObservableLogError(
                f"{p}: times are numbers since the epoch (in a unit), or text "
                "(in a format, a zone), not both"
            )
        try:
            if self.format is not None:
                check_ts_format(self.format)
            if self.zone is not None:
                check_ts_zone(self.zone)
        except ValueError as exc:
            raise ObservableLogError(f"{p}: {exc}") from None


def _detect(
    path: str | Path,
    format: str | None,
    ts_column: str | None,
    value_columns: Sequence[str | None],
    type_column: str | None,
    times: _Times,
) -> list[ObservableLog]:
    p = Path(path)
    if not p.is_file():
        raise ObservableLogError(f"{p}: no such file")
    times.check(p)
    if p.suffix.lower() not in (".parquet", ".pq"):
        _check_text(p)
    fmt = format or _format_of(p)
    cols = _columns(p, fmt)
    ts = _pick(cols, ts_column, TS_NAMES, "timestamp", p)
    values = [_pick(cols, wanted, VALUE_NAMES, "value", p) for wanted in value_columns]
    typ = _pick(cols, type_column, TYPE_NAMES, "type", p)
    assert ts is not None and None not in values
    if fmt == "parquet":  # one time and one type a row, not a list of them
        schema = pq.read_schema(p)
        for name, what in ((ts, "time"), (typ, "type")):
            if name is not None and holds_lists(parquet_path(schema, name)[1]):
                raise ObservableLogError(f"{p}: column {name!r} holds a list, not one {what} a row")
    delimiter = csv_header(p)[1] if fmt == "csv" else ","
    return [
        ObservableLog(
            str(p),
            fmt,
            ts,
            str(v),
            typ,
            ts_unit=times.unit,
            ts_format=times.format,
            ts_zone=times.zone,
            delimiter=delimiter,
        )
        for v in values
    ]


def parquet_row_count(log: ObservableLog) -> int:
    """Rows in a Parquet log (or in its selected row groups)."""
    meta = pq.ParquetFile(log.path).metadata
    groups = log.row_groups if log.row_groups is not None else range(meta.num_row_groups)
    return sum(meta.row_group(i).num_rows for i in groups)


def read_observables(
    log: ObservableLog, rejects: Callable[[RejectedRow], None]
) -> Iterator[pa.RecordBatch]:
    """Record batches of ``row_no, ts, value, type`` (``ts`` as in the file)."""
    if log.format == "parquet":
        yield from _read_parquet(log)
    elif log.format == "csv":
        yield from _read_csv(log, rejects)
    elif log.format == "jsonl":
        yield from read_jsonl(log, rejects)
    elif log.format == "json":
        yield from read_json_array(log, rejects)
    elif log.format == "zeek":
        yield from _read_csv(log, rejects, ZeekHeader.read(log.path))
    else:
        raise ObservableLogError(f"{log.path}: unsupported format {log.format!r}")


def _read_parquet(log: ObservableLog) -> Iterator[pa.RecordBatch]:
    pf = pq.ParquetFile(log.path)
    meta = pf.metadata
    groups = (
        list(log.row_groups) if log.row_groups is not None else list(range(meta.num_row_groups))
    )
    offsets = np.cumsum([0] + [meta.row_group(i).num_rows for i in range(meta.num_row_groups)])
    wanted = [log.ts_column, log.value_column] + ([log.type_column] if log.type_column else [])
    schema = pf.schema_arrow
    # a dotted path: its top column read, the path taken by the engine's SQL
    columns = list(dict.fromkeys(c if c in schema.names else c.split(".")[0] for c in wanted))
    paths = {c: parquet_path(schema, c)[0] for c in wanted if c not in schema.names}
    # Row groups are read one run of consecutive groups at a time, so row numbers follow.
    runs: list[list[int]] = []
    for g in groups:
        if runs and runs[-1][-1] + 1 == g:
            runs[-1].append(g)
        else:
            runs.append([g])
    for run in runs:
        row = int(offsets[run[0]])
        for b in pf.iter_batches(batch_size=_BATCH, row_groups=run, columns=columns):
            n = b.num_rows
            if paths:
                b = _with_paths(b, paths)
            yield observable_batch(
                pa.array(np.arange(row, row + n, dtype=np.int64)),
                _times(log, b.column(log.ts_column)),
                b.column(log.value_column),
                b.column(log.type_column) if log.type_column else None,
            )
            row += n


def _with_paths(batch: pa.RecordBatch, paths: dict[str, str]) -> pa.RecordBatch:
    """``batch`` with a column for each dotted path, read by its SQL."""
    con = duckdb.connect()
    try:
        con.register("batch", batch)
        selected = ", ".join(f"{sql} AS {sql_identifier(name)}" for name, sql in paths.items())
        found = con.sql(f"SELECT {selected} FROM batch").to_arrow_table()
    finally:
        con.close()
    for name in paths:
        batch = batch.append_column(name, found.column(name).combine_chunks())
    return batch


def _times(log: ObservableLog, column: pa.Array) -> pa.Array:
    """A log's times as it holds them, or with its unit given, as instants."""
    return column if log.ts_unit is None else number_stamps(column, log.ts_unit)


def _read_csv(
    log: ObservableLog,
    rejects: Callable[[RejectedRow], None],
    zeek: ZeekHeader | None = None,
) -> Iterator[pa.RecordBatch]:
    """A CSV log, or with ``zeek`` a Zeek log's rows: tab-separated, no
    quoting, its own marks for unset fields, ``#`` lines (the header,
    ``#close``) not rows and not reported. Either may be read in byte ranges
    (``log.byte_range``), its rows numbered from 1 within the range; a CSV
    range after the first takes its column names from the file's header
    (the caller checks that no range starts inside a quoted field: see
    ``dask_correlator``)."""
    skipped: list[int] = []  # the numbers of the rows the parser skipped

    def on_invalid(row: Any) -> str:
        number = row.number if row.number is not None else -1
        if row.text.strip() and not (zeek and row.text.startswith("#")):
            rejects(
                RejectedRow(
                    log.path,
                    number,
                    row.text[:200],
                    f"expected {row.expected_columns} fields, found {row.actual_columns}",
                )
            )
        skipped.append(number)
        return "skip"

    wanted = [log.ts_column, log.value_column] + ([log.type_column] if log.type_column else [])
    read = pacsv.ReadOptions(use_threads=False, block_size=_CSV_BLOCK)
    # a quoted field may hold a line end, even where a block ends
    parse = pacsv.ParseOptions(
        invalid_row_handler=on_invalid, ignore_empty_lines=False, newlines_in_values=True
    )
    next_line = 2  # line 1 is the header
    first = ""  # a Zeek log's first field: "#" lines of as many fields start it
    if zeek is not None:
        read.column_names, first, next_line = zeek.fields, zeek.fields[0], 1
        parse.delimiter, parse.quote_char = zeek.separator, False
        parse.newlines_in_values = False  # no quoting: every line end ends a row
    else:
        names, parse.delimiter = csv_header(Path(log.path))[0], log.delimiter
        if log.byte_range is not None and log.byte_range[0] > 0:  # no header in this range
            read.column_names, next_line = names, 1
    columns = list(dict.fromkeys([*wanted, first] if first else wanted))
    convert = pacsv.ConvertOptions(
        include_columns=columns, column_types={c: pa.string() for c in columns}
    )
    if zeek is not None:
        convert.null_values, convert.strings_can_be_null = [zeek.unset], True
    source = open_lines(log.path, log.byte_range)
    with source:
        if not source.peek(1):  # type: ignore[attr-defined]
            return  # a range in which no line starts (a line longer than the range)
        reader = pacsv.open_csv(
            source, read_options=read, parse_options=parse, convert_options=convert
        )
        for b in reader:
            n = b.num_rows
            pending = np.array(sorted(s for s in skipped if s >= next_line), dtype=np.int64)
            candidates = np.arange(next_line, next_line + n + len(pending), dtype=np.int64)
            if len(pending):
                candidates = candidates[~np.isin(candidates, pending)]
            lines = candidates[:n]
            if n:
                next_line = int(lines[-1]) + 1
            skipped[:] = [s for s in skipped if s >= next_line]
            if first:
                rows = pc.invert(pc.fill_null(pc.starts_with(b.column(first), "#"), False))
                b, lines = b.filter(rows), lines[rows.to_numpy(zero_copy_only=False)]
            yield (
                _zeek_batch(b, lines, log, zeek)
                if zeek
                else observable_batch(
                    pa.array(lines),
                    _times(log, b.column(log.ts_column)),
                    b.column(log.value_column),
                    b.column(log.type_column) if log.type_column else None,
                )
            )


def _zeek_batch(
    b: pa.RecordBatch, lines: np.ndarray, log: ObservableLog, zeek: ZeekHeader
) -> pa.RecordBatch:
    typ = zeek.text(b.column(log.type_column)) if log.type_column else None
    return observable_batch(
        pa.array(lines),
        zeek.times(log.ts_column, b.column(log.ts_column), log.ts_unit),
        zeek.values(log.value_column, b.column(log.value_column)),
        typ,
    )
