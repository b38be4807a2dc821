"""The compiled kernel normalises observables exactly as the Python reference does."""

from __future__ import annotations

import ipaddress
import itertools
import random
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from watchfloor.engines.correlation import IndicatorSet, _compiled
from watchfloor.engines.correlation._compiled import T_REFERENCE, T_UNKNOWN
from watchfloor.engines.correlation.base import NO_VALUE, reason_kind
from watchfloor.engines.correlation.kernel import REASONS, Kernel, _type_codes, type_code
from watchfloor.engines.correlation.key_index import KeyIndex, PlanArrays, string_buffers
from watchfloor.engines.correlation.keys import (
    IPV4_RE,
    TYPE_NAMES,
    Key,
    KeyPlan,
    MalformedValue,
    ipv6_int,
    observable_keys,
)

PLAN = KeyPlan(ipv4_prefixes=(32, 24, 8), ipv6_prefixes=(128, 64, 48), domain_depths=(1, 2, 3))
TYPES = [
    None,
    "",
    "ip",
    "ipv4-addr",
    "IPv6",
    "domain",
    "hostname",
    "url",
    "md5",
    "sha1",
    "SHA-256",
    "hash",
    "mutex",
    " domain-name ",
]


_EMPTY_INDEX = KeyIndex.build(IndicatorSet.build([]).keys)


def _kernel_keys(
    values: Sequence[tuple[str | None, str | None]],
) -> list[frozenset[Key] | str | None]:
    """Per value: its probe keys, None when rejected, "reference" when handed back."""
    column = pa.array([v for v, _ in values], pa.string())
    offsets, data = string_buffers(column)
    n = len(values)
    out = _compiled.scan(
        offsets,
        data,
        column.is_null().to_numpy(zero_copy_only=False),
        np.array([type_code(t) for _, t in values], np.int8),
        np.zeros(n, np.int64),
        np.zeros(n, np.bool_),
        0,
        n,
        PlanArrays.of(PLAN).arrays(),
        _EMPTY_INDEX.arrays(),
        collect=True,
    )
    rejected, handed_back = set(out[3].tolist()), set(out[5].tolist())
    c_row, c_tag, c_hi, c_lo, c_off, c_text = out[6:]
    keys: list[set[Key]] = [set() for _ in values]
    for i, row in enumerate(c_row.tolist()):
        text = bytes(c_text[c_off[i] : c_off[i + 1]]).decode("utf-8")
        keys[row].add(Key(int(c_tag[i]), int(c_hi[i]), int(c_lo[i]), text))
    return [
        None if r in rejected else "reference" if r in handed_back else frozenset(keys[r])
        for r in range(n)
    ]


def _reference(value: str | None, type_name: str | None) -> frozenset[Key] | None:
    try:
        return frozenset(observable_keys(value or "", type_name, PLAN))
    except MalformedValue:
        return None


octet = st.integers(0, 300).map(str) | st.sampled_from(["01", "007", "", "a"])
ipv4 = st.lists(octet, min_size=3, max_size=5).map(".".join)
ipv6 = st.integers(0, (1 << 128) - 1).map(
    lambda n: str(ipaddress.IPv6Address(n))
) | st.sampled_from(
    [
        "::",
        "::1",
        "1::",
        "::ffff:192.0.2.1",
        "[2001:db8::1]",
        "2001:DB8::1%eth0",
        "1:2:3:4:5:6:7::",
        "1:2:3:4:5:6:7:8::",
        ":1::",
        "1:::2",
        "12345::",
        "::1.2.3.999",
        "1:2:3:4:5:6:1.2.3.4",
    ]
)
label = st.text(alphabet="abcXYZ09-_ü", min_size=0, max_size=5)
domain = st.lists(label, min_size=1, max_size=4).map(".".join) | st.sampled_from(
    ["evil.example.", "A.B.C.D.E", "x y.example", "..", "a/b"]
)
url = st.builds(
    lambda s, h, p, path: f"{s}://{h}{p}{path}",
    st.sampled_from(["http", "HTTPS", "ftp", "h2x"]),
    domain | ipv4 | st.just("[2001:db8::1]"),
    st.sampled_from(["", ":80", ":443", ":8080", ":"]),
    st.sampled_from(["", "/", "/A/b", "?q=1", "/x#frag", "#f"]),
) | st.sampled_from(
    [
        "evil.example/x",
        "http://",
        "://x",
        "http://user@h.example/",
        "http://user:pw@H.example:8080/x",
        "http://a@b@c.example/",
        "http://[zz]/",
        "http://[::1]:80/",
        "http://[1.2.3.4]/",
        "HTTP://Ünï.example/",
    ]
)
hexes = st.text(alphabet="0123456789abcdefABCDEFg", min_size=30, max_size=66)
values = (ipv4 | ipv6 | domain | url | hexes | st.text(max_size=6)).map(lambda v: v) | st.builds(
    lambda v: f" {v} ", ipv4 | domain
)


