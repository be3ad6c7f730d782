"""Reference tables: lookups of names, abbreviations, demonyms, metonyms, IGOs, companies and roles."""

from __future__ import annotations

import csv

import pycountry
import pytest
from hypothesis import given
from hypothesis import strategies as st

from transforms.reference import (
    RESOURCES,
    Actor,
    country_name,
    entries,
    lookup,
    normalise,
    role_sector,
)


@pytest.mark.parametrize(
    ("text", "code", "country", "sector", "name"),
    [
        ("the United States", "USA", "USA", None, "United States"),
        ("U.S.", "USA", "USA", None, "United States"),
        ("the US", "USA", "USA", None, "United States"),
        ("America", "USA", "USA", None, "United States"),
        ("Turkey's", "TUR", "TUR", None, "Turkey"),
        ("Türkiye", "TUR", "TUR", None, "Turkey"),
        ("Britain", "GBR", "GBR", None, "United Kingdom"),
        ("UK", "GBR", "GBR", None, "United Kingdom"),
        ("South Korea", "KOR", "KOR", None, "South Korea"),
        ("Iran", "IRN", "IRN", None, "Iran"),
        ("Russia", "RUS", "RUS", None, "Russia"),
        ("Syria’s", "SYR", "SYR", None, "Syria"),
    ],
)
def test_lookup_resolves_country_names_and_abbreviations(text, code, country, sector, name):
    assert lookup(text) == Actor(code, country, sector, name)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Ankara", "TURGOV"),
        ("Washington", "USAGOV"),
        ("Moscow", "RUSGOV"),
        ("the Kremlin", "RUSGOV"),
        ("The White House", "USAGOV"),
        ("Beijing", "CHNGOV"),
        ("Downing Street", "GBRGOV"),
        ("Whitehall", "GBRGOV"),
        ("the Elysee", "FRAGOV"),
        ("Pyongyang", "PRKGOV"),
        ("Tehran's", "IRNGOV"),
        ("the Pentagon", "USAMIL"),
    ],
)
def test_lookup_resolves_capitals_and_seats_to_governments(text, code):
    actor = lookup(text)
    assert actor is not None
    assert actor.code == code
    assert actor.sector == code[3:]
    assert actor.country == code[:3]


@pytest.mark.parametrize(
    ("text", "country"),
    [
        ("Turkish", "TUR"),
        ("American", "USA"),
        ("Americans", "USA"),
        ("Russian", "RUS"),
        ("Syrian", "SYR"),
        ("Israelis", "ISR"),
        ("Chinese", "CHN"),
        ("British", "GBR"),
        ("South Korean", "KOR"),
    ],
)
def test_lookup_resolves_demonyms_to_the_country(text, country):
    assert lookup(text) == Actor(country, country, None, country_name(country))


def test_ethnic_groups_without_a_state_are_not_countries():
    assert lookup("Kurdish") is None
    assert lookup("Kurds") is None


@pytest.mark.parametrize(
    ("text", "code", "sector", "name"),
    [
        ("NATO", "IGOWSTNAT", "IGO", "NATO"),
        ("the North Atlantic Treaty Organization", "IGOWSTNAT", "IGO", "NATO"),
        ("the United Nations", "IGOUNO", "IGO", "United Nations"),
        ("U.N.", "IGOUNO", "IGO", "United Nations"),
        ("EU", "IGOEEC", "IGO", "European Union"),
        ("the African Union", "IGOAFRAFU", "IGO", "African Union"),
        ("ASEAN", "IGOASN", "IGO", "ASEAN"),
        ("OPEC", "IGOOPC", "IGO", "OPEC"),
        ("IMF", "IGOIMF", "IGO", "International Monetary Fund"),
        ("the World Bank", "IGOUNOWBK", "IGO", "World Bank"),
        ("WHO", "IGOUNOWHO", "IGO", "World Health Organization"),
        ("Arab League", "IGOARL", "IGO", "Arab League"),
        ("Amnesty International", "NGOAMN", "NGO", "Amnesty International"),
    ],
)
def test_lookup_resolves_international_organisations_without_a_country(text, code, sector, name):
    assert lookup(text) == Actor(code, None, sector, name)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Lockheed Martin", "USABUS"),
        ("Rosoboronexport", "RUSBUS"),
        ("Gazprom", "RUSBUS"),
        ("Huawei", "CHNBUS"),
        ("Airbus", "FRABUS"),
        ("Saudi Aramco", "SAUBUS"),
        ("Interfax", "RUSMED"),
        ("Reuters", "GBRMED"),
        ("the Associated Press", "USAMED"),
        ("TASS", "RUSMED"),
        ("Xinhua", "CHNMED"),
    ],
)
def test_lookup_resolves_companies_and_news_agencies(text, code):
    actor = lookup(text)
    assert actor is not None
    assert (actor.code, actor.country, actor.sector) == (code, code[:3], code[3:])


