import json

import pytest

from flows.cli import main
from transforms.evaluate import Score, extract_records, score

RECORDS = [
    {"id": "r1", "text": "Canada imposed sanctions on Venezuela.", "date": "2024-05-15",
     "events": [{"plover": "COERCE", "source": [{"code": "CAN"}], "target": [{"code": "VEN"}]}]},
    {"id": "r2", "text": "Egypt rejected Sudan's proposal.", "date": "2024-05-15",
     "events": [{"plover": "REJECT", "source": [{"code": "EGY"}], "target": [{"code": "LBY"}]}]},
    {"id": "r3", "text": "The weather was mild in Cairo.", "date": "2024-05-15",
     "events": [{"cameo": "042", "source": [{"code": "EGY"}], "target": []}]},
]


def test_score_arithmetic():
    s = Score(tp=3, fp=1, fn=3)
    assert (s.precision, s.recall) == (0.75, 0.5)
    assert s.f1 == pytest.approx(0.6)
    assert Score().f1 == 0.0


@pytest.mark.model
def test_extract_records_streams_events_and_entities(nlp):
    out = list(extract_records(iter(RECORDS), nlp, batch_size=2))
    assert [o["id"] for o in out] == ["r1", "r2", "r3"]
    event = out[0]["events"][0]
    for key in ("cameo_code", "plover_type", "actor1_code", "actor1_country", "actor2_code", "actor2_country",
                "modality", "negated", "trigger", "event_date"):
        assert key in event
    assert (event["plover_type"], event["actor1_country"], event["actor2_country"]) == ("COERCE", "CAN", "VEN")
    assert event["event_date"] == "2024-05-15"
    entity = out[0]["entities"][0]
    assert {"start_char", "end_char", "label", "text", "country_code"} <= set(entity)
    assert RECORDS[0]["text"][entity["start_char"] : entity["end_char"]] == entity["text"]
    assert out[2]["events"] == []
    json.dumps(out, default=str)


@pytest.mark.model
def test_score_counts_type_and_dyad_matches(nlp, tmp_path):
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(r) + "\n" for r in RECORDS), encoding="utf-8")
    report = score(gold, nlp)
    assert report.records == 3
    assert (report.type_only.tp, report.type_only.fp, report.type_only.fn) == (2, 0, 1)
    assert (report.dyad.tp, report.dyad.fp, report.dyad.fn) == (1, 1, 2)
    assert report.per_type["REJECT"].tp == 1 and report.per_type_dyad["REJECT"].fn == 1
    text = report.format()
    assert "type+src+tgt" in text and "F1" in text and "missed 04" in text
    misses = report.format(misses=True).split("records with a miss")[1]
    assert "r1:" not in misses and "r3: The weather was mild in Cairo." in misses and "  gold -- 042 EGY -> -" in misses
    assert "  gold T- REJECT EGY -> LBY" in misses and "  pred T- REJECT 12" in misses and "EGY (Egypt) -> SDN" in misses


@pytest.mark.model
@pytest.mark.slow
def test_plover_dev_set_floors(nlp, shared):
    report = score(shared / "eval" / "plover-gsr-dev.jsonl", nlp)
    assert report.type_only.f1 >= 0.75
    assert report.dyad.f1 >= 0.55


@pytest.mark.model
def test_extract_stopped_by_a_bad_line_leaves_the_output_as_it_was(nlp, tmp_path, capsys):
    records, output = tmp_path / "records.jsonl", tmp_path / "coded.jsonl"
    records.write_text(json.dumps(RECORDS[0]) + "\nnot json\n")
    output.write_text("an earlier extraction\n")
    assert main(["extract", "--input", str(records), "--output", str(output)]) == 2
    assert "line 2 is not valid JSON" in capsys.readouterr().err
    assert output.read_text() == "an earlier extraction\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["coded.jsonl", "records.jsonl"]


@pytest.mark.model
@pytest.mark.parametrize(("line", "message"), [("not json", "line 2 is not valid JSON"),
                                               ('{"id": "r9"}', "line 2 is not an object with a string 'text'")])
def test_eval_of_a_bad_gold_line_is_a_one_line_error(nlp, tmp_path, capsys, line, message):
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps(RECORDS[0]) + f"\n{line}\n")
    assert main(["eval", "--gold", str(gold)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"newsevents: {message}") and err.count("\n") == 1
