"""Country points for the report's map: shape centroids, the antimeridian, capitals for small countries."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from transforms.centroids import country_points, ring_centroid, shape_centroids


@given(west=st.floats(-180, 170), width=st.floats(0.5, 60), south=st.floats(-80, 70), height=st.floats(0.5, 10))
def test_a_rectangle_centroid_is_its_centre_even_across_the_antimeridian(west, width, south, height):
    east = west + width
    wrap = lambda lon: (lon + 180) % 360 - 180  # noqa: E731
    ring = [(wrap(west), south), (wrap(east), south), (wrap(east), south + height), (wrap(west), south + height), (wrap(west), south)]
    area, lon, lat = ring_centroid(ring)
    assert area == pytest.approx(width * height, rel=1e-6)
    assert lat == pytest.approx(south + height / 2, abs=1e-6)
    assert wrap(lon - (west + width / 2)) == pytest.approx(0, abs=1e-6)


def test_centroids_fall_inside_their_countries():
    points = shape_centroids()
    assert len(points) > 160
    name, lat, lon = points["RUS"]  # a polygon crossing the antimeridian
    assert name == "Russia" and 50 < lat < 70 and 80 < lon < 120
    _, lat, lon = points["FRA"]  # the largest polygon, not the mean with French Guiana
    assert 42 < lat < 51 and -5 < lon < 8


def test_countries_too_small_for_the_shapes_use_their_capital():
    assert "SGP" not in shape_centroids()
    name, lat, lon = country_points(frozenset({"SGP"}))["SGP"]
    assert name == "Singapore" and lat == pytest.approx(1.29, abs=0.1) and lon == pytest.approx(103.85, abs=0.1)
