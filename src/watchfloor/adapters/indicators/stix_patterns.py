"""STIX patterns, the common simple forms: equality comparisons joined by OR.

Accepted (STIX 2.0 and 2.1)::

    [ipv4-addr:value = '198.51.100.0/24']
    [ipv6-addr:value = '2001:db8::1']
    [domain-name:value = 'example.com']
    [url:value = 'http://example.com/x']
    [file:hashes.'SHA-256' = '…']  (also MD5, SHA-1; quoted or not: file:hashes.MD5)
    [a = 'x' OR b = 'y']  and  [a = 'x'] OR [b = 'y']

and the forms that say no more than one of those with AND, as MISP's STIX
export (misp-stix) and many feeds write them::

    [network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '…']
        (src_ref too; the address whichever way the traffic went; the type
        ipv4-addr, ipv6-addr or domain-name, or none: told by the value)
    [file:hashes.MD5 = '…' AND file:hashes.'SHA-256' = '…']
        (the hashes of one file: each identifies it)

AND binds before OR, as in STIX. Anything else — AND with any other
comparison (a port, a file name, a second address), FOLLOWEDBY, qualifiers
(WITHIN, REPEATS, START/STOP), other operators (!=, LIKE, MATCHES, IN …) or
other object paths — is *unsupported*: valid STIX perhaps, but not matched
(it would take more than one value of a log to match it). A pattern that is
not STIX at all is *malformed*. The two raise different errors so that an
import can skip the first and refuse the second.
"""

from __future__ import annotations

import re

from watchfloor.engines.correlation.keys import ObservableKind

__all__ = ["MalformedPattern", "UnsupportedPattern", "parse_simple_pattern"]


class MalformedPattern(ValueError):
    """Not a STIX pattern (the message says where)."""


class UnsupportedPattern(ValueError):
    """A STIX pattern beyond the simple forms this matcher handles."""


_TOKEN = re.compile(
    r"""\s*(?:
      (?P<lb>\[) | (?P<rb>\]) | (?P<lp>\() | (?P<rp>\)) |
      (?P<str>'(?:[^'\\]|\\.)*') |
      (?P<op>!=|<=|>=|=|<|>) |
      (?P<word>[A-Za-z_][A-Za-z0-9_\-]*
         (?::(?:[A-Za-z0-9_\-.']|\[(?:\*|\d+)\])+  # an object path, list indices too
          |(?:\.[A-Za-z0-9_\-']+)*)?) |
      (?P<other>\S)
    )""",
    re.VERBOSE,
)
_HASHES = {
    "md5": ObservableKind.MD5,
    "sha-1": ObservableKind.SHA1,
    "sha1": ObservableKind.SHA1,
    "sha-256": ObservableKind.SHA256,
    "sha256": ObservableKind.SHA256,
}
_PATHS = {
    "ipv4-addr:value": ObservableKind.IPV4,
    "ipv6-addr:value": ObservableKind.IPV6,
    "domain-name:value": ObservableKind.DOMAIN,
    "url:value": ObservableKind.URL,
}
_KEYWORDS = frozenset(
    {
        "AND",
        "OR",
        "FOLLOWEDBY",
        "WITHIN",
        "REPEATS",
        "START",
        "STOP",
        "NOT",
        "LIKE",
        "MATCHES",
        "IN",
        "ISSUBSET",
        "ISSUPERSET",
        "EXISTS",
        "SECONDS",
        "TIMES",
    }
)


