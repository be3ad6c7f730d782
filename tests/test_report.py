"""LAKE -> REPORT: the HTML report over a small hand-built lake, rendered in headless Chromium offline."""

from __future__ import annotations

import base64
import html
import io
import json
import os
import shutil
import subprocess
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from schemas.tables import TABLES, description
from tests import lakes
from transforms import catalog
from transforms.cameo import cameo_info
from transforms.errors import NewseventsError, Reason, Rejection
from transforms.ids import sha256_hex
from transforms.load import DataDir, publish
from transforms.report import ReportOptions, check_options, write_report
from transforms.report_queries import MAP_POINTS

CHROMIUM = shutil.which("chromium")
SCREEN = (1280, 2000)

# (day, CAMEO code, source, source country, target, target country, place (name, country, lat, lon), mentions, sentence)
EVENTS = [
    (2, "036", "USAGOV", "USA", "TURGOV", "TUR", ("Ankara", "TUR", 39.93, 32.86), 5,
     "Washington said it wanted to meet Turkish officials in Ankara next week."),
    (2, "042", "BRAGOV", "BRA", "NGAGOV", "NGA", ("Abuja", "NGA", 9.07, 7.49), 3,
     "The Brazilian president arrived in Abuja for a two-day visit."),
    (3, "190", "CODMIL", "COD", "CODREB", "COD", (None, "COD", None, None), 4,
     "Congolese soldiers fought rebels in the east of the country on Tuesday."),
    (3, "112", "CHNGOV", "CHN", "INDGOV", "IND", None, 2,
     "Beijing accused New Delhi of moving troops closer to the border."),
    (4, "070", "JPNGOV", "JPN", "PHLGOV", "PHL", ("Manila", "PHL", 14.6, 120.98), 6,
     "Japan sent emergency aid to the Philippines after the typhoon."),
    (4, "138", "RUSGOV", "RUS", "UKRGOV", "UKR", ("Kyiv", "UKR", 50.45, 30.52), 2,
     "Moscow threatened to strike Kyiv if the talks failed."),
    (5, "057", "USAGOV", "USA", "SGPGOV", "SGP", (None, "SGP", None, None), 3,
     "The United States and Singapore signed a trade agreement."),
    (5, "173", "TURPOL", "TUR", None, None, None, 1,
     "Turkish police detained a number of protesters on Friday."),
]


def blank(table: str) -> dict:
    """A row of the table with every field null."""
    return dict.fromkeys(TABLES[table].schema.names)


def article_row(n: int, day: int, domain: str) -> dict:
    text = f"Article {n} of the report test, written by the project."
    at = datetime(2026, 3, day, 9, tzinfo=UTC)
    return blank("articles") | {
        "article_id": f"article-{n}", "url": f"https://{domain}/news/{n}", "source_domain": domain,
        "title": f"Story {n}", "authors": [], "published_at": at, "language": "en", "text": text,
        "text_sha256": sha256_hex(text.encode()), "word_count": len(text.split()), "extractor": "plaintext",
        "extractor_version": "1", "input_format": "txt", "raw_sha256": sha256_hex(text.encode()),
        "ingested_at": at, "run_id": "run-1"}


def event_row(n: int, spec: tuple) -> dict:
    day, code, a1, c1, a2, c2, place, mentions, sentence = spec
    info = cameo_info(code)
    name, country, lat, lon = place or (None, None, None, None)
    when = day if isinstance(day, date) else date(2026, 3, day)
    at = datetime(when.year, when.month, when.day, 12, tzinfo=UTC)
    return blank("events") | {
        "event_id": f"event-{n}", "event_date": when, "date_precision": "day",
        "cameo_code": code, "cameo_base": info.base, "cameo_root": info.root, "quad_class": info.quad_class,
        "goldstein": info.goldstein, "plover_type": info.plover_type, "plover_mode": info.plover_mode,
        "actor1_code": a1, "actor1_country": c1, "actor1_name": a1.lower(), "actor2_code": a2, "actor2_country": c2,
        "actor2_name": a2 and a2.lower(), "modality": "asserted", "negated": False, "location_name": name,
        "location_country": country, "location_lat": lat, "location_lon": lon, "num_mentions": mentions,
        "num_sources": 1, "num_articles": 1, "first_seen_at": at,
        "first_source_url": f"https://news.example.org/news/{n}", "first_sentence": sentence, "updated_at": at}


