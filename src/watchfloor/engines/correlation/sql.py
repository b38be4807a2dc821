"""The correlation kernel as one DuckDB query: normalise, expand into keys, join.

The query reads a relation with the columns ``row_no``, ``ts``, ``value`` and
``type`` (``type`` may be all NULL) and joins it, in a single streaming pass,
with the indicator key table ``ind_keys(tag, hi, lo, text, idx, valid_from,
valid_until)``. Malformed rows are not dropped: they become one key with tag
:data:`~.keys.TAG_REJECT` that joins a sentinel row (``idx = -1``), so the
one output stream carries matches and rejects and the input is read once.

The rules are those of :mod:`.keys` (the reference, in Python); the regular
expressions are shared with it, and a property test checks that both agree.
"""

from __future__ import annotations

from watchfloor.engines.correlation.keys import (
    DEFAULT_PORTS,
    DOMAIN_RE,
    IPV4_RE,
    TAG_DOMAIN,
    TAG_IPV4,
    TAG_IPV6,
    TAG_REJECT,
    TAG_URL,
    URL_RE,
    KeyPlan,
    ObservableKind,
)

__all__ = ["KEY_TYPE", "correlation_query", "keys_query"]

KEY_TYPE = "STRUCT(tag USMALLINT, hi UBIGINT, lo UBIGINT, text VARCHAR)"
_M64 = (1 << 64) - 1
_K = ObservableKind


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _names(*names: str) -> str:
    return ", ".join(_q(n) for n in names)


_BY_LENGTH = (
    f"CASE length(v) WHEN 32 THEN {_K.MD5.value} WHEN 40 THEN {_K.SHA1.value} "
    f"ELSE {_K.SHA256.value} END"
)

# The kind of a row, from its type name or else its form (keys.infer_kind).
_KIND = f"""CASE
  WHEN v IS NULL OR v = '' THEN NULL
  WHEN t IS NULL OR t = '' THEN CASE
      WHEN contains(v, '://') THEN {_K.URL.value}
      WHEN length(v) IN (32, 40, 64) AND regexp_full_match(v, '[0-9a-fA-F]+') THEN {_BY_LENGTH}
      WHEN regexp_full_match(v, {_q(IPV4_RE)}) THEN {_K.IPV4.value}
      WHEN contains(v, ':') THEN {_K.IPV6.value}
      WHEN contains(v, '/') THEN {_K.URL.value}
      WHEN contains(v, '.') THEN {_K.DOMAIN.value}
    END
  WHEN t IN ({_names("ipv4", "ipv4-addr")}) THEN {_K.IPV4.value}
  WHEN t IN ({_names("ipv6", "ipv6-addr")}) THEN {_K.IPV6.value}
  WHEN t IN ({_names("ip", "ip-src", "ip-dst", "ip-addr")}) THEN
    CASE WHEN contains(v, ':') THEN {_K.IPV6.value} ELSE {_K.IPV4.value} END
  WHEN t IN ({_names("domain", "domain-name", "hostname", "fqdn")}) THEN {_K.DOMAIN.value}
  WHEN t IN ({_names("url", "uri", "link")}) THEN {_K.URL.value}
  WHEN t = 'md5' THEN {_K.MD5.value}
  WHEN t IN ({_names("sha1", "sha-1")}) THEN {_K.SHA1.value}
  WHEN t IN ({_names("sha256", "sha-256")}) THEN {_K.SHA256.value}
  WHEN t IN ({_names("hash", "file-hash")}) THEN {_BY_LENGTH}
END"""


def _trim(col: str) -> str:
    # DuckDB's trim() costs about a microsecond a row; most values need none.
    spaced = f"starts_with({col}, ' ') OR ends_with({col}, ' ')"
    return f"CASE WHEN {spaced} THEN trim({col}) ELSE {col} END"


def _ipv4_match(text: str) -> str:
    return f"regexp_extract({text}, {_q('^' + IPV4_RE + '$')}, ['a', 'b', 'c', 'd'])"


