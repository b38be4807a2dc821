"""The SQL kernel normalises observables exactly as the Python reference does."""

from __future__ import annotations

import ipaddress

import duckdb
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from watchfloor.engines.correlation.keys import Key, KeyPlan, MalformedValue, observable_keys
from watchfloor.engines.correlation.sql import keys_query

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


def _sql_keys(values: list[tuple[str | None, str | None]]) -> list[frozenset[Key] | None]:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    table = pa.table(
        {
            "row_no": pa.array(range(len(values)), pa.int64()),
            "ts": pa.array(["2025-01-01T00:00:00Z"] * len(values)),
            "value": pa.array([v for v, _ in values], pa.string()),
            "type": pa.array([t for _, t in values], pa.string()),
        }
    )
    con.register("obs", table)
    query = keys_query("obs", PLAN, "try_cast(ts AS TIMESTAMPTZ)")
    rows = con.sql(f"SELECT row_no, reason, keys FROM ({query}) ORDER BY row_no").fetchall()
    out: list[frozenset[Key] | None] = []
    for _, reason, keys in rows:
        if reason is not None:
            out.append(None)
        else:
            out.append(
                frozenset(
                    Key(k["tag"], k["hi"], k["lo"], k["text"])
                    for k in keys
                    if k["text"] is not None
                )
            )
    con.close()
    return out


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
) | st.sampled_from(["evil.example/x", "http://", "://x", "http://user@h.example/"])
hexes = st.text(alphabet="0123456789abcdefABCDEFg", min_size=30, max_size=66)
values = (ipv4 | ipv6 | domain | url | hexes | st.text(max_size=6)).map(lambda v: v) | st.builds(
    lambda v: f" {v} ", ipv4 | domain
)


@settings(max_examples=12, deadline=None)
@given(st.lists(st.tuples(values, st.sampled_from(TYPES)), min_size=20, max_size=80))
def test_sql_keys_equal_reference_keys(batch: list[tuple[str, str | None]]) -> None:
    sql = _sql_keys(batch)
    for (value, type_name), got in zip(batch, sql, strict=True):
        assert got == _reference(value, type_name), (value, type_name)


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
    sql = _sql_keys(batch)
    assert sql == [_reference(v, t) for v, t in batch]
    assert sql[0] is None and sql[1] is None and sql[7] is None
    assert sql[2] and sql[3] and sql[4] and sql[5] and sql[6] and sql[8]