def fetch_row(n: int, url: str, status: int | None, error: str | None) -> dict:
    at = datetime(2026, 3, 2, 8, n, tzinfo=UTC)
    return blank("fetches") | {"fetch_id": f"fetch-{n}", "url": url, "status": status, "error": error,
                               "fetched_at": at, "run_id": "run-1"}


def build_lake(root: Path, events: list[tuple] = EVENTS) -> DataDir:
    """A lake of articles, events, fetches, quarantine rows and a run, written through the schemas."""
    data = DataDir(root)
    articles = [article_row(n, 2 + n % 4, "news.example.org" if n % 2 else "wire.example.com") for n in range(10)]
    event_rows = [event_row(n, spec) for n, spec in enumerate(events)]
    fetches = [fetch_row(0, "https://news.example.org/a", 200, None), fetch_row(1, "https://news.example.org/b", 404, None),
               fetch_row(2, "https://wire.example.com/c", None, "FETCH_TIMEOUT"), fetch_row(3, "https://www.wire.example.com/d", 200, None)]
    at = datetime(2026, 3, 2, 10, tzinfo=UTC)
    quarantine = [Rejection(stage="clean", reason=Reason.NOT_ENGLISH, url="file:///in/es.txt", detail="language es").to_row("run-1", at),
                  Rejection(stage="read", reason=Reason.EMPTY, url="file:///in/empty.txt", detail="no text").to_row("run-1", at),
                  Rejection(stage="fetch", reason=Reason.FETCH_TIMEOUT, url="https://wire.example.com/c", detail="read timeout").to_row("run-1", at)]
    run = {"run_id": "run-1", "flow": "ingest", "started_at": at, "finished_at": at, "status": "completed", "error": None,
           "params": "{}", "counts": [("inputs", 13), ("articles", 10), ("events", len(event_rows))], "versions": [("newsevents", "0.1.0")], "flow_run_id": None}
    publish(data, "report-test", {
        "articles": [(a["published_at"], a) for a in articles],
        "events": [(ev["event_date"], ev) for ev in event_rows],
        "fetches": [(f["fetched_at"], f) for f in fetches],
        "quarantine": [(q["at"], q) for q in quarantine],
        "runs": [(at, run)],
    })
    catalog.refresh(data)
    return data


# ---------------------------------------------------------------- headless Chromium through the DevTools protocol


class DevTools:
    """A minimal DevTools protocol client: commands wait for their reply, events are kept."""

    def __init__(self, url: str) -> None:
        from websockets.sync.client import connect

        self.socket = connect(url, max_size=None, open_timeout=10)
        self.events: list[dict] = []
        self.last_id = 0

    def call(self, method: str, session: str | None = None, **params) -> dict:
        self.last_id += 1
        self.socket.send(json.dumps({"id": self.last_id, "method": method, "params": params}
                                    | ({"sessionId": session} if session else {})))
        while True:
            message = json.loads(self.socket.recv(timeout=30))
            if message.get("id") == self.last_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]
            self.events.append(message)


