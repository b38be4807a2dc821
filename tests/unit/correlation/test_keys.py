"""Normalisation of observables and indicators into match keys (the Python reference)."""

from __future__ import annotations

import pytest

from watchfloor.engines.correlation.keys import (
    TAG_DOMAIN,
    TAG_IPV4,
    TAG_IPV6,
    TAG_URL,
    Key,
    KeyPlan,
    MalformedValue,
    ObservableKind,
    domain_forms,
    indicator_keys,
    infer_kind,
    normalise_url,
    observable_keys,
)

K = ObservableKind


def test_ipv4_cidr_key_is_the_masked_network_at_its_prefix_length() -> None:
    assert indicator_keys(K.IPV4, "198.51.100.77/24") == (Key(TAG_IPV4 + 24, 0, 0xC6336400),)
    assert indicator_keys(K.IPV4, "198.51.100.77") == (Key(TAG_IPV4 + 32, 0, 0xC633644D),)


def test_ipv6_key_splits_the_address_into_two_64_bit_halves() -> None:
    (key,) = indicator_keys(K.IPV6, "2001:DB8::1/128")
    assert key == Key(TAG_IPV6 + 128, 0x20010DB800000000, 1)
    (net,) = indicator_keys(K.IPV6, "2001:db8:ffff::/32")
    assert net == Key(TAG_IPV6 + 32, 0x20010DB800000000, 0)


def test_observed_address_meets_every_prefix_the_indicator_set_uses() -> None:
    plan = KeyPlan(ipv4_prefixes=(32, 16))
    keys = observable_keys("10.20.30.40", None, plan)
    assert keys == (Key(TAG_IPV4 + 32, 0, 0x0A141E28), Key(TAG_IPV4 + 16, 0, 0x0A140000))
    assert indicator_keys(K.IPV4, "10.20.0.0/16")[0] in keys


def test_domain_is_expanded_into_label_suffixes_at_the_depths_in_use() -> None:
    plan = KeyPlan(domain_depths=(2, 3, 5))
    keys = observable_keys("WWW.Mail.Example.COM.", "domain", plan)
    assert [k.text for k in keys] == ["example.com", "mail.example.com"]
    assert all(k.tag == TAG_DOMAIN for k in keys)


def test_a_label_boundary_is_required_for_a_subdomain_match() -> None:
    plan = KeyPlan(domain_depths=(2,))
    keys = observable_keys("notexample.com", "domain", plan)
    assert Key(TAG_DOMAIN, text="example.com") not in keys


def test_internationalised_indicator_domain_matches_either_spelling() -> None:
    assert domain_forms("Bücher.example") == ("bücher.example", "xn--bcher-kva.example")
    assert domain_forms("xn--bcher-kva.example") == ("xn--bcher-kva.example", "bücher.example")


def test_url_normalisation_keeps_path_case_and_drops_default_port_and_fragment() -> None:
    assert normalise_url("HTTP://Evil.Example.COM:80/Path?q=A#frag") == (
        "http://evil.example.com/Path?q=A"
    )
    assert normalise_url("https://h.example:8443") == "https://h.example:8443/"
    assert normalise_url("h.example/x") == "http://h.example/x"


def test_observed_url_is_also_probed_through_its_host() -> None:
    plan = KeyPlan(ipv4_prefixes=(32,), domain_depths=(2,))
    keys = observable_keys("https://cdn.evil.example/a", None, plan)
    assert keys == (
        Key(TAG_URL, text="https://cdn.evil.example/a"),
        Key(TAG_DOMAIN, text="evil.example"),
    )
    ip_keys = observable_keys("http://192.0.2.1/x", None, plan)
    assert ip_keys[1] == Key(TAG_IPV4 + 32, 0, 0xC0000201)


def test_hashes_are_lower_case_and_length_checked() -> None:
    assert indicator_keys(K.MD5, "D41D8CD98F00B204E9800998ECF8427E")[0].text == (
        "d41d8cd98f00b204e9800998ecf8427e"
    )
    with pytest.raises(MalformedValue, match="32 hex digits, not 40"):
        indicator_keys(K.MD5, "a" * 40)
    with pytest.raises(MalformedValue, match="not hexadecimal"):
        indicator_keys(K.SHA1, "z" * 40)


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (K.IPV4, "256.1.1.1"),
        (K.IPV4, "1.2.3"),
        (K.IPV6, "2001:db8::1::2"),
        (K.DOMAIN, "bad domain.example"),
        (K.DOMAIN, "a..example"),
        (K.URL, "http://"),
    ],
)
def test_malformed_values_are_refused_with_a_reason(kind: ObservableKind, value: str) -> None:
    with pytest.raises(MalformedValue, match=r"not an? "):
        indicator_keys(kind, value)


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("192.0.2.1", K.IPV4),
        ("2001:db8::1", K.IPV6),
        ("evil.example", K.DOMAIN),
        ("http://evil.example/", K.URL),
        ("evil.example/path", K.URL),
        ("d41d8cd98f00b204e9800998ecf8427e", K.MD5),
        ("da39a3ee5e6b4b0d3255bfef95601890afd80709", K.SHA1),
        ("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", K.SHA256),
    ],
)
def test_kind_is_inferred_from_the_form_of_the_value(value: str, kind: ObservableKind) -> None:
    assert infer_kind(value) is kind


def test_type_names_from_logs_stix_and_misp_are_understood() -> None:
    assert infer_kind("2001:db8::1", "ip-dst") is K.IPV6
    assert infer_kind("192.0.2.1", "ip-src") is K.IPV4
    assert infer_kind("a" * 40, "hash") is K.SHA1
    with pytest.raises(MalformedValue, match="unknown observable type"):
        infer_kind("x", "mutex")