@settings(max_examples=12, deadline=None)
@given(st.lists(st.tuples(values, st.sampled_from(TYPES)), min_size=20, max_size=80))
def test_kernel_keys_equal_reference_keys(batch: list[tuple[str, str | None]]) -> None:
    got_all = _kernel_keys(list(batch))
    for (value, type_name), got in zip(batch, got_all, strict=True):
        if got == "reference":  # non-ASCII: the reference itself normalises it
            assert not value.strip(" ").isascii(), (value, type_name)
            continue
        assert got == _reference(value, type_name), (value, type_name)


def test_hash_values_accept_exactly_the_hex_digits() -> None:
    # the kernel checks and lower-cases hash values eight bytes at a time:
    # every byte value, at the edges of those words, against the reference
    bases = {"md5": "0123456789abcdefABCDEF0123456789", "sha1": "aB3" * 13 + "f"}
    bases["sha256"] = bases["md5"] * 2
    batch: list[tuple[str | None, str | None]] = []
    for type_name, base in bases.items():
        for c in range(1, 256):
            for at in (0, 7, 8, len(base) - 1):
                batch.append((base[:at] + chr(c) + base[at + 1 :], type_name))
                batch.append((base[:at] + chr(c) + base[at + 1 :], "hash"))
    got = _kernel_keys(batch)
    assert sum(1 for g in got if g) > 300  # the valid ones did make keys
    _assert_agree(batch, got)


def _assert_agree(
    batch: Sequence[tuple[str | None, str | None]],
    got: Sequence[frozenset[Key] | str | None],
) -> None:
    """Every row's kernel keys equal the reference's; a row handed back to
    the reference must hold non-ASCII text."""
    for (value, type_name), keys in zip(batch, got, strict=True):
        assert value is not None
        if keys == "reference":
            assert not value.isascii(), (value, type_name)
            continue
        assert keys == _reference(value, type_name), (value, type_name)