def browse(page: Path, workdir: Path, then: str = "null") -> dict:
    """Open the page offline in headless Chromium; its marks, console errors, requests, a screenshot and `then` evaluated."""
    assert CHROMIUM, "chromium is not installed (.ci/run installs it: apt-get install chromium)"
    profile = workdir / "profile"
    browser = subprocess.Popen(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
         "--remote-debugging-port=0", f"--window-size={SCREEN[0]},{SCREEN[1]}", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=(workdir / "chromium.log").open("w"))
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and len(port_file.read_text().split()) == 2):
            assert browser.poll() is None and time.monotonic() < deadline, (workdir / "chromium.log").read_text()
            time.sleep(0.05)
        port, path = port_file.read_text().split()
        tools = DevTools(f"ws://127.0.0.1:{port}{path}")
        target = tools.call("Target.createTarget", url="about:blank")["targetId"]
        session = tools.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Runtime", "Log", "Network", "Page"):
            tools.call(f"{domain}.enable", session)
        tools.call("Emulation.setDeviceMetricsOverride", session, width=SCREEN[0], height=SCREEN[1],
                   deviceScaleFactor=1, mobile=False)
        tools.call("Page.navigate", session, url=page.resolve().as_uri())
        state: dict = {}
        while not (state.get("marks") or state.get("error") or state.get("static")):
            assert time.monotonic() < deadline + 30, "the page never finished drawing"
            time.sleep(0.1)
            state = json.loads(tools.call("Runtime.evaluate", session, returnByValue=True, expression=(
                "JSON.stringify({marks: document.body?.dataset.marks, error: document.body?.dataset.error, "
                "static: document.readyState === 'complete' && !document.getElementById('chart-specs')})"))["result"]["value"])
        shot = base64.b64decode(tools.call("Page.captureScreenshot", session, format="png")["data"])
        after = tools.call("Runtime.evaluate", session, returnByValue=True, awaitPromise=True, expression=then)["result"].get("value")
        tools.call("Browser.close")
    finally:
        browser.kill()
        browser.wait(timeout=10)
    errors = [json.dumps(m["params"])[:300] for m in tools.events if m.get("method") in ("Runtime.exceptionThrown",)
              or (m.get("method") == "Runtime.consoleAPICalled" and m["params"]["type"] in ("error", "assert"))
              or (m.get("method") == "Log.entryAdded" and m["params"]["entry"]["level"] == "error")]
    requests = [m["params"]["request"]["url"] for m in tools.events if m.get("method") == "Network.requestWillBeSent"]
    return {"marks": json.loads(state["marks"]) if state.get("marks") else {}, "error": state.get("error"), "then": after,
            "errors": errors, "requests": requests, "screenshot": shot}


needs_chromium = pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                                    reason="chromium is not installed (apt-get install chromium); CI requires it")


@needs_chromium
def test_report_renders_offline_with_data_in_every_chart(tmp_path):
    from PIL import Image, ImageStat

    data = build_lake(tmp_path / "data")
    page = write_report(data, ReportOptions())
    assert page == tmp_path / "data" / "reports" / "report.html"
    click_top_actor = """new Promise(done => {
        document.querySelector('#top-actors .actor_marks path').dispatchEvent(new MouseEvent('click', {bubbles: true}));
        setTimeout(() => done(location.hash), 300);
    })"""
    result = browse(page, tmp_path, then=click_top_actor)
    assert result["error"] is None
    assert result["errors"] == []
    assert [u for u in result["requests"] if not u.startswith("file:")] == []
    marks = result["marks"]
    assert set(marks) == {"timeline", "top-actors", "top-dyads", "event-map", "quarantine", "fetches"}
    assert marks["timeline"]["articles_marks"] == 4  # articles on 4 distinct days
    assert marks["timeline"]["events_marks"] == len({(s[0], cameo_info(s[1]).quad_class) for s in EVENTS})
    assert marks["timeline"]["goldstein_marks"] == 4  # a line through the 4 days with events
    assert marks["top-actors"]["actor_marks"] >= 10
    assert result["then"] == "#actor-USAGOV"  # a bar is a link to its evidence
    assert marks["top-dyads"]["dyad_marks"] == 7  # the TURPOL event has no target
    assert marks["event-map"]["countries_marks"] > 150
    assert marks["event-map"]["points_marks"] == 7  # every event but the one without any place
    assert marks["quarantine"]["quarantine_marks"] == 3
    assert marks["fetches"]["fetches_marks"] == 4  # news OK, news 404, wire OK (www. folded), wire timeout
    image = Image.open(io.BytesIO(result["screenshot"]))
    (tmp_path / "report.png").write_bytes(result["screenshot"])
    assert image.size == SCREEN
    stats = ImageStat.Stat(image.convert("L"))
    assert stats.stddev[0] > 20  # charts and text, not a blank page
    colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 200


def test_evidence_links_each_top_actor_and_dyad_to_sentences_and_urls(tmp_path):
    page = write_report(build_lake(tmp_path), ReportOptions(output=tmp_path / "r.html")).read_text()
    assert 'id="actor-USAGOV"' in page and 'href=\\u0022#actor-USAGOV' not in page
    assert '"href": "#actor-USAGOV"' in page and '"href": "#dyad-USAGOV-TURGOV"' in page
    assert 'id="dyad-USAGOV-TURGOV"' in page
    assert "Washington said it wanted to meet Turkish officials in Ankara next week." in page
    assert '<a href="https://news.example.org/news/0"' in page