def _ipv4_number(m: str) -> str:
    """An IPv4 number (UBIGINT) from a struct of octet strings; NULL when invalid."""
    parts = " | ".join(
        f"(try_cast({m}.{g} AS UTINYINT)::UBIGINT << {shift})"
        for g, shift in zip("abcd", (24, 16, 8, 0), strict=True)
    )
    return f"CASE WHEN {m}.a <> '' THEN ({parts}) END"


def _key(tag: str, hi: str = "0", lo: str = "0", text: str = "''") -> str:
    fields = f"'hi': ({hi})::UBIGINT, 'lo': ({lo})::UBIGINT, 'text': {text}"
    return f"{{'tag': ({tag})::USMALLINT, {fields}}}"


def _list(items: list[str]) -> str:
    return "[" + ", ".join(items) + "]" if items else f"[]::{KEY_TYPE}[]"


def _ipv4_keys(ip: str, plan: KeyPlan) -> str:
    items = []
    for p in plan.ipv4_prefixes:
        mask = 0xFFFF_FFFF ^ ((1 << (32 - p)) - 1)
        items.append(_key(str(TAG_IPV4 + p), lo=f"{ip} & {mask}"))
    return _list(items)


def _ipv6_keys(plan: KeyPlan) -> str:
    items = []
    for p in plan.ipv6_prefixes:
        mhi = _M64 ^ ((1 << (64 - p)) - 1) if p <= 64 else _M64
        mlo = 0 if p <= 64 else _M64 ^ ((1 << (128 - p)) - 1)
        items.append(_key(str(TAG_IPV6 + p), hi=f"ip6_hi & {mhi}", lo=f"ip6_lo & {mlo}"))
    return _list(items)


def _domain_keys(labels: str, plan: KeyPlan) -> str:
    items = []
    for d in plan.domain_depths:
        text = f"CASE WHEN len({labels}) >= {d} THEN array_to_string({labels}[-{d}:], '.') END"
        items.append(_key(str(TAG_DOMAIN), text=text))
    return _list(items)


def _default_port() -> str:
    whens = " ".join(f"WHEN {_q(s)} THEN {_q(p)}" for s, p in DEFAULT_PORTS.items())
    return f"CASE lower(mu.s) {whens} END"


