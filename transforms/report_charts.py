"""The report's charts as Vega-Lite specs over the query results (Facts); the browser only draws them."""

from __future__ import annotations

import re

from transforms.centroids import world
from transforms.report_queries import QUADS, Facts

QUAD_COLOURS = ["#74c476", "#238b45", "#fd8d3c", "#cb181d"]
CHART_WIDTH = 940
QUAD_COLOUR = {"field": "quad", "type": "nominal", "title": "QuadClass",
               "scale": {"domain": list(QUADS.values()), "range": QUAD_COLOURS},
               "legend": {"orient": "top", "direction": "horizontal"}}
COUNT_LABELS = {"labelExpr": "datum.value % 1 ? '' : format(datum.value, ',d')"}  # counts: no "0.5" labels
DAY = {"field": "day", "type": "temporal", "timeUnit": "utcyearmonthdate", "title": None}


def timeline_spec(facts: Facts) -> dict:
    """Articles per day, events per day by QuadClass and the average Goldstein score, on one time axis."""
    panels = [
            {"name": "articles", "title": "Articles per day", "width": CHART_WIDTH, "height": 110,
             "data": {"values": facts.articles_per_day}, "mark": {"type": "bar", "color": "#6b8fb5"},
             "encoding": {"x": DAY, "y": {"field": "articles", "type": "quantitative", "title": "articles", "axis": COUNT_LABELS},
                          "tooltip": [{**DAY, "title": "day"}, {"field": "articles", "type": "quantitative"}]}},
            {"name": "events", "title": "Events per day by QuadClass", "width": CHART_WIDTH, "height": 170,
             "data": {"values": facts.events_per_day}, "mark": "bar",
             "encoding": {"x": DAY, "y": {"field": "events", "type": "quantitative", "stack": "zero", "title": "events", "axis": COUNT_LABELS},
                          "color": QUAD_COLOUR, "order": {"field": "quad_class"},
                          "tooltip": [{**DAY, "title": "day"}, {"field": "quad", "title": "QuadClass"},
                                      {"field": "events", "type": "quantitative"},
                                      {"field": "mentions", "type": "quantitative"}]}},
            {"title": "Average Goldstein score per day (−10 conflict … +10 cooperation)",
             "width": CHART_WIDTH, "height": 130, "data": {"values": facts.goldstein_per_day},
             "layer": [
                 {"name": "goldstein_zero", "data": {"values": [{}]},
                  "mark": {"type": "rule", "color": "#999", "strokeDash": [4, 3]},
                  "encoding": {"y": {"datum": 0, "type": "quantitative"}}},
                 {"name": "goldstein", "mark": {"type": "line", "point": True, "color": "#555"},
                  "encoding": {"x": {**DAY, "bandPosition": 0.5}, "y": {"field": "avg_goldstein", "type": "quantitative", "title": "Goldstein",
                                               "scale": {"domain": [-10, 10]}},
                               "tooltip": [{**DAY, "title": "day"}, {"field": "avg_goldstein", "title": "average"},
                                           {"field": "events", "type": "quantitative"}]}},
             ]},
    ]
    if not facts.articles_per_day:
        panels = panels[1:]
    if not facts.events_per_day:
        panels = panels[:1]
    return {"vconcat": panels, "resolve": {"scale": {"x": "shared"}}}


def top_spec(name: str, items: list[dict], anchor: str, colour: str) -> dict:
    """Horizontal bars of a top list; each bar links to its evidence further down the page."""
    values = [{**item, "href": f"#{anchor_id(anchor, item['key'])}"} for item in items]
    return {
        "name": name, "width": CHART_WIDTH - 420, "height": {"step": 20}, "data": {"values": values},
        "mark": {"type": "bar", "color": colour, "cursor": "pointer"},
        "encoding": {"y": {"field": "label", "type": "nominal", "sort": None, "title": None, "axis": {"labelLimit": 380}},
                     "x": {"field": "events", "type": "quantitative", "title": "events", "axis": COUNT_LABELS},
                     "href": {"field": "href"},
                     "tooltip": [{"field": "label", "title": name}, {"field": "events", "type": "quantitative"},
                                 {"field": "mentions", "type": "quantitative"}]},
    }


def map_spec(facts: Facts) -> dict:
    """Countries as a background and one circle per place, sized by mentions, coloured by QuadClass."""
    return {
        "width": CHART_WIDTH, "height": 520, "projection": {"type": "equalEarth"},
        "layer": [
            {"name": "countries", "data": {"values": world(), "format": {"type": "topojson", "feature": "countries"}},
             "mark": {"type": "geoshape", "fill": "#e8e8e8", "stroke": "#fff", "strokeWidth": 0.5}},
            {"name": "points", "data": {"values": facts.map_points},
             "mark": {"type": "circle", "opacity": 0.7, "stroke": "#333", "strokeWidth": 0.4},
             "encoding": {"longitude": {"field": "lon", "type": "quantitative"},
                          "latitude": {"field": "lat", "type": "quantitative"},
                          "size": {"field": "mentions", "type": "quantitative", "title": "mentions",
                                   "scale": {"range": [20, 900]}, "legend": {"orient": "top", **COUNT_LABELS}},
                          "color": QUAD_COLOUR,
                          "tooltip": [{"field": "place"}, {"field": "quad", "title": "QuadClass"},
                                      {"field": "events", "type": "quantitative"},
                                      {"field": "mentions", "type": "quantitative"},
                                      {"field": "centroid", "title": "at a country centroid"}]}},
        ],
    }


def quarantine_spec(facts: Facts) -> dict:
    """Quarantined inputs per reason code, coloured by the stage that rejected them."""
    return {
        "name": "quarantine", "width": CHART_WIDTH - 420, "height": {"step": 20},
        "data": {"values": facts.quarantine}, "mark": "bar",
        "encoding": {"y": {"field": "reason", "type": "nominal", "title": None,
                           "sort": {"op": "sum", "field": "inputs", "order": "descending"}},
                     "x": {"aggregate": "sum", "field": "inputs", "type": "quantitative", "title": "inputs", "axis": COUNT_LABELS},
                     "color": {"field": "stage", "type": "nominal", "scale": {"scheme": "tableau10"}},
                     "tooltip": [{"field": "stage"}, {"field": "reason"}, {"field": "inputs", "type": "quantitative"}]},
    }


def fetches_spec(facts: Facts) -> dict:
    """Fetch attempts per domain, split by outcome (OK, HTTP status, or the failure's reason code)."""
    return {
        "name": "fetches", "width": CHART_WIDTH - 420, "height": {"step": 20},
        "data": {"values": facts.fetch_outcomes}, "mark": "bar",
        "encoding": {"y": {"field": "domain", "type": "nominal", "title": None,
                           "sort": {"op": "sum", "field": "attempts", "order": "descending"}},
                     "x": {"aggregate": "sum", "field": "attempts", "type": "quantitative", "title": "fetch attempts", "axis": COUNT_LABELS},
                     "color": {"field": "outcome", "type": "nominal", "scale": {"scheme": "category10"}},
                     "tooltip": [{"field": "domain"}, {"field": "outcome"}, {"field": "attempts", "type": "quantitative"}]},
    }


def anchor_id(kind: str, key: str) -> str:
    """An element id for a top-list entry: letters, digits and dashes only."""
    return f"{kind}-" + re.sub(r"[^A-Za-z0-9]+", "-", key).strip("-")
