"""LAKE -> REPORT: one self-contained HTML page of charts and a map, aggregated in DuckDB, drawn by Vega-Lite.

Every number on the page comes out of a GROUP BY in DuckDB; the page only draws. The Vega,
Vega-Lite and vega-embed scripts (bundled by vl-convert) and the world shapes are inlined, and a
Content-Security-Policy forbids the page any request, so it opens offline.
"""

from __future__ import annotations

import html
import json
import os
import re
from contextlib import suppress
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from transforms.cameo import cameo_table
from transforms.catalog import connect, consistent
from transforms.errors import NewseventsError
from transforms.load import DataDir
from transforms.reference import country_code, country_names
from transforms.report_charts import (
    anchor_id,
    fetches_spec,
    map_spec,
    quarantine_spec,
    timeline_spec,
    top_spec,
)
from transforms.report_queries import QUADS, Facts, ReportOptions, gather


def write_report(data: DataDir, options: ReportOptions) -> Path:
    """LAKE -> HTML: query the views, assemble the page and write it; returns the file's path."""
    country = check_options(options)
    output = options.output or data.root / "reports" / "report.html"
    if output.is_dir():
        raise NewseventsError(f"cannot write the report to {output}: it is a folder; give a file name (like report.html)")
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise NewseventsError(f"cannot write the report to {output}: {e.strerror or e}") from None
    with connect(data) as con:
        page = render(consistent(data, lambda: gather(con, options, country)), options, country)
    write_page(page, output)
    return output


def write_page(page: str, output: Path) -> None:
    """Write the page through a temporary file beside the output, which a failure removes."""
    tmp = output.with_name(f".{output.name}.tmp")
    try:
        tmp.write_text(page, encoding="utf-8")
        os.replace(tmp, output)
    except OSError as e:
        with suppress(OSError):
            tmp.unlink()
        raise NewseventsError(f"cannot write the report to {output}: {e.strerror or e}") from None


def check_options(options: ReportOptions) -> str | None:
    """The country filter as an ISO alpha-3 code; a country that is none or an empty date range is an error."""
    country = country_code(options.country) if options.country else None
    if options.country and not country:
        raise NewseventsError(f"--country {options.country!r} is not a country: give its ISO 3166-1 alpha-3 code (TUR), "
                              "alpha-2 code (TR) or name (Turkey)")
    if options.since and options.until and options.since > options.until:
        raise NewseventsError(f"--since {options.since} is after --until {options.until}")
    return country


def esc(value: object) -> str:
    """HTML-escaped text of a value ('' for None)."""
    return "" if value is None else html.escape(str(value))


def script_json(value: object) -> str:
    """JSON safe to place inside a <script> element."""
    return json.dumps(value, ensure_ascii=False, default=str).replace("<", "\\u003c")


def safe_link(url: str | None, text: str) -> str:
    """A link to an article, only for http(s) and file URLs."""
    if not url or not re.match(r"(?i)^(https?|file)://", url):
        return esc(url)
    return f'<a href="{esc(url)}" rel="noopener noreferrer">{esc(text)}</a>'


def evidence_html(kind: str, title: str, items: list[dict], evidence: list[dict]) -> str:
    """The evidence of each top-list entry: its most-reported events, with sentence and article link."""
    descriptions = {code: c.description for code, c in cameo_table().items()}
    blocks = []
    for item in items:
        events = [r for r in evidence if r["key"] == item["key"]]
        lines = "".join(
            f"<li><span class=\"quad q{r['quad_class']}\">{esc(QUADS.get(r['quad_class']))}</span> "
            f"<b>{esc(r['event_date'])}</b> {esc(r['actor1_code'] or r['actor1_name'] or '?')} "
            f"<i>{esc(descriptions.get(r['cameo_code'], r['plover_type']))}</i> ({esc(r['cameo_code'])}) "
            f"{esc(r['actor2_code'] or r['actor2_name'] or '')} · {plural(r['num_mentions'], 'mention')}"
            f"{', ' + esc(r['modality']) if r['modality'] != 'asserted' else ''}"
            f"<blockquote>{esc(r['sentence'])}{'…' if r['cut'] else ''}</blockquote>"
            f"<div class=\"src\">{safe_link(r['url'], r['url'])}</div></li>"
            for r in events)
        blocks.append(f'<div class="evidence" id="{anchor_id(kind, item["key"])}"><h4>{esc(item["label"])} — '
                      f'{plural(item["events"], "event")}, {plural(item["mentions"], "mention")}</h4><ol>{lines}</ol></div>')
    return f"<details open><summary>Evidence: the most-reported events of each {esc(title)}</summary>{''.join(blocks)}</details>"


