"""STIX simple patterns and indicator bundles: values, validity, actors, bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from stix2patterns.validator import validate

from watchfloor.adapters.indicators import (
    IndicatorImportError,
    MalformedPattern,
    UnsupportedPattern,
    parse_simple_pattern,
    stix_indicators,
)
from watchfloor.engines.correlation import ObservableKind as K

TS = "2025-01-01T00:00:00.000Z"
TLP_AMBER = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"


def _sdo(type_: str, n: int, **props: Any) -> dict[str, Any]:
    obj = {
        "type": type_,
        "spec_version": "2.1",
        "id": f"{type_}--00000000-0000-4000-8000-{n:012d}",
        "created": TS,
        "modified": TS,
    }
    obj.update(props)
    return obj


def _indicator(n: int, pattern: str, **props: Any) -> dict[str, Any]:
    props = {"pattern_type": "stix", "valid_from": TS, **props}
    return _sdo("indicator", n, pattern=pattern, **props)


def _rel(n: int, kind: str, src: dict[str, Any], dst: dict[str, Any]) -> dict[str, Any]:
    return _sdo(
        "relationship", n, relationship_type=kind, source_ref=src["id"], target_ref=dst["id"]
    )


def _bundle(*objects: dict[str, Any]) -> str:
    return json.dumps(
        {
            "type": "bundle",
            "id": "bundle--00000000-0000-4000-8000-000000000999",
            "objects": list(objects),
        }
    )


MD5 = "d41d8cd98f00b204e9800998ecf8427e"
SHA1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709"
SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
SHA512 = "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce" * 2


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("[ipv4-addr:value = '198.51.100.1']", [(K.IPV4, "198.51.100.1")]),
        ("[ipv6-addr:value = '2001:db8::/32']", [(K.IPV6, "2001:db8::/32")]),
        ("[domain-name:value = 'evil.example']", [(K.DOMAIN, "evil.example")]),
        ("[url:value = 'http://evil.example/it\\'s']", [(K.URL, "http://evil.example/it's")]),
        (f"[file:hashes.'SHA-256' = '{SHA256}']", [(K.SHA256, SHA256)]),
        (
            f"[file:hashes.MD5 = '{MD5}' OR file:hashes.'SHA-1' = '{SHA1}']",
            [(K.MD5, MD5), (K.SHA1, SHA1)],
        ),
        (
            "[domain-name:value = 'a.example'] OR [ipv4-addr:value = '192.0.2.1']",
            [(K.DOMAIN, "a.example"), (K.IPV4, "192.0.2.1")],
        ),
        # as MISP's STIX export (misp-stix) writes an ip-dst, ip-src attribute
        (
            "[network-traffic:dst_ref.type = 'ipv4-addr' AND "
            "network-traffic:dst_ref.value = '198.51.100.7']",
            [(K.IPV4, "198.51.100.7")],
        ),
        ("[network-traffic:src_ref.value = '2001:db8::1']", [(K.IPV6, "2001:db8::1")]),
        (
            "[network-traffic:dst_ref.value = 'evil.example' AND "
            "network-traffic:dst_ref.type = 'domain-name']",
            [(K.DOMAIN, "evil.example")],
        ),
        # the hashes of one file; AND binds before OR
        (
            f"[file:hashes.MD5 = '{MD5}' AND file:hashes.'SHA-256' = '{SHA256}' "
            "OR url:value = 'http://x.example/']",
            [(K.MD5, MD5), (K.SHA256, SHA256), (K.URL, "http://x.example/")],
        ),
    ],
)
def test_simple_patterns_give_their_comparisons(pattern: str, expected: list[Any]) -> None:
    assert parse_simple_pattern(pattern) == expected
    assert validate(pattern, ret_errs=False, print_errs=False)  # STIX, by the reference


@pytest.mark.parametrize(
    "pattern",
    [
        "[ipv4-addr:value = '1.2.3.4' AND domain-name:value = 'x.example']",
        "[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [ipv4-addr:value = '1.2.3.5']",
        "[ipv4-addr:value = '1.2.3.4'] WITHIN 60 SECONDS",
        "[process:name = 'evil.exe']",
        "[domain-name:value LIKE '%.example']",
        "[ipv4-addr:value != '1.2.3.4']",
        f"[file:hashes.'SHA-512' = '{SHA512}']",
        # more than one value of a log would match them
        "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = "
        "'198.51.100.7' AND network-traffic:dst_port = 443]",
        "[network-traffic:src_ref.value = '192.0.2.1' AND "
        "network-traffic:dst_ref.value = '198.51.100.7']",
        f"[file:name = 'x.exe' AND file:hashes.MD5 = '{MD5}']",
        "[network-traffic:dst_ref.type = 'mac-addr' AND network-traffic:dst_ref.value = 'aa']",
        # list indices in an object path (MISP's domain|ip): valid, not matched
        "[domain-name:value = 'x.example' AND domain-name:resolves_to_refs[*].value = '1.2.3.4']",
        "[email-message:to_refs[0].value = 'a@b.example']",
    ],
)
def test_other_valid_patterns_are_unsupported(pattern: str) -> None:
    assert validate(pattern, ret_errs=False, print_errs=False)  # STIX, by the reference
    with pytest.raises(UnsupportedPattern):
        parse_simple_pattern(pattern)


@pytest.mark.parametrize(
    "pattern", ["", "ipv4-addr:value = '1.2.3.4'", "[ipv4-addr:value = '1.2.3.4'", "[= 'x']"]
)
def test_garbage_is_a_malformed_pattern(pattern: str) -> None:
    # (the reference's validator fails on an empty pattern with an error of its own)
    assert not pattern or not validate(pattern, ret_errs=False, print_errs=False)
    with pytest.raises(MalformedPattern):
        parse_simple_pattern(pattern)


def test_indicators_carry_validity_tlp_and_actors_through_campaign_attribution() -> None:
    actor = _sdo("intrusion-set", 1, name="APT Example", aliases=["APT Example", "Example Bear"])
    campaign = _sdo("campaign", 2, name="Operation Example")
    direct = _indicator(
        3,
        "[ipv4-addr:value = '198.51.100.0/24']",
        valid_until="2025-06-01T00:00:00Z",
        object_marking_refs=[TLP_AMBER],
    )
    via_campaign = _indicator(4, "[domain-name:value = 'evil.example']")
    bundle = _bundle(
        actor,
        campaign,
        direct,
        via_campaign,
        _rel(5, "indicates", direct, actor),
        _rel(6, "indicates", via_campaign, campaign),
        _rel(7, "attributed-to", campaign, actor),
    )
    result = stix_indicators(bundle, source="test")
    by_id = {i.id: i for i in result.indicators}
    first = by_id[direct["id"]]
    assert first.kind is K.IPV4 and first.value == "198.51.100.0/24"
    assert first.valid_from == datetime(2025, 1, 1, tzinfo=UTC)
    assert first.valid_until == datetime(2025, 6, 1, tzinfo=UTC)
    assert first.tlp == "TLP:AMBER"
    assert [(a.name, a.aliases) for a in first.actors] == [
        ("APT Example", ("APT Example", "Example Bear"))
    ]
    second = by_id[via_campaign["id"]]
    assert [(a.type, a.name) for a in second.actors] == [
        ("campaign", "Operation Example"),
        ("intrusion-set", "APT Example"),
    ]
    assert first.source == second.source == "bundle--00000000-0000-4000-8000-000000000999"


def test_a_bad_indicator_refuses_the_whole_bundle_and_names_each_failure() -> None:
    good = _indicator(1, "[ipv4-addr:value = '192.0.2.1']")
    bad_hash = _indicator(2, "[file:hashes.MD5 = 'not-a-hash']")
    bad_address = _indicator(3, "[ipv4-addr:value = '999.1.1.1']")
    bad_pattern = _indicator(4, "[ipv4-addr:value = ")
    with pytest.raises(IndicatorImportError) as err:
        stix_indicators(_bundle(good, bad_hash, bad_address, bad_pattern), source="feed.json")
    failed = {p.item: p.reason for p in err.value.problems}
    assert set(failed) == {bad_hash["id"], bad_address["id"], bad_pattern["id"]}
    assert "MD5" in failed[bad_hash["id"]]
    assert "IPv4" in failed[bad_address["id"]]
    assert "malformed pattern" in failed[bad_pattern["id"]]
    assert "nothing imported" in str(err.value)


def test_malformed_stix_object_is_reported_by_id() -> None:
    broken = _indicator(1, "[ipv4-addr:value = '192.0.2.1']")
    del broken["valid_from"]
    with pytest.raises(IndicatorImportError) as err:
        stix_indicators(_bundle(broken), source="feed.json")
    assert err.value.problems[0].item == broken["id"]


def test_unsupported_and_revoked_indicators_are_reported_not_fatal() -> None:
    ok = _indicator(1, "[url:value = 'http://evil.example/']")
    complex_ = _indicator(
        2, "[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [ipv4-addr:value = '1.2.3.5']"
    )
    sigma = _indicator(3, "title: x", pattern_type="sigma")
    revoked = _indicator(4, "[ipv4-addr:value = '1.2.3.4']", revoked=True)
    result = stix_indicators(_bundle(ok, complex_, sigma, revoked), source="feed.json")
    assert [i.id for i in result.indicators] == [ok["id"]]
    assert {p.item for p in result.unsupported} == {complex_["id"], sigma["id"]}
    assert [p.item for p in result.skipped] == [revoked["id"]]


def test_a_misp_stix_export_gives_its_addresses_and_keeps_the_rest_apart() -> None:
    # misp-stix writes an ip-dst attribute as network traffic to the address,
    # a domain|ip one with a list index in its path: valid STIX both, the
    # second not matched (it would take two values of a log), never malformed
    ip_dst = _indicator(
        1,
        "[network-traffic:dst_ref.type = 'ipv4-addr' AND "
        "network-traffic:dst_ref.value = '198.51.100.7']",
    )
    domain_ip = _indicator(
        2,
        "[domain-name:value = 'evil.example' AND "
        "domain-name:resolves_to_refs[*].value = '1.2.3.4']",
    )
    result = stix_indicators(_bundle(ip_dst, domain_ip), source="misp-export.json")
    assert [(i.id, i.kind, i.value) for i in result.indicators] == [
        (ip_dst["id"], K.IPV4, "198.51.100.7")
    ]
    [unsupported] = result.unsupported
    assert unsupported.item == domain_ip["id"]
    assert "resolves_to_refs[*].value" in unsupported.reason
