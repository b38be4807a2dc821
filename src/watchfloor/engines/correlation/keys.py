"""Typed match keys for observables and indicators.

Every value, observed or indicated, is normalised into one or more *keys*
``(tag, hi, lo, text)`` so that every kind of match is an equi-join:

========  ==============================  ===================================
kind      key                             matches
========  ==============================  ===================================
ipv4      tag 100+p, lo = address & mask  a CIDR ``a.b.c.d/p`` (p = 32: exact)
ipv6      tag 200+p, (hi, lo) & mask      a CIDR ``x::/p`` (p = 128: exact)
domain    tag 3, text = domain            the domain or any subdomain of it
url       tag 4, text = normalised URL    the same URL
md5/...   tag 5/6/7, text = lower hex     the same hash
========  ==============================  ===================================

An *indicator* has one key. An *observable* is expanded into the keys that
could meet one: an address into its network address at each prefix length
that the indicator set uses, a domain into its label suffixes
(``a.b.example.com`` → ``b.example.com``, ``example.com`` …) at each depth the
indicator set uses. The rule for domains is deliberately agnostic of the
public-suffix list: an indicator domain matches an observed domain when it is
a suffix of it on a label boundary.

This module is the reference implementation, in Python. Observables are
normalised at scale by the SQL in :mod:`.sql`, which must agree with it; a
property test checks that they do.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

__all__ = [
    "TAG_DOMAIN",
    "TAG_IPV4",
    "TAG_IPV6",
    "TAG_REJECT",
    "TAG_URL",
    "Key",
    "KeyPlan",
    "MalformedValue",
    "ObservableKind",
    "domain_forms",
    "indicator_keys",
    "infer_kind",
    "kind_from_type_name",
    "normalise_domain",
    "normalise_hash",
    "normalise_url",
    "observable_keys",
    "split_url",
]

TAG_REJECT = 0
TAG_DOMAIN = 3
TAG_URL = 4
TAG_IPV4 = 100  # + prefix length 0..32
TAG_IPV6 = 200  # + prefix length 0..128


class ObservableKind(Enum):
    """The kinds of observable that indicators name; the value is the kind code."""

    IPV4 = 1
    IPV6 = 2
    DOMAIN = 3
    URL = 4
    MD5 = 5
    SHA1 = 6
    SHA256 = 7

    @property
    def label(self) -> str:
        return self.name.lower()

    @property
    def display(self) -> str:
        """The name analysts write: IPv4, IPv6, domain, URL, MD5, SHA-1, SHA-256."""
        return _DISPLAY[self]

    @property
    def is_hash(self) -> bool:
        return self in _HASH_LENGTH


_DISPLAY = {
    ObservableKind.IPV4: "IPv4",
    ObservableKind.IPV6: "IPv6",
    ObservableKind.DOMAIN: "domain",
    ObservableKind.URL: "URL",
    ObservableKind.MD5: "MD5",
    ObservableKind.SHA1: "SHA-1",
    ObservableKind.SHA256: "SHA-256",
}
_HASH_LENGTH = {ObservableKind.MD5: 32, ObservableKind.SHA1: 40, ObservableKind.SHA256: 64}
_HASH_BY_LENGTH = {n: k for k, n in _HASH_LENGTH.items()}

# Names that logs, STIX and MISP use for the type of a value. "hash" and "ip"
# leave the exact kind to be inferred from the value.
_TYPE_NAMES: dict[str, ObservableKind | None] = {
    "ipv4": ObservableKind.IPV4,
    "ipv4-addr": ObservableKind.IPV4,
    "ipv6": ObservableKind.IPV6,
    "ipv6-addr": ObservableKind.IPV6,
    "ip": None,
    "ip-src": None,
    "ip-dst": None,
    "ip-addr": None,
    "domain": ObservableKind.DOMAIN,
    "domain-name": ObservableKind.DOMAIN,
    "hostname": ObservableKind.DOMAIN,
    "fqdn": ObservableKind.DOMAIN,
    "url": ObservableKind.URL,
    "uri": ObservableKind.URL,
    "link": ObservableKind.URL,
    "md5": ObservableKind.MD5,
    "sha1": ObservableKind.SHA1,
    "sha-1": ObservableKind.SHA1,
    "sha256": ObservableKind.SHA256,
    "sha-256": ObservableKind.SHA256,
    "hash": None,
    "file-hash": None,
}
#: Type names accepted in an observable log's type column (lower case).
TYPE_NAMES: tuple[str, ...] = tuple(_TYPE_NAMES)
IP_TYPE_NAMES = frozenset({"ip", "ip-src", "ip-dst", "ip-addr"})

# Shared with the SQL normaliser: keep the two in step.
IPV4_RE = r"(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})"
HEX_RE = r"[0-9a-fA-F]+"
DOMAIN_LABEL_RE = r"[^. \t\n\r\f\v/:@?#\[\]\\%]{1,63}"
DOMAIN_RE = rf"{DOMAIN_LABEL_RE}(\.{DOMAIN_LABEL_RE})*"
URL_RE = (  # scheme, [userinfo@] host, [:port], path and query, [#fragment]
    r"([A-Za-z][A-Za-z0-9+.-]*)://(?:[^/?#@]*@)?(\[[0-9A-Fa-f:.]+\]|[^/?#:]*)"
    r"(?::([0-9]*))?([^#]*)(?:#.*)?"
)
DEFAULT_PORTS = {"http": "80", "https": "443", "ftp": "21"}
WS = " "  # what is trimmed around values, here and in SQL (trim())

_IPV4 = re.compile(IPV4_RE)
_IPV4_CIDR = re.compile(IPV4_RE + r"(?:/(0|[1-9][0-9]?))?")
_HEX = re.compile(HEX_RE)
_DOMAIN = re.compile(DOMAIN_RE)
_URL = re.compile(URL_RE)


class MalformedValue(ValueError):
    """A value that is not a valid instance of its kind; the message is the reason."""


@dataclass(frozen=True, slots=True, order=True)
class Key:
    """One equi-join key. ``tag`` says what kind of key it is (and the prefix length)."""

    tag: int
    hi: int = 0
    lo: int = 0
    text: str = ""


def kind_from_type_name(name: str) -> ObservableKind | None:
    """The kind a type name stands for; ``None`` when the value must tell (``ip``, ``hash``).

    Raises :class:`MalformedValue` for an unknown type name.
    """
    key = name.strip(WS).lower()
    if key not in _TYPE_NAMES:
        raise MalformedValue(f"unknown observable type {name!r}")
    return _TYPE_NAMES[key]


def infer_kind(value: str, type_name: str | None = None) -> ObservableKind:
    """The kind of ``value``, from its type name when it says, else from its form.

    The order of the tests is the one the SQL normaliser applies.
    """
    if type_name is not None and type_name.strip(WS) != "":
        kind = kind_from_type_name(type_name)
        if kind is not None:
            return kind
        if type_name.strip(WS).lower() in IP_TYPE_NAMES:
            return ObservableKind.IPV6 if ":" in value else ObservableKind.IPV4
        # a hash of unstated algorithm
        return _HASH_BY_LENGTH.get(len(value.strip(WS)), ObservableKind.SHA256)
    v = value.strip(WS)
    if "://" in v:
        return ObservableKind.URL
    if len(v) in _HASH_BY_LENGTH and _HEX.fullmatch(v):
        return _HASH_BY_LENGTH[len(v)]
    if _IPV4.fullmatch(v):
        return ObservableKind.IPV4
    if ":" in v:
        return ObservableKind.IPV6
    if "/" in v:
        return ObservableKind.URL
    if "." in v:
        return ObservableKind.DOMAIN
    raise MalformedValue(f"cannot tell the kind of {value!r}")


def normalise_hash(kind: ObservableKind, value: str) -> str:
    """Lower-case hex of the length the algorithm gives."""
    v = value.strip(WS)
    if not _HEX.fullmatch(v):
        raise MalformedValue(f"{kind.display} hash is not hexadecimal: {value!r}")
    if len(v) != _HASH_LENGTH[kind]:
        raise MalformedValue(
            f"{kind.display} hash must have {_HASH_LENGTH[kind]} hex digits, not {len(v)}"
        )
    return v.lower()


def normalise_domain(value: str) -> str:
    """Lower case, no trailing dot; labels of 1-63 characters without separators.

    Internationalised names are compared in the form they were written in,
    lower-cased; :func:`domain_forms` gives an indicator both its Unicode and its
    IDNA (punycode) form so that either spelling of an observation meets it.
    """
    v = value.strip(WS).lower()
    if v.endswith("."):
        v = v[:-1]
    if not v or not _DOMAIN.fullmatch(v):
        raise MalformedValue(f"not a domain name: {value!r}")
    if len(v) > 253:
        raise MalformedValue(f"domain name longer than 253 characters: {value[:40]!r}…")
    return v


def domain_forms(value: str) -> tuple[str, ...]:
    """The spellings of an indicator domain: as written, and its IDNA counterpart."""
    v = normalise_domain(value)
    forms = [v]
    try:
        if v.isascii():
            if "xn--" in v:
                forms.append(v.encode("ascii").decode("idna").lower())
        else:
            forms.append(v.encode("idna").decode("ascii").lower())
    except UnicodeError:
        pass  # not a valid IDNA name: match it as written only
    return tuple(dict.fromkeys(forms))


@dataclass(frozen=True, slots=True)
class SplitUrl:
    """A URL cut into the parts that normalisation needs."""

    normalised: str
    host: str


def split_url(value: str) -> SplitUrl:
    """Normalise a URL: scheme and host lower-cased, default port and fragment
    dropped, an empty path made ``/``; path and query kept as written. A URL
    without a scheme is read as ``http://``."""
    v = value.strip(WS)
    if "://" not in v:
        v = "http://" + v
    m = _URL.fullmatch(v)
    if m is None or m.group(2) == "":
        raise MalformedValue(f"not a URL: {value!r}")
    scheme = m.group(1).lower()
    host = m.group(2).lower()
    port = m.group(3) or ""
    rest = m.group(4)
    if port == DEFAULT_PORTS.get(scheme):
        port = ""
    if rest == "" or rest.startswith("?"):
        rest = "/" + rest
    netloc = host + (":" + port if port else "")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return SplitUrl(f"{scheme}://{netloc}{rest}", host)


