"""Markings: NATO classification, TLP 2.0, PAP, and who may see what."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watchfloor.domain.errors import DomainError
from watchfloor.domain.markings import (
    NATO,
    NATO_MEMBERS,
    NO_COMMON_AUDIENCE,
    PAP,
    PUBLIC,
    TLP,
    Classification,
    Clearance,
    Marking,
)

# --- tables ------------------------------------------------------------------------------

# The TLP 2.0 marking definitions published by OASIS (cti-stix-common-objects,
# extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d).
OFFICIAL_TLP_2 = {
    "TLP:CLEAR": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "TLP:GREEN": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "TLP:AMBER": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "TLP:AMBER+STRICT": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "TLP:RED": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
# The STIX 2.1 predefined TLP 1.0 ids, which a TLP 2.0 marking must never carry.
TLP_1_IDS = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
}


def test_tlp_levels_carry_the_official_tlp_2_names_and_stix_ids() -> None:
    assert {t.label: t.stix_id for t in TLP} == OFFICIAL_TLP_2
    assert not {t.stix_id for t in TLP} & TLP_1_IDS


def test_tlp_levels_tighten_from_clear_to_red() -> None:
    assert sorted(TLP) == [TLP.CLEAR, TLP.GREEN, TLP.AMBER, TLP.AMBER_STRICT, TLP.RED]


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("TLP:WHITE", TLP.CLEAR),
        ("white", TLP.CLEAR),
        ("clear", TLP.CLEAR),
        ("TLP:GREEN", TLP.GREEN),
        ("amber", TLP.AMBER),
        ("TLP:AMBER+STRICT", TLP.AMBER_STRICT),
        ("amber_strict", TLP.AMBER_STRICT),
        ("amber strict", TLP.AMBER_STRICT),
        (" tlp:red ", TLP.RED),
    ],
)
def test_tlp_parses_tlp_2_names_and_maps_white_to_clear(text: str, level: TLP) -> None:
    assert TLP.parse(text) is level


@pytest.mark.parametrize("text", ["", "TLP:BLUE", "AMBER+", "TLP:AMBER+RED"])
def test_unknown_tlp_is_refused(text: str) -> None:
    with pytest.raises(DomainError, match="unknown TLP"):
        TLP.parse(text)


def test_classification_orders_from_unclassified_to_cosmic_top_secret() -> None:
    expected = ["NU", "NR", "NC", "NS", "CTS"]

    assert [c.code for c in sorted(Classification, reverse=True)][::-1] == expected
    assert Classification.RESTRICTED < Classification.SECRET <= Classification.SECRET


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("NS", Classification.SECRET),
        ("nato secret", Classification.SECRET),
        ("secret", Classification.SECRET),
        ("COSMIC TOP SECRET", Classification.COSMIC_TOP_SECRET),
        ("cosmic_top_secret", Classification.COSMIC_TOP_SECRET),
        ("nu", Classification.UNCLASSIFIED),
    ],
)
def test_classification_parses_code_banner_or_name(text: str, level: Classification) -> None:
    assert Classification.parse(text) is level


def test_unknown_classification_is_refused_naming_the_codes() -> None:
    with pytest.raises(DomainError, match="NU, NR, NC, NS, CTS"):
        Classification.parse("TOP SECRET//SI")


@pytest.mark.parametrize(
    ("text", "level"),
    [("PAP:WHITE", PAP.CLEAR), ("clear", PAP.CLEAR), ("green", PAP.GREEN), ("PAP:RED", PAP.RED)],
)
def test_pap_parses_and_maps_white_to_clear(text: str, level: PAP) -> None:
    assert PAP.parse(text) is level


def test_pap_orders_from_clear_to_red_and_refuses_unknown_levels() -> None:
    assert sorted(PAP) == [PAP.CLEAR, PAP.GREEN, PAP.AMBER, PAP.RED]
    with pytest.raises(DomainError, match="unknown PAP"):
        PAP.parse("AMBER+STRICT")


def test_comparing_levels_of_different_kinds_is_an_error() -> None:
    with pytest.raises(TypeError):
        _ = TLP.RED < PAP.RED  # type: ignore[operator]


def test_nato_has_thirty_two_members_and_excludes_partners() -> None:
    assert len(NATO_MEMBERS) == 32
    assert {"EST", "FIN", "SWE", "USA", "TUR"} <= NATO_MEMBERS
    assert not {"AUS", "JPN", "UKR", "CHE"} & NATO_MEMBERS


# --- banners -----------------------------------------------------------------------------


def test_banner_reads_classification_releasability_and_tlp() -> None:
    marking = Marking(Classification.SECRET, frozenset({"NATO", "AUS"}), TLP.AMBER)

    assert marking.banner() == "NATO SECRET // REL TO AUS, NATO // TLP:AMBER"


def test_banner_of_an_originator_only_item_says_noforn_and_names_the_originator() -> None:
    marking = Marking(Classification.CONFIDENTIAL, frozenset(), TLP.RED, originator="EST")

    assert marking.banner() == "NATO CONFIDENTIAL // NOFORN (EST) // TLP:RED"


def test_public_marking_is_unclassified_clear_and_releasable_to_the_public() -> None:
    marking = Marking.public()

    assert marking.banner() == "NATO UNCLASSIFIED // RELEASABLE TO PUBLIC // TLP:CLEAR"
    assert marking.pap is PAP.CLEAR


# --- Marking.at_most and most_restrictive ------------------------------------------------

SECRET_NATO = Marking(Classification.SECRET, frozenset({NATO}), TLP.AMBER)


@pytest.mark.parametrize(
    ("item", "ceiling", "expected"),
    [
        (Marking.public(), SECRET_NATO, True),
        (SECRET_NATO, SECRET_NATO, True),
        (SECRET_NATO, Marking(Classification.CONFIDENTIAL, frozenset({NATO}), TLP.AMBER), False),
        (SECRET_NATO, Marking(Classification.SECRET, frozenset({NATO}), TLP.GREEN), False),
        # releasable to all of NATO covers a release to one member ...
        (SECRET_NATO, Marking(Classification.SECRET, frozenset({"EST"}), TLP.AMBER), True),
        # ... but not to a partner outside NATO, nor to the public
        (SECRET_NATO, Marking(Classification.SECRET, frozenset({"AUS"}), TLP.AMBER), False),
        (SECRET_NATO, Marking(Classification.SECRET, frozenset({PUBLIC}), TLP.AMBER), False),
        (Marking(Classification.SECRET, frozenset({"EST"})), SECRET_NATO, False),
    ],
)
def test_at_most_compares_every_axis(item: Marking, ceiling: Marking, expected: bool) -> None:
    assert item.at_most(ceiling) is expected


def test_most_restrictive_takes_the_highest_level_on_every_axis() -> None:
    a = Marking(Classification.SECRET, frozenset({NATO, "AUS"}), TLP.GREEN, PAP.RED)
    b = Marking(Classification.RESTRICTED, frozenset({NATO}), TLP.AMBER_STRICT, PAP.GREEN)

    product = Marking.most_restrictive([a, b])

    assert product == Marking(Classification.SECRET, frozenset({NATO}), TLP.AMBER_STRICT, PAP.RED)


def test_most_restrictive_keeps_only_the_members_a_nato_release_covers() -> None:
    a = Marking(releasable_to=frozenset({NATO}))
    b = Marking(releasable_to=frozenset({"EST", "AUS"}))

    assert Marking.most_restrictive([a, b]).releasable_to == {"EST"}
    assert Marking.most_restrictive([b, a]).releasable_to == {"EST"}


def test_a_public_item_does_not_widen_the_release_of_a_product() -> None:
    product = Marking.most_restrictive(
        [Marking.public(), Marking(releasable_to=frozenset({"EST"}))]
    )

    assert product.releasable_to == {"EST"}


def test_a_product_drawing_on_an_originator_only_item_stays_with_that_originator() -> None:
    estonian_only = Marking(releasable_to=frozenset(), originator="EST")

    product = Marking.most_restrictive([Marking(), estonian_only])

    assert product.releasability_line() == "NOFORN (EST)"
    assert not Clearance(Classification.SECRET, frozenset({NATO})).may_see(product)


@pytest.mark.parametrize(
    "items",
    [
        [Marking(releasable_to=frozenset({NATO})), Marking(releasable_to=frozenset({"AUS"}))],
        [
            Marking(releasable_to=frozenset(), originator="EST"),
            Marking(releasable_to=frozenset(), originator="FRA"),
        ],
        [
            Marking(releasable_to=frozenset(), originator="EST"),
            Marking(releasable_to=frozenset({"FRA"})),
        ],
    ],
    ids=["nato-and-partner", "two-originators", "originator-and-other-nation"],
)
def test_items_with_no_common_audience_make_a_product_no_one_may_see(items: list[Marking]) -> None:
    product = Marking.most_restrictive(items)
    viewers = [frozenset({NATO}), frozenset({"EST"}), frozenset({"FRA"}), frozenset({"AUS"})]

    assert product.originator == NO_COMMON_AUDIENCE
    assert not any(Clearance(Classification.SECRET, v).may_see(product) for v in viewers)


def test_an_originator_only_item_is_not_at_most_another_originators_noforn() -> None:
    estonian = Marking(releasable_to=frozenset(), originator="EST")
    french = Marking(releasable_to=frozenset(), originator="FRA")

    assert not estonian.at_most(french)
    assert estonian.at_most(estonian)
    assert Marking(releasable_to=frozenset({NATO})).at_most(french)


def test_most_restrictive_of_nothing_is_the_default_marking() -> None:
    assert Marking.most_restrictive([]) == Marking()


# --- Clearance.may_see -------------------------------------------------------------------

NATO_SECRET_STAFF = Clearance(Classification.SECRET, frozenset({NATO}))
ESTONIAN_OFFICER = Clearance(Classification.SECRET, frozenset({"EST"}))
AUSTRALIAN_PARTNER = Clearance(Classification.SECRET, frozenset({"AUS"}))


def test_a_partner_outside_nato_never_sees_a_nato_only_item() -> None:
    item = Marking(Classification.RESTRICTED, frozenset({NATO}), TLP.GREEN)

    assert not AUSTRALIAN_PARTNER.may_see(item)
    assert NATO_SECRET_STAFF.may_see(item)
    assert ESTONIAN_OFFICER.may_see(item)


def test_a_partner_sees_an_item_released_to_it_by_name() -> None:
    item = Marking(Classification.RESTRICTED, frozenset({NATO, "AUS"}), TLP.GREEN)

    assert AUSTRALIAN_PARTNER.may_see(item)


def test_noforn_item_is_seen_by_its_originator_only() -> None:
    item = Marking(Classification.CONFIDENTIAL, frozenset(), TLP.AMBER, originator="EST")

    assert ESTONIAN_OFFICER.may_see(item)
    assert not NATO_SECRET_STAFF.may_see(item)
    assert not Clearance(Classification.SECRET, frozenset({"FRA"})).may_see(item)


def test_a_release_to_one_nation_is_not_a_release_to_all_of_nato() -> None:
    item = Marking(Classification.RESTRICTED, frozenset({"EST"}))

    assert not NATO_SECRET_STAFF.may_see(item)
    assert ESTONIAN_OFFICER.may_see(item)


@pytest.mark.parametrize(
    ("max_tlp", "item_tlp", "expected"),
    [
        (TLP.AMBER, TLP.GREEN, True),
        (TLP.AMBER, TLP.AMBER, True),
        (TLP.AMBER, TLP.AMBER_STRICT, False),
        (TLP.AMBER, TLP.RED, False),
        (TLP.CLEAR, TLP.GREEN, False),
    ],
)
def test_tlp_above_the_viewers_ceiling_is_hidden(
    max_tlp: TLP, item_tlp: TLP, expected: bool
) -> None:
    viewer = Clearance(Classification.SECRET, frozenset({NATO}), max_tlp)

    assert (
        viewer.may_see(Marking(Classification.RESTRICTED, frozenset({NATO}), item_tlp)) is expected
    )


def test_classification_above_the_viewers_level_is_hidden() -> None:
    viewer = Clearance(Classification.CONFIDENTIAL, frozenset({NATO}))

    assert viewer.may_see(Marking(Classification.CONFIDENTIAL))
    assert not viewer.may_see(Marking(Classification.SECRET))


def test_the_public_sees_only_public_items() -> None:
    public = Clearance.public()

    assert public.may_see(Marking.public())
    assert not public.may_see(Marking(Classification.UNCLASSIFIED, frozenset({NATO}), TLP.CLEAR))
    assert not public.may_see(Marking(Classification.UNCLASSIFIED, frozenset({PUBLIC}), TLP.GREEN))


# --- properties: no product is seen by anyone who may not see every item in it -------------

AUDIENCES = [PUBLIC, NATO, "EST", "FRA", "USA", "AUS", "FVEY"]
ORIGINATORS = [NATO, "EST", "FRA", "AUS"]

markings = st.builds(
    Marking,
    classification=st.sampled_from(Classification),
    releasable_to=st.frozensets(st.sampled_from(AUDIENCES), max_size=3),
    tlp=st.sampled_from(TLP),
    pap=st.sampled_from(PAP),
    originator=st.sampled_from(ORIGINATORS),
)
clearances = st.builds(
    Clearance,
    level=st.sampled_from(Classification),
    audiences=st.frozensets(st.sampled_from(AUDIENCES), min_size=1, max_size=3),
    max_tlp=st.sampled_from(TLP),
)


@given(st.lists(markings, min_size=1, max_size=4), clearances)
def test_whoever_may_see_a_product_may_see_every_item_in_it(
    items: list[Marking], viewer: Clearance
) -> None:
    product = Marking.most_restrictive(items)

    if viewer.may_see(product):
        assert all(viewer.may_see(m) for m in items)


@given(st.lists(markings, min_size=1, max_size=4))
def test_every_item_is_at_most_the_marking_of_its_product(items: list[Marking]) -> None:
    product = Marking.most_restrictive(items)

    assert all(m.at_most(product) for m in items)


@given(markings, markings, clearances)
def test_whoever_may_see_the_ceiling_may_see_an_item_at_most_that_ceiling(
    item: Marking, ceiling: Marking, viewer: Clearance
) -> None:
    if item.at_most(ceiling) and viewer.may_see(ceiling):
        assert viewer.may_see(item)