def test_evidence_links_a_record_read_from_a_file_to_its_web_url(tmp_path):
    data, at = DataDir(tmp_path / "data"), datetime(2026, 1, 10, 12, tzinfo=UTC)
    record = {**lakes.article(1, published=date(2026, 1, 9), run_id="r", ingested_at=at),
              "url": "file:///tmp/in/wire-feed.jsonl#line=1", "canonical_url": "https://wire.example.com/story"}
    lakes.ingest(data, "b1", [record], [lakes.mention(record, event="talks", event_date=date(2026, 1, 9))], "r", at)
    catalog.refresh(data)
    page = write_report(data, ReportOptions(output=tmp_path / "r.html")).read_text(encoding="utf-8")
    assert '<a href="https://wire.example.com/story"' in page and "wire-feed.jsonl" not in page


def test_recent_runs_say_why_a_run_stopped(tmp_path):
    data = build_lake(tmp_path)
    at = datetime(2026, 3, 3, 9, tzinfo=UTC)
    stopped = {"run_id": "run-2", "flow": "ingest", "started_at": at, "finished_at": at, "status": "interrupted",
               "error": "Ctrl-C (SIGINT)", "params": "{}", "counts": [("inputs", 5)], "versions": [("newsevents", "0.1.0")], "flow_run_id": None}
    publish(data, "stopped-run", {"runs": [(at, stopped)]})
    catalog.refresh(data)
    runs = write_report(data, ReportOptions(output=tmp_path / "r.html")).read_text().split("<h3>Recent runs</h3>")[1]
    assert "run-2" in runs and "interrupted" in runs and "Ctrl-C (SIGINT)" in runs


def test_recent_runs_account_for_every_input(tmp_path):
    data = build_lake(tmp_path)
    at = datetime(2026, 3, 3, 9, tzinfo=UTC)
    counts = {"inputs": 9, "articles": 4, "duplicates": 1, "unchanged": 2, "refused": 1, "quarantined": 1, "events": 3}
    publish(data, "run-3", {"runs": [(at, {"run_id": "run-3", "flow": "ingest", "started_at": at, "finished_at": at,
                                           "status": "completed", "error": None, "params": "{}", "counts": list(counts.items()),
                                           "versions": [("newsevents", "0.1.0")], "flow_run_id": None})]})
    catalog.refresh(data)
    runs = write_report(data, ReportOptions(output=tmp_path / "r.html")).read_text().split("<h3>Recent runs</h3>")[1]
    head = runs.split("</thead>")[0]
    assert all(f"<th>{name}</th>" in head for name in ("duplicates", "already in the lake", "already refused", "quarantined"))
    assert "<td>run-3</td><td>ingest</td><td>completed</td>" in runs
    row = runs.split("<td>run-3</td>")[1].split("</tr>")[0]
    assert "<td>9</td><td>4</td><td>1</td><td>2</td><td>1</td><td>1</td><td>3</td>" in row, "inputs = articles + ... + quarantined"


def test_country_filter_keeps_events_involving_the_country(tmp_path):
    page = write_report(build_lake(tmp_path), ReportOptions(country="tur", output=tmp_path / "r.html")).read_text()
    assert "involving TUR (Turkey)" in page
    assert "Washington said it wanted to meet Turkish officials" in page
    assert "Japan sent emergency aid" not in page
    assert '<b>2</b><span>events</span>' in page


def test_empty_lake_gives_a_report_that_says_so(tmp_path):
    page = write_report(DataDir(tmp_path), ReportOptions()).read_text()
    assert 'id="nothing"' in page and "holds no articles or events" in page
    assert "<script" not in page  # nothing to draw, nothing to break
    assert "Nothing was quarantined" in page


def test_filter_matching_nothing_says_so(tmp_path):
    data = build_lake(tmp_path)
    page = write_report(data, ReportOptions(since=date(2027, 1, 1), output=tmp_path / "r.html")).read_text()
    assert "holds no articles or events for this report (from 2027-01-01 to today)" in page