def plural(count: int, noun: str) -> str:
    """'1 event', '2 events'."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def table_html(records: list[dict], columns: list[str]) -> str:
    """A plain HTML table of query rows."""
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{esc(r[c])}</td>" for c in columns) + "</tr>" for r in records)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def scope_text(options: ReportOptions, country: str | None) -> str:
    """One line saying what the report covers."""
    when = (f"from {options.since or 'the start'} to {options.until or 'today'}"
            if options.since or options.until else "all dates")
    name = country_names().get(country or "")
    who = f", events and articles involving {country}" + (f" ({name})" if name else "") if country else ""
    return when + who


def chart(chart_id: str, title: str, note: str = "") -> str:
    """A titled placeholder the page script draws a chart into."""
    return f'<h3>{esc(title)}</h3>{f"<p class=note>{esc(note)}</p>" if note else ""}<div class="chart" id="{chart_id}"></div>'


Section = tuple[str, dict[str, dict]]  # HTML and the specs of the charts it holds, keyed by element id


def timeline_section(facts: Facts) -> Section:
    """Articles, events and tone per day."""
    if not (facts.events_per_day or facts.articles_per_day):
        return "", {}
    coarse = facts.totals["coarse_dates"]
    note = f"{plural(coarse, 'event')} dated only to the month or year left out of the per-day charts." if coarse else ""
    return ("<section><h2>Over time</h2>" + chart("timeline", "Articles, events and tone per day", note) + "</section>",
            {"timeline": timeline_spec(facts)})


def map_section(facts: Facts) -> Section:
    """The world map, with a note on how the events were placed."""
    if not facts.map_points:
        return ("<section><h2>Where</h2><p class=empty>No event has a place or a country.</p></section>"
                if facts.totals["events"] else ""), {}
    m, drawn = facts.map_points[0], len(facts.map_points)
    shown = f"the {drawn} largest of {m['total_points']} places" if m["total_points"] > drawn else f"{drawn} places"
    note = (f"{shown}: {m['at_place']} events at their place, {m['at_centroid']} at the centroid of their country "
            f"(the place's country, else the target's), {m['unplaced']} without any place (not drawn).")
    return ("<section><h2>Where</h2>" + chart("event-map", "Event locations", note) + "</section>",
            {"event-map": map_spec(facts)})


def actors_section(facts: Facts) -> Section:
    """Top actors and dyads, each bar linking to the evidence below."""
    if not facts.top_actors:
        return ("<section><h2>Who did what to whom</h2><p class=empty>No event has a coded actor.</p></section>"
                if facts.totals["events"] else ""), {}
    specs = {"top-actors": top_spec("actor", facts.top_actors, "actor", "#4c78a8")}
    dyads = "<p class=empty>No event has both a source and a target actor.</p>"
    if facts.top_dyads:
        specs["top-dyads"] = top_spec("dyad", facts.top_dyads, "dyad", "#9d755d")
        dyads = chart("top-dyads", f"Top {len(facts.top_dyads)} dyads (source → target) by events", "Click a bar for its evidence.")
    return ("<section><h2>Who did what to whom</h2>"
            + chart("top-actors", f"Top {len(facts.top_actors)} actors (source or target) by events", "Click a bar for its evidence.")
            + dyads
            + evidence_html("actor", "actor", facts.top_actors, facts.actor_evidence)
            + evidence_html("dyad", "dyad", facts.top_dyads, facts.dyad_evidence) + "</section>"), specs


def health_section(facts: Facts) -> Section:
    """Quarantine reasons, fetch outcomes per domain and the latest runs."""
    specs: dict[str, dict] = {}
    parts = ["<section><h2>Run health</h2>"]
    if facts.quarantine:
        specs["quarantine"] = quarantine_spec(facts)
        parts.append(chart("quarantine", "Quarantined inputs by reason"))
    else:
        parts.append("<h3>Quarantine</h3><p class=empty>Nothing was quarantined in this period.</p>")
    if facts.fetch_outcomes:
        specs["fetches"] = fetches_spec(facts)
        parts.append(chart("fetches", "Fetch outcomes per domain"))
    else:
        parts.append("<h3>Fetches</h3><p class=empty>No web page was fetched in this period.</p>")
    parts.append("<h3>Recent runs</h3>" + (table_html(facts.runs, list(facts.runs[0])) if facts.runs
                                            else "<p class=empty>No run recorded.</p>"))
    return "".join(parts) + "</section>", specs


STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f6f6f4;color:#222}
main{max-width:1040px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:24px;margin:8px 0 2px}h2{font-size:19px;margin:0 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 4px}h4{margin:12px 0 4px;font-size:14px}
section{background:#fff;border:1px solid #e2e2e2;border-radius:6px;padding:14px 18px;margin:16px 0}
.scope{color:#555;margin:0 0 8px}.tiles{display:flex;gap:10px;flex-wrap:wrap}
.tile{background:#fff;border:1px solid #e2e2e2;border-radius:6px;padding:8px 14px;min-width:120px}
.tile b{display:block;font-size:22px}.tile span{color:#666;font-size:12px}
.note{color:#666;margin:0 0 4px;font-size:12px}.empty{color:#8a5a00;background:#fff8e5;padding:8px 12px;border-radius:4px}
blockquote{margin:4px 0 2px 0;padding:2px 10px;border-left:3px solid #ccc;color:#333}
.src{font-size:12px;word-break:break-all}.evidence ol{padding-left:22px}.evidence li{margin-bottom:8px}
.quad{font-size:11px;padding:1px 6px;border-radius:8px;color:#fff}
.q1{background:#74c476}.q2{background:#238b45}.q3{background:#fd8d3c}.q4{background:#cb181d}
summary{cursor:pointer;font-weight:600;margin-top:14px}table{border-collapse:collapse;font-size:12px}
td,th{border-bottom:1px solid #eee;padding:3px 8px;text-align:left}
"""

