"""The indicator keys as a hash index the compiled kernel probes.

Built once per run from :attr:`IndicatorSet.keys`: every key's 64-bit hash,
the entries sorted by it (equal hashes adjacent), an open-addressing table
from hash to the first such entry with a Bloom filter in front of it, and for
exact verification each entry's tag, numbers and text bytes (in the Arrow
buffer they came in). Validity
windows are kept as microseconds since the epoch.
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


@dataclass(frozen=True, slots=True)
class KeyIndex:
    """Indicator keys sorted by hash, with a table from hash to first entry."""

    table: np.ndarray
    bloom: np.ndarray
    hashes: np.ndarray
    tags: np.ndarray
    his: np.ndarray
    los: np.ndarray
    starts: np.ndarray
    stops: np.ndarray
    data: np.ndarray
    idx: np.ndarray
    valid_from: np.ndarray
    valid_until: np.ndarray

    @classmethod
    def build(cls, keys: pa.Table) -> KeyIndex:
        """From an indicator set's key table (the reject sentinel is left out)."""
        keys = keys.filter(pc.greater_equal(keys.column("idx"), 0))
        tags = np.asarray(keys.column("tag").to_numpy(), np.int64)
        his = np.asarray(keys.column("hi").to_numpy(), np.uint64)
        los = np.asarray(keys.column("lo").to_numpy(), np.uint64)
        offsets, data = string_buffers(keys.column("text").combine_chunks())
        offsets = offsets.astype(np.int64)
        hashes = _compiled.hash_keys(tags, his, los, offsets, data)
        order = np.argsort(hashes)  # equal hashes end up adjacent; their order is free
        sorted_hashes = np.ascontiguousarray(hashes[order])
        table, bloom = _compiled.build_table(sorted_hashes)
        return cls(
            table=table,
            bloom=bloom,
            hashes=sorted_hashes,
            tags=tags[order],
            his=his[order],
            los=los[order],
            starts=offsets[:-1][order],
            stops=offsets[1:][order],
            data=data,
            idx=np.asarray(keys.column("idx").to_numpy(), np.int64)[order],
            valid_from=_micros(keys.column("valid_from"))[order],
            valid_until=_micros(keys.column("valid_until"))[order],
        )

    def arrays(self) -> tuple[np.ndarray, ...]:
        """In the order :func:`._compiled.scan` takes them."""
        return (
            self.table, self.bloom, self.hashes, self.tags, self.his, self.los,
            self.starts, self.stops, self.data, self.idx, self.valid_from, self.valid_until,
        )  # fmt: skip

    def lookup(self, key: Key, when: int) -> list[int]:
        """Indicator positions whose key equals ``key`` and whose window holds
        ``when`` (microseconds) — the kernel's probe, for rows it hands back."""
        is_int = TAG_IPV4 <= key.tag <= TAG_IPV4 + 32 or TAG_IPV6 <= key.tag <= TAG_IPV6 + 128
        text = key.text.encode("utf-8")
        if is_int:
            h = _compiled.int_key_hash(key.tag, np.uint64(key.hi), np.uint64(key.lo))
        else:
            h = _compiled.text_key_hash(key.tag, np.frombuffer(text, np.uint8), 0, len(text))
        e = int(_compiled.find_key(self.table, self.bloom, h))
        found: list[int] = []
        while 0 <= e < self.hashes.size and self.hashes[e] == h:
            same = int(self.tags[e]) == key.tag and (
                (int(self.his[e]), int(self.los[e])) == (key.hi, key.lo)
                if is_int
                else bytes(self.data[self.starts[e] : self.stops[e]]) == text
            )
            if same and self.valid_from[e] <= when < self.valid_until[e]:
                found.append(int(self.idx[e]))
            e += 1
        return found