@njit  # not cached: a cached copy would not see a change of the kernel's module
def _ipv4_both(offsets: np.ndarray, data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    words = np.empty(offsets.size - 1, np.int64)
    single = np.empty_like(words)
    for i in range(words.size):
        words[i] = _compiled._ipv4(data, offsets[i], offsets[i + 1])
        single[i] = _compiled._ipv4_bytes(data, offsets[i], offsets[i + 1])
    return words, single


def _ipv4_expected(value: str) -> int:
    if not re.fullmatch(IPV4_RE, value):
        return -2
    try:
        return int(ipaddress.IPv4Address(value))
    except ValueError:
        return -1


def test_ipv4_read_as_words_agrees_with_byte_by_byte_and_the_reference() -> None:
    # the kernel reads an address as two words (byte by byte near the buffer's
    # end): every combination of octet forms, and their edges
    forms = ["", "0", "00", "01", "1", "9", "10", "99", "100", "199", "255", "256", "999"]
    values = [".".join(p) for p in itertools.product([*forms, "1000", "a"], repeat=4)]
    values += [".".join(p) for n in (3, 5) for p in itertools.product(forms[:6], repeat=n)]
    values += ["255.255.255.255", "0.0.0.0", "1.2.3.4.", ".1.2.3", "1.2.3.4/8", "1.2.3.4:80"]
    values += ["1.2.3.4\x00", "1.2.3.\x7f", "1.2.3.\u00e9", "１.2.3.4", "1.2.3.4 ", "1-2.3.4"]
    raw = [v.encode() for v in values]
    offsets = np.cumsum([8] + [len(r) for r in raw]).astype(np.int64)
    padded = bytes(8) + b"".join(raw) + bytes(16)  # room on both sides: words everywhere
    words, single = _ipv4_both(offsets, np.frombuffer(padded, np.uint8))
    assert words.tolist() == single.tolist()
    assert words.tolist() == [_ipv4_expected(v) for v in values]
    assert sum(1 for w in words if w >= 0) > 4_000  # many were addresses
    assert sum(1 for w in words if w == -1) > 5_000  # many of the form, above 255
    # unpadded: the first and the last ones byte by byte
    tight = np.frombuffer(b"".join(raw), np.uint8)
    assert _ipv4_both(offsets - 8, tight)[0].tolist() == words.tolist()


@njit  # not cached, as above
def _ipv6_all(offsets: np.ndarray, data: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ok = np.empty(offsets.size - 1, np.bool_)
    his = np.empty(offsets.size - 1, np.uint64)
    los = np.empty_like(his)
    ps = np.empty(16, np.int64)
    pe = np.empty(16, np.int64)
    for i in range(ok.size):
        ok[i], his[i], los[i] = _compiled._ipv6(data, offsets[i], offsets[i + 1], ps, pe)
    return ok, his, los


def _ipv6_expected(value: str) -> int | None:
    try:
        return ipv6_int(value)
    except MalformedValue:
        return None


def test_ipv6_read_as_words_agrees_with_the_reference() -> None:
    # the kernel finds the colons (and a zone's "%") eight bytes at a time and
    # reads each group of hex digits from one load: every combination of group
    # forms in short addresses, many in long ones, and the edges
    forms = ["", "0", "1", "a", "F", "0db8", "ABCD", "ffff", "12345", "g", "1g", "0000"]
    values = [":".join(p) for n in (3, 4) for p in itertools.product(forms, repeat=n)]
    pick = random.Random(6)
    values += [":".join(pick.choices(forms, k=pick.randint(5, 11))) for _ in range(6000)]
    values += [":".join(pick.choices(forms[1:8], k=8)) for _ in range(2000)]  # all full
    values += [v + tail for v in values[::37] for tail in (":1.2.3.4", ":1.2.3.999", "%eth0")]
    values += ["[" + v + "]" for v in values[::41]]
    values += ["::", "::1", "1::", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::"]
    values += ["::ffff:192.0.2.1", "2001:DB8::1%eth0", "1:2:3:4:5:6:1.2.3.4", "1%2::", "%::1"]
    values += ["1::2:" * 12, "a:" * 40 + ":1", "::\x80", "::/", "::@", "::`", "::G"]
    raw = [v.encode() for v in values]
    expected = [_ipv6_expected(v) for v in values]
    assert sum(1 for e in expected if e is not None) > 3_000  # many were addresses
    assert sum(1 for e in expected if e is None) > 3_000  # many were not
    for pad in (8, 0):  # room around every value (words), none (byte by byte at the ends)
        offsets = np.cumsum([pad] + [len(r) for r in raw]).astype(np.int64)
        data = np.frombuffer(bytes(pad) + b"".join(raw) + bytes(pad), np.uint8)
        ok, his, los = _ipv6_all(offsets, data)
        parts = zip(ok.tolist(), his.tolist(), los.tolist(), strict=True)
        got = [(h << 64 | lo) if k else None for k, h, lo in parts]
        assert got == expected


def test_urls_of_every_shape_agree() -> None:
    # userinfo (with a colon), bracketed hosts, ports, and the host's own checks
    hosts = ["h.example", "H.Example.", "1.2.3.4", "999.1.1.1", "[2001:db8::1]", "[zz]", ""]
    shapes = [
        f"{scheme}{user}{host}{port}{path}"
        for scheme in ("http://", "HTTPS://", "ftp://", "x-y+z://", "")
        for user in ("", "u@", "u:pw@", "a@b@")
        for host in hosts
        for port in ("", ":80", ":443", ":8080", ":")
        for path in ("", "/", "/A?b=1", "#f", "/p#f\nx")
    ]
    batch = [(v, t) for v in shapes for t in (None, "url")]
    got = _kernel_keys(batch)
    _assert_agree(batch, got)


def test_domains_of_every_shape_agree() -> None:
    # names up to 32 bytes are read as four words, longer ones byte by byte
    labels = ["", "a", "Ab", "x-y", "_", "9", "é", "a b", "a/b", "WWW", "l" * 20, "m" * 63]
    labels.append("n" * 64)  # one too long
    names = [".".join(p) for n in (1, 2, 3) for p in itertools.product(labels, repeat=n)]
    names += [f"{name}." for name in names[:200]] + ["a..", ".", "..", "a." * 16 + "b"]
    batch = [(v, t) for v in names for t in ("domain", None)]
    got = _kernel_keys(batch)
    assert sum(1 for g in got if g) > 1_000  # many were names
    _assert_agree(batch, got)


def test_edge_cases_agree() -> None:
    batch: list[tuple[str | None, str | None]] = [
        (None, None),
        ("", "ip"),
        ("10.0.0.1", "ip"),
        ("::ffff:10.0.0.1", None),
        ("HTTP://Evil.Example:80?q=A#x", None),
        ("WWW.EVIL.EXAMPLE.", "domain"),
        ("D41D8CD98F00B204E9800998ECF8427E", None),
        ("d41d8cd98f00b204e9800998ecf8427e", "sha1"),
        ("bücher.example", None),
    ]
    got = _kernel_keys(batch)
    assert got[:8] == [_reference(v, t) for v, t in batch[:8]]
    assert got[0] is None and got[1] is None and got[7] is None
    assert got[2] and got[3] and got[4] and got[5] and got[6]
    assert got[8] == "reference"  # bücher.example: Unicode, handed back


def test_rows_are_rejected_with_the_reference_reasons() -> None:
    batch = pa.record_batch(
        {
            "row_no": pa.array(range(9), pa.int64()),
            "ts": pa.array(["2025-01-01T00:00:00Z"] * 6 + ["not a time"] * 3),
            "value": [
                *("1.2.3.999", "   ", "x", "evil..example", "abc", "1.2.3.4"),
                *("1.2.3.4", "", None),
            ],
            "type": [None, None, None, "domain", "sha1", "mutex", None, None, "ipv4"],
        }
    )
    with Kernel(IndicatorSet.build([]).index, KeyPlan(ipv4_prefixes=(32,))) as kernel:
        matches, rejects, tally = kernel.scan(batch, "log.csv")
    assert matches.num_rows == 0 and sum(tally.values()) == 9
    # rows without a value (blank, empty, null), whatever their time, are
    # counted apart and not reported; every reject counted by its reason, the
    # type as written left out
    assert tally.pop(NO_VALUE) == 3
    assert tally == Counter(reason_kind(r.reason).removesuffix(" mutex") for r in rejects)
    assert [(r.row, r.reason) for r in rejects] == [
        (0, REASONS[_compiled.R_IPV4]),
        (2, "cannot tell the kind of value"),
        (3, "not a domain name"),
        (4, "not a SHA-1 (40 hex digits) hash"),
        (5, "unknown observable type mutex"),
        (6, "missing or malformed timestamp"),
    ]


@settings(max_examples=30, deadline=None)
@given(st.binary(max_size=80), st.integers(0, 40), st.integers(0, 7))
def test_word_hash_equals_the_index_hash(raw: bytes, start: int, pad: int) -> None:
    # the scan hashes key texts eight bytes a step from a padded buffer; the
    # index hashed the indicators byte by byte: both must agree on every span
    start = min(start, len(raw))
    buffer = np.zeros((len(raw) + pad + 16) // 8 * 8 + 16, np.uint8)
    buffer[pad : pad + len(raw)] = np.frombuffer(raw, np.uint8)
    a, b = pad + start, pad + len(raw)
    assert _compiled._text_hash_padded(4, buffer, a, b) == _compiled.text_key_hash(4, buffer, a, b)


_type_names = st.one_of(
    st.none(),
    st.sampled_from([*TYPE_NAMES, *(n.upper() for n in TYPE_NAMES), "IP-Src"]),
    st.builds(
        lambda pad_l, name, pad_r: " " * pad_l + name + " " * pad_r,
        st.integers(0, 2),
        st.sampled_from(TYPE_NAMES),
        st.integers(0, 2),
    ),
    st.text(alphabet="abcdefhilmnopstuvwxyz-0123456789 ", max_size=20),
    st.text(max_size=20),  # any Unicode: non-ASCII names go to the reference
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_type_names, max_size=40))
def test_compiled_type_codes_equal_type_code(names: list[str | None]) -> None:
    """The compiled lookup gives every type name the code type_code gives it
    (non-ASCII names: handed to the reference, which lower-cases Unicode)."""
    got = _type_codes(pa.array(names, pa.string())).tolist()
    want = [T_REFERENCE if n is not None and not n.isascii() else type_code(n) for n in names]
    assert got == want


def test_type_names_of_every_length_are_told_apart() -> None:
    """Known names, a byte longer or shorter, and names past the compared width."""
    names = [*TYPE_NAMES, *(n[:-1] for n in TYPE_NAMES), *(n + "x" for n in TYPE_NAMES)]
    names += ["a" * 16, "a" * 17, "sha256" + " " * 20, "x" * 40]
    got = _type_codes(pa.array(names, pa.string())).tolist()
    assert got == [type_code(n) for n in names]
    assert got[: len(TYPE_NAMES)] == [type_code(n) for n in TYPE_NAMES]
    assert all(code != T_UNKNOWN for code in got[: len(TYPE_NAMES)])


def test_eight_ascii_bytes_are_lower_cased_at_once_as_one_at_a_time() -> None:
    """The word-at-a-time lower-casing of short type names, for every ASCII
    byte in every position (next to every other byte, in turn)."""
    for c in range(128):
        raw = bytes((c + 37 * j) % 128 if j else c for j in range(8))
        for shift in range(8):
            word = raw[shift:] + raw[:shift]
            got = int(_compiled._lower64(np.uint64(int.from_bytes(word, "little"))))
            want = int.from_bytes(bytes(_compiled._LOWER[b] for b in word), "little")
            assert got == want, (word, hex(got), hex(want))


def test_mixed_case_type_names_get_their_code() -> None:
    names = [n[::2].upper() + n[1::2] for n in TYPE_NAMES]  # not the name, but mixed case
    names += ["".join(ch.upper() if i % 2 else ch for i, ch in enumerate(n)) for n in TYPE_NAMES]
    assert _type_codes(pa.array(names, pa.string())).tolist() == [type_code(n) for n in names]