def normalise_url(value: str) -> str:
    """See :func:`split_url`."""
    return split_url(value).normalised


def _ipv4_network(value: str) -> ipaddress.IPv4Network:
    try:
        return ipaddress.IPv4Network(value.strip(WS), strict=False)
    except ValueError as exc:
        raise MalformedValue(f"not an IPv4 address or CIDR range: {value!r} ({exc})") from None


def _ipv6_network(value: str) -> ipaddress.IPv6Network:
    v = value.strip(WS)
    if v.startswith("[") and v.endswith("]"):
        v = v[1:-1]
    try:
        return ipaddress.IPv6Network(v, strict=False)
    except ValueError as exc:
        raise MalformedValue(f"not an IPv6 address or CIDR range: {value!r} ({exc})") from None


def indicator_keys(kind: ObservableKind, value: str) -> tuple[Key, ...]:
    """The keys an indicator value of ``kind`` is matched on (raises :class:`MalformedValue`).

    Addresses may be CIDR ranges; host bits below the prefix are ignored.
    """
    if kind is ObservableKind.IPV4:
        m = _IPV4_CIDR.fullmatch(value.strip(WS))
        if m is not None:  # the common case, without ipaddress's overhead
            a, b, c, d = (int(x) for x in m.group(1, 2, 3, 4))
            p = 32 if m.group(5) is None else int(m.group(5))
            if max(a, b, c, d) <= 255 and p <= 32:
                ip = (a << 24) | (b << 16) | (c << 8) | d
                return (Key(TAG_IPV4 + p, 0, ip & (0xFFFF_FFFF ^ ((1 << (32 - p)) - 1))),)
        net4 = _ipv4_network(value)
        return (Key(TAG_IPV4 + net4.prefixlen, 0, int(net4.network_address)),)
    if kind is ObservableKind.IPV6:
        net6 = _ipv6_network(value)
        n = int(net6.network_address)
        return (Key(TAG_IPV6 + net6.prefixlen, n >> 64, n & 0xFFFF_FFFF_FFFF_FFFF),)
    if kind is ObservableKind.DOMAIN:
        return tuple(Key(TAG_DOMAIN, text=f) for f in domain_forms(value))
    if kind is ObservableKind.URL:
        return (Key(TAG_URL, text=normalise_url(value)),)
    return (Key(kind.value, text=normalise_hash(kind, value)),)


