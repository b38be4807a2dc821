"""JSON-lines logs: blocks of plain lines through Arrow's JSON reader, any
other block line by line in Python, which reports each bad line; both give
the same rows. Fields may be nested (a dotted name), times may be numbers
of seconds since the epoch, and values arrays (several a row)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pajson

from watchfloor.adapters.observables.base import (
    epoch_stamps,
    number_of,
    number_stamps,
    observable_batch,
)
from watchfloor.engines.correlation.base import TEXT_LIST, ObservableLog
from watchfloor.engines.correlation.model import RejectedRow
from watchfloor.engines.correlation.splits import open_lines

__all__ = ["block_fast", "block_forms", "json_names", "read_json_objects", "read_jsonl"]

_BATCH = 65_536  # rows a batch, read line by line
_JSON_BLOCK = 1 << 24  # bytes of JSON lines parsed at a time


def json_names(obj: dict[str, Any], prefix: str = "", depth: int = 8) -> Iterator[str]:
    """A JSON object's keys, and the dotted paths of the fields of objects
    nested in it (``destination.ip``), or in the objects of an array in it
    (``dns.answers.rdata``)."""
    for key, value in obj.items():
        yield prefix + key
        if depth <= 1:
            continue
        if isinstance(value, dict):
            yield from json_names(value, f"{prefix}{key}.", depth - 1)
        elif isinstance(value, list):
            for element in value:
                if isinstance(element, dict):
                    yield from json_names(element, f"{prefix}{key}.", depth - 1)


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


def _ts_column(values: list[str | float | None], unit: str | None = None) -> pa.Array:
    """The line reader's timestamps as one text column, numbers as the text
    of :func:`.base.epoch_stamps` (which DuckDB reads back to the microsecond);
    with a ``unit``, every time a number in it (:func:`.base.number_stamps`)."""
    if unit is not None:
        numbers_of = [number_of(v) if isinstance(v, str) else v for v in values]
        return epoch_stamps(np.array(numbers_of, np.float64), unit)  # None: NaN
    numbers = [i for i, v in enumerate(values) if isinstance(v, float)]
    if not numbers:
        return pa.array(values, pa.string())
    stamps = epoch_stamps(np.array([values[i] for i in numbers], np.float64))
    texts = stamps.cast(pa.string()).to_pylist()  # "2020-06-05 14:39:59.305988Z"
    out: list[str | float | None] = list(values)
    for i, text in zip(numbers, texts, strict=True):
        out[i] = text
    return pa.array(out, pa.string())


def _value_column(values: list[str | list[str | None] | None]) -> pa.Array:
    """The line reader's values: text, or where any row holds an array, a
    list a row (a single value its list of one, as Arrow's reader would not
    give the two in one block)."""
    if not any(isinstance(v, list) for v in values):
        return pa.array(values, pa.string())
    return pa.array([[v] if isinstance(v, str) else v for v in values], TEXT_LIST)


def _path(name: str) -> tuple[str, ...] | None:
    """A dotted column name's keys into nested JSON objects (ECS's
    ``destination.ip``), or None for a name without dots."""
    keys = tuple(name.split("."))
    return keys if len(keys) > 1 and all(keys) else None


def _field(obj: dict[str, Any], name: str) -> Any:
    """A JSON object's field ``name``: its own key (Zeek's ``id.resp_h``)
    where that is not null, else its dotted path into nested objects — through
    an array of objects too (Suricata's ``dns.queries.rrname``), giving a list
    of the field in each (null where one has none)."""
    value = obj.get(name)
    keys = _path(name)
    if value is None and keys is not None:
        return _walk(obj, keys)
    return value


def _walk(value: Any, keys: Sequence[str]) -> Any:
    """The value at ``keys`` into nested objects. An array on the way gives
    the list of the rest of the path in each of its elements, flattened as
    Elasticsearch reads arrays: an array in those (GuardDuty's
    ``networkInterfaces.privateIpAddresses.privateIpAddress``), or at the
    end, adds its elements to the list, at any depth."""
    for i, key in enumerate(keys):
        if isinstance(value, list):
            return _flat(_walk(element, keys[i:]) for element in value)
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _flat(values: Iterable[Any]) -> list[Any]:
    """``values`` with every list in them, at any depth, replaced by its elements."""
    out: list[Any] = []
    for value in values:
        if isinstance(value, list):
            out.extend(_flat(value))
        else:
            out.append(value)
    return out


class _Objects(dict[str, Any]):
    """An array of objects, in a schema being built (:func:`_json_schema`)."""


#: How the value column holds its values, for Arrow's reader: one a row
#: (``ONE``), an array of them (``ARRAY``), or ``n >= 0``: one in each object
#: of the array at the n-th key of its dotted path.
ONE, ARRAY = -2, -1


def _json_schema(fields: dict[str, tuple[pa.DataType, int]]) -> pa.Schema | None:
    """Arrow's schema for the ``fields`` (name -> type, and for the value
    column how it holds its values: :data:`ONE`, :data:`ARRAY` or the key of
    an array of objects), each both as its own key and, dotted, as its path
    into nested objects (:func:`_field`); None where the forms clash (``a``
    and ``a.b``, an object and an array of them), for the line reader."""
    tree: dict[str, Any] = {}

    def place(at: dict[str, Any], keys: Sequence[str], kind: pa.DataType, objects: int) -> bool:
        head, rest = keys[0], keys[1:]
        if not rest:
            if head in at:
                return False
            at[head] = kind
            return True
        node = _Objects if objects == 0 else dict
        below = at.setdefault(head, node())
        return type(below) is node and place(below, rest, kind, objects - 1)

    for name, (kind, holds) in fields.items():
        keys = _path(name)
        if holds == ARRAY:
            kind = TEXT_LIST
        own = TEXT_LIST if holds >= 0 else kind
        if not place(tree, [name], own, -1):
            return None
        if keys is not None and not place(tree, keys, kind, holds):
            return None
        if keys is None and holds >= 0:
            return None  # no path, no array of objects on it

    def typed(node: Any) -> pa.DataType:
        if isinstance(node, dict):
            struct = pa.struct([(k, typed(v)) for k, v in node.items()])
            return pa.list_(struct) if isinstance(node, _Objects) else struct
        return node

    return pa.schema([(k, typed(v)) for k, v in tree.items()])


def _pluck(table: pa.Table, name: str, holds: int = ONE) -> pa.Array:
    """Field ``name`` of every row of a table read with :func:`_json_schema`
    (``holds``: as there)."""
    own = table.column(name).chunk(0)
    keys = _path(name)
    if keys is None:
        return own
    nested = table.column(keys[0]).chunk(0)
    lists = None
    for i, key in enumerate(keys[1:]):
        if i == holds:  # the array of objects: on through its elements
            lists, nested = nested, pc.list_flatten(nested)
        nested = nested.flatten()[nested.type.get_field_index(key)]  # parent nulls kept
    if lists is not None:
        lengths = pc.list_value_length(lists).fill_null(0).to_numpy(zero_copy_only=False)
        offsets = pa.array(np.concatenate(([0], np.cumsum(lengths))), pa.int32())
        nested = pa.ListArray.from_arrays(offsets, nested, mask=lists.is_null())
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


def _read_ahead(blocks: Iterator[bytes]) -> Iterator[bytes]:
    """``blocks``, each next one read (and decompressed) on a thread of its
    own while the caller parses this one."""
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(next, blocks, None)
        while (block := pending.result()) is not None:
            pending = pool.submit(next, blocks, None)
            yield block


def block_fast(
    block: bytes, log: ObservableLog, first_line: int, forms: list[tuple[pa.DataType, int]]
) -> tuple[pa.RecordBatch, int] | None:
    """A block of JSON lines parsed by Arrow's JSON reader, and its number of
    lines (empty ones too), or ``None`` when
    the block is not plainly one object per line with string (or null) fields
    — the timestamps may also all be numbers, seconds since the epoch, as
    Zeek writes them, and the values all arrays of strings (or null), or
    fields of the objects of one array on their path; empty lines are no
    rows — (lines of spaces, a value that is a number, bad JSON or UTF-8, a
    lone carriage return...): the line-by-line reader then handles it, with
    its reports. ``forms``: the (timestamp type, :data:`ARRAY`...) to try, in
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
    lines = int(ends.size)  # empty ones too
    starts = np.concatenate(([0], ends[:-1] + 1))
    # empty lines ("\n", "\r\n") hold no row, for Arrow's reader as for the line reader
    empty = (ends == starts) | (
        (ends == starts + 1) & (raw[np.minimum(starts, raw.size - 1)] == 13)
    )
    kept = np.flatnonzero(~empty)
    if kept.size == 0:
        return None
    starts, ends = starts[kept], ends[kept]
    last = ends - 1 - (raw[ends - 1] == 13)  # before a "\r\n"
    # every line opens with "{" and closes with "}": then Arrow's rows are the
    # lines exactly when their counts agree (no line holds two objects or none)
    if np.any(raw[starts] != ord("{")) or np.any(raw[last] != ord("}")):
        return None
    table = None
    keys = _path(log.value_column) or ()
    arrays: set[int] | None = None  # looked for once a form that needs one is not first
    for k, form in enumerate(list(forms)):
        ts_type, holds = form
        if k and holds != ONE:
            if arrays is None:
                arrays = _arrays(block, keys) if b"[" in block else set()
            if holds not in arrays:
                continue
        types = {log.ts_column: (ts_type, ONE), log.value_column: (pa.string(), holds)}
        schema = _json_schema({c: types.get(c, (pa.string(), ONE)) for c in fields})
        if schema is None:
            continue
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
        forms.remove(form)
        forms.insert(0, form)
        break
    if table is None:
        return None
    table = table.combine_chunks()  # rows > 0: one chunk a column
    ts = _pluck(table, log.ts_column)
    if log.ts_unit is not None:
        ts = number_stamps(ts, log.ts_unit)
    elif pa.types.is_floating(ts.type):  # such batches hold timestamps, not text
        ts = epoch_stamps(ts.to_numpy(zero_copy_only=False))
    batch = observable_batch(
        pa.array(first_line + kept.astype(np.int64)),
        ts,
        _pluck(table, log.value_column, forms[0][1]),
        _pluck(table, log.type_column) if log.type_column else None,
    )
    return batch, lines