def test_unwritable_output_is_a_one_line_error(tmp_path):
    data = build_lake(tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(NewseventsError, match="cannot write the report to") as caught:
        write_report(data, ReportOptions(output=blocker / "report.html"))
    assert "\n" not in str(caught.value)


def test_country_filter_takes_a_code_or_a_name_in_any_case(tmp_path):
    for given in ("tr", "Turkey", "Türkiye", " TUR "):
        assert check_options(ReportOptions(country=given)) == "TUR", given
    assert check_options(ReportOptions(country="xkx")) == "XKX"  # GeoNames' Kosovo, which places can give


def test_bad_filters_are_errors(tmp_path):
    for unknown in ("XYZ", "QQ", "Atlantis"):
        with pytest.raises(NewseventsError, match=f"--country '{unknown}' is not a country"):
            write_report(DataDir(tmp_path), ReportOptions(country=unknown))
    assert not (tmp_path / "reports").exists()  # refused before any work
    with pytest.raises(NewseventsError, match="after --until"):
        write_report(DataDir(tmp_path), ReportOptions(since=date(2026, 5, 1), until=date(2026, 4, 1)))


def test_a_year_of_events_stays_small_and_caps_the_map(tmp_path):
    codes = ["036", "042", "190", "112", "070", "138", "057", "173"]
    events = [(date(2025, 1, 1) + timedelta(days=i % 365), codes[i % 8], f"A{i % 40:03d}GOV", None, f"B{i % 37:03d}GOV", None,
               (f"place {i}", None, -60 + (i * 7919 % 12000) / 100, -179 + (i * 104729 % 35800) / 100), 1 + i % 9,
               f"Sentence {i} of a long year, " + "with words " * 40)
              for i in range(6000)]
    page = write_report(build_lake(tmp_path, events), ReportOptions(output=tmp_path / "r.html"))
    assert page.stat().st_size < 10 * 1024 * 1024
    spec_text = page.read_text().split('id="chart-specs">')[1].split("</script>")[0]
    specs = json.loads(spec_text)
    assert len(specs["event-map"]["layer"][1]["data"]["values"]) == MAP_POINTS


def test_per_day_charts_leave_out_events_dated_only_to_the_month(tmp_path):
    data = build_lake(tmp_path)
    coarse = event_row(99, (1, "036", "FRAGOV", "FRA", "DEUGOV", "DEU", None, 1, "France will meet Germany in March.")) | {"date_precision": "month"}
    publish(data, "coarse", {"events": [(coarse["event_date"], coarse)]})
    catalog.refresh(data)
    page = write_report(data, ReportOptions(output=tmp_path / "r.html")).read_text()
    specs = json.loads(page.split('id="chart-specs">')[1].split("</script>")[0])
    events_panel = specs["timeline"]["vconcat"][1]["data"]["values"]
    assert sum(row["events"] for row in events_panel) == len(EVENTS)
    assert "1 event dated only to the month or year left out of the per-day charts" in page
    assert "France will meet Germany in March." in page  # still an event: in the evidence of its actors


def test_events_the_reports_deny_or_only_suppose_are_left_out(tmp_path):
    data = build_lake(tmp_path)
    denied = event_row(98, (4, "190", "RUSMIL", "RUS", "UKR", "UKR", None, 1, "Russia did not attack Ukraine.")) | {
        "negated": True, "modality": "denied"}
    supposed = event_row(99, (4, "190", "ETH", "ETH", "ERI", "ERI", None, 1, "If Ethiopia attacks Eritrea, ...")) | {
        "modality": "hypothetical"}
    publish(data, "not-happened", {"events": [(e["event_date"], e) for e in (denied, supposed)]})
    catalog.refresh(data)
    page = write_report(data, ReportOptions(output=tmp_path / "r.html")).read_text()
    specs = json.loads(page.split('id="chart-specs">')[1].split("</script>")[0])
    assert sum(row["events"] for row in specs["timeline"]["vconcat"][1]["data"]["values"]) == len(EVENTS)
    assert f"<b>{len(EVENTS)}</b><span>events</span>" in page
    assert "Left out: 2 events the reports deny or only suppose (negated, hypothetical)." in page
    assert "Russia did not attack Ukraine." not in page and "If Ethiopia attacks Eritrea" not in page


def map_values(page: str) -> list[dict]:
    specs = json.loads(page.split('id="chart-specs">')[1].split("</script>")[0])
    return specs["event-map"]["layer"][1]["data"]["values"]


def test_map_places_events_without_coordinates_at_a_country_point(tmp_path):
    points = {p["place"]: p for p in map_values(write_report(build_lake(tmp_path), ReportOptions(output=tmp_path / "r.html")).read_text())}
    assert points["Ankara"]["lat"] == 39.93 and not points["Ankara"]["centroid"]
    assert points["Democratic Republic of the Congo"]["centroid"]  # place's country, no coordinates
    assert points["India"]["centroid"]  # no place: the target's country
    assert points["Singapore"]["lat"] == pytest.approx(1.29, abs=0.1)  # too small for the shapes: its capital
    assert len(points) == len(EVENTS) - 1  # the event with neither place nor target is not drawn


def test_text_from_articles_cannot_break_out_of_the_page(tmp_path):
    hostile = "Rebels wrote </script><script>alert(1)</script> <b>on walls</b>."
    spec = (2, "036", "USAGOV", "USA", "</script><img src=x>", "TUR", ("<i>Ankara</i>", "TUR", 39.9, 32.8), 9, hostile)
    page = write_report(build_lake(tmp_path, [spec]), ReportOptions(output=tmp_path / "r.html")).read_text()
    assert "<script>alert(1)" not in page and "<img src=x>" not in page and "<i>Ankara" not in page
    assert html.escape(hostile) in page
    assert map_values(page)[0]["place"] == "<i>Ankara</i>"  # JSON keeps the text; Vega draws it as text


def test_a_folder_as_output_is_refused_before_the_work_and_leaves_nothing(tmp_path, monkeypatch):
    data = build_lake(tmp_path / "data")
    (tmp_path / "out").mkdir()
    monkeypatch.setattr("transforms.report.gather", lambda *_: pytest.fail("the report was computed"))
    with pytest.raises(NewseventsError, match=r"cannot write the report to .*out: it is a folder"):
        write_report(data, ReportOptions(output=tmp_path / "out"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "out"] and not any((tmp_path / "out").iterdir())


def test_a_failed_rename_removes_the_temporary_file(tmp_path, monkeypatch):
    data = build_lake(tmp_path / "data")

    def refuse(*_):
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr("transforms.report.os.replace", refuse)
    with pytest.raises(NewseventsError, match=r"cannot write the report to .*r\.html: Invalid cross-device link"):
        write_report(data, ReportOptions(output=tmp_path / "r.html"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_the_quarantine_examples_quote_at_and_run(tmp_path, capsys):
    from flows.cli import main

    data = build_lake(tmp_path / "data")
    example = TABLES["quarantine"].example_sql
    described = description(TABLES["quarantine"].schema.field("at"))
    assert '"at"' in example and '"at"' in described
    for sql in (example, 'SELECT reason FROM quarantine ORDER BY "at" DESC'):
        assert main(["sql", "--data-dir", str(data.root), sql]) == 0
    assert "NOT_ENGLISH" in capsys.readouterr().out


def test_an_input_quarantined_again_by_a_new_pipeline_version_counts_once(tmp_path):
    data = build_lake(tmp_path / "data")
    at = datetime(2026, 3, 4, tzinfo=UTC)
    again = Rejection(stage="clean", reason=Reason.NOT_ENGLISH, url="file:///in/es.txt", detail="language es")
    publish(data, "again", {"quarantine": [(at, again.to_row("run-2", at, pipeline_version="v2"))]})
    catalog.refresh(data)
    _, rows = catalog.query(data, TABLES["quarantine"].example_sql)
    assert ("clean", "NOT_ENGLISH", 1) in [row[:3] for row in rows] and len(rows) == 3
    page = write_report(data, ReportOptions(output=tmp_path / "r.html")).read_text()
    assert "<b>3</b><span>quarantined</span>" in page
    assert '{"stage": "clean", "reason": "NOT_ENGLISH", "inputs": 1}' in page


def test_cli_report_prints_the_path_and_fails_in_one_line(tmp_path, capsys):
    from flows.cli import main

    build_lake(tmp_path / "data")
    assert main(["report", "--data-dir", str(tmp_path / "data"), "--country", "TUR", "--since", "2026-03-01"]) == 0
    assert capsys.readouterr().out.strip() == f"Report: {tmp_path / 'data' / 'reports' / 'report.html'}"
    (tmp_path / "file").write_text("x")
    assert main(["report", "--data-dir", str(tmp_path / "data"), "--output", str(tmp_path / "file" / "r.html")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("newsevents: cannot write the report to") and err.count("\n") == 1
