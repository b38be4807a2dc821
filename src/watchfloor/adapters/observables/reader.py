"""Observable logs (CSV, JSON lines, Parquet) read as streams of record batches.

Each log has a timestamp column, a value column and optionally a type column;
without one, the kind of each value is inferred from its form. The columns are
found by name (:data:`TS_NAMES`, :data:`VALUE_NAMES`, :data:`TYPE_NAMES`) unless
given. Rows that cannot be parsed (a CSV line with the wrong number of fields,
a JSON line that is not a JSON object) are skipped and reported with their
line number; values that are not valid observables are reported by the
correlator, also by line.

Row numbers: CSV and JSON lines give the physical line (the CSV header is line
1); Parquet gives the 0-based row index in the file.

Timestamps come as the log holds them, for the correlator to read: text (CSV,
JSON strings; JSON numbers of seconds since the epoch among them are made
text), Parquet's own type, or UTC timestamps where a block of JSON lines
gives them all as numbers of seconds (as Zeek writes them). A batch's column
types may therefore change from one batch to the next.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from watchfloor.engines.correlation.base import ObservableLog
from watchfloor.engines.correlation.model import RejectedRow

__all__ = [
    "TS_NAMES",
    "TYPE_NAMES",
    "VALUE_NAMES",
    "ObservableLogError",
    "detect_log",
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
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_BATCH = 65_536
_JSON_BLOCK = 1 << 24  # bytes of JSON lines parsed at a time
_SCHEMA = pa.schema(
    [("row_no", pa.int64()), ("ts", pa.string()), ("value", pa.string()), ("type", pa.string())]
)


class ObservableLogError(ValueError):
    """The log as a whole cannot be read (unknown format, missing columns)."""


def _format_of(path: Path) -> str:
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        with path.open("rb") as fh:
            if fh.read(11) == b"#separator ":  # Zeek's own logs: conn.log, dns.log...
                return "zeek"
        raise ObservableLogError(
            f"{path}: cannot tell the format from the suffix {path.suffix!r}; "
            "expected .csv, .jsonl/.ndjson, .parquet or a Zeek log"
        )
    return fmt


def _columns(path: Path, fmt: str) -> list[str]:
    if fmt == "zeek":
        return ZeekHeader.read(path).fields
    if fmt == "parquet":
        return list(pq.read_schema(path).names)
    if fmt == "csv":
        with path.open("r", encoding="utf-8", errors="replace", newline="") as fh:
            header = fh.readline()
        return next(iter(csv.reader([header])), [])
    with path.open("r", encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if line.strip():
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if isinstance(obj, dict):
                    return list(_json_names(obj))
    return []


def _json_names(obj: dict[str, Any], prefix: str = "", depth: int = 8) -> Iterator[str]:
    """A JSON object's keys, and the dotted paths of the fields of objects
    nested in it (``destination.ip``)."""
    for key, value in obj.items():
        yield prefix + key
        if isinstance(value, dict) and depth > 1:
            yield from _json_names(value, f"{prefix}{key}.", depth - 1)


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
) -> ObservableLog:
    """Describe a log: its format (from the suffix) and its columns (by name)."""
    p = Path(path)
    if not p.is_file():
        raise ObservableLogError(f"{p}: no such file")
    fmt = format or _format_of(p)
    cols = _columns(p, fmt)
    ts = _pick(cols, ts_column, TS_NAMES, "timestamp", p)
    value = _pick(cols, value_column, VALUE_NAMES, "value", p)
    typ = _pick(cols, type_column, TYPE_NAMES, "type", p)
    assert ts is not None and value is not None
    return ObservableLog(str(p), fmt, ts, value, typ)


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
        yield from _read_jsonl(log, rejects)
    elif log.format == "zeek":
        yield from _read_csv(log, rejects, ZeekHeader.read(log.path))
    else:
        raise ObservableLogError(f"{log.path}: unsupported format {log.format!r}")


def _batch(row_no: pa.Array, ts: pa.Array, value: pa.Array, typ: pa.Array | None) -> pa.RecordBatch:
    n = len(row_no)
    if typ is None:
        typ = pa.nulls(n, pa.string())
    if not pa.types.is_string(value.type):
        value = value.cast(pa.string())
    if not pa.types.is_string(typ.type):
        typ = typ.cast(pa.string())
    return pa.record_batch([row_no, ts, value, typ], names=["row_no", "ts", "value", "type"])


def _read_parquet(log: ObservableLog) -> Iterator[pa.RecordBatch]:
    pf = pq.ParquetFile(log.path)
    meta = pf.metadata
    groups = (
        list(log.row_groups) if log.row_groups is not None else list(range(meta.num_row_groups))
    )
    offsets = np.cumsum([0] + [meta.row_group(i).num_rows for i in range(meta.num_row_groups)])
    columns = [log.ts_column, log.value_column] + ([log.type_column] if log.type_column else [])
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
            yield _batch(
                pa.array(np.arange(row, row + n, dtype=np.int64)),
                b.column(log.ts_column),
                b.column(log.value_column),
                b.column(log.type_column) if log.type_column else None,
            )
            row += n


def _read_csv(
    log: ObservableLog,
    rejects: Callable[[RejectedRow], None],
    zeek: ZeekHeader | None = None,
) -> Iterator[pa.RecordBatch]:
    """A CSV log, or with ``zeek`` a Zeek log's rows (tab-separated, no
    quoting, its own marks for unset fields; ``#`` lines skipped unreported)."""
    skipped: list[int] = []  # physical line numbers of rows the parser skipped

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
    read = pacsv.ReadOptions(use_threads=False, block_size=1 << 22)
    parse = pacsv.ParseOptions(invalid_row_handler=on_invalid, ignore_empty_lines=False)
    convert = pacsv.ConvertOptions(
        include_columns=wanted, column_types={c: pa.string() for c in wanted}
    )
    next_line = 2  # line 1 is the header
    if zeek is not None:
        read.skip_rows, read.column_names = zeek.lines, zeek.fields
        parse.delimiter, parse.quote_char = zeek.separator, False
        convert.null_values, convert.strings_can_be_null = [zeek.unset], True
        next_line = zeek.lines + 1
    reader = pacsv.open_csv(
        log.path, read_options=read, parse_options=parse, convert_options=convert
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
        ts, value = b.column(log.ts_column), b.column(log.value_column)
        typ = b.column(log.type_column) if log.type_column else None
        if zeek is not None:
            ts, value = zeek.times(log.ts_column, ts), zeek.text(value)
            typ = zeek.text(typ) if typ is not None else None
        yield _batch(pa.array(lines), ts, value, typ)


#: The microseconds since the epoch that ``datetime`` holds: years 1 to 9999.
_FIRST_US = -62_135_596_800 * 1_000_000
_LAST_US = 253_402_300_800 * 1_000_000 - 1


def _epoch_stamps(seconds: np.ndarray) -> pa.Array:
    """JSON timestamps given as numbers, seconds since the epoch (float64;
    NaN: none), as UTC timestamps to the microsecond, rounded half to even as
    ``datetime.fromtimestamp`` rounds; null where it would refuse one
    (outside years 1-9999, not finite)."""
    finite = np.isfinite(seconds) & (np.abs(seconds) < 1e12)  # no int64 overflow below
    frac, whole = np.modf(np.where(finite, seconds, 0.0))
    us = whole.astype(np.int64) * 1_000_000 + np.rint(frac * 1e6).astype(np.int64)
    ok = finite & (us >= _FIRST_US) & (us <= _LAST_US)
    return pa.array(np.where(ok, us, 0), pa.timestamp("us", tz="UTC"), mask=~ok)


@dataclass(frozen=True)
class ZeekHeader:
    """What a Zeek log's ``#`` lines say: the separator, the marks of unset
    and empty fields, the fields and their Zeek types, and how many lines
    they take."""

    separator: str
    unset: str
    empty: str
    fields: list[str]
    types: dict[str, str]
    lines: int

    @classmethod
    def read(cls, path: str | Path) -> ZeekHeader:
        meta: dict[str, str] = {}
        lines = 0
        with open(path, "rb") as fh:
            first = fh.readline()
            if not first.startswith(b"#separator "):
                raise ObservableLogError(f"{path}: not a Zeek log (no #separator line first)")
            separator = _zeek_unescape(first[len(b"#separator ") :].rstrip(b"\r\n").decode())
            lines = 1
            for raw in fh:
                if not raw.startswith(b"#"):
                    break
                lines += 1
                key, _, rest = raw.decode("utf-8", "replace").rstrip("\r\n").partition(separator)
                meta[key[1:]] = rest
        if "fields" not in meta:
            raise ObservableLogError(f"{path}: a Zeek log without a #fields line")
        fields = meta["fields"].split(separator)
        types = dict(zip(fields, meta.get("types", "").split(separator), strict=False))
        return cls(
            separator,
            meta.get("unset_field", "-"),
            meta.get("empty_field", "(empty)"),
            fields,
            types,
            lines,
        )

    def times(self, name: str, column: pa.Array) -> pa.Array:
        """A column of Zeek ``time`` fields (seconds since the epoch, as text)
        as UTC timestamps; anything else is left as text."""
        if self.types.get(name) != "time":
            return self.text(column)
        numeric = pc.match_substring_regex(column, r"^-?[0-9]+(\.[0-9]*)?$")
        seconds = pc.if_else(numeric, column, pa.scalar(None, pa.string())).cast(pa.float64())
        return _epoch_stamps(seconds.to_numpy(zero_copy_only=False))

    def text(self, column: pa.Array) -> pa.Array:
        """String fields as written: the empty mark as an empty string, and
        ``\\xNN`` escapes (bytes Zeek would not write raw) as their bytes."""
        column = pc.if_else(pc.equal(column, self.empty), "", column)
        escaped = pc.match_substring(column, "\\x")
        if not pc.any(escaped).as_py():
            return column
        values = column.to_pylist()
        for i in np.flatnonzero(escaped.fill_null(False).to_numpy(zero_copy_only=False)):
            values[i] = _zeek_unescape(values[i])
        return pa.array(values, pa.string())


_ZEEK_ESCAPE = re.compile(rb"\\x([0-9A-Fa-f]{2})")


def _zeek_unescape(text: str) -> str:
    """Zeek's ``\\xNN`` escapes as the bytes they stand for (read as UTF-8)."""
    raw = _ZEEK_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), text.encode())
    return raw.decode("utf-8", "replace")


