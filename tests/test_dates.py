from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from transforms.dates import resolve_date

PUBLISHED = date(2019, 4, 17)  # a Wednesday


@pytest.mark.parametrize(
    ("expression", "future", "expected"),
    [
        ("in July", True, (date(2019, 7, 1), "month")),
        ("in July", False, (date(2018, 7, 1), "month")),
        ("in March", False, (date(2019, 3, 1), "month")),
        ("Wednesday", False, (date(2019, 4, 17), "day")),
        ("on Monday", False, (date(2019, 4, 15), "day")),
        ("on Monday", True, (date(2019, 4, 22), "day")),
        ("last Wednesday", False, (date(2019, 4, 10), "day")),
        ("yesterday", False, (date(2019, 4, 16), "day")),
        ("tomorrow", True, (date(2019, 4, 18), "day")),
        ("last week", False, (date(2019, 4, 10), "day")),
        ("Earlier this month", False, (date(2019, 4, 1), "month")),
        ("last month", False, (date(2019, 3, 1), "month")),
        ("next year", True, (date(2020, 1, 1), "year")),
        ("December 16, 2015", False, (date(2015, 12, 16), "day")),
        ("16 March", False, (date(2019, 3, 16), "day")),
        ("Dec. 16", False, (date(2018, 12, 16), "day")),
        ("2017-02-03", False, (date(2017, 2, 3), "day")),
        ("three days ago", False, (date(2019, 4, 14), "day")),
        ("in 2018", False, (date(2018, 1, 1), "year")),
    ],
)
def test_expressions_resolve_against_publication(expression, future, expected):
    assert resolve_date(expression, PUBLISHED, future=future) == expected


@pytest.mark.parametrize("expression", ["", "the weekend talks", "recently", "a decade", "December 9999", "31 December 9999"])
def test_non_dates_give_none(expression):
    assert resolve_date(expression, PUBLISHED) is None


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31)), st.sampled_from(
    ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]))
def test_past_weekday_is_within_the_week_before(published, weekday):
    found, precision = resolve_date(f"on {weekday}", published)
    assert precision == "day"
    assert published - timedelta(days=6) <= found <= published
    assert found.strftime("%A") == weekday


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31)), st.integers(1, 12), st.booleans())
def test_month_is_within_a_year_on_the_tense_side(published, month, future):
    name = date(2000, month, 1).strftime("%B")
    found, precision = resolve_date(f"in {name}", published, future=future)
    assert precision == "month" and found.month == month and found.day == 1
    first = published.replace(day=1)
    if future:
        assert first <= found < first.replace(year=first.year + 1)
    else:
        assert first.replace(year=first.year - 1) < found <= first