def ipv4_int(value: str) -> int:
    """A single IPv4 address as an integer (rejects ranges, leading zeros)."""
    if not _IPV4.fullmatch(value.strip(WS)):
        raise MalformedValue(f"not an IPv4 address: {value!r}")
    try:
        return int(ipaddress.IPv4Address(value.strip(WS)))
    except ValueError as exc:
        raise MalformedValue(f"not an IPv4 address: {value!r} ({exc})") from None


def ipv6_int(value: str) -> int:
    """A single IPv6 address as an integer (brackets and a zone index are dropped)."""
    v = value.strip(WS)
    if v.startswith("[") and v.endswith("]"):
        v = v[1:-1]
    v = v.split("%", 1)[0]
    try:
        return int(ipaddress.IPv6Address(v))
    except ValueError as exc:
        raise MalformedValue(f"not an IPv6 address: {value!r} ({exc})") from None


@dataclass(frozen=True, slots=True)
class KeyPlan:
    """What an observable is expanded into: the prefix lengths and domain depths
    that the indicator set uses (longest prefix and shallowest depth first)."""

    ipv4_prefixes: tuple[int, ...] = ()
    ipv6_prefixes: tuple[int, ...] = ()
    domain_depths: tuple[int, ...] = ()

    @staticmethod
    def of(keys: Iterable[Key]) -> KeyPlan:
        v4: set[int] = set()
        v6: set[int] = set()
        depths: set[int] = set()
        for key in keys:
            if TAG_IPV4 <= key.tag <= TAG_IPV4 + 32:
                v4.add(key.tag - TAG_IPV4)
            elif TAG_IPV6 <= key.tag <= TAG_IPV6 + 128:
                v6.add(key.tag - TAG_IPV6)
            elif key.tag == TAG_DOMAIN:
                depths.add(key.text.count(".") + 1)
        return KeyPlan(
            tuple(sorted(v4, reverse=True)), tuple(sorted(v6, reverse=True)), tuple(sorted(depths))
        )


