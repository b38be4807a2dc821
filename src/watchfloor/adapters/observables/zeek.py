"""Zeek's own tab-separated logs (``conn.log``, ``dns.log``…): the ``#``
header that says how to read them, and their escapes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchfloor.adapters.observables.base import ObservableLogError, number_stamps
from watchfloor.engines.correlation.splits import open_log

__all__ = ["ZeekHeader", "is_zeek_log"]

_FIRST = b"#separator "  # a Zeek log's first line names its separator


def is_zeek_log(path: str | Path) -> bool:
    """Whether the file opens as a Zeek log does."""
    with open_log(path) as fh:
        return fh.read(len(_FIRST)) == _FIRST


@dataclass(frozen=True)
class ZeekHeader:
    """What a Zeek log's ``#`` header says: the separator, the marks of unset
    and empty fields, the fields and their Zeek types, and the separator of
    the elements of a set or vector."""

    separator: str
    unset: str
    empty: str
    fields: list[str]
    types: dict[str, str]
    set_separator: str = ","

    @classmethod
    def read(cls, path: str | Path) -> ZeekHeader:
        meta: dict[str, str] = {}
        with open_log(path) as fh:
            first = fh.readline()
            if not first.startswith(_FIRST):
                raise ObservableLogError(f"{path}: not a Zeek log (no #separator line first)")
            named = first[len(_FIRST) :].rstrip(b"\r\n").decode("utf-8", "replace")
            separator = _zeek_unescape(named)
            for raw in fh:
                if not raw.startswith(b"#"):
                    break
                key, _, rest = raw.decode("utf-8", "replace").rstrip("\r\n").partition(separator)
                meta[key[1:]] = rest
        if len(separator) != 1:
            raise ObservableLogError(f"{path}: a Zeek separator of {len(separator)} characters")
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
            _zeek_unescape(meta.get("set_separator", ",")),
        )

    def times(self, name: str, column: pa.Array, unit: str | None = None) -> pa.Array:
        """A column of Zeek ``time`` fields (seconds since the epoch, as text),
        or of any field with a ``unit`` given, as UTC timestamps; anything
        else is left as text."""
        if unit is None and self.types.get(name) != "time":
            return self.text(column)
        return number_stamps(column, unit or "s")

    def values(self, name: str, column: pa.Array) -> pa.Array:
        """A column of observables: text (:meth:`text`), or for a ``set`` or
        ``vector`` field (``dns.log``'s ``answers``, ``files.log``'s
        ``tx_hosts``) a list a row: its elements split at the set separator,
        each unescaped; the empty mark an empty list."""
        if not self.types.get(name, "").startswith(("set[", "vector[")):
            return self.text(column)
        lists = pc.split_pattern(column, self.set_separator)
        lists = pc.if_else(pc.equal(column, self.empty), pa.scalar([], lists.type), lists)
        if isinstance(lists, pa.ChunkedArray):
            lists = lists.combine_chunks()
        return pa.ListArray.from_arrays(
            lists.offsets, _unescaped(lists.values), mask=lists.is_null()
        )

    def text(self, column: pa.Array) -> pa.Array:
        """String fields as written: the empty mark as an empty string, and
        ``\\xNN`` escapes (bytes Zeek would not write raw) as their bytes."""
        return _unescaped(pc.if_else(pc.equal(column, self.empty), "", column))


def _unescaped(column: pa.Array) -> pa.Array:
    """Zeek's ``\\xNN`` escapes in a column of text as the bytes they stand for."""
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