def _arrays(block: bytes, keys: Sequence[str]) -> set[int]:
    """How the block's value column may hold arrays (see :data:`ARRAY`): as
    its own values, or where a key of its dotted path opens an array."""
    found = {ARRAY}
    for i, key in enumerate(keys[:-1]):
        name = json.dumps(key).encode()
        if name + b":[" in block or name + b": [" in block:  # as JSON writers space it
            found.add(i)
    return found


def block_forms(log: ObservableLog) -> list[tuple[pa.DataType, int]]:
    """The forms :func:`block_fast` tries for ``log``'s blocks: times as text
    or seconds since the epoch; values one a row or in arrays."""
    keys = _path(log.value_column) or ()
    holds = [ONE, ARRAY, *range(len(keys) - 1)]
    return [(t, h) for h in holds for t in (pa.string(), pa.float64())]


def read_jsonl(
    log: ObservableLog, rejects: Callable[[RejectedRow], None]
) -> Iterator[pa.RecordBatch]:
    """Blocks of plain lines go through Arrow's JSON reader; any other block
    is read line by line in Python, which reports each bad line. Both give the
    same rows."""
    line = 1  # the number of the block's first line
    forms = block_forms(log)
    with open_lines(log.path, log.byte_range) as fh:  # a range: rows numbered within it
        for block in _read_ahead(_line_blocks(fh)):
            fast = block_fast(block, log, line, forms)
            if fast is not None:
                batch, count = fast
                yield batch
                line += count
                continue
            # universal newlines, as a text-mode file reads them
            lines = io.StringIO(block.decode("utf-8", errors="replace"), newline=None)
            numbered = list(enumerate(lines, start=line))
            yield from read_json_objects(numbered, log, rejects)
            line += len(numbered)


def read_json_objects(
    numbered: Iterable[tuple[int, str]], log: ObservableLog, rejects: Callable[[RejectedRow], None]
) -> Iterator[pa.RecordBatch]:
    """The rows of JSON texts, one object each, numbered (by their line): in
    Python, each bad one reported (not JSON, not an object) by its number."""
    rows: list[int] = []
    tss: list[str | float | None] = []
    values: list[str | list[str | None] | None] = []
    types: list[str | None] = []

    def flush() -> pa.RecordBatch:
        b = observable_batch(
            pa.array(rows, pa.int64()),
            _ts_column(tss, log.ts_unit),
            _value_column(values),
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
        if isinstance(value, list):  # several values (ECS's related.ip, Zeek's sets)
            value = _flat(value)  # arrays in it too, as Elasticsearch reads them
            values.append([v if isinstance(v, str) or v is None else json.dumps(v) for v in value])
        else:
            values.append(value if isinstance(value, str) or value is None else json.dumps(value))
        t = _field(obj, log.type_column) if log.type_column else None
        types.append(t if isinstance(t, str) else None)
        if len(rows) >= _BATCH:
            yield flush()
    if rows:
        yield flush()
