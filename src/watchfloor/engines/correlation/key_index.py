"""The indicator keys as a hash index the compiled kernel probes.

Built once per indicator set from :attr:`IndicatorSet.keys`: every key's
64-bit hash, the entries sorted by it (equal hashes adjacent), an
open-addressing table from hash to the first such entry with a Bloom filter in
front of it, and for exact verification each entry's tag, numbers, validity
window (microseconds since the epoch) and the span of its text in the byte
buffer the texts came in — one cache line an entry.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchfloor.engines.correlation import _compiled
from watchfloor.engines.correlation.keys import TAG_IPV4, TAG_IPV6, Key, KeyPlan

__all__ = ["KeyIndex", "PlanArrays", "string_buffers"]

_M64 = (1 << 64) - 1


def string_buffers(array: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The offsets (one more than the rows) and the byte buffer of a string
    array, without copying; nulls read as empty strings."""
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        array = array.cast(pa.string())
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    width = np.int64 if pa.types.is_large_string(array.type) else np.int32
    _, offsets_buf, data_buf = array.buffers()
    if offsets_buf is None:  # an empty array
        return np.zeros(1, width), np.zeros(1, np.uint8)
    offsets = np.frombuffer(offsets_buf, width)[array.offset : array.offset + len(array) + 1]
    data = np.frombuffer(data_buf, np.uint8) if data_buf is not None else np.zeros(1, np.uint8)
    if data.size == 0:
        data = np.zeros(1, np.uint8)
    return offsets, data


def _micros(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return np.asarray(
        column.cast(pa.timestamp("us", tz="UTC")).cast(pa.int64()).to_numpy(), np.int64
    )


@dataclass(frozen=True, slots=True)
class PlanArrays:
    """A :class:`KeyPlan` as the arrays the kernel reads."""

    v4_prefixes: np.ndarray
    v4_masks: np.ndarray
    v6_prefixes: np.ndarray
    v6_mask_hi: np.ndarray
    v6_mask_lo: np.ndarray
    depths: np.ndarray  # the numbers of labels domains are probed at, ascending

    @classmethod
    def of(cls, plan: KeyPlan) -> PlanArrays:
        v4 = np.array(plan.ipv4_prefixes, np.int64)
        v6 = np.array(plan.ipv6_prefixes, np.int64)
        v6_mask = [((1 << 128) - 1) ^ ((1 << (128 - int(p))) - 1) for p in v6]
        depths = np.array(sorted(plan.domain_depths), np.int64)
        return cls(
            v4,
            np.array([0xFFFF_FFFF ^ ((1 << (32 - int(p))) - 1) for p in v4], np.uint64),
            v6,
            np.array([m >> 64 for m in v6_mask], np.uint64),
            np.array([m & _M64 for m in v6_mask], np.uint64),
            depths,
        )

    def arrays(self) -> tuple[np.ndarray, ...]:
        """In the order :func:`._compiled.scan` takes them."""
        return (
            self.v4_prefixes, self.v4_masks, self.v6_prefixes,
            self.v6_mask_hi, self.v6_mask_lo, self.depths,
        )  # fmt: skip


def _aligned_rows(n: int, width: int) -> np.ndarray:
    """An uninitialised ``(n, width)`` int64 array starting on a 64-byte boundary
    (with ``width`` 8, every row is one cache line)."""
    raw = np.empty(n * width + 8, np.int64)
    skip = (-raw.ctypes.data % 64) // 8
    return raw[skip : skip + n * width].reshape(n, width)


@dataclass(frozen=True, slots=True)
class KeyIndex:
    """Indicator keys sorted by hash, with a table from hash to first entry.

    ``entries`` holds one row of :data:`._compiled.ENTRY_FIELDS` a key (what
    verifying a candidate reads, in one cache line); ``data`` the key texts.
    """

    table: np.ndarray
    bloom: np.ndarray
    entries: np.ndarray
    data: np.ndarray

    @classmethod
    def build(cls, keys: pa.Table) -> KeyIndex:
        """From an indicator set's key table (the reject sentinel is left out)."""
        keys = keys.filter(pc.greater_equal(keys.column("idx"), 0))
        tags = np.asarray(keys.column("tag").to_numpy(), np.int64)
        his = np.asarray(keys.column("hi").to_numpy(), np.uint64)
        los = np.asarray(keys.column("lo").to_numpy(), np.uint64)
        offsets, data = string_buffers(keys.column("text").combine_chunks())
        offsets = offsets.astype(np.int64)
        hashes = _compiled.hash_keys(
            *(_compiled.read_only(a) for a in (tags, his, los, offsets, data))
        )
        order = np.argsort(hashes)  # equal hashes end up adjacent; their order is free
        sorted_hashes = np.ascontiguousarray(hashes[order])
        table, bloom = _compiled.build_table(sorted_hashes)
        idx = np.asarray(keys.column("idx").to_numpy(), np.int64)
        entries = _aligned_rows(len(order), len(_compiled.ENTRY_FIELDS))
        unsigned = entries.view(np.uint64)
        unsigned[:, _compiled.E_HASH] = sorted_hashes
        unsigned[:, _compiled.E_HI] = his[order]
        unsigned[:, _compiled.E_LO] = los[order]
        entries[:, _compiled.E_TAG_IDX] = (idx[order] << 16) | tags[order]
        entries[:, _compiled.E_START] = offsets[:-1][order]
        entries[:, _compiled.E_STOP] = offsets[1:][order]
        entries[:, _compiled.E_FROM] = _micros(keys.column("valid_from"))[order]
        entries[:, _compiled.E_UNTIL] = _micros(keys.column("valid_until"))[order]
        return cls(table=table, bloom=bloom, entries=entries, data=data)

    def arrays(self) -> tuple[np.ndarray, ...]:
        """In the order :func:`._compiled.scan` takes them."""
        return (self.table, self.bloom, self.entries, self.entries.view(np.uint64), self.data)

    def lookup(self, key: Key, when: int) -> list[int]:
        """Indicator positions whose key equals ``key`` and whose window holds
        ``when`` (microseconds) — the kernel's probe, for rows it hands back."""
        is_int = TAG_IPV4 <= key.tag <= TAG_IPV4 + 32 or TAG_IPV6 <= key.tag <= TAG_IPV6 + 128
        text = key.text.encode("utf-8")
        if is_int:
            h = _compiled.int_key_hash(key.tag, np.uint64(key.hi), np.uint64(key.lo))
        else:
            h = _compiled.text_key_hash(key.tag, np.frombuffer(text, np.uint8), 0, len(text))
        # Numba hands a uint64 back as a Python int, which it would read as
        # int64 below 2**63 and compile the search again for
        e = int(_compiled.find_key(self.table, self.bloom, np.uint64(h)))
        unsigned = self.entries.view(np.uint64)
        found: list[int] = []
        while 0 <= e < len(self.entries) and unsigned[e, _compiled.E_HASH] == h:
            _, hi, lo, tag_idx, start, stop, valid_from, valid_until = (int(v) for v in unsigned[e])
            tag_idx, valid_from, valid_until = (
                int(self.entries[e, f])
                for f in (_compiled.E_TAG_IDX, _compiled.E_FROM, _compiled.E_UNTIL)
            )
            same = tag_idx & 0xFFFF == key.tag and (
                (hi, lo) == (key.hi, key.lo) if is_int else bytes(self.data[start:stop]) == text
            )
            if same and valid_from <= when < valid_until:
                found.append(tag_idx >> 16)
            e += 1
        return found