def _tokens(pattern: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(pattern):
        m = _TOKEN.match(pattern, pos)
        if m is None or m.end() == pos:
            break
        pos = m.end()
        kind = m.lastgroup
        if kind is None:
            continue
        out.append((kind, m.group(kind)))
    if pattern[pos:].strip():
        raise MalformedPattern(f"cannot read the pattern from {pattern[pos : pos + 20]!r}")
    return out


def _unquote(literal: str) -> str:
    body = literal[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


#: A network-traffic object's source or destination, its value or its type.
_TRAFFIC = re.compile(r"network-traffic:(src|dst)_ref\.(value|type)", re.IGNORECASE)
_TRAFFIC_TYPES = {
    "ipv4-addr": ObservableKind.IPV4,
    "ipv6-addr": ObservableKind.IPV6,
    "domain-name": ObservableKind.DOMAIN,
}


def _object_path(path: str) -> ObservableKind:
    key = path.lower()
    if key in _PATHS:
        return _PATHS[key]
    m = re.fullmatch(r"file:hashes\.(?:'([^']+)'|([A-Za-z0-9\-]+))", path, re.IGNORECASE)
    if m:
        algorithm = (m.group(1) or m.group(2)).lower()
        if algorithm in _HASHES:
            return _HASHES[algorithm]
        raise UnsupportedPattern(f"hash algorithm {algorithm!r} is not matched")
    if ":" not in path:
        raise MalformedPattern(f"{path!r} is not an object path (type:property)")
    raise UnsupportedPattern(f"object path {path!r} is not matched")


def _group_values(group: list[tuple[str, str]]) -> list[tuple[ObservableKind, str]]:
    """The (kind, value) that comparisons joined by AND (``group``: their
    object paths and values) stand for, where they say no more than that."""
    if len(group) == 1 and not _TRAFFIC.fullmatch(group[0][0]):
        path, value = group[0]
        return [(_object_path(path), value)]
    traffic = [(_TRAFFIC.fullmatch(path), value) for path, value in group]
    others = ", ".join(dict.fromkeys(path for path, _ in group))
    if all(m is not None for m, _ in traffic):
        refs = {m.group(1).lower() for m, _ in traffic if m is not None}
        values = {v for m, v in traffic if m is not None and m.group(2).lower() == "value"}
        types = {v.lower() for m, v in traffic if m is not None and m.group(2).lower() == "type"}
        if len(refs) > 1 or len(values) != 1:
            raise UnsupportedPattern("AND of two ends of network traffic is not matched")
        [value] = values
        if not types:  # the value's form tells
            return [(ObservableKind.IPV6 if ":" in value else ObservableKind.IPV4, value)]
        if len(types) > 1 or not types <= set(_TRAFFIC_TYPES):
            raise UnsupportedPattern(f"network traffic to a {sorted(types)[0]!r} is not matched")
        return [(_TRAFFIC_TYPES[types.pop()], value)]
    if all(path.lower().startswith("file:hashes.") for path, _ in group):
        return list(dict.fromkeys((_object_path(path), value) for path, value in group))
    raise UnsupportedPattern(f"AND of {others} is not matched")


def parse_simple_pattern(pattern: str) -> list[tuple[ObservableKind, str]]:
    """The (kind, value) comparisons of a simple pattern, in order.

    Raises :class:`MalformedPattern` or :class:`UnsupportedPattern`.
    """
    if not isinstance(pattern, str) or not pattern.strip():
        raise MalformedPattern("empty pattern")
    tokens = _tokens(pattern)
    out: list[tuple[ObservableKind, str]] = []
    i = 0
    n = len(tokens)
    depth = 0
    expect_observation = True
    while i < n:
        kind, text = tokens[i]
        if expect_observation:
            if kind == "lp":
                depth += 1
                i += 1
                continue
            if kind != "lb":
                raise MalformedPattern(f"expected '[' at {text!r}")
            i += 1
            # comparisons inside [ … ]: groups joined by AND, the groups by OR
            group: list[tuple[str, str]] = []
            while True:
                if i + 2 >= n:
                    raise MalformedPattern("unterminated observation expression")
                (k1, path), (k2, op), (k3, lit) = tokens[i], tokens[i + 1], tokens[i + 2]
                if k1 != "word" or path.upper() in _KEYWORDS:
                    raise MalformedPattern(f"expected an object path, found {path!r}")
                if k2 == "word" and op.upper() in _KEYWORDS:
                    raise UnsupportedPattern(f"operator {op.upper()} is not matched")
                if k2 != "op":
                    raise MalformedPattern(f"expected a comparison operator after {path!r}")
                if op != "=":
                    raise UnsupportedPattern(f"operator {op!r} is not matched")
                if k3 != "str":
                    raise UnsupportedPattern(
                        f"comparison with {lit!r} (not a string) is not matched"
                    )
                group.append((path, _unquote(lit)))
                i += 3
                if i >= n:
                    raise MalformedPattern("missing ']'")
                k, t = tokens[i]
                if k == "word" and t.upper() == "AND":
                    i += 1
                    continue
                if k == "rb" or (k == "word" and t.upper() == "OR"):
                    out.extend(_group_values(group))
                    group = []
                    i += 1
                    if k == "rb":
                        break
                    continue
                raise MalformedPattern(f"unexpected {t!r} in an observation expression")
            expect_observation = False
            continue
        # between observations
        if kind == "rp":
            if depth == 0:
                raise MalformedPattern("unbalanced ')'")
            depth -= 1
            i += 1
            continue
        if kind == "word" and text.upper() == "OR":
            expect_observation = True
            i += 1
            continue
        if kind == "word" and text.upper() in _KEYWORDS:
            raise UnsupportedPattern(f"{text.upper()} between observations is not matched")
        raise MalformedPattern(f"unexpected {text!r} after an observation expression")
    if expect_observation:
        raise MalformedPattern("pattern ends where an observation expression was expected")
    if depth != 0:
        raise MalformedPattern("unbalanced '('")
    return out