def keys_query(source: str, plan: KeyPlan, ts_expr: str = "ts") -> str:
    """Each row of ``source`` with its kind, its rejection reason (NULL if well
    formed) and its list of probe keys ``keys`` (rejected rows: one reject key)."""
    url_groups = "['s', 'h', 'p', 'r']"
    url_re = _q("^" + URL_RE + "$")
    dom_ok = f"regexp_full_match({{x}}, {_q(DOMAIN_RE)}) AND length({{x}}) <= 253"
    return f"""
WITH s0 AS NOT MATERIALIZED (
  SELECT row_no, {ts_expr} AS ts, value AS raw, type AS raw_type,
         {_trim("value")} AS v, lower({_trim("type")}) AS t
  FROM {source}
), s1 AS NOT MATERIALIZED (
  SELECT *, {_KIND} AS kind FROM s0
), s2 AS NOT MATERIALIZED (
  SELECT *,
    CASE WHEN kind = {_K.IPV4.value} THEN {_ipv4_match("v")} END AS m4,
    CASE WHEN kind = {_K.IPV6.value} THEN split_part(
        CASE WHEN starts_with(v, '[') AND ends_with(v, ']') THEN lower(v)[2:-2] ELSE lower(v) END,
        '%', 1) END AS y6,
    CASE WHEN kind = {_K.DOMAIN.value} THEN
        CASE WHEN ends_with(v, '.') THEN lower(v)[:-2] ELSE lower(v) END END AS dom0,
    CASE WHEN kind = {_K.URL.value} THEN regexp_extract(
        CASE WHEN contains(v, '://') THEN v ELSE 'http://' || v END, {url_re}, {url_groups})
        END AS mu,
    CASE WHEN kind >= {_K.MD5.value} AND regexp_full_match(v, '[0-9a-fA-F]+')
              AND length(v) = CASE kind WHEN {_K.MD5.value} THEN 32
                                        WHEN {_K.SHA1.value} THEN 40 ELSE 64 END
         THEN lower(v) END AS hash
  FROM s1
), s3 AS NOT MATERIALIZED (
  SELECT *,
    {_ipv4_number("m4")} AS ip4,
    CASE WHEN y6 IS NOT NULL THEN regexp_extract(y6, {_q("^(.*:)" + IPV4_RE + "$")},
                                                  ['p', 'a', 'b', 'c', 'd']) END AS e6,
    CASE WHEN dom0 IS NOT NULL AND {dom_ok.replace("{x}", "dom0")} THEN dom0 END AS dom,
    CASE WHEN mu.s <> '' AND mu.h <> '' THEN
      lower(mu.s) || '://' || lower(mu.h)
      || CASE WHEN mu.p = '' OR mu.p = {_default_port()} THEN '' ELSE ':' || mu.p END
      || CASE WHEN mu.r = '' OR starts_with(mu.r, '?') THEN '/' || mu.r ELSE mu.r END
    END AS url,
    CASE WHEN mu.s <> '' AND mu.h <> '' THEN
      CASE WHEN starts_with(mu.h, '[') AND ends_with(mu.h, ']') THEN lower(mu.h)[2:-2]
           ELSE lower(mu.h) END
    END AS host
  FROM s2
), s4 AS NOT MATERIALIZED (
  SELECT *,
    CASE WHEN kind <> {_K.IPV6.value} THEN NULL
      WHEN e6.p <> '' THEN e6.p || printf('%x:%x',
        try_cast(e6.a AS UTINYINT)::INT * 256 + try_cast(e6.b AS UTINYINT)::INT,
        try_cast(e6.c AS UTINYINT)::INT * 256 + try_cast(e6.d AS UTINYINT)::INT)
      ELSE y6 END AS x6,
    CASE WHEN host IS NOT NULL THEN {_ipv4_match("host")} END AS hm4,
    CASE WHEN kind <> {_K.URL.value} THEN NULL
         WHEN ends_with(host, '.') THEN host[:-2] ELSE host END AS host0,
  FROM s3
), s5 AS NOT MATERIALIZED (
  SELECT *,
    CASE WHEN kind = {_K.URL.value} THEN {_ipv4_number("hm4")} END AS ip4h,
    CASE WHEN kind = {_K.URL.value} AND hm4.a = '' AND NOT contains(host, ':')
              AND {dom_ok.replace("{x}", "host0")}
         THEN host0 END AS hostdom,
    CASE WHEN kind = {_K.IPV6.value} AND regexp_full_match(x6, '[0-9a-f:]+')
         THEN string_split(x6, '::') END AS p6
  FROM s4
), s6 AS NOT MATERIALIZED (
  SELECT *,
    CASE WHEN kind IN ({_K.DOMAIN.value}, {_K.URL.value})
         THEN string_split(coalesce(dom, hostdom), '.') END AS labels,
    CASE WHEN p6 IS NULL THEN NULL WHEN p6[1] = '' THEN []::VARCHAR[]
         ELSE string_split(p6[1], ':') END AS h6,
    CASE WHEN p6 IS NULL THEN NULL WHEN len(p6) < 2 OR p6[2] = '' THEN []::VARCHAR[]
         ELSE string_split(p6[2], ':') END AS t6
  FROM s5
), s7 AS NOT MATERIALIZED (
  SELECT *,
    CASE WHEN p6 IS NULL THEN NULL
         WHEN len(p6) = 1 THEN h6
         WHEN len(p6) = 2 AND len(h6) + len(t6) <= 7
           THEN h6 || list_transform(range(8 - len(h6) - len(t6)), lambda x: '0') || t6
    END AS g6
  FROM s6
), s8 AS NOT MATERIALIZED (
  SELECT *,
    CASE WHEN g6 IS NULL THEN NULL
         WHEN len(g6) = 8 AND list_bool_and(list_transform(g6, lambda g: length(g) BETWEEN 1 AND 4))
         THEN list_transform(g6, lambda g: ('0x' || g)::UBIGINT) END AS n6
  FROM s7
), s9 AS NOT MATERIALIZED (
  SELECT *,
    CASE WHEN n6 IS NOT NULL THEN (n6[1] << 48) | (n6[2] << 32) | (n6[3] << 16) | n6[4]
         END AS ip6_hi,
    CASE WHEN n6 IS NOT NULL THEN (n6[5] << 48) | (n6[6] << 32) | (n6[7] << 16) | n6[8]
         END AS ip6_lo
  FROM s8
), s10 AS NOT MATERIALIZED (
  SELECT *,
    CASE
      WHEN ts IS NULL THEN 'missing or malformed timestamp'
      WHEN v IS NULL OR v = '' THEN 'empty value'
      WHEN kind IS NULL AND t IS NOT NULL AND t <> '' THEN 'unknown observable type ' || raw_type
      WHEN kind IS NULL THEN 'cannot tell the kind of value'
      WHEN kind = {_K.IPV4.value} AND ip4 IS NULL THEN 'not an IPv4 address'
      WHEN kind = {_K.IPV6.value} AND ip6_hi IS NULL THEN 'not an IPv6 address'
      WHEN kind = {_K.DOMAIN.value} AND dom IS NULL THEN 'not a domain name'
      WHEN kind = {_K.URL.value} AND url IS NULL THEN 'not a URL'
      WHEN kind >= {_K.MD5.value} AND hash IS NULL THEN
        'not a ' || CASE kind WHEN {_K.MD5.value} THEN 'MD5 (32 hex digits)'
                              WHEN {_K.SHA1.value} THEN 'SHA-1 (40 hex digits)'
                              ELSE 'SHA-256 (64 hex digits)' END || ' hash'
    END AS reason
  FROM s9
)
SELECT row_no, ts, raw, raw_type, kind, reason,
  CASE
    WHEN reason IS NOT NULL THEN [{_key(str(TAG_REJECT))}]
    WHEN kind = {_K.IPV4.value} THEN {_ipv4_keys("ip4", plan)}
    WHEN kind = {_K.IPV6.value} THEN {_ipv6_keys(plan)}
    WHEN kind = {_K.DOMAIN.value} THEN {_domain_keys("labels", plan)}
    WHEN kind = {_K.URL.value} THEN [{_key(str(TAG_URL), text="url")}] || CASE
        WHEN ip4h IS NOT NULL THEN {_ipv4_keys("ip4h", plan)}
        WHEN hostdom IS NOT NULL THEN {_domain_keys("labels", plan)}
        ELSE []::{KEY_TYPE}[] END
    ELSE [{_key("kind", text="hash")}]
  END AS keys
FROM s10
"""


def correlation_query(source: str, plan: KeyPlan, ts_expr: str = "ts") -> str:
    """Matches and rejects of ``source`` against ``ind_keys``.

    Columns: row_no, ts, raw, raw_type, kind, reason, idx (``-1`` for a
    rejected row). A match needs ``valid_from <= ts < valid_until``.
    """
    return f"""
WITH probe AS NOT MATERIALIZED (
  SELECT row_no, ts, raw, raw_type, kind, reason, unnest(keys) AS k
  FROM ({keys_query(source, plan, ts_expr)})
)
SELECT p.row_no, p.ts, p.raw, p.raw_type, p.kind, p.reason, i.idx
FROM probe p JOIN ind_keys i
  ON p.k.tag = i.tag AND p.k.hi = i.hi AND p.k.lo = i.lo AND p.k.text = i.text
WHERE i.idx < 0 OR (p.ts >= i.valid_from AND p.ts < i.valid_until)
"""