def test_abbreviations_do_not_match_ordinary_lower_case_words():
    assert lookup("us") is None
    assert lookup("who") is None
    assert lookup("US") is not None
    assert lookup("turkey") == lookup("Turkey")


def test_lookup_misses_unknown_names():
    assert lookup("Mevlut Cavusoglu") is None
    assert lookup("") is None
    assert lookup("the") is None


@pytest.mark.parametrize(
    ("word", "sector"),
    [
        ("minister", "GOV"),
        ("Foreign Minister", "GOV"),
        ("president", "GOV"),
        ("spokesman", "GOV"),
        ("officials", "GOV"),
        ("troops", "MIL"),
        ("soldiers", "MIL"),
        ("army", "MIL"),
        ("forces", "MIL"),
        ("rebels", "REB"),
        ("militias", "REB"),
        ("insurgents", "REB"),
        ("police", "COP"),
        ("policemen", "COP"),
        ("court", "JUD"),
        ("prosecutors", "JUD"),
        ("opposition", "OPP"),
        ("protesters", "OPP"),
        ("companies", "BUS"),
        ("firm", "BUS"),
        ("journalists", "MED"),
        ("lawmakers", "LEG"),
    ],
)
def test_role_sector_maps_role_nouns_and_plurals(word, sector):
    assert role_sector(word) == sector


def test_role_sector_misses_ordinary_words():
    assert role_sector("missile") is None
    assert role_sector("Tuesday") is None


def test_country_name_is_canonical_and_case_tolerant():
    assert country_name("TUR") == "Turkey"
    assert country_name("usa") == "United States"
    assert country_name("XXX") is None


def test_every_iso_country_has_a_canonical_name_that_resolves_to_it():
    for country in pycountry.countries:
        name = country_name(country.alpha_3)
        assert name, country.alpha_3
        actor = lookup(name)
        assert actor is not None and actor.country == country.alpha_3, name


def test_resource_files_have_headers_and_well_formed_codes():
    iso3 = {c.alpha_3 for c in pycountry.countries}
    for name, columns in {
        "countries.tsv": ["iso3", "kind", "text", "sector", "pattern"],
        "igos.tsv": ["code", "sector", "name", "text", "pattern"],
        "companies.tsv": ["country", "sector", "name", "text", "pattern"],
        "roles.tsv": ["word", "sector"],
        "groups.tsv": ["code", "country", "sector", "label", "name", "text", "pattern"],
    }.items():
        with (RESOURCES / name).open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
            assert reader.fieldnames == columns, name
            for row in reader:
                assert all(v is not None for v in row.values()), (name, row)
                assert (row.get("iso3") or row.get("country") or "TUR") in iso3, (name, row)
    for entry in entries():
        code = entry.actor.code
        assert code.isupper() and code.isalpha() and len(code) % 3 == 0, code


def test_every_entry_resolves_to_an_actor_and_is_clean_text():
    for entry in entries():
        assert lookup(entry.text) is not None, entry.text
        assert entry.text == " ".join(entry.text.split()), repr(entry.text)


@given(st.sampled_from([e.text for e in entries()]))
def test_normalise_is_idempotent_and_tolerates_articles_and_possessives(text):
    key = normalise(text)
    assert normalise(key) == key
    assert normalise(f"the {text}") == key
    if not text.endswith(("s", "'", "’")):
        assert normalise(f"{text}'s") == key


@pytest.mark.parametrize(
    ("text", "code", "country", "sector"),
    [
        ("Hamas", "PSEREB", "PSE", "REB"),
        ("the Houthis", "YEMREB", "YEM", "REB"),
        ("Boko Haram", "NGAREB", "NGA", "REB"),
        ("al-Qaeda", "IMGMOSALQ", None, "IMG"),
        ("ISIS", "IMGMOSISI", None, "IMG"),
        ("the PKK", "TURSEP", "TUR", "SEP"),
        ("Wagner Group", "RUSMIL", "RUS", "MIL"),
    ],
)
def test_lookup_resolves_armed_groups(text, code, country, sector):
    actor = lookup(text)
    assert actor is not None
    assert (actor.code, actor.country, actor.sector) == (code, country, sector)
