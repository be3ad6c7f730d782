import csv

import pycountry
import pytest

from transforms.places import locate, resolve_place
from transforms.reference import RESOURCES


def test_city_resolves_to_country_and_coordinates():
    place = resolve_place("Nairobi")
    assert place is not None and place.country == "KEN"
    assert place.lat == pytest.approx(-1.28, abs=0.1) and place.lon == pytest.approx(36.82, abs=0.1)


def test_country_name_resolves_at_its_capital():
    place = resolve_place("Syria")
    assert place is not None and place.country == "SYR"
    assert place.lat == pytest.approx(33.5, abs=0.2)


def test_country_wins_over_a_homonymous_city_abroad():
    place = resolve_place("Montenegro")
    assert place is not None and place.country == "MNE"


@pytest.mark.parametrize(
    ("name", "country", "lat", "lon"),
    [
        ("Arizona", "USA", 33.4, -112.1),  # not Arizona, Honduras
        ("Florida", "USA", 30.4, -84.3),  # not Florida, Cuba
        ("Ontario", "CAN", 43.7, -79.4),  # not Ontario, California
        ("Victoria", "AUS", -37.8, 145.0),  # not Victoria, Hong Kong
        ("Alberta", "CAN", 53.5, -113.5),
        ("Texas", "USA", 30.3, -97.7),
        ("Sindh", "PAK", 24.9, 67.0),
        ("Arizona's", "USA", 33.4, -112.1),
        ("New York", "USA", 40.7, -74.0),  # the city news means, not the state capital
    ],
)
def test_states_and_provinces_win_over_homonymous_cities_abroad(name, country, lat, lon):
    place = resolve_place(name)
    assert place is not None and place.country == country
    assert (place.lat, place.lon) == (pytest.approx(lat, abs=0.2), pytest.approx(lon, abs=0.2))


@pytest.mark.parametrize(("name", "country", "lat", "lon"), [
    ("Brasilia", "BRA", -15.8, -47.9),  # GeoNames writes Brasília, Bogotá, Yaoundé, Asunción
    ("Bogota", "COL", 4.6, -74.1),
    ("Yaounde", "CMR", 3.9, 11.5),
    ("Asuncion", "PRY", -25.3, -57.6),
    ("Sao Paulo", "BRA", -23.5, -46.6),
    ("São Paulo", "BRA", -23.5, -46.6),
])
def test_a_city_written_without_its_accents_has_coordinates(name, country, lat, lon):
    place = resolve_place(name)
    assert place is not None and place.country == country
    assert (place.lat, place.lon) == (pytest.approx(lat, abs=0.2), pytest.approx(lon, abs=0.2))


def test_a_country_wins_over_a_homonymous_state():
    place = resolve_place("Georgia")
    assert place is not None and place.country == "GEO"


@pytest.mark.parametrize(
    ("name", "country"),
    [
        # the places of the seed article (../shared/seeds/s400-turkey.txt)
        ("Turkey", "TUR"),
        ("Russia", "RUS"),
        ("Syria", "SYR"),
        ("Ankara", "TUR"),
        ("Moscow", "RUS"),
        ("Washington", "USA"),
        ("the US", "USA"),
        ("the United States", "USA"),
        # cities outside the actor tables
        ("Idlib", "SYR"),
        ("Lviv", "UKR"),
        ("Belgorod", "RUS"),
        ("Tripoli", "LBY"),
        ("Mombasa", "KEN"),
    ],
)
def test_seed_places_and_cities_resolve(name, country):
    place = resolve_place(name)
    assert place is not None and place.country == country
    assert place.lat is not None and place.lon is not None


def test_unknown_place_gives_none():
    assert resolve_place("Xqzzyville") is None
    assert resolve_place("Mevlut Cavusoglu") is None


def test_regions_table_is_well_formed():
    iso3 = {c.alpha_3 for c in pycountry.countries}
    with (RESOURCES / "regions.tsv").open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        assert reader.fieldnames == ["name", "iso3", "capital", "lat", "lon"]
        for row in reader:
            assert row["iso3"] in iso3, row
            assert -90 <= float(row["lat"]) <= 90 and -180 <= float(row["lon"]) <= 180, row
            place = resolve_place(row["name"])
            assert place is not None and place.country is not None, row


@pytest.mark.model
@pytest.mark.parametrize(
    ("text", "name", "country"),
    [
        ("Kenyan police arrested twelve protesters in Mombasa on Friday.", "Mombasa", "KEN"),
        ("Police arrested twelve protesters in Arizona on Friday.", "Arizona", "USA"),
    ],
)
def test_locate_takes_the_place_after_in(nlp, text, name, country):
    doc = nlp(text)
    trigger = next(t for t in doc if t.lemma_ == "arrest")
    place = locate(next(doc.sents), trigger)
    assert place is not None and (place.name, place.country) == (name, country)


@pytest.mark.model
def test_locate_ignores_places_that_are_not_governed_by_a_place_preposition(nlp):
    doc = nlp("Brazil criticized Argentina on Monday.")
    trigger = next(t for t in doc if t.lemma_ == "criticize")
    assert locate(next(doc.sents), trigger) is None
