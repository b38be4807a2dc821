"""The compiled correlation kernel: normalise, expand and probe, one pass per row.

Numba compiles these functions to machine code on first use (and caches the
result beside this file). They read an Arrow string column in place — its
offsets and its byte buffer — so no Python object is made per row. For each
row the kernel

1. trims spaces and works out the kind (from the type code, else from the form),
2. validates and normalises the value into a scratch buffer (lower case, URL
   default port and fragment dropped …),
3. expands it into its probe keys (network addresses at each prefix length in
   use, domain suffixes at each depth in use, a URL also through its host), and
4. gathers the keys of a block of rows and probes the indicator index for
   them all — a Bloom filter, then an open-addressing hash table on a 64-bit
   hash of each key — and verifies every candidate exactly (tag, numbers,
   bytes, validity window) before it emits a match, so a hash collision can
   never make a false match.

The rules are those of :mod:`.keys` (the reference, in Python); a property test
checks that both expand generated values into the same keys. Where the rules
lower-case text (domains, URLs), or count characters (a hash of unstated
algorithm), a row holding a non-ASCII byte is handed back to the caller, as is
a non-ASCII type name; the caller normalises those with the reference (Unicode
lower-casing) and probes through :func:`find_key` — rare in real logs, and
exact.

Keys are hashed eight bytes a step (multiply, shift, then splitmix64's
finaliser). A small Bloom filter in front of the table answers most probes —
a log's values rarely meet an indicator — from cache.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from watchfloor.engines.correlation.keys import TAG_DOMAIN, TAG_IPV4, TAG_IPV6, TAG_URL

# Kind codes (ObservableKind values) and the type codes of a row.
K_NONE = 0
K_IPV4 = 1
K_IPV6 = 2
K_DOMAIN = 3
K_URL = 4
K_MD5 = 5
K_SHA1 = 6
K_SHA256 = 7
T_INFER = 0  # no type, or an empty one: the value's form tells
T_IP = 8  # ip, ip-src …: IPv6 if the value has a colon, else IPv4
T_HASH = 9  # hash of unstated algorithm: by length
T_UNKNOWN = 10  # a type name nobody knows
T_REFERENCE = 11  # a type name with non-ASCII characters: the reference reads it

# Reasons a row is skipped (see REASONS in kernel.py), in the order they are
# tested, but for R_EMPTY, tested first: a row without a value is no row to
# correlate (counted apart, not rejected), whatever its time.
R_TS = 1
R_EMPTY = 2
R_TYPE = 3
R_KIND = 4
R_IPV4 = 5
R_IPV6 = 6
R_DOMAIN = 7
R_URL = 8
R_MD5 = 9
R_SHA1 = 10
R_SHA256 = 11

#: The fields of an index entry, one row of eight 64-bit words (one cache
#: line): key hash, the numbers (addresses), ``idx << 16 | tag``, the span of
#: the key text in the text buffer, the validity window in microseconds.
ENTRY_FIELDS = ("hash", "hi", "lo", "tag_idx", "start", "stop", "valid_from", "valid_until")
E_HASH, E_HI, E_LO, E_TAG_IDX, E_START, E_STOP, E_FROM, E_UNTIL = range(8)

MAX_KEYS = 192  # per row: 1 URL key + up to 127 domain depths, or 33 IPv4 prefixes

_SEED_TEXT = np.uint64(0xCBF29CE484222325)
_SEED_INT = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S16 = np.uint64(16)
_S48 = np.uint64(48)
_FFFF = np.uint64(0xFFFF)
_BLOOM_SHIFT = np.uint64(40)  # a key hash's bits 40.. choose its Bloom word
_ZERO = np.uint64(0)

_SPACE = 32
_DOT = 46
_COLON = 58
_SLASH = 47
_HASHMARK = 35
_QUESTION = 63
_AT = 64
_LBRACKET = 91
_RBRACKET = 93
_PERCENT = 37


def _prefetch_typer(typingctx: Any, array: Any, index: Any) -> Any:
    """Ask the processor to start loading ``array.flat[index]`` into its caches
    (LLVM's ``prefetch``: a hint, no fault, no effect on results), so that the
    loads of several probes overlap instead of waiting on memory one by one."""
    if not isinstance(array, types.Array) or not isinstance(index, types.Integer):
        return None
    signature = types.void(array, index)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        data = context.make_array(sig.args[0])(context, builder, args[0]).data
        at = context.cast(builder, args[1], sig.args[1], types.intp)
        byte = ir.IntType(8).as_pointer()
        address = builder.bitcast(builder.gep(data, [at]), byte)
        i32 = ir.IntType(32)
        hint = ir.FunctionType(ir.VoidType(), [byte, i32, i32, i32])
        fn = cgutils.get_or_insert_function(  # type: ignore[no-untyped-call]
            builder.module, hint, "llvm.prefetch.p0"
        )
        builder.call(fn, [address, i32(0), i32(3), i32(1)])  # read, keep, data cache
        return context.get_dummy_value()

    return signature, codegen


_prefetch: Any = intrinsic(_prefetch_typer)


def _trailing_zeros_typer(typingctx: Any, word: Any) -> Any:
    """The number of zero bits below the lowest set bit of a 64-bit word (64
    for zero): LLVM's ``cttz``, one instruction."""
    if not isinstance(word, types.Integer):
        return None
    signature = types.uint64(word)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        value = context.cast(builder, args[0], sig.args[0], types.uint64)
        i64 = ir.IntType(64)
        count = ir.FunctionType(i64, [i64, ir.IntType(1)])
        fn = cgutils.get_or_insert_function(  # type: ignore[no-untyped-call]
            builder.module, count, "llvm.cttz.i64"
        )
        return builder.call(fn, [value, ir.IntType(1)(0)])

    return signature, codegen


_trailing_zeros: Any = intrinsic(_trailing_zeros_typer)


def _store64_typer(typingctx: Any, array: Any, index: Any, word: Any) -> Any:
    """Write a 64-bit word little-endian at byte ``index`` of a byte array, at
    any alignment (one instruction; no bounds check: the caller keeps
    ``index + 8 <= array.size``)."""
    if not isinstance(array, types.Array) or array.dtype != types.uint8:
        return None
    if not isinstance(index, types.Integer) or not isinstance(word, types.Integer):
        return None
    signature = types.void(array, index, word)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        data = context.make_array(sig.args[0])(context, builder, args[0]).data
        at = context.cast(builder, args[1], sig.args[1], types.intp)
        value = context.cast(builder, args[2], sig.args[2], types.uint64)
        address = builder.bitcast(builder.gep(data, [at]), ir.IntType(64).as_pointer())
        builder.store(value, address, align=1)
        return context.get_dummy_value()

    return signature, codegen


_store64: Any = intrinsic(_store64_typer)


@njit(inline="always", cache=True)
def _u(i: int) -> np.uint64:
    """An index that is not negative, as unsigned: Numba then indexes without
    its test for a negative (from the end) index, which in the byte loops cost
    more than the work. Measured on the benchmark mix, one thread: 225 -> 195
    ns a row; URLs 321 -> 237, SHA-256 157 -> 103, domains 121 -> 103."""
    return np.uint64(i)


@njit(inline="always", cache=True)
def _mix(h: np.uint64) -> np.uint64:  # splitmix64's finaliser
    h = (h ^ (h >> _S30)) * _M1
    h = (h ^ (h >> _S27)) * _M2
    return h ^ (h >> _S31)


@njit(inline="always", cache=True)
def _load64(buf: np.ndarray, i: int) -> np.uint64:
    """Eight bytes from ``buf[i]`` as a little-endian word (any alignment;
    ``0 <= i``, ``i + 8 <= buf.size``)."""
    w = np.uint64(buf[_u(i)])
    for j in range(1, 8):
        w |= np.uint64(buf[_u(i + j)]) << np.uint64(8 * j)
    return w


@njit(inline="always", cache=True)
def _int_hash(tag: int, hi: np.uint64, lo: np.uint64) -> np.uint64:
    """The hash of a numeric key (addresses)."""
    # one finaliser over a (wrapping) combination: keys that collide on it only
    # cost a verification, never a false match
    return _mix(lo + hi * _M2 + (np.uint64(tag) + _SEED_INT) * _M1)


@njit(cache=True)
def int_key_hash(tag: int, hi: np.uint64, lo: np.uint64) -> np.uint64:
    """The hash of a numeric key (addresses)."""
    return _int_hash(tag, hi, lo)


@njit(inline="always", cache=True)
def _text_seed(tag: int, width: int) -> np.uint64:
    """The start of a text key's hash: its tag and its length."""
    return _mix(np.uint64(tag) + _SEED_TEXT) ^ np.uint64(width)


@njit(inline="always", cache=True)
def _text_step(h: np.uint64, w: np.uint64) -> np.uint64:
    """One eight-byte step of a text key's hash."""
    h = (h ^ w) * _M1
    return h ^ (h >> _S31)


@njit(inline="always", cache=True)
def _text_hash(tag: int, buf: np.ndarray, start: int, stop: int) -> np.uint64:
    """The hash of a text key ``buf[start:stop]``, eight bytes a step."""
    h = _text_seed(tag, stop - start)
    i = start
    while i + 8 <= stop:
        h = _text_step(h, _load64(buf, i))
        i += 8
    if i < stop:
        w = _ZERO
        for j in range(stop - i):
            w |= np.uint64(buf[i + j]) << np.uint64(8 * j)
        h = (h ^ w) * _M1
    return _mix(h)


@njit(inline="always", cache=True)
def _text_hash_padded(tag: int, buf: np.ndarray, start: int, stop: int) -> np.uint64:
    """:func:`_text_hash` of bytes ``start:stop`` of a buffer with at least
    eight bytes after ``stop``: the same value, every step one load of eight
    bytes at any alignment, the last one masked (no loop over the tail)."""
    h = _text_seed(tag, stop - start)
    i = start
    while i + 8 <= stop:
        h = _text_step(h, _load64(buf, i))
        i += 8
    if i < stop:
        w = _load64(buf, i) & (_ONES >> np.uint64(64 - 8 * (stop - i)))
        h = (h ^ w) * _M1
    return _mix(h)


@njit(cache=True)
def text_key_hash(tag: int, buf: np.ndarray, start: int, stop: int) -> np.uint64:
    """The hash of a text key ``buf[start:stop]``, eight bytes a step."""
    return _text_hash(tag, buf, start, stop)


@njit(cache=True)
def hash_keys(
    tags: np.ndarray,
    his: np.ndarray,
    los: np.ndarray,
    offsets: np.ndarray,
    data: np.ndarray,
) -> np.ndarray:
    """The hash of every indicator key (text keys from the Arrow string buffers)."""
    n = tags.size
    out = np.empty(n, np.uint64)
    for i in range(n):
        t = int(tags[i])
        if TAG_IPV4 <= t <= TAG_IPV4 + 32 or TAG_IPV6 <= t <= TAG_IPV6 + 128:
            out[i] = int_key_hash(t, his[i], los[i])
        else:
            out[i] = text_key_hash(t, data, offsets[i], offsets[i + 1])
    return out


@njit(cache=True)
def build_table(sorted_hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The probe structures over the sorted key hashes.

    * a table, open addressing, a power of two of slots at most half full, each
      slot two words: a hash and 1 + the position of its first entry (0: empty);
    * a Bloom filter of one 64-bit word per probe, about 8 bits a distinct key
      and three bits set per key, small enough to stay in cache: most probes of
      a log miss every indicator and stop there (about 1 % pass falsely).
    """
    distinct = 0
    for i in range(sorted_hashes.size):
        if i == 0 or sorted_hashes[i - 1] != sorted_hashes[i]:
            distinct += 1
    size = 16
    while size < 2 * distinct:
        size *= 2
    table = np.zeros(2 * size, np.uint64)
    mask = np.uint64(size - 1)
    words = 16
    while words * 8 < distinct:
        words *= 2
    bloom = np.zeros(words, np.uint64)
    for i in range(sorted_hashes.size):
        h = sorted_hashes[i]
        if i > 0 and sorted_hashes[i - 1] == h:
            continue
        slot = h & mask
        while table[2 * slot + 1] != _ZERO:
            slot = (slot + np.uint64(1)) & mask
        table[2 * slot] = h
        table[2 * slot + 1] = np.uint64(i + 1)
        w = h >> _BLOOM_SHIFT
        bloom[w & np.uint64(words - 1)] |= _bloom_bits(h)
    return table, bloom


@njit(inline="always", cache=True)
def _bloom_bits(h: np.uint64) -> np.uint64:
    one = np.uint64(1)
    b63 = np.uint64(63)
    return (
        (one << (h & b63))
        | (one << ((h >> np.uint64(6)) & b63))
        | (one << ((h >> np.uint64(12)) & b63))
    )


@njit(inline="always", cache=True)
def _find(table: np.ndarray, bloom: np.ndarray, h: np.uint64) -> int:
    bits = _bloom_bits(h)
    if bloom[(h >> _BLOOM_SHIFT) & np.uint64(bloom.size - 1)] & bits != bits:
        return -1
    return _slot_entry(table, h)


@njit(inline="always", cache=True)
def _slot_entry(table: np.ndarray, h: np.uint64) -> int:
    """The first entry whose hash is ``h`` (the table alone), or -1."""
    mask = np.uint64(table.size // 2 - 1)
    slot = h & mask
    while True:
        e = table[2 * slot + 1]
        if e == _ZERO:
            return -1
        if table[2 * slot] == h:
            return int(e) - 1
        slot = (slot + np.uint64(1)) & mask


@njit(cache=True)
def find_key(table: np.ndarray, bloom: np.ndarray, h: np.uint64) -> int:
    """The first entry whose hash is ``h``, or -1."""
    return _find(table, bloom, h)


# --- byte-level tests -------------------------------------------------------------


# Character classes as one table lookup a byte (chained comparisons of bytes
# compile to slow code in Numba): bit 1 hex digit, 2 decimal digit, 4 letter,
# 8 scheme character, 16 domain-label character (DOMAIN_LABEL_RE: anything but
# . space \t \n \r \f \v / : @ ? # [ ] \ %), 32 the dot.
_HEX, _DIGIT, _ALPHA, _SCHEME, _LABEL, _DOTBIT = 1, 2, 4, 8, 16, 32


def _classes() -> tuple[np.ndarray, np.ndarray]:
    cls = np.zeros(256, np.uint8)
    lower = np.arange(256, dtype=np.uint8)
    for c in range(256):
        ch = chr(c)
        if ch in "0123456789abcdefABCDEF":
            cls[c] |= _HEX
        if ch in "0123456789":
            cls[c] |= _DIGIT
        if ch.isascii() and ch.isalpha():
            cls[c] |= _ALPHA
            lower[c] = ord(ch.lower())
        if ch.isascii() and (ch.isalnum() or ch in "+.-"):
            cls[c] |= _SCHEME
        if ch not in ". \t\n\r\f\v/:@?#[]\\%":
            cls[c] |= _LABEL
        if ch == ".":
            cls[c] |= _DOTBIT
    return cls, lower


_CLASS, _LOWER = _classes()


@njit(inline="always", cache=True)
def _has(c: np.uint8, bit: int) -> bool:
    """Whether byte ``c`` is of the class ``bit`` (_HEX, _DIGIT, _ALPHA …)."""
    return bool(_CLASS[c] & bit)


@njit(inline="always", cache=True)
def _lower(c: np.uint8) -> np.uint8:
    return np.uint8(_LOWER[c])


@njit(inline="always", cache=True)
def _hex_value(c: np.uint8) -> int:
    if c <= 57:
        return int(c) - 48
    if c >= 97:
        return int(c) - 87
    return int(c) - 55


@njit(inline="always", cache=True)
def _contains(data: np.ndarray, a: int, b: int, c: int) -> bool:
    for i in range(a, b):
        if data[_u(i)] == c:
            return True
    return False


@njit(inline="always", cache=True)
def _ascii(data: np.ndarray, a: int, b: int) -> bool:
    """Whether bytes ``a:b`` are all ASCII: eight at a time, the rest one by one."""
    words = _ZERO
    i = a
    while i + 8 <= b:
        words |= _load64(data, i)
        i += 8
    bits = 0
    for j in range(i, b):
        bits |= data[_u(j)]
    return bits < 128 and (words & _HIGH_BITS) == _ZERO


# Byte ranges tested eight bytes at a time on 7-bit bytes: adding 0x80 - lo sets
# a byte's top bit when it is >= lo, adding 0x7F - hi when it is > hi (no carry
# crosses a byte below 0x80).
_DIGITS_FROM = np.uint64(0x5050505050505050)  # byte >= "0": top bit set
_DIGITS_PAST = np.uint64(0x4646464646464646)  # byte > "9"
_DOTS_FROM = np.uint64(0x5252525252525252)  # byte >= "."
_DOTS_PAST = np.uint64(0x5151515151515151)  # byte > "."
_FROM_UPPER = np.uint64(0x3F3F3F3F3F3F3F3F)  # byte >= "A"
_PAST_UPPER = np.uint64(0x2525252525252525)  # byte > "Z"
_PAST_UPPER_F = np.uint64(0x3939393939393939)  # byte > "F"
_FROM_LOWER = np.uint64(0x1F1F1F1F1F1F1F1F)  # byte >= "a"
_PAST_LOWER = np.uint64(0x0505050505050505)  # byte > "z"
_PAST_LOWER_F = np.uint64(0x1919191919191919)  # byte > "f"
_FROM_HYPHEN = np.uint64(0x5353535353535353)  # byte >= "-" (then to "." with _DOTS_PAST)
_FROM_UNDERSCORE = np.uint64(0x2121212121212121)  # byte >= "_"
_PAST_UNDERSCORE = np.uint64(0x2020202020202020)  # byte > "_"
_GATHER = np.uint64(0x0102040810204080)  # top bits of eight bytes -> one byte
_FF = np.uint64(0xFF)


@njit(inline="always", cache=True)
def _bits_of_bytes(m: np.uint64) -> int:
    """Byte ``i``'s top bit of ``m`` as bit ``i`` of the result (``m``'s other bits clear)."""
    return int(np.int64(((m >> np.uint64(7)) * _GATHER) >> np.uint64(56)))


_DIGIT_NIBBLES = np.uint64(0x0F0F0F0F)
_PAIRS = np.uint64(0x00FF00FF)
_HIGH4 = np.uint64(0x80808080)  # the top bits of four bytes


@njit(inline="always", cache=True)
def _four_before(data: np.ndarray, end: int) -> np.uint64:
    """The four bytes before byte ``end`` (``end >= 8``) as the low half of a
    word, in one load."""
    return _load64(data, end - 8) >> np.uint64(32)


@njit(inline="always", cache=True)
def _positional(values: np.uint64, base: int) -> int:
    """The number written by four digit values, one a byte (the first the
    most significant; leading ones zero), in ``base`` (10 or 16): the digits
    combined in pairs (``base * d + next``), then the pairs, each at once."""
    b = np.uint64(base)
    pairs = (values * b + (values >> np.uint64(8))) & _PAIRS
    return int(np.int64((pairs & _FF) * b * b + (pairs >> np.uint64(16))))


@njit(inline="always", cache=True)
def _octet(data: np.ndarray, end: int, width: int) -> int:
    """The value of the ``width`` (1 to 3) digits that end before byte
    ``end`` (``end >= 8``); -2 for a leading zero.

    The four bytes before ``end`` in one load, the bytes before the octet
    masked off, then :func:`_positional`: no loop or branch on the
    width, which varies from octet to octet. (Against a window shifted out
    of two words by the octet's start, IPv4 rows 84-91 -> 63-73 ns.)"""
    word = _four_before(data, end)
    unused = np.uint64(8 * (4 - width))
    value = _positional(word & ((_DIGIT_NIBBLES << unused) & _DIGIT_NIBBLES), 10)
    zero_first = ((word >> unused) & _FF) == np.uint64(48)
    return -2 if zero_first and width > 1 else value


@njit(inline="always", cache=True)
def _ipv4(data: np.ndarray, a: int, b: int) -> int:
    """``-2``: not of the form of IPV4_RE; ``-1``: of the form, an octet above 255;
    else the address.

    Read as two words: which bytes are digits and which are dots, eight at a
    time; the dots' places from their bit mask; each octet from the word
    that ends with it (:func:`_octet`). (Byte by byte, where each octet's
    digits end was a branch the processor mostly mispredicted.) Near either
    end of the buffer: :func:`_ipv4_bytes`."""
    n = b - a
    if n < 7 or n > 15:  # "0.0.0.0" .. "999.999.999.999"
        return -2
    if a < 7 or a + 16 > data.size:
        return _ipv4_bytes(data, a, b)
    lo = _load64(data, a)
    hi = _load64(data, a + 8)
    if n <= 8:
        live_lo = _HIGH_BITS >> np.uint64(8 * (8 - n))
        live_hi = _ZERO
    else:
        live_lo = _HIGH_BITS
        live_hi = _HIGH_BITS >> np.uint64(8 * (16 - n))
    x = lo & _LOW7
    digit = (x + _DIGITS_FROM) & ~(x + _DIGITS_PAST) & ~lo & live_lo
    dot = (x + _DOTS_FROM) & ~(x + _DOTS_PAST) & ~lo & live_lo
    y = hi & _LOW7
    digit_hi = (y + _DIGITS_FROM) & ~(y + _DIGITS_PAST) & ~hi & live_hi
    dot_hi = (y + _DOTS_FROM) & ~(y + _DOTS_PAST) & ~hi & live_hi
    if (digit | dot) != live_lo or (digit_hi | dot_hi) != live_hi:
        return -2
    dots = np.uint64(_bits_of_bytes(dot) | (_bits_of_bytes(dot_hi) << 8))
    d1 = int(np.int64(_trailing_zeros(dots)))
    dots &= dots - np.uint64(1)
    d2 = int(np.int64(_trailing_zeros(dots)))
    dots &= dots - np.uint64(1)
    d3 = int(np.int64(_trailing_zeros(dots)))
    dots &= dots - np.uint64(1)
    if dots != _ZERO or d3 >= 64:  # not exactly three dots
        return -2
    w1, w2, w3, w4 = d1, d2 - d1 - 1, d3 - d2 - 1, n - d3 - 1
    if min(min(w1, w2), min(w3, w4)) < 1 or max(max(w1, w2), max(w3, w4)) > 3:
        return -2
    o1 = _octet(data, a + d1, w1)
    o2 = _octet(data, a + d2, w2)
    o3 = _octet(data, a + d3, w3)
    o4 = _octet(data, b, w4)
    if o1 < 0 or o2 < 0 or o3 < 0 or o4 < 0:
        return -2
    if o1 > 255 or o2 > 255 or o3 > 255 or o4 > 255:
        return -1
    return ((o1 * 256 + o2) * 256 + o3) * 256 + o4


@njit(inline="always", cache=True)
def _ipv4_bytes(data: np.ndarray, a: int, b: int) -> int:
    """:func:`_ipv4`, byte by byte."""
    value = 0
    octets = 0
    i = a
    while True:
        start = i
        n = 0
        while i < b and _has(data[_u(i)], _DIGIT):
            n = n * 10 + int(data[_u(i)]) - 48
            i += 1
        width = i - start
        if width == 0 or width > 3 or (width > 1 and data[_u(start)] == 48):
            return -2
        octets += 1
        value = value * 256 + n if n <= 255 and value >= 0 else -1
        if octets == 4:
            break
        if i >= b or data[_u(i)] != _DOT:
            return -2
        i += 1
    if i != b:
        return -2
    return value


@njit(inline="always", cache=True)
def _infer(data: np.ndarray, a: int, b: int) -> tuple[int, int]:
    """keys.infer_kind without a type name, on trimmed bytes, in one pass;
    for an IPv4 address also its :func:`_ipv4` value (else -2)."""
    colon = slash = dot = scheme = False
    hexes = _HEX
    quad = True  # digits and dots only
    for i in range(a, b):
        c = data[_u(i)]
        cls = _CLASS[c]
        hexes &= cls
        quad = quad and (cls & (_DIGIT | _DOTBIT)) != 0
        if c == _COLON:
            if i + 2 < b and data[_u(i + 1)] == _SLASH and data[_u(i + 2)] == _SLASH:
                scheme = True
            colon = True
        elif c == _SLASH:
            slash = True
        elif c == _DOT:
            dot = True
    if scheme:
        return K_URL, -2
    n = b - a
    if (n == 32 or n == 40 or n == 64) and hexes:
        return (K_MD5 if n == 32 else (K_SHA1 if n == 40 else K_SHA256)), -2
    if quad:
        ip = _ipv4(data, a, b)
        if ip != -2:
            return K_IPV4, ip
    if colon:
        return K_IPV6, -2
    if slash:
        return K_URL, -2
    if dot:
        return K_DOMAIN, -2
    return K_NONE, -2


@njit(inline="always", cache=True)
def _hextet(data: np.ndarray, a: int, b: int) -> int:
    if b - a < 1 or b - a > 4:
        return -1
    v = 0
    for i in range(a, b):
        if not _has(data[_u(i)], _HEX):
            return -1
        v = v * 16 + _hex_value(data[_u(i)])
    return v


@njit(inline="always", cache=True)
def _hextet_word(data: np.ndarray, s: int, e: int) -> int:
    """:func:`_hextet` from the four bytes before ``e`` in one load: each
    checked a hex digit and turned into its value at once, then
    :func:`_positional` — no loop or branch per digit."""
    width = e - s
    if width < 1 or width > 4:
        return -1
    if e < 8:
        return _hextet(data, s, e)
    word = _four_before(data, e)
    unused = np.uint64(8 * (4 - width))
    live = (_HIGH_BITS << unused) & _HIGH4
    x = word & _LOW7
    digit = (x + _DIGITS_FROM) & ~(x + _DIGITS_PAST)
    letter = ((x + _FROM_UPPER) & ~(x + _PAST_UPPER_F)) | ((x + _FROM_LOWER) & ~(x + _PAST_LOWER_F))
    if ((digit | letter) & ~word & live) != live:
        return -1
    # a digit's value is its low four bits; a letter's (a-f, A-F: 1-6) plus 9
    nibbles = (word & (_DIGIT_NIBBLES << unused) & _DIGIT_NIBBLES) + (
        ((letter & live) >> np.uint64(7)) * np.uint64(9)
    )
    return _positional(nibbles, 16)


@njit(inline="always", cache=True)
def _byte_bits(w: np.uint64, repeated: np.uint64, live: np.uint64) -> np.uint64:
    """Bit ``i`` set where byte ``i`` of ``w`` is the byte of ``repeated``
    (given in every place) and of ``live`` (top bits): exact, unlike
    :func:`_zero_bytes`."""
    x = w ^ repeated
    nonzero = (((x & _LOW7) + _LOW7) | x) & _HIGH_BITS
    return np.uint64(_bits_of_bytes(~nonzero & live))


@njit(inline="always", cache=True)
def _colon_parts(
    data: np.ndarray, a: int, b: int, ps: np.ndarray, pe: np.ndarray
) -> tuple[int, int]:
    """:func:`_colon_parts_bytes` of at most 64 bytes with eight to read past
    ``b``: the colons and the first ``%`` found as bit masks, eight bytes a
    step, and the parts taken from the masks (the colons' places were a
    branch a byte, mostly mispredicted)."""
    colons = _ZERO
    percents = _ZERO
    for k in range(0, b - a, 8):
        live = _HIGH_BITS >> np.uint64(8 * (8 - min(b - a - k, 8)))
        w = _load64(data, a + k)
        colons |= _byte_bits(w, _COLONS, live) << np.uint64(k)
        percents |= _byte_bits(w, _PERCENTS, live) << np.uint64(k)
    if percents != _ZERO:
        cut = int(np.int64(_trailing_zeros(percents)))
        b = a + cut
        colons &= (np.uint64(1) << np.uint64(cut)) - np.uint64(1)
    n = 0
    start = a
    while colons != _ZERO:
        if n >= 9:
            return -1, b
        i = a + int(np.int64(_trailing_zeros(colons)))
        colons &= colons - np.uint64(1)
        ps[_u(n)] = start
        pe[_u(n)] = i
        n += 1
        start = i + 1
    ps[_u(n)] = start
    pe[_u(n)] = b
    return n + 1, b


@njit(inline="always", cache=True)
def _colon_parts_bytes(
    data: np.ndarray, a: int, b: int, ps: np.ndarray, pe: np.ndarray
) -> tuple[int, int]:
    """The parts of an IPv6 address between its colons, up to a zone index
    (``%``): their spans to ``ps``, ``pe``; (their number, -1 for over ten;
    the end without the zone)."""
    for i in range(a, b):
        if data[_u(i)] == _PERCENT:
            b = i
            break
    n = 0
    start = a
    for i in range(a, b + 1):
        if i == b or data[_u(i)] == _COLON:
            if n >= 10:
                return -1, b
            ps[_u(n)] = start
            pe[_u(n)] = i
            n += 1
            start = i + 1
    return n, b


@njit(inline="always", cache=True)
def _ipv6(
    data: np.ndarray, a: int, b: int, ps: np.ndarray, pe: np.ndarray
) -> tuple[bool, np.uint64, np.uint64]:
    """An IPv6 address as (ok, high 64 bits, low 64 bits), by the rules of
    Python's ``ipaddress`` (after keys.ipv6_int drops brackets and a zone)."""
    fail = (False, _ZERO, _ZERO)
    if b - a >= 2 and data[_u(a)] == _LBRACKET and data[_u(b - 1)] == _RBRACKET:
        a += 1
        b -= 1
    if b - a <= 64 and b + 8 <= data.size:
        n, b = _colon_parts(data, a, b, ps, pe)
    else:
        n, b = _colon_parts_bytes(data, a, b, ps, pe)
    if n < 3:  # (-1: over ten parts)
        return fail
    tail = -1
    if _contains(data, ps[_u(n - 1)], pe[_u(n - 1)], _DOT):
        tail = _ipv4(data, ps[_u(n - 1)], pe[_u(n - 1)])
        if tail < 0:
            return fail
    total = n + 1 if tail >= 0 else n
    if total > 9:
        return fail
    skip = -1
    for i in range(1, total - 1):
        is_data = i < n - 1 or tail < 0  # else one of the IPv4 tail's two hextets
        if is_data and pe[_u(i)] == ps[_u(i)]:
            if skip >= 0:
                return fail
            skip = i
    first_empty = pe[0] == ps[0]
    last_empty = tail < 0 and pe[_u(n - 1)] == ps[_u(n - 1)]
    if skip >= 0:
        parts_hi = skip
        parts_lo = total - skip - 1
        if first_empty:
            parts_hi -= 1
            if parts_hi:
                return fail
        if last_empty:
            parts_lo -= 1
            if parts_lo:
                return fail
        skipped = 8 - (parts_hi + parts_lo)
        if skipped < 1:
            return fail
    else:
        if total != 8 or first_empty or last_empty:
            return fail
        parts_hi = total
        parts_lo = 0
        skipped = 0
    hi = _ZERO
    lo = _ZERO
    for j in range(parts_hi + skipped + parts_lo):
        if j < parts_hi:
            i = j
        elif j < parts_hi + skipped:
            i = -1
        else:
            i = total - (parts_hi + skipped + parts_lo) + j
        if i < 0:
            v = 0
        elif tail >= 0 and i == n - 1:
            v = tail >> 16
        elif tail >= 0 and i == n:
            v = tail & 0xFFFF
        else:
            v = _hextet_word(data, ps[_u(i)], pe[_u(i)])
            if v < 0:
                return fail
        hi = (hi << _S16) | (lo >> _S48)
        lo = (lo << _S16) | np.uint64(v)
    return (True, hi, lo)


@njit(inline="always", cache=True)
def _domain(
    src: np.ndarray, a: int, b: int, out: np.ndarray, at: int, dots: np.ndarray
) -> tuple[int, int]:
    """keys.normalise_domain of trimmed bytes, written lower-cased at ``out[at:]``.

    Returns the end of what was written (-1 when it is not a domain name, -2
    when it holds a non-ASCII byte: the reference lower-cases those) and the
    number of dots, whose positions in ``out`` go to ``dots``.
    """
    if b > a and src[_u(b - 1)] == _DOT:
        b -= 1
    if b <= a or b - a > 253:
        return -1, 0
    width = 0
    n = 0
    for i in range(a, b):
        c = src[_u(i)]
        if c == _DOT:
            if width == 0:
                return -1, 0
            width = 0
            dots[_u(n)] = at + i - a
            n += 1
        elif c >= 128:
            return -2, 0
        elif _has(c, _LABEL):
            width += 1
            if width > 63:
                return -1, 0
        else:
            return -1, 0
        out[_u(at + i - a)] = _lower(c)
    if width == 0:
        return -1, 0
    return at + b - a, n


@njit(inline="always", cache=True)
def _domain_short(
    src: np.ndarray, a: int, b: int, out: np.ndarray, at: int, dots: np.ndarray
) -> tuple[int, int]:
    """:func:`_domain` of a usual name of at most 32 bytes (letters, digits,
    ``-``, ``_``, dots) as four words, with no branch on its bytes: the dots
    as a bit mask, the labels checked on it. (-3, 0): anything else, or no
    room to read 32 bytes: :func:`_domain` decides."""
    if b > a and src[_u(b - 1)] == _DOT:
        b -= 1
    n = b - a
    if n <= 0 or n > 32 or a + 32 > src.size:
        return -3, 0
    mask = _ZERO  # bit i: byte i is a dot
    bad = _ZERO
    for k in range(4):
        m = min(max(n - 8 * k, 0), 8)  # live bytes in this word
        low = ((np.uint64(1) << np.uint64((8 * m) & 63)) - np.uint64(1)) | (
            _ZERO - np.uint64(m >= 8)
        )
        live = low & _HIGH_BITS
        w = _load64(src, a + 8 * k)
        x = w & _LOW7
        upper = (x + _FROM_UPPER) & ~(x + _PAST_UPPER)
        usual = (
            upper
            | ((x + _FROM_LOWER) & ~(x + _PAST_LOWER))
            | ((x + _DIGITS_FROM) & ~(x + _DIGITS_PAST))
            | ((x + _FROM_HYPHEN) & ~(x + _DOTS_PAST))
            | ((x + _FROM_UNDERSCORE) & ~(x + _PAST_UNDERSCORE))
        )
        bad |= (usual & ~w & live) ^ live
        _store64(out, at + 8 * k, w | ((upper & live) >> np.uint64(2)))
        dot = (x + _DOTS_FROM) & ~(x + _DOTS_PAST) & ~w & live
        mask |= np.uint64(_bits_of_bytes(dot)) << np.uint64(8 * k)
    if bad != _ZERO:
        return -3, 0
    # an empty label: a dot first, last, or next to another (none is too long)
    edges = np.uint64(1) | (np.uint64(1) << np.uint64(n - 1))
    if (mask & (edges | (mask >> np.uint64(1)))) != _ZERO:
        return -1, 0
    nd = 0
    while mask != _ZERO:
        dots[_u(nd)] = at + int(np.int64(_trailing_zeros(mask)))
        nd += 1
        mask &= mask - np.uint64(1)
    return at + n, nd


NAME_WIDTH = 16  # type names are compared as two 64-bit words, so at most this long


@njit(inline="always", cache=True)
def _name_slot(w0: np.uint64, w1: np.uint64, width: int, mask: int) -> int:
    return int(np.int64((((w0 + w1 * _M2 + np.uint64(width)) * _M1) >> _S31) & np.uint64(mask)))


@njit(cache=True)
def name_table(
    offsets: np.ndarray, names: np.ndarray, codes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The known type names (lower case, each at most :data:`NAME_WIDTH`
    bytes) as an open-addressing table for :func:`type_codes`: per slot the
    name as two little-endian words and its length (``words``, length 0:
    empty), and its code (``slot_codes``)."""
    size = 16
    while size < 4 * codes.size:
        size *= 2
    words = np.zeros((size, 3), np.uint64)
    slot_codes = np.zeros(size, np.int8)
    for j in range(codes.size):
        a = offsets[j]
        width = offsets[j + 1] - a
        w0 = w1 = _ZERO
        for i in range(width):
            c = np.uint64(names[a + i])
            if i < 8:
                w0 |= c << np.uint64(8 * i)
            else:
                w1 |= c << np.uint64(8 * (i - 8))
        slot = _name_slot(w0, w1, width, size - 1)
        while words[slot, 2] != _ZERO:
            slot = (slot + 1) & (size - 1)
        words[slot, 0], words[slot, 1], words[slot, 2] = w0, w1, np.uint64(width)
        slot_codes[slot] = codes[j]
    return words, slot_codes


_ONES = np.uint64(0xFFFFFFFFFFFFFFFF)
_HIGH_BITS = np.uint64(0x8080808080808080)
_LOW7 = np.uint64(0x7F7F7F7F7F7F7F7F)


@njit(inline="always", cache=True)
def _lower64(w: np.uint64) -> np.uint64:
    """Eight ASCII bytes with the capital letters made small, at once."""
    low = w & _LOW7
    upper = ((low + _FROM_UPPER) & ~(low + _PAST_UPPER)) & _HIGH_BITS
    return w | (upper >> np.uint64(2))


@njit(inline="always", cache=True)
def _name_words(data: np.ndarray, a: int, width: int) -> tuple[np.uint64, np.uint64, bool]:
    """A name of up to :data:`NAME_WIDTH` bytes as two lower-cased words,
    byte by byte, and whether it is all ASCII."""
    bits = 0
    w0 = w1 = _ZERO
    for i in range(width):
        c = data[_u(a + i)]
        bits |= c
        low = np.uint64(_lower(c))
        if i < 8:
            w0 |= low << np.uint64(8 * i)
        else:
            w1 |= low << np.uint64(8 * (i - 8))
    return w0, w1, bits < 128


@njit(nogil=True, cache=True)
def type_codes(
    offsets: np.ndarray,
    data: np.ndarray,
    is_null: np.ndarray,
    words: np.ndarray,
    slot_codes: np.ndarray,
) -> np.ndarray:
    """The type code of every row of a string column of type names: spaces
    trimmed, ASCII lower-cased, looked up in the known names (:func:`name_table`).
    Missing or blank: infer; unknown: T_UNKNOWN; non-ASCII: T_REFERENCE.

    A name of up to eight bytes (nearly all) is read as one word, lower-cased
    eight bytes at a time; a longer one byte by byte into two words. One table
    probe then finds it. Measured on the benchmark's type column, the compiled
    pass alone: a comparison with every known name in turn, 22 ns a row;
    byte by byte into words, 8.5; one word and a multiplicative slot hash,
    5.3."""
    n = offsets.size - 1
    out = np.empty(n, np.int8)
    mask = slot_codes.size - 1
    for r in range(n):
        if is_null[_u(r)]:
            out[_u(r)] = T_INFER
            continue
        a = offsets[_u(r)]
        b = offsets[_u(r + 1)]
        while a < b and data[_u(a)] == _SPACE:
            a += 1
        while b > a and data[_u(b - 1)] == _SPACE:
            b -= 1
        width = b - a
        if width == 0:
            out[_u(r)] = T_INFER
            continue
        if width > NAME_WIDTH:  # longer than any known name
            out[_u(r)] = T_UNKNOWN if _ascii(data, a, b) else T_REFERENCE
            continue
        if width <= 8 and a + 8 <= data.size:
            # the usual case, without a loop whose length varies by row (its
            # exit was mispredicted): one word, the bytes past the name masked
            # off, lower-cased eight at a time
            w0 = _load64(data, a) & (_ONES >> np.uint64(64 - 8 * width))
            if w0 & _HIGH_BITS:
                out[_u(r)] = T_REFERENCE
                continue
            w0 = _lower64(w0)
            w1 = _ZERO
        else:
            w0, w1, ascii_only = _name_words(data, a, width)
            if not ascii_only:
                out[_u(r)] = T_REFERENCE
                continue
        code = T_UNKNOWN
        uwidth = np.uint64(width)  # (a mixed comparison would go through floats)
        slot = _name_slot(w0, w1, width, mask)
        while words[slot, 2] != _ZERO:
            if words[slot, 0] == w0 and words[slot, 1] == w1 and words[slot, 2] == uwidth:
                code = slot_codes[slot]
                break
            slot = (slot + 1) & mask
        out[_u(r)] = code
    return out


@njit(nogil=True, cache=True)
def hashed_type_codes(
    hashes: np.ndarray, keys: np.ndarray, codes: np.ndarray, multiplier: np.uint64, shift: np.uint64
) -> np.ndarray:
    """The type code of every row from a hash of its type name, through an
    open-addressing table (the home slot of hash ``h``: ``h * multiplier >>
    shift``; ``keys`` the hash held in a slot, ``codes`` its code, -1 in an
    empty slot). For a log's few names the multiplier is chosen so that every
    hash sits in its home slot: one probe a row, the loop never taken. A hash
    not in the table: -1."""
    out = np.empty(hashes.size, np.int8)
    mask = np.uint64(keys.size - 1)
    for r in range(hashes.size):
        h = hashes[_u(r)]
        slot = (h * multiplier) >> shift
        while keys[slot] != h and codes[slot] >= 0:
            slot = (slot + np.uint64(1)) & mask
        out[_u(r)] = codes[slot] if keys[slot] == h else np.int8(-1)
    return out


# --- the scan ---------------------------------------------------------------------


@njit(inline="always", cache=True)
def _add_int(
    n: int, tag: int, hi: np.uint64, lo: np.uint64, kt: np.ndarray, kh: np.ndarray,
    khi: np.ndarray, klo: np.ndarray, ks: np.ndarray, ke: np.ndarray,
) -> int:  # fmt: skip
    kt[_u(n)] = tag
    kh[_u(n)] = _int_hash(tag, hi, lo)
    khi[_u(n)] = hi
    klo[_u(n)] = lo
    ks[_u(n)] = 0
    ke[_u(n)] = 0
    return n + 1


@njit(inline="always", cache=True)
def _add_text(
    n: int, tag: int, buf: np.ndarray, start: int, stop: int, kt: np.ndarray,
    kh: np.ndarray, khi: np.ndarray, klo: np.ndarray, ks: np.ndarray, ke: np.ndarray,
) -> int:  # fmt: skip
    """Key ``n``: the text at bytes ``start:stop`` of the block's buffer."""
    h = _text_hash_padded(tag, buf, start, stop)
    return _add_hashed(n, tag, h, start, stop, kt, kh, khi, klo, ks, ke)


@njit(inline="always", cache=True)
def _add_hashed(
    n: int, tag: int, h: np.uint64, start: int, stop: int, kt: np.ndarray, kh: np.ndarray,
    khi: np.ndarray, klo: np.ndarray, ks: np.ndarray, ke: np.ndarray,
) -> int:  # fmt: skip
    """Key ``n``: the text at ``start:stop`` of the block's buffer, its hash ``h`` known."""
    kt[_u(n)] = tag
    kh[_u(n)] = h
    khi[_u(n)] = _ZERO
    klo[_u(n)] = _ZERO
    ks[_u(n)] = start
    ke[_u(n)] = stop
    return n + 1


@njit(inline="always", cache=True)
def _hex_words(
    data: np.ndarray, a: int, width: int, out64: np.ndarray, at: int, tag: int
) -> tuple[bool, np.uint64]:
    """A hash value of ``width`` bytes (a multiple of eight) at ``data[a:]``,
    eight bytes at a time: whether every byte is a hex digit, and the text
    key's hash (:func:`_text_hash`) of it lower-cased, which is written to
    words ``out64[at:]``."""
    h = _text_seed(tag, width)
    bad = _ZERO
    for k in range(width >> 3):
        w = _load64(data, a + 8 * k)
        x = w & _LOW7
        digit = (x + _DIGITS_FROM) & ~(x + _DIGITS_PAST)
        upper = (x + _FROM_UPPER) & ~(x + _PAST_UPPER_F)
        lower = (x + _FROM_LOWER) & ~(x + _PAST_LOWER_F)
        bad |= ((digit | upper | lower) & ~w & _HIGH_BITS) ^ _HIGH_BITS
        w |= (upper & _HIGH_BITS) >> np.uint64(2)
        out64[_u(at + k)] = w
        h = _text_step(h, w)
    return bad == _ZERO, _mix(h)


@njit(inline="always", cache=True)
def _domain_keys(
    buf: np.ndarray, a: int, b: int, dots: np.ndarray, ndots: int, depths: np.ndarray,
    n: int, kt: np.ndarray, kh: np.ndarray, khi: np.ndarray, klo: np.ndarray,
    ks: np.ndarray, ke: np.ndarray,
) -> int:  # fmt: skip
    """Keys for the label suffixes of the domain at bytes ``a:b`` (dots at
    ``dots[:ndots]``) at the depths in use (ascending)."""
    for j in range(depths.size):
        d = depths[j]
        if d > ndots + 1:
            break
        start = a if d == ndots + 1 else dots[_u(ndots - d)] + 1
        n = _add_text(n, TAG_DOMAIN, buf, start, b, kt, kh, khi, klo, ks, ke)
    return n


@njit(inline="always", cache=True)
def _ipv4_keys(
    ip: int, v4_prefixes: np.ndarray, v4_masks: np.ndarray, n: int, kt: np.ndarray,
    kh: np.ndarray, khi: np.ndarray, klo: np.ndarray, ks: np.ndarray, ke: np.ndarray,
) -> int:  # fmt: skip
    for j in range(v4_prefixes.size):
        lo = np.uint64(ip) & v4_masks[j]
        n = _add_int(n, TAG_IPV4 + v4_prefixes[j], _ZERO, lo, kt, kh, khi, klo, ks, ke)
    return n


_REPEAT = np.uint64(0x0101010101010101)  # a byte times this: the byte in every place
_COLONS = np.uint64(_COLON) * _REPEAT
_SLASHES = np.uint64(_SLASH) * _REPEAT
_QUESTIONS = np.uint64(_QUESTION) * _REPEAT
_HASHMARKS = np.uint64(_HASHMARK) * _REPEAT
_ATS = np.uint64(_AT) * _REPEAT
_PERCENTS = np.uint64(_PERCENT) * _REPEAT


@njit(inline="always", cache=True)
def _zero_bytes(x: np.uint64) -> np.uint64:
    """The top bit of every zero byte of ``x``: exact for the lowest one (a
    borrow may mark bytes above it falsely, never below)."""
    return (x - _REPEAT) & ~x & _HIGH_BITS


@njit(inline="always", cache=True)
def _find_byte(
    data: np.ndarray, i: int, b: int, c1: np.uint64, c2: np.uint64, c3: np.uint64,
    c4: np.uint64, c5: np.uint64,
) -> int:  # fmt: skip
    """The first position in ``i:b`` of any of five bytes (each given in every
    place of a word: ``c * _REPEAT``), else ``b``; eight bytes a step, so a
    delimiter's place is not a branch per byte. Reads up to seven bytes past
    ``b``: the caller keeps ``b + 8 <= data.size``."""
    while i < b:
        w = _load64(data, i)
        found = (
            _zero_bytes(w ^ c1) | _zero_bytes(w ^ c2) | _zero_bytes(w ^ c3)
            | _zero_bytes(w ^ c4) | _zero_bytes(w ^ c5)
        )  # fmt: skip
        if found != _ZERO:
            return min(i + int(np.int64(_trailing_zeros(found) >> np.uint64(3))), b)
        i += 8
    return b


@njit(inline="always", cache=True)
def _copy_words(src: np.ndarray, a: int, b: int, out: np.ndarray, at: int, lower: bool) -> None:
    """Bytes ``a:b`` of ``src`` to ``out[at:]``, ASCII lower-cased if ``lower``,
    eight at a time (up to seven bytes past each end are read and written:
    the caller keeps room)."""
    for k in range(0, b - a, 8):
        w = _load64(src, a + k)
        _store64(out, at + k, _lower64(w) if lower else w)


@njit(inline="always", cache=True)
def _url(
    data: np.ndarray, a: int, b: int, buf: np.ndarray, at: int,
    dots: np.ndarray,
    v4_prefixes: np.ndarray, v4_masks: np.ndarray, depths: np.ndarray, n: int,
    kt: np.ndarray, kh: np.ndarray, khi: np.ndarray, klo: np.ndarray, ks: np.ndarray,
    ke: np.ndarray,
) -> tuple[int, int]:  # fmt: skip
    """keys.split_url and the URL's probe keys, from key ``n`` on, the text
    written at ``buf[at:]``: (the next key, -1 if not a URL; the end written)."""
    # the scheme: letters etc. up to the first colon, which must open "://";
    # whole words are read where the source has room past the value
    words = b + 8 <= data.size
    if words:
        c = _find_byte(data, a, b, _COLONS, _COLONS, _COLONS, _COLONS, _COLONS)
    else:
        c = a
        while c < b and data[_u(c)] != _COLON:
            c += 1
    has_scheme = c + 2 < b and data[_u(c + 1)] == _SLASH and data[_u(c + 2)] == _SLASH
    if not has_scheme:  # "://" after a first colon that does not open it: not a URL
        for i in range(c + 1, b - 2):
            if data[_u(i)] == _COLON and data[_u(i + 1)] == _SLASH and data[_u(i + 2)] == _SLASH:
                return -1, at
    w = at
    if has_scheme:
        if c + 2 >= b or data[_u(c + 1)] != _SLASH or data[_u(c + 2)] != _SLASH:
            return -1, at
        if c == a or not _has(data[_u(a)], _ALPHA):
            return -1, at
        for i in range(a, c):
            ch = data[_u(i)]
            if not _has(ch, _SCHEME):
                return -1, at
            buf[_u(w)] = _lower(ch)
            w += 1
        s = c + 3
    else:
        for ch in (104, 116, 116, 112):  # "http"
            buf[_u(w)] = ch
            w += 1
        s = a
    scheme_end = w
    buf[_u(w)] = _COLON
    buf[_u(w + 1)] = _SLASH
    buf[_u(w + 2)] = _SLASH
    w += 3
    # [userinfo@]: the usual host (no userinfo, no bracket) found in words
    he = -1
    hs = s
    if words and s < b and data[_u(s)] != _LBRACKET:
        d = _find_byte(data, s, b, _SLASHES, _QUESTIONS, _HASHMARKS, _ATS, _COLONS)
        e = d
        if d < b and data[_u(d)] == _COLON:  # a port, or "user:password@"
            e = _find_byte(data, d, b, _SLASHES, _QUESTIONS, _HASHMARKS, _ATS, _ATS)
        if e == b or data[_u(e)] != _AT:
            he = d
    if he < 0:
        for i in range(s, b):
            ch = data[_u(i)]
            if ch == _SLASH or ch == _QUESTION or ch == _HASHMARK:
                break
            if ch == _AT:
                hs = i + 1
                break
    # host: [v6 literal] or anything up to / ? # :
    if he < 0 and hs < b and data[_u(hs)] == _LBRACKET:
        j = hs + 1
        while j < b and (_has(data[_u(j)], _HEX) or data[_u(j)] == _COLON or data[_u(j)] == _DOT):
            j += 1
        if j > hs + 1 and j < b and data[_u(j)] == _RBRACKET:
            he = j + 1
    if he < 0:
        he = hs
        while he < b:
            ch = data[_u(he)]
            if ch == _SLASH or ch == _QUESTION or ch == _HASHMARK or ch == _COLON:
                break
            he += 1
    if he == hs:
        return -1, at
    host_at = w
    if words:
        _copy_words(data, hs, he, buf, w, True)
        w += he - hs
    else:
        for i in range(hs, he):
            buf[_u(w)] = _lower(data[_u(i)])
            w += 1
    host_end = w
    # [:port], then path and query up to the fragment
    j = he
    port_s = port_e = j
    if j < b and data[_u(j)] == _COLON:
        j += 1
        port_s = j
        while j < b and _has(data[_u(j)], _DIGIT):
            j += 1
        port_e = j
    port_len = port_e - port_s
    if port_len > 0 and not _default_port(buf, at, scheme_end, data, port_s, port_e):
        buf[_u(w)] = _COLON
        w += 1
        for i in range(port_s, port_e):
            buf[_u(w)] = data[_u(i)]
            w += 1
    if j == b or data[_u(j)] == _QUESTION or data[_u(j)] == _HASHMARK:  # no path: "/"
        buf[_u(w)] = _SLASH
        w += 1
    # path and query, copied up to the fragment
    if words:
        f = _find_byte(data, j, b, _HASHMARKS, _HASHMARKS, _HASHMARKS, _HASHMARKS, _HASHMARKS)
        _copy_words(data, j, f, buf, w, False)
        w += f - j
    else:
        f = j
        while f < b and data[_u(f)] != _HASHMARK:
            buf[_u(w)] = data[_u(f)]
            w += 1
            f += 1
    for i in range(f, b):  # "#.*" does not cross a line end
        if data[_u(i)] == 10:
            return -1, at
    n = _add_text(n, TAG_URL, buf, at, w, kt, kh, khi, klo, ks, ke)
    # the host, as an IPv4 address or a domain
    ha, hb = host_at, host_end
    if hb - ha >= 2 and buf[_u(ha)] == _LBRACKET and buf[_u(hb - 1)] == _RBRACKET:
        ha += 1
        hb -= 1
    ip = _ipv4(buf, ha, hb)
    if ip != -2:
        if ip >= 0:
            n = _ipv4_keys(ip, v4_prefixes, v4_masks, n, kt, kh, khi, klo, ks, ke)
    elif ha == host_at or not _contains(buf, ha, hb, _COLON):  # unbracketed: no colon
        while ha < hb and buf[_u(ha)] == _SPACE:
            ha += 1
        while hb > ha and buf[_u(hb - 1)] == _SPACE:
            hb -= 1
        # checked in place: the host is already written, lower-cased
        d_end, ndots = _domain_short(buf, ha, hb, buf, ha, dots)
        if d_end == -3:
            d_end, ndots = _domain(buf, ha, hb, buf, ha, dots)
        if d_end >= 0:
            n = _domain_keys(buf, ha, d_end, dots, ndots, depths, n, kt, kh, khi, klo, ks, ke)
    return n, w


_HTTP = np.frombuffer(b"http", np.uint8)
_HTTPS = np.frombuffer(b"https", np.uint8)
_FTP = np.frombuffer(b"ftp", np.uint8)
_P80 = np.frombuffer(b"80", np.uint8)
_P443 = np.frombuffer(b"443", np.uint8)
_P21 = np.frombuffer(b"21", np.uint8)


@njit(inline="always", cache=True)
def _equal(x: np.ndarray, xa: int, xb: int, y: np.ndarray) -> bool:
    if xb - xa != y.size:
        return False
    for i in range(y.size):
        if x[xa + i] != y[i]:
            return False
    return True


@njit(inline="always", cache=True)
def _default_port(
    buf: np.ndarray, s: int, e: int, data: np.ndarray, port_s: int, port_e: int
) -> bool:
    """Whether the port is the default of the (lower-cased) scheme ``buf[s:e]``
    (keys.DEFAULT_PORTS)."""
    if _equal(buf, s, e, _HTTP):
        return _equal(data, port_s, port_e, _P80)
    if _equal(buf, s, e, _HTTPS):
        return _equal(data, port_s, port_e, _P443)
    if _equal(buf, s, e, _FTP):
        return _equal(data, port_s, port_e, _P21)
    return False


BLOCK = 1024  # probe keys gathered before the index is probed for them all


def read_only(array: np.ndarray) -> np.ndarray:
    """A read-only, C-contiguous view of ``array`` (a copy only where it is
    not contiguous)."""
    view = np.ascontiguousarray(array).view()
    view.flags.writeable = False
    return view


def scan(
    offsets: np.ndarray,
    data: np.ndarray,
    is_null: np.ndarray,
    types: np.ndarray,
    ts: np.ndarray,
    ts_null: np.ndarray,
    start: int,
    stop: int,
    plan: tuple[np.ndarray, ...],
    index: tuple[np.ndarray, ...],
    collect: bool = False,
) -> tuple[np.ndarray, ...]:
    """Rows ``start:stop`` of an Arrow string column against the indicator index.

    ``plan`` is (IPv4 prefixes, their masks, IPv6 prefixes, their high and low
    masks, domain depths in use); ``index`` is (table, Bloom filter, entries,
    the same entries seen as unsigned, text bytes), both in that order.

    Returns (match rows, match indicator idx, match kinds, rejected rows, their
    reason codes, rows left to the Python reference (non-ASCII), and — only when
    ``collect`` is set, for the tests — every probe key: its row, tag, hi, lo and
    text (offsets into a byte buffer)). Rows are 0-based positions in the column.

    The compiled loop never reallocates: when an output array is full it stops
    before the block of rows that did not fit, and this function grows the
    array and goes on (arrays reassigned inside a compiled loop cost reference
    counting on every row).
    """
    # read-only views whatever they came from (Arrow's buffers, or numpy's
    # own arrays), as Numba compiles a loop for each mix of writable and
    # read-only arrays: one machine code, compiled at install, serves all
    offsets, data, is_null, types, ts, ts_null = (
        read_only(a) for a in (offsets, data, is_null, types, ts, ts_null)
    )
    rows = max(0, stop - start)
    maxlen = int(np.max(np.diff(offsets[start : stop + 1]))) if rows else 0
    # a block's key texts, padded and also seen as 64-bit words for hashing
    text = np.zeros(max(1 << 16, 4 * (2 * maxlen + 40)) // 8 * 8 + 16, np.uint8)
    text64 = text.view(np.uint64)
    # IPv6 parts or dots; key tags, spans, rows, kinds; the probe's candidates
    ints = np.empty((9, BLOCK), np.int64)
    words = np.empty((3, BLOCK), np.uint64)  # key hashes, his, los
    m_row = np.empty(max(1024, rows // 16), np.int64)
    m_idx = np.empty_like(m_row)
    m_kind = np.empty(m_row.size, np.uint8)
    j_row = np.empty(rows, np.int64)
    j_why = np.empty(rows, np.uint8)
    f_row = np.empty(rows, np.int64)
    size = 1024 if collect else 0
    c_row = np.empty(size, np.int64)
    c_tag = np.empty(size, np.int64)
    c_hi = np.empty(size, np.uint64)
    c_lo = np.empty(size, np.uint64)
    c_off = np.zeros(size + 1, np.int64)
    c_text = np.empty(size * 16, np.uint8)
    counts = np.zeros(4, np.int64)  # matches, rejects, handed back, collected keys
    r = start
    while True:
        r = _scan_rows_nb(
            offsets, data, is_null, types, ts, ts_null, r, stop, *plan, *index,
            text, text64, ints, words, m_row, m_idx, m_kind, j_row, j_why, f_row,
            c_row, c_tag, c_hi, c_lo, c_off, c_text, counts, collect,
        )  # fmt: skip
        if r >= stop:
            break
        if collect:
            c_row, c_tag = np.resize(c_row, 2 * c_row.size), np.resize(c_tag, 2 * c_row.size)
            c_hi, c_lo = np.resize(c_hi, 2 * c_row.size), np.resize(c_lo, 2 * c_row.size)
            c_off = np.resize(c_off, c_row.size + 1)
            c_text = np.resize(c_text, 2 * c_text.size + MAX_KEYS * text.size)
        else:
            grown = 2 * m_row.size
            m_row, m_idx = np.resize(m_row, grown), np.resize(m_idx, grown)
            m_kind = np.resize(m_kind, grown)
    nm, nj, nf, nc = (int(x) for x in counts)
    return (
        m_row[:nm], m_idx[:nm], m_kind[:nm], j_row[:nj], j_why[:nj], f_row[:nf],
        c_row[:nc], c_tag[:nc], c_hi[:nc], c_lo[:nc], c_off[: nc + 1], c_text,
    )  # fmt: skip


@njit(inline="always", cache=True)
def _probe_block(
    nk: int, ts: np.ndarray, table: np.ndarray, bloom: np.ndarray, ent: np.ndarray,
    ent_u: np.ndarray, e_data: np.ndarray, text: np.ndarray, kt: np.ndarray,
    kh: np.ndarray, khi: np.ndarray, klo: np.ndarray, ks: np.ndarray, ke: np.ndarray,
    krow: np.ndarray, kkind: np.ndarray, cand: np.ndarray, first: np.ndarray,
    m_row: np.ndarray, m_idx: np.ndarray, m_kind: np.ndarray, nm: int,
) -> int:  # fmt: skip
    """Probe the block's keys and emit the matches; the new match count, or -1
    when the match arrays are full.

    Tight loops over the block, each of memory reads independent of one
    another, and each prefetching what the next will read, so that the reads
    of many keys overlap: the Bloom filter for every key (its word was
    prefetched when the key was made), listing the keys that pass it
    (``cand``, a few in a hundred); the table for those (``first``: the first
    entry of the key's hash, or -1); the text of text keys; then the entries
    (one cache line each, see :data:`ENTRY_FIELDS`), verified exactly. The
    later loops run over the candidates only.
    """
    bloom_mask = np.uint64(bloom.size - 1)
    slot_mask = np.uint64(table.size // 2 - 1)
    width = ent.shape[1]
    nc = 0
    for q in range(nk):
        h = kh[_u(q)]
        bits = _bloom_bits(h)
        if (bloom[(h >> _BLOOM_SHIFT) & bloom_mask] & bits) == bits:
            cand[_u(nc)] = q
            nc += 1
            _prefetch(table, 2 * (h & slot_mask))
    for c in range(nc):
        e = _slot_entry(table, kh[_u(cand[_u(c)])])
        first[_u(c)] = e
        if e >= 0:
            _prefetch(ent, e * width)
    for c in range(nc):
        e = first[_u(c)]
        q = cand[_u(c)]
        if e >= 0 and ke[_u(q)] > ks[_u(q)]:
            _prefetch(e_data, ent[e, E_START])
    n_entries = ent.shape[0]
    for c in range(nc):
        e = first[_u(c)]
        if e < 0:
            continue
        q = cand[_u(c)]
        h = kh[_u(q)]
        tag = kt[_u(q)]
        is_text = ke[_u(q)] > ks[_u(q)]
        when = ts[krow[_u(q)]]
        while e < n_entries and ent_u[e, E_HASH] == h:
            tag_idx = ent[e, E_TAG_IDX]
            same = (tag_idx & 0xFFFF) == tag
            if same and is_text:
                width = ke[_u(q)] - ks[_u(q)]
                es = ent[e, E_START]
                if ent[e, E_STOP] - es != width:
                    same = False
                else:
                    for i in range(width):
                        if e_data[es + i] != text[ks[_u(q)] + i]:
                            same = False
                            break
            elif same:
                same = ent_u[e, E_HI] == khi[_u(q)] and ent_u[e, E_LO] == klo[_u(q)]
            if same and ent[e, E_FROM] <= when < ent[e, E_UNTIL]:
                if nm == m_row.size:
                    return -1
                m_row[_u(nm)] = krow[_u(q)]
                m_idx[_u(nm)] = tag_idx >> 16
                m_kind[_u(nm)] = kkind[_u(q)]
                nm += 1
            e += 1
    return nm


def _scan_rows(
    offsets: np.ndarray, data: np.ndarray, is_null: np.ndarray, types: np.ndarray,
    ts: np.ndarray, ts_null: np.ndarray, start: int, stop: int,
    v4_prefixes: np.ndarray, v4_masks: np.ndarray, v6_prefixes: np.ndarray,
    v6_mask_hi: np.ndarray, v6_mask_lo: np.ndarray, depths: np.ndarray,
    table: np.ndarray, bloom: np.ndarray, ent: np.ndarray, ent_u: np.ndarray,
    e_data: np.ndarray,
    text: np.ndarray, text64: np.ndarray, ints: np.ndarray, words: np.ndarray,
    m_row: np.ndarray, m_idx: np.ndarray, m_kind: np.ndarray,
    j_row: np.ndarray, j_why: np.ndarray, f_row: np.ndarray,
    c_row: np.ndarray, c_tag: np.ndarray, c_hi: np.ndarray, c_lo: np.ndarray,
    c_off: np.ndarray, c_text: np.ndarray, counts: np.ndarray, collect: bool,
) -> int:  # fmt: skip
    """The loop of :func:`scan`; returns the row it stopped before (``stop`` when done).

    Rows are normalised and expanded into a block of keys (their texts side by
    side in ``text``); when the block is full the index is probed for all of
    its keys at once (:func:`_probe_block`).
    """
    ps = ints[0]
    pe = ints[1]
    kt = ints[2]
    ks = ints[3]
    ke = ints[4]
    krow = ints[5]
    kkind = ints[6]
    passed = ints[7]
    cand = ints[8]
    kh = words[0]
    khi = words[1]
    klo = words[2]
    nm = counts[0]
    nj = counts[1]
    nf = counts[2]
    nc = counts[3]
    nk = 0  # keys in the block
    bloom_mask = np.uint64(bloom.size - 1)
    pos = 0  # bytes of key text in the block
    block_row, block_nj, block_nf = start, nj, nf
    for r in range(start, stop + 1):
        a = offsets[_u(r)] if r < stop else 0
        b = offsets[_u(r + 1)] if r < stop else 0
        if r == stop or nk + MAX_KEYS > BLOCK or pos + 2 * (b - a) + 56 > text.size:
            if not collect and nk > 0:
                nm = _probe_block(
                    nk, ts, table, bloom, ent, ent_u, e_data, text, kt, kh, khi, klo,
                    ks, ke, krow, kkind, cand, passed, m_row, m_idx, m_kind, nm,
                )  # fmt: skip
                if nm < 0:  # full: undo the block, let the caller grow the arrays
                    counts[0], counts[1], counts[2], counts[3] = counts[0], block_nj, block_nf, nc
                    return block_row
                counts[0] = nm
            nk = 0
            pos = 0
            block_row, block_nj, block_nf = r, nj, nf
            if r == stop:
                break
        why = 0
        kind = K_NONE
        ip = -2
        n = nk
        while a < b and data[_u(a)] == _SPACE:
            a += 1
        while b > a and data[_u(b - 1)] == _SPACE:
            b -= 1
        t = types[_u(r)]
        if is_null[_u(r)] or a == b:  # no value: its time does not matter
            why = R_EMPTY
        elif ts_null[_u(r)]:
            why = R_TS
        else:
            if t == T_REFERENCE:
                f_row[_u(nf)] = r
                nf += 1
                continue
            if t == T_UNKNOWN:
                why = R_TYPE
            elif t == T_INFER:
                kind, ip = _infer(data, a, b)
                if kind == K_NONE:
                    why = R_KIND
            elif t == T_IP:
                kind = (
                    K_IPV6
                    if _contains(data, offsets[_u(r)], offsets[_u(r + 1)], _COLON)
                    else K_IPV4
                )
            elif t == T_HASH:  # by length, in characters: the reference counts those
                if not _ascii(data, a, b):
                    f_row[_u(nf)] = r
                    nf += 1
                    continue
                w = b - a
                kind = K_MD5 if w == 32 else (K_SHA1 if w == 40 else K_SHA256)
            else:
                kind = t
        end = pos
        if why == 0:
            if kind == K_IPV4:
                if t != T_INFER:
                    ip = _ipv4(data, a, b)
                if ip < 0:
                    why = R_IPV4
                else:
                    n = _ipv4_keys(ip, v4_prefixes, v4_masks, n, kt, kh, khi, klo, ks, ke)
            elif kind == K_IPV6:
                ok, hi, lo = _ipv6(data, a, b, ps, pe)
                if not ok:
                    why = R_IPV6
                else:
                    for j in range(v6_prefixes.size):
                        n = _add_int(
                            n,
                            TAG_IPV6 + v6_prefixes[j],
                            hi & v6_mask_hi[j],
                            lo & v6_mask_lo[j],
                            kt, kh, khi, klo, ks, ke,
                        )  # fmt: skip
            elif kind == K_DOMAIN:
                end, ndots = _domain_short(data, a, b, text, pos, ps)
                if end == -3:
                    end, ndots = _domain(data, a, b, text, pos, ps)
                if end == -2:  # not ASCII: the caller normalises it
                    f_row[_u(nf)] = r
                    nf += 1
                    continue
                if end < 0:
                    why = R_DOMAIN
                else:
                    n = _domain_keys(text, pos, end, ps, ndots, depths, n, kt, kh, khi, klo, ks, ke)
            elif kind == K_URL:
                if not _ascii(data, a, b):  # the caller normalises it
                    f_row[_u(nf)] = r
                    nf += 1
                    continue
                n, end = _url(
                    data, a, b, text, pos, ps, v4_prefixes, v4_masks, depths, n,
                    kt, kh, khi, klo, ks, ke,
                )  # fmt: skip
                if n < 0:
                    why = R_URL
            else:
                w = b - a
                want = 32 if kind == K_MD5 else (40 if kind == K_SHA1 else 64)
                # checked and lower-cased a word at a time, at a word of the buffer
                at = (pos + 7) & ~7
                ok = False
                if w == want:
                    ok, h = _hex_words(data, a, w, text64, at >> 3, kind)
                if not ok:
                    why = R_MD5 + kind - K_MD5
                else:
                    end = at + w
                    n = _add_hashed(n, kind, h, at, end, kt, kh, khi, klo, ks, ke)
        if why != 0:
            j_row[_u(nj)] = r
            j_why[_u(nj)] = why
            nj += 1
            continue
        for k in range(nk, n):
            krow[_u(k)] = r
            kkind[_u(k)] = kind
            # fetch the key's Bloom word now: the block probes it hundreds of
            # rows later, when it is in cache (measured 8-10 % a row)
            _prefetch(bloom, (kh[_u(k)] >> _BLOOM_SHIFT) & bloom_mask)
        if collect:
            need = 0
            for k in range(nk, n):
                need += ke[_u(k)] - ks[_u(k)]
            if nc + n - nk >= c_row.size or c_off[nc] + need > c_text.size:
                counts[0], counts[1], counts[2], counts[3] = nm, nj, nf, nc
                return r
            for k in range(nk, n):
                c_row[nc] = r
                c_tag[nc] = kt[_u(k)]
                c_hi[nc] = khi[_u(k)]
                c_lo[nc] = klo[_u(k)]
                width = ke[_u(k)] - ks[_u(k)]
                for i in range(width):
                    c_text[c_off[nc] + i] = text[ks[_u(k)] + i]
                c_off[nc + 1] = c_off[nc] + width
                nc += 1
            continue
        nk = n
        pos = end
    counts[0], counts[1], counts[2], counts[3] = nm, nj, nf, nc
    return stop


# Compiled without Numba's reference counting: the loop allocates nothing, and
# counting every array handed to an inlined helper cost more than the work.
_scan_rows_nb: Any = cast(Any, njit)(nogil=True, cache=True, _nrt=False)(_scan_rows)