def _ts_value(v: Any) -> str | float | None:
    """A JSON line's timestamp as the line reader keeps it: text, or a number
    of seconds (see :func:`_ts_column`)."""
    if isinstance(v, str):
        return v
    if isinstance(v, int | float) and not isinstance(v, bool):
        try:
            return float(v)
        except OverflowError:  # an integer past any float: no time
            return None
    return None


def _ts_column(values: list[str | float | None]) -> pa.Array:
    """The line reader's timestamps as one text column, numbers as the text
    of :func:`_epoch_stamps` (which DuckDB reads back to the microsecond)."""
    numbers = [i for i, v in enumerate(values) if isinstance(v, float)]
    if not numbers:
        return pa.array(values, pa.string())
    stamps = _epoch_stamps(np.array([values[i] for i in numbers], np.float64))
    texts = stamps.cast(pa.string()).to_pylist()  # "2020-06-05 14:39:59.305988Z"
    out: list[str | float | None] = list(values)
    for i, text in zip(numbers, texts, strict=True):
        out[i] = text
    return pa.array(out, pa.string())


def _path(name: str) -> tuple[str, ...] | None:
    """A dotted column name's keys into nested JSON objects (ECS's
    ``destination.ip``), or None for a name without dots."""
    keys = tuple(name.split("."))
    return keys if len(keys) > 1 and all(keys) else None