# Draws every chart, then records the rendered marks per chart in <body data-marks> (or the error in data-error).
DRAW_SCRIPT = """
const specs = JSON.parse(document.getElementById('chart-specs').textContent);
function countMarks(mark, out) {
  if (mark.marktype !== 'group' && mark.role === 'mark') out[mark.name] = (out[mark.name] || 0) + mark.items.length;
  for (const item of mark.items || []) for (const child of item.items || []) countMarks(child, out);
  return out;
}
Promise.all(Object.entries(specs).map(([id, spec]) =>
  vegaEmbed('#' + id, spec, {mode: 'vega-lite', actions: false, renderer: 'svg'})
    .then(result => [id, countMarks(result.view.scenegraph().root, {})])))
  .then(marks => { document.body.dataset.marks = JSON.stringify(Object.fromEntries(marks)); })
  .catch(error => { document.body.dataset.error = String(error); console.error(error); });
"""

# No request may leave the page: everything is inline. Vega compiles its expressions with Function().
CSP = ("default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
       "img-src data: blob:; font-src data:")


@cache
def vega_bundle() -> str:
    """Vega, Vega-Lite and vega-embed as one script, bundled offline by vl-convert."""
    import vl_convert

    return vl_convert.javascript_bundle("window.vegaEmbed = vegaEmbed;")


def render(facts: Facts, options: ReportOptions, country: str | None) -> str:
    """The whole HTML page."""
    t = facts.totals
    tiles = "".join(f'<div class="tile"><b>{t[k]:,}</b><span>{label}</span></div>' for k, label in (
        ("articles", "articles"), ("duplicates", "duplicates"), ("events", "events"),
        ("event_mentions", "event mentions"), ("quarantined", "quarantined"), ("fetches", "fetch attempts")))
    span = f" Events dated {t['first_event']} to {t['last_event']}." if t["first_event"] else ""
    if t["not_happened"]:
        span += f" Left out: {plural(t['not_happened'], 'event')} the reports deny or only suppose (negated, hypothetical)."
    empty = "" if t["events"] or t["articles"] else (
        '<p class="empty" id="nothing">The lake holds no articles or events for this report '
        f"({esc(scope_text(options, country))}). Ingest some with <code>newsevents run</code>, or widen the filters.</p>")
    parts, specs = [], {}
    for html_part, section_specs in (timeline_section(facts), map_section(facts), actors_section(facts), health_section(facts)):
        parts.append(html_part)
        specs.update(section_specs)
    scripts = (f'<script type="application/json" id="chart-specs">{script_json(specs)}</script>'
               f"<script>{vega_bundle()}</script><script>{DRAW_SCRIPT}</script>") if specs else ""
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>newsevents report</title><style>{STYLE}</style></head>
<body><main>
<h1>newsevents report</h1>
<p class="scope">{esc(scope_text(options, country))}.{esc(span)} Generated {generated}. Run health covers the dates only, not the country.</p>
<div class="tiles">{tiles}</div>
{empty}
{"".join(parts)}
</main>{scripts}</body></html>
"""
