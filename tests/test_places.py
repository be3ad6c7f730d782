import pytest

from transforms.places import locate, resolve_place


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


def test_unknown_place_gives_none():
    assert resolve_place("Xqzzyville") is None


@pytest.mark.model
def test_locate_takes_the_place_after_in(nlp):
    doc = nlp("Kenyan police arrested twelve protesters in Mombasa on Friday.")
    trigger = next(t for t in doc if t.lemma_ == "arrest")
    place = locate(next(doc.sents), trigger)
    assert place is not None and (place.name, place.country) == ("Mombasa", "KEN")


@pytest.mark.model
def test_locate_ignores_places_that_are_not_governed_by_a_place_preposition(nlp):
    doc = nlp("Brazil criticized Argentina on Monday.")
    trigger = next(t for t in doc if t.lemma_ == "criticize")
    assert locate(next(doc.sents), trigger) is None