def _field(obj: dict[str, Any], name: str) -> Any:
    """A JSON object's field ``name``: its own key (Zeek's ``id.resp_h``)
    where that is not null, else its dotted path into nested objects."""
    value = obj.get(name)
    keys = _path(name)
    if value is None and keys is not None:
        value = obj
        for key in keys:
            if not isinstance(value, dict):
                return None
            value = value.get(key)
    return value


def _json_schema(fields: dict[str, pa.DataType]) -> pa.Schema | None:
    """Arrow's schema for the ``fields`` (name -> type), each both as its own
    key and, dotted, as its path into nested objects (:func:`_field`); None
    where the two forms clash (``a`` and ``a.b``), for the line reader."""
    tree: dict[str, Any] = {}

    def place(at: dict[str, Any], keys: Sequence[str], kind: pa.DataType) -> bool:
        head, rest = keys[0], keys[1:]
        if not rest:
            if head in at:
                return False
            at[head] = kind
            return True
        below = at.setdefault(head, {})
        return isinstance(below, dict) and place(below, rest, kind)

    for name, kind in fields.items():
        keys = _path(name)
        if not place(tree, [name], kind) or (keys is not None and not place(tree, keys, kind)):
            return None

    def typed(node: Any) -> pa.DataType:
        if isinstance(node, dict):
            return pa.struct([(k, typed(v)) for k, v in node.items()])
        return node

    return pa.schema([(k, typed(v)) for k, v in tree.items()])