def _ipv4_prefix_keys(ip: int, plan: KeyPlan) -> list[Key]:
    return [
        Key(TAG_IPV4 + p, 0, ip & (0xFFFF_FFFF ^ ((1 << (32 - p)) - 1))) for p in plan.ipv4_prefixes
    ]


def _domain_suffix_keys(domain: str, plan: KeyPlan) -> list[Key]:
    labels = domain.split(".")
    return [
        Key(TAG_DOMAIN, text=".".join(labels[-d:])) for d in plan.domain_depths if d <= len(labels)
    ]


def observable_keys(value: str, type_name: str | None, plan: KeyPlan) -> tuple[Key, ...]:
    """The keys an observed value is probed with (raises :class:`MalformedValue`).

    The reference for the SQL kernel: it expands exactly as the query does. A
    URL is probed as itself and through its host (a domain or an IPv4 address;
    an IPv6-literal host is matched through the URL only).
    """
    kind = infer_kind(value, type_name)
    if kind is ObservableKind.IPV4:
        return tuple(_ipv4_prefix_keys(ipv4_int(value), plan))
    if kind is ObservableKind.IPV6:
        n = ipv6_int(value)
        out = []
        for p in plan.ipv6_prefixes:
            masked = n & (((1 << 128) - 1) ^ ((1 << (128 - p)) - 1))
            out.append(Key(TAG_IPV6 + p, masked >> 64, masked & 0xFFFF_FFFF_FFFF_FFFF))
        return tuple(out)
    if kind is ObservableKind.DOMAIN:
        return tuple(_domain_suffix_keys(normalise_domain(value), plan))
    if kind is ObservableKind.URL:
        parts = split_url(value)
        keys = [Key(TAG_URL, text=parts.normalised)]
        if _IPV4.fullmatch(parts.host):
            with contextlib.suppress(MalformedValue):
                keys += _ipv4_prefix_keys(ipv4_int(parts.host), plan)
        elif ":" not in parts.host:
            with contextlib.suppress(MalformedValue):
                keys += _domain_suffix_keys(normalise_domain(parts.host), plan)
        return tuple(keys)
    return (Key(kind.value, text=normalise_hash(kind, value)),)
