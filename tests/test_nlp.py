"""The spaCy pipeline: model choice, the project's entity ruler and paragraph sentence breaks."""

from __future__ import annotations

import pytest

from transforms.errors import NewseventsError
from transforms.nlp import (
    DEFAULT_MODEL,
    MODEL_ENV,
    entity_patterns,
    gap_patterns,
    load_nlp,
    model_meta,
    model_name,
)


def test_model_name_defaults_and_follows_the_environment(monkeypatch):
    monkeypatch.delenv(MODEL_ENV, raising=False)
    assert model_name() == DEFAULT_MODEL
    monkeypatch.setenv(MODEL_ENV, "en_core_web_md")
    assert model_name() == "en_core_web_md"


def test_missing_model_raises_a_one_line_message_naming_the_package():
    with pytest.raises(NewseventsError) as err:
        load_nlp("newsevents_no_such_model")
    message = str(err.value)
    assert "\n" not in message
    assert "newsevents_no_such_model" in message
    assert MODEL_ENV in message


def test_model_meta_is_read_without_loading_and_a_missing_model_is_the_same_error(nlp):
    assert {k: model_meta()[k] for k in ("lang", "name", "version")} == {k: nlp.meta[k] for k in ("lang", "name", "version")}
    with pytest.raises(NewseventsError, match="newsevents_no_such_model"):
        model_meta("newsevents_no_such_model")


def test_patterns_come_from_the_reference_tables_without_leading_articles():
    patterns = {p["pattern"]: p for p in entity_patterns() if isinstance(p["pattern"], str)}
    assert patterns["Rosoboronexport"]["label"] == "ORG"
    assert patterns["Lockheed Martin"]["id"] == "USABUS"
    assert patterns["NATO"]["label"] == "ORG"
    assert "Ankara" not in patterns  # capitals only fill gaps, see below
    assert patterns["Turkish"]["label"] == "NORP"
    assert patterns["Kremlin"]["id"] == "RUSGOV"
    assert "the Kremlin" not in patterns
    assert "Jordan" not in patterns  # often a person: left to the model


def test_capitals_only_fill_gaps_the_model_leaves():
    gaps = {p["pattern"]: p for p in gap_patterns()}
    assert gaps["Ankara"] == {"label": "GPE", "pattern": "Ankara", "id": "TURGOV"}
    assert "Turkey" not in gaps


@pytest.mark.model
def test_capitals_do_not_break_names_of_people_or_institutions(nlp):
    for text in (
        "Denzel Washington met reporters in Lima.",
        "Students at George Washington University protested on Friday.",
    ):
        assert "Washington" not in {e.text for e in nlp(text).ents}, text


@pytest.mark.model
def test_pipeline_is_built_once_with_the_ruler_before_ner(nlp):
    assert load_nlp() is nlp
    assert load_nlp(model_name()) is nlp
    names = nlp.pipe_names
    assert names.index("entity_ruler") < names.index("ner") < names.index("entity_ruler_gaps")
    assert names.index("paragraph_sentences") < names.index("parser")


def _ents(nlp, text: str) -> set[tuple[str, str]]:
    return {(e.text, e.label_) for e in nlp(text).ents}


@pytest.mark.model
@pytest.mark.parametrize(
    ("text", "present", "absent"),
    [
        pytest.param(
            "Officials at Rosoboronexport met engineers from Lockheed Martin in Vienna on Monday.",
            {("Rosoboronexport", "ORG"), ("Lockheed Martin", "ORG"), ("Vienna", "GPE")},
            set(),
            id="ruler-fixes-companies-the-model-gets-wrong",
        ),
        pytest.param(
            "Athens said the US Patriot system had been offered at a discount.",
            {("US", "GPE")},
            {("US Patriot", "ORG")},
            id="ruler-separates-a-country-from-the-product-after-it",
        ),
        pytest.param(
            "Brazilian Finance Minister Carla Duarte said Petrobras would invest $3 billion.",
            {
                ("Brazilian", "NORP"),
                ("Carla Duarte", "PERSON"),
                ("Petrobras", "ORG"),
                ("$3 billion", "MONEY"),
            },
            set(),
            id="model-still-finds-people-and-money-around-patterns",
        ),
        pytest.param(
            "The Syrian Observatory for Human Rights said Chinese ships sailed through the Taiwan Strait "
            "and into the Sea of Japan.",
            {
                ("Syrian Observatory for Human Rights", "ORG"),
                ("Taiwan Strait", "LOC"),
                ("Sea of Japan", "LOC"),
                ("Chinese", "NORP"),
            },
            set(),
            id="names-that-start-with-a-country-stay-whole",
        ),
    ],
)
def test_pipeline_entities_on_news_text(nlp, text, present, absent):
    ents = _ents(nlp, text)
    assert present <= ents
    assert not absent & ents


@pytest.mark.model
def test_country_names_inside_longer_place_names_stay_whole(nlp):
    ents = _ents(nlp, "Voters in New Mexico, New Jersey and New South Wales watched Mexico City.")
    assert {("New Mexico", "GPE"), ("New Jersey", "GPE"), ("New South Wales", "GPE")} <= ents
    assert ("Mexico City", "GPE") in ents
    assert not {text for text, _ in ents} & {"Mexico", "Jersey", "Wales"}


@pytest.mark.model
def test_line_breaks_end_sentences(nlp):
    doc = nlp("Talks stall in Geneva\n\nDiplomats from Chile and Peru left the room early")
    sentences = [s.text.strip() for s in doc.sents]
    assert sentences[0] == "Talks stall in Geneva"
    assert sentences[-1].startswith("Diplomats from Chile")