def _pluck(table: pa.Table, name: str) -> pa.Array:
    """Field ``name`` of every row of a table read with :func:`_json_schema`."""
    own = table.column(name).chunk(0)
    keys = _path(name)
    if keys is None:
        return own
    nested = table.column(keys[0]).chunk(0)
    for key in keys[1:]:
        nested = nested.flatten()[nested.type.get_field_index(key)]  # parent nulls kept
    return pc.coalesce(own, nested)


def _line_blocks(fh: BinaryIO) -> Iterator[bytes]:
    """The file in blocks of whole lines (about :data:`_JSON_BLOCK` bytes each;
    a line longer than that makes a longer block)."""
    pending: list[bytes] = []  # the start of a line longer than a block, piece by piece
    while True:
        chunk = fh.read(_JSON_BLOCK)
        if not chunk:
            if pending:
                yield b"".join(pending)
            return
        cut = chunk.rfind(b"\n") + 1
        if cut == 0:
            pending.append(chunk)
            continue
        yield b"".join([*pending, chunk[:cut]])
        pending = [chunk[cut:]] if cut < len(chunk) else []


def _jsonl_block_fast(
    block: bytes, log: ObservableLog, first_line: int, ts_types: list[pa.DataType]
) -> pa.RecordBatch | None:
    """A block of JSON lines parsed by Arrow's JSON reader, or ``None`` when
    the block is not plainly one object per line with string (or null) fields
    — the timestamps may also all be numbers, seconds since the epoch, as
    Zeek writes them — (blank lines, a value that is a number, bad JSON or
    UTF-8, a lone carriage return...): the line-by-line reader then handles
    it, with its reports. ``ts_types``: the timestamps' types to try, in
    order; the one that reads the block is moved first, for the next."""
    fields = [log.ts_column, log.value_column] + ([log.type_column] if log.type_column else [])
    if len(set(fields)) < len(fields):
        return None
    if b"\r" in block and block.count(b"\r") != block.count(b"\r\n"):
        return None  # a lone carriage return ends a line for the line reader
    raw = np.frombuffer(block, np.uint8)
    ends = np.flatnonzero(raw == 10)  # "\n"
    if raw.size and raw[-1] != 10:
        ends = np.append(ends, raw.size)
    starts = np.concatenate(([0], ends[:-1] + 1))
    if ends.size == 0 or np.any(ends <= starts):
        return None
    last = ends - 1 - (raw[ends - 1] == 13)  # before a "\r\n"
    # every line opens with "{" and closes with "}": then Arrow's rows are the
    # lines exactly when their counts agree (no line holds two objects or none)
    if np.any(raw[starts] != ord("{")) or np.any(raw[last] != ord("}")):
        return None
    table = None
    for ts_type in list(ts_types):
        schema = _json_schema({c: ts_type if c == log.ts_column else pa.string() for c in fields})
        if schema is None:
            return None
        try:
            table = pajson.read_json(
                pa.BufferReader(block),
                read_options=pajson.ReadOptions(use_threads=True, block_size=1 << 22),
                parse_options=pajson.ParseOptions(
                    explicit_schema=schema, unexpected_field_behavior="ignore"
                ),
            )
            if table.num_rows != ends.size:
                return None
            for column in table.columns:
                column.validate(full=True)  # UTF-8
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            table = None
            continue
        ts_types.remove(ts_type)
        ts_types.insert(0, ts_type)
        break
    if table is None:
        return None
    table = table.combine_chunks()  # rows > 0: one chunk a column
    ts = _pluck(table, log.ts_column)
    if pa.types.is_floating(ts.type):  # such batches hold timestamps, not text
        ts = _epoch_stamps(ts.to_numpy(zero_copy_only=False))
    return _batch(
        pa.array(np.arange(first_line, first_line + ends.size, dtype=np.int64)),
        ts,
        _pluck(table, log.value_column),
        _pluck(table, log.type_column) if log.type_column else None,
    )


