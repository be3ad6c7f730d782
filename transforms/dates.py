"""Event dates: resolve a date expression ("in July", "on Wednesday", "last week") against the publication date."""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

DAY, MONTH, YEAR = "day", "month", "year"

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS |= {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}
MONTHS["sept"] = 9
WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
UNITS = {"day": 1, "week": 7, "month": 30, "year": 365}
LAST_MONTH = date(9999, 12, 1)  # dates from here on name no date: the lake works a month at a time up to the next one
NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
           "eight": 8, "nine": 9, "ten": 10, "several": 3, "few": 3}

_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_ISO = re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})\b")
_MDY = re.compile(_MONTH + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(?P<y>\d{4}))?", re.I)
_DMY = re.compile(r"\b(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH + r"(?:,?\s+(?P<y>\d{4}))?", re.I)
_MY = re.compile(r"\b" + _MONTH + r"(?:\s+(?:of\s+)?(?P<y>\d{4}))?\b", re.I)
_YEAR = re.compile(r"\b(?:in|of|since|during)?\s*(?P<y>(?:19|20)\d{2})\b", re.I)
_WEEKDAY = re.compile(r"\b(?:(?P<rel>last|next|this|on)\s+)?(?P<wd>" + "|".join(WEEKDAYS) + r")\b", re.I)
_AGO = re.compile(r"\b(?P<n>\d+|" + "|".join(NUMBERS) + r")\s+(?P<unit>day|week|month|year)s?\s+ago\b", re.I)
_RELATIVE = re.compile(r"\b(?P<rel>last|next|this|earlier this|later this|past|coming)\s+(?P<unit>week|month|year)\b", re.I)


def _month_start(d: date, months: int) -> date:
    """First day of the month `months` after (or before) d's month."""
    index = d.year * 12 + d.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _safe(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _nearest_year(month: int, day: int, published: date, future: bool) -> int:
    """Year of a month and day written without one: the next occurrence when future, else the latest."""
    y = published.year
    candidate = _safe(y, month, day) or date(y, month, 28)
    if future and candidate < published:
        return y + 1
    if not future and candidate > published:
        return y - 1
    return y


def resolve_date(expression: str, published: date, *, future: bool = False) -> tuple[date, str] | None:
    """The (date, precision) an expression denotes relative to `published`, or None when it names no date.

    Month and year precision dates are the first day of their month or year. `future` picks the
    upcoming month or weekday instead of the past one ("will start in July"). A date outside the
    calendar ("100000 years ago", "January 0000") or in its last month ("December 9999", whose next
    month the lake's monthly rollup cannot name) names no date.
    """
    try:
        found = _resolve(expression, published, future)
    except (OverflowError, ValueError):
        return None
    return found if found is None or found[0] < LAST_MONTH else None


def _resolve(expression: str, published: date, future: bool) -> tuple[date, str] | None:
    text = expression.strip().lower()
    if not text:
        return None
    if re.search(r"\b(today|tonight|this (morning|afternoon|evening))\b", text):
        return published, DAY
    if re.search(r"\b(yesterday|last night)\b", text):
        return published - timedelta(days=1), DAY
    if re.search(r"\btomorrow\b", text):
        return published + timedelta(days=1), DAY
    if m := _ISO.search(text):
        found = _safe(int(m["y"]), int(m["m"]), int(m["d"]))
        return (found, DAY) if found else None
    for pattern in (_MDY, _DMY):
        if m := pattern.search(text):
            month, day = MONTHS[m["month"].lower()], int(m["d"])
            year = int(m["y"]) if m["y"] else _nearest_year(month, day, published, future)
            found = _safe(year, month, day)
            if found:
                return found, DAY
    if m := _AGO.search(text):
        n = int(m["n"]) if m["n"].isdigit() else NUMBERS[m["n"].lower()]
        unit = m["unit"].lower()
        when = published - timedelta(days=n * UNITS[unit])
        return (when, DAY) if unit in ("day", "week") else (when.replace(day=1), MONTH) if unit == "month" else (date(when.year, 1, 1), YEAR)
    if m := _WEEKDAY.search(text):
        wd, rel = WEEKDAYS[m["wd"].lower()], (m["rel"] or "").lower()
        if rel == "next" or (future and rel != "last"):
            return published + timedelta(days=(wd - published.weekday()) % 7 or 7), DAY
        back = (published.weekday() - wd) % 7
        if rel == "last" and back == 0:
            back = 7
        return published - timedelta(days=back), DAY
    if m := _RELATIVE.search(text):
        rel, unit = m["rel"].lower(), m["unit"].lower()
        step = -1 if rel in ("last", "past") else 1 if rel in ("next", "coming") else 0
        if unit == "week":
            return published + timedelta(days=7 * step), DAY
        if unit == "month":
            return _month_start(published, step), MONTH
        return date(published.year + step, 1, 1), YEAR
    if m := _MY.search(text):
        month = MONTHS[m["month"].lower()]
        if m["y"]:
            return date(int(m["y"]), month, 1), MONTH
        year = published.year
        if future and month < published.month:
            year += 1
        elif not future and month > published.month:
            year -= 1
        return date(year, month, 1), MONTH
    if m := _YEAR.search(text):
        return date(int(m["y"]), 1, 1), YEAR
    return None
