"""DOCS -> ENTITIES: offsets, keys, actor codes and the seed article."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

from schemas.tables import ENTITIES
from transforms.entities import extract_entities
from transforms.ids import stable_id
from transforms.nlp import entity_patterns
from transforms.reference import lookup

FIELDS = [f.name for f in ENTITIES if f.name != "run_id"]


def _doc(words, ents, *, spaces=None, pos=None, sent_starts=None, ids=None) -> Doc:
    doc = Doc(Vocab(), words=words, spaces=spaces, pos=pos, sent_starts=sent_starts)
    doc.ents = [
        Span(doc, start, end, label=label, span_id=(ids or {}).get(start, 0))
        for start, end, label in ents
    ]
    return doc


def test_rows_have_every_entities_field_but_run_id():
    doc = _doc(["Gazprom", "raised", "prices", "."], [(0, 1, "ORG")])
    (row,) = extract_entities(doc, article_id="a1")
    assert list(row) == FIELDS
    assert row["entity_id"] == stable_id("a1", 0, 7)
    assert (row["actor_code"], row["country_code"], row["sector"]) == ("RUSBUS", "RUS", "BUS")
    assert row["source"] == "model"


def test_offsets_are_tightened_around_punctuation_and_quotes():
    words = ["“", "Vadim", "Savitsky/", "said", "so", "."]
    doc = _doc(words, [(0, 3, "PERSON")], spaces=[False, True, True, True, False, False])
    (row,) = extract_entities(doc, article_id="a1")
    assert row["text"] == "Vadim Savitsky"
    assert doc.text[row["start_char"] : row["end_char"]] == "Vadim Savitsky"


def test_abbreviations_and_names_of_one_country_share_a_key():
    words = ["U.S.", "and", "the", "United", "States", "and", "America", "met", "."]
    doc = _doc(words, [(0, 1, "GPE"), (2, 5, "GPE"), (6, 7, "GPE")])
    keys = {r["entity_key"] for r in extract_entities(doc, article_id="a1")}
    assert keys == {"united states"}


def test_keys_of_unresolved_names_drop_articles_and_possessives():
    words = ["The", "Hemeimeem", "Base", "'s", "runway", "."]
    doc = _doc(words, [(0, 3, "FAC")], spaces=[True, True, False, True, False, False])
    (row,) = extract_entities(doc, article_id="a1")
    assert row["entity_key"] == "hemeimeem base"
    assert row["actor_code"] is None


def test_capitals_keep_their_own_key_and_code_the_government():
    doc = _doc(["Ankara", "protested", "."], [(0, 1, "GPE")])
    (row,) = extract_entities(doc, article_id="a1")
    assert (row["entity_key"], row["actor_code"], row["sector"]) == ("ankara", "TURGOV", "GOV")


def test_sentence_index_counts_sentences():
    words = ["Iran", "spoke", ".", "Then", "Iraq", "spoke", "."]
    doc = _doc(words, [(0, 1, "GPE"), (4, 5, "GPE")], sent_starts=[1, 0, 0, 1, 0, 0, 0])
    assert [r["sentence_index"] for r in extract_entities(doc, article_id="a1")] == [0, 1]


def test_pattern_entities_are_marked_as_such():
    doc = _doc(["Rosoboronexport", "agreed"], [(0, 1, "ORG")], ids={0: "RUSBUS"})
    assert extract_entities(doc, article_id="a1")[0]["source"] == "pattern"


def test_a_title_before_a_person_gives_country_and_sector():
    words = ["Turkish", "Foreign", "Minister", "Mevlut", "Cavusoglu", "said", "no", "."]
    pos = ["ADJ", "PROPN", "PROPN", "PROPN", "PROPN", "VERB", "INTJ", "PUNCT"]
    doc = _doc(words, [(0, 1, "NORP"), (3, 5, "PERSON")], pos=pos)
    person = extract_entities(doc, article_id="a1")[1]
    assert person["entity_key"] == "mevlut cavusoglu"
    assert (person["actor_code"], person["country_code"], person["sector"]) == (
        "TURGOV",
        "TUR",
        "GOV",
    )


def test_a_former_official_is_an_elite():
    words = ["former", "Iraqi", "Prime", "Minister", "Iyad", "Allawi", "said"]
    pos = ["ADJ", "ADJ", "PROPN", "PROPN", "PROPN", "PROPN", "VERB"]
    doc = _doc(words, [(1, 2, "NORP"), (4, 6, "PERSON")], pos=pos)
    person = extract_entities(doc, article_id="a1")[1]
    assert (person["actor_code"], person["country_code"], person["sector"]) == (
        "IRQELI",
        "IRQ",
        "ELI",
    )


def test_later_mentions_of_a_person_share_the_key_and_codes():
    words = ["Turkish", "Foreign", "Minister", "Mevlut", "Cavusoglu", "spoke", ".", "Cavusoglu"]
    words += ["left", ".", "Mevlut", "Cavusoglu", "returned", ".", "Erdogan", "stayed"]
    pos = ["ADJ", "PROPN", "PROPN", "PROPN", "PROPN", "VERB", "PUNCT", "PROPN", "VERB", "PUNCT"]
    pos += ["PROPN", "PROPN", "VERB", "PUNCT", "PROPN", "VERB"]
    ents = [
        (0, 1, "NORP"),
        (3, 5, "PERSON"),
        (7, 8, "PERSON"),
        (10, 12, "PERSON"),
        (14, 15, "PERSON"),
    ]
    people = [
        r
        for r in extract_entities(_doc(words, ents, pos=pos), article_id="a1")
        if r["label"] == "PERSON"
    ]
    assert [r["entity_key"] for r in people] == ["mevlut cavusoglu"] * 3 + ["erdogan"]
    assert [r["actor_code"] for r in people] == ["TURGOV"] * 3 + [None]
    assert people[1]["text"] == "Cavusoglu"


def test_a_title_without_a_country_gives_the_sector_only():
    words = ["President", "Rosa", "Alvarado", "spoke", "."]
    doc = _doc(words, [(1, 3, "PERSON")], pos=["PROPN", "PROPN", "PROPN", "VERB", "PUNCT"])
    (row,) = extract_entities(doc, article_id="a1")
    assert (row["actor_code"], row["country_code"], row["sector"]) == (None, None, "GOV")


def test_a_span_cut_before_its_closing_bracket_is_completed():
    words = ["the", "Umma", "(", "Nation", ")", "party"]
    doc = _doc(words, [(1, 4, "ORG")], spaces=[True, True, False, False, True, False])
    (row,) = extract_entities(doc, article_id="a1")
    assert row["text"] == "Umma (Nation)"
    assert doc.text[row["start_char"] : row["end_char"]] == row["text"]


def test_a_person_without_a_title_stays_unresolved():
    words = ["Mevlut", "Cavusoglu", "said", "no", "."]
    doc = _doc(words, [(0, 2, "PERSON")], pos=["PROPN", "PROPN", "VERB", "INTJ", "PUNCT"])
    assert extract_entities(doc, article_id="a1")[0]["actor_code"] is None


def test_an_organisation_named_after_its_country_takes_the_country_and_role():
    words = ["the", "Russian", "Defense", "Ministry", "said"]
    doc = _doc(words, [(1, 4, "ORG")])
    (row,) = extract_entities(doc, article_id="a1")
    assert (row["actor_code"], row["country_code"], row["sector"]) == ("RUSGOV", "RUS", "GOV")


def test_an_organisation_named_after_a_capital_takes_its_country_and_own_role():
    doc = _doc(["Baghdad", "University", "Medical", "School", "closed"], [(0, 4, "ORG")])
    (row,) = extract_entities(doc, article_id="a1")
    assert (row["actor_code"], row["country_code"], row["sector"]) == ("IRQEDU", "IRQ", "EDU")


def test_demonyms_resolve_but_stateless_ethnic_groups_do_not():
    doc = _doc(["Syrian", "Kurdish", "fighters"], [(0, 1, "NORP"), (1, 2, "NORP")])
    syrian, kurdish = extract_entities(doc, article_id="a1")
    assert syrian["country_code"] == "SYR"
    assert kurdish["country_code"] is None


def test_states_resolve_to_their_country_not_a_homonymous_city_abroad():
    doc = _doc(["Storms", "hit", "Arizona", "and", "Ontario", "."], [(2, 3, "GPE"), (4, 5, "GPE")])
    arizona, ontario = extract_entities(doc, article_id="a1")
    assert (arizona["country_code"], arizona["actor_code"]) == ("USA", None)
    assert ontario["country_code"] == "CAN"


def test_an_official_of_an_international_organisation_takes_its_code():
    words = ["U.N.", "Secretary", "-", "General", "Kofi", "Annan", "spoke", "."]
    pos = ["PROPN", "PROPN", "PUNCT", "PROPN", "PROPN", "PROPN", "VERB", "PUNCT"]
    doc = _doc(
        words,
        [(0, 1, "ORG"), (4, 6, "PERSON")],
        pos=pos,
        spaces=[True, False, False, True, True, True, False, False],
    )
    person = extract_entities(doc, article_id="a1")[1]
    assert (person["actor_code"], person["country_code"], person["sector"]) == (
        "IGOUNO",
        None,
        "IGO",
    )


def test_a_title_reaches_its_country_through_of_and_possessives():
    words = [
        "U.S.",
        "Secretary",
        "of",
        "State",
        "Warren",
        "Christopher",
        "and",
        "Russia",
        "'s",
        "envoy",
    ]
    words += ["Ivan", "Petrov", "met"]
    pos = ["PROPN", "PROPN", "ADP", "PROPN", "PROPN", "PROPN", "CCONJ", "PROPN", "PART", "NOUN"]
    pos += ["PROPN", "PROPN", "VERB"]
    spaces = [True] * 7 + [False] + [True] * 5
    ents = [(0, 1, "GPE"), (3, 4, "ORG"), (4, 6, "PERSON"), (7, 8, "GPE"), (10, 12, "PERSON")]
    people = [
        r
        for r in extract_entities(_doc(words, ents, pos=pos, spaces=spaces), article_id="a1")
        if r["label"] == "PERSON"
    ]
    assert [r["actor_code"] for r in people] == ["USAGOV", "RUSGOV"]


def test_the_leftmost_role_word_gives_the_sector():
    words = ["opposition", "leader", "Maria", "Lopez", "spoke"]
    doc = _doc(words, [(2, 4, "PERSON")], pos=["NOUN", "NOUN", "PROPN", "PROPN", "VERB"])
    (row,) = extract_entities(doc, article_id="a1")
    assert row["sector"] == "OPP"


# ---- with the real model ----------------------------------------------------------------

PATTERN_NAMES = sorted(p["pattern"] for p in entity_patterns() if isinstance(p["pattern"], str))
TEMPLATES = [
    "{a} said on Monday that {b} would send troops to {c} next week.",
    "“We will not accept this,” an official from {a} told reporters in {c}.\n\n{b} declined to comment.",
    "Talks between {a} and {b} ended without a deal (officials in {c} said).",
    "{a}, {b} and {c} — all three — signed the accord on Friday.",
]


@pytest.mark.model
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    template=st.sampled_from(TEMPLATES),
    names=st.lists(st.sampled_from(PATTERN_NAMES), min_size=3, max_size=3),
    lead=st.sampled_from(["", " ", "\n", "  \n\n"]),
)
def test_offsets_slice_to_the_surface_and_reference_names_resolve(nlp, template, names, lead):
    a, b, c = names
    text = lead + template.format(a=a, b=b, c=c)
    rows = extract_entities(nlp(text), article_id="x")
    for row in rows:
        assert text[row["start_char"] : row["end_char"]] == row["text"]
        assert row["text"] == row["text"].strip()
    assert len({r["entity_id"] for r in rows}) == len(rows)
    assert [r["sentence_index"] for r in rows] == sorted(r["sentence_index"] for r in rows)
    found = {r["text"]: r for r in rows}
    for name in names:
        assert name in found, (name, text)
        actor = lookup(name)
        assert found[name]["actor_code"] == actor.code  # type: ignore[union-attr]


@pytest.mark.model
@pytest.mark.parametrize("name", ["U.A.E.", "U.S.", "Apple Inc."])
def test_an_abbreviation_that_ends_a_sentence_keeps_its_period(nlp, name):
    text = f"An official told reporters in {name}. Talks resume on Monday."
    doc = nlp(text)
    (row,) = [r for r in extract_entities(doc, article_id="x") if r["text"].startswith(name.split()[0])]
    assert (row["text"], text[row["start_char"] : row["end_char"]]) == (name, name)
    assert row["actor_code"] == lookup(name).code  # type: ignore[union-attr]
    assert [s.text for s in doc.sents][1] == "Talks resume on Monday."


@pytest.mark.model
def test_an_apposition_gives_a_person_country_and_sector(nlp):
    text = "Maria Lopez, a senior official at Petrobras, said talks with Ivan Petrov, the Russian foreign ministry spokesman, went well."
    people = {
        r["text"]: r for r in extract_entities(nlp(text), article_id="x") if r["label"] == "PERSON"
    }
    assert people["Maria Lopez"]["actor_code"] == "BRABUS"
    assert people["Ivan Petrov"]["actor_code"] == "RUSGOV"


@pytest.fixture(scope="module")
def seed_rows(nlp, shared):
    path = shared / "seeds" / "s400-turkey.txt"
    if not path.exists():
        pytest.skip("seed article not present")
    text = path.read_text(encoding="utf-8")
    return text, extract_entities(nlp(text), article_id="seed")


def _first(rows, surface):
    return next(r for r in rows if r["text"] == surface)


@pytest.mark.model
def test_seed_article_entities(seed_rows):
    text, rows = seed_rows
    for row in rows:
        assert text[row["start_char"] : row["end_char"]] == row["text"]
    roso = _first(rows, "Rosoboronexport")
    assert (roso["label"], roso["country_code"], roso["sector"]) == ("ORG", "RUS", "BUS")
    lockheed = _first(rows, "Lockheed Martin")
    assert (lockheed["label"], lockheed["actor_code"]) == ("ORG", "USABUS")
    cavusoglu = _first(rows, "Mevlut Cavusoglu")
    assert cavusoglu["label"] == "PERSON"
    assert (cavusoglu["country_code"], cavusoglu["sector"]) == ("TUR", "GOV")
    mikheev = _first(rows, "Alexander Mikheev")
    assert (mikheev["label"], mikheev["actor_code"]) == ("PERSON", "RUSBUS")
    nato = _first(rows, "NATO")
    assert (nato["label"], nato["sector"], nato["country_code"]) == ("ORG", "IGO", None)
    interfax = _first(rows, "Interfax")
    assert (interfax["label"], interfax["sector"]) == ("ORG", "MED")
    assert _first(rows, "$12 billion")["label"] == "MONEY"
    assert _first(rows, "Ankara")["actor_code"] == "TURGOV"
    places = {r["text"]: r["country_code"] for r in rows if r["label"] == "GPE"}
    assert places["Syria"] == "SYR" and places["Moscow"] == "RUS" and places["Washington"] == "USA"
    assert all(places.values()), places
    assert {
        r["entity_key"] for r in rows if r["country_code"] == "USA" and r["sector"] is None
    } == {
        "united states",
        "american",
    }


def test_cities_outside_the_actor_tables_get_a_country_but_no_actor():
    doc = _doc(["Shelling", "hit", "Idlib", "."], [(2, 3, "GPE")])
    (row,) = extract_entities(doc, article_id="a1")
    assert (row["country_code"], row["actor_code"], row["sector"]) == ("SYR", None, None)


def _eval_module():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "bench" / "entities_eval.py"
    spec = importlib.util.spec_from_file_location("entities_eval", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_gold_spans_slice_to_their_text():
    ev = _eval_module()
    gold = ev.read_gold(ev.GOLD)
    assert len(gold) >= 40
    for item in gold:
        assert item["split"] in ("dev", "test")
        for e in item["entities"]:
            assert item["text"][e["start"] : e["end"]] == e["text"]
            assert e["label"] in ev.LABELS


@pytest.mark.model
@pytest.mark.slow
def test_pipeline_is_clearly_more_accurate_than_the_bare_model(nlp):
    import spacy

    from transforms.nlp import model_name

    ev = _eval_module()
    gold = ev.read_gold(ev.GOLD)
    bare = ev.score(gold, ev.predict(spacy.load(model_name()), gold))
    ours = ev.score(gold, ev.predict(nlp, gold))
    assert ours["all"][2] >= bare["all"][2] + 0.04
    assert ours["ORG"][2] >= bare["ORG"][2] + 0.08
    assert ours["country_accuracy"] > bare["country_accuracy"]
    assert ours["country_wrong"] == 0