def _read_jsonl(
    log: ObservableLog, rejects: Callable[[RejectedRow], None]
) -> Iterator[pa.RecordBatch]:
    """Blocks of plain lines go through Arrow's JSON reader; any other block
    is read line by line in Python, which reports each bad line. Both give the
    same rows."""
    line = 1  # the number of the block's first line
    ts_types = [pa.string(), pa.float64()]  # text, or seconds since the epoch
    with open(log.path, "rb") as fh:
        for block in _line_blocks(fh):
            fast = _jsonl_block_fast(block, log, line, ts_types)
            if fast is not None:
                yield fast
                line += fast.num_rows
                continue
            # universal newlines, as a text-mode file reads them
            lines = io.StringIO(block.decode("utf-8", errors="replace"), newline=None)
            numbered = list(enumerate(lines, start=line))
            yield from _jsonl_lines(numbered, log, rejects)
            line += len(numbered)


def _jsonl_lines(
    numbered: Iterable[tuple[int, str]], log: ObservableLog, rejects: Callable[[RejectedRow], None]
) -> Iterator[pa.RecordBatch]:
    rows: list[int] = []
    tss: list[str | float | None] = []
    values: list[str | None] = []
    types: list[str | None] = []

    def flush() -> pa.RecordBatch:
        b = _batch(
            pa.array(rows, pa.int64()),
            _ts_column(tss),
            pa.array(values, pa.string()),
            pa.array(types, pa.string()) if log.type_column else None,
        )
        rows.clear()
        tss.clear()
        values.clear()
        types.clear()
        return b

    for number, line in numbered:
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            rejects(
                RejectedRow(log.path, number, line[:200].rstrip("\n"), f"not valid JSON: {exc.msg}")
            )
            continue
        if not isinstance(obj, dict):
            rejects(RejectedRow(log.path, number, line[:200].rstrip("\n"), "not a JSON object"))
            continue
        value = _field(obj, log.value_column)
        rows.append(number)
        tss.append(_ts_value(_field(obj, log.ts_column)))
        values.append(value if isinstance(value, str) or value is None else json.dumps(value))
        t = _field(obj, log.type_column) if log.type_column else None
        types.append(t if isinstance(t, str) else None)
        if len(rows) >= _BATCH:
            yield flush()
    if rows:
        yield flush()
