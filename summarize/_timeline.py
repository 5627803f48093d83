"""Dates in the article's own words, resolved against the article's date in code.

A model is not trusted with calendar arithmetic: it copies the words that say
when ("on Wednesday", "next week", "Feb. 12"), and this module works out the
ISO date: a day (2025-02-12), an ISO week (2025-W08), a month (2025-03) or a
year (2026). A weekday alone means the nearest such day before the article's
date, or after it when the verb before it speaks of the future ("will meet
on Friday", "is due to meet ... on Friday"); when that verb is in another clause
("is due to meet Vance on Friday, after meeting Bessent on Wednesday"), the
nearest such day either side. Words that name no date, or need a date the
article does not give, resolve to None.
"""

from __future__ import annotations

import datetime as dt
import re

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY = re.compile(
    r"\b(?:(last|next|this|coming|past)\s+)?(" + "|".join(WEEKDAYS) + r")\b", re.I
)
_DAY_WORDS = {
    "today": 0,
    "tonight": 0,
    "this morning": 0,
    "this afternoon": 0,
    "this evening": 0,
    "yesterday": -1,
    "last night": -1,
    "tomorrow": 1,
    "the day before yesterday": -2,
    "the day after tomorrow": 2,
}
_PERIOD = re.compile(
    r"\b(last|next|this|past|coming|earlier this|later this)\s+(week|month|year)\b", re.I
)
_YEAR = re.compile(r"^\D*\b((?:19|20)\d\d)\b\D*$")
_MONTH = (
    r"(january|february|march|april|may|june|july|august|september|october|november|december|"
    r"jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)"
)
_MONTH_YEAR = re.compile(rf"^\W*(?:in\s+)?{_MONTH}\.?,?\s+((?:19|20)\d\d)\W*$", re.I)
# The forms a news story gives a day in, read here: "Feb. 12", "12 March", "July 21, 2017".
# dateparser reads the rest; its first call in a process costs ~0.2 s of CPU.
_MONTH_DAY = re.compile(rf"{_MONTH}\.?\s+(\d{{1,2}})(?:,?\s+((?:19|20)\d\d))?", re.I)
_DAY_MONTH = re.compile(rf"(\d{{1,2}})\s+{_MONTH}\.?(?:,?\s+((?:19|20)\d\d))?", re.I)
# Where a clause ends: a verb before it does not date the words for when after it.
_CLAUSE_BREAK = re.compile(r"[,;:\u2014]|\s--\s")
# The verb nearest before the words for when says whether they lie ahead.
_FUTURE = re.compile(
    r"\b(will|shall|'ll|going to|plans? to|planned to|expected to|scheduled|set to|due to|"
    r"is to|are to|upcoming|coming)\b",
    re.I,
)
# Simple past, not a participle after "be" ("will be postponed on Friday").
_PAST = re.compile(
    r"(?<!\bbe )(?<!\bbeen )\b(\w+ed|said|told|was|were|had|did|spoke|took|came|went|began|"
    r"won|saw|fell|rose|wrote|ran|got)\b",
    re.I,
)


def _speaks_of_the_future(sentence: str, when: str) -> bool | None:
    """Whether the verb nearest before ``when`` speaks of the future; None when that verb
    is in another clause than ``when`` ("Zelensky is due to meet Vance on Friday, after
    meeting Bessent on Wednesday": "is due to" does not date Wednesday)."""
    at = sentence.lower().find(when.lower())
    before = sentence[:at] if at >= 0 else sentence

    def cue(text: str) -> bool | None:
        future = [m.end() for m in _FUTURE.finditer(text)]
        past = [m.end() for m in _PAST.finditer(text)]
        if not future and not past:
            return None
        return bool(future) and (not past or max(future) >= max(past))

    clause = _CLAUSE_BREAK.split(before)[-1]
    own = cue(clause)
    if own is not None:
        return own
    return None if cue(before) is not None else False


def resolve(when: str, published: dt.date | None, sentence: str = "") -> str | None:
    """The ISO date (or week, month, year) that ``when`` names, seen from ``published``."""
    phrase = " ".join(when.lower().split())
    future = _speaks_of_the_future(sentence, when)
    if re.search(r"\d", phrase):  # the words give the date: "Feb. 12", "May 2015"
        return _absolute(when, published, future)
    if published is None:
        return None
    for words, offset in _DAY_WORDS.items():
        if re.search(rf"\b{words}\b", phrase):
            return (published + dt.timedelta(days=offset)).isoformat()
    weekday = _WEEKDAY.search(phrase)
    if weekday:
        return _weekday(
            weekday.group(1), WEEKDAYS.index(weekday.group(2).lower()), published, future
        )
    period = _PERIOD.search(phrase)
    if period:
        return _period(period.group(1).lower(), period.group(2).lower(), published)
    return None


def _weekday(qualifier: str | None, day: int, published: dt.date, future: bool | None) -> str:
    ahead = (day - published.weekday()) % 7
    behind = (published.weekday() - day) % 7
    if qualifier in ("next", "coming"):
        offset = ahead or 7
    elif qualifier in ("last", "past"):
        offset = -(behind or 7)
    elif future is None:  # the tense is another clause's: the nearest such day
        offset = ahead if ahead < behind else -behind
    else:  # "Wednesday", "on Wednesday", "this Wednesday": by the sentence's tense
        offset = ahead if future else -behind
    return (published + dt.timedelta(days=offset)).isoformat()


def _period(qualifier: str, unit: str, published: dt.date) -> str:
    step = {"last": -1, "past": -1, "next": 1, "coming": 1}.get(qualifier, 0)
    if unit == "week":
        year, week, _ = (published + dt.timedelta(weeks=step)).isocalendar()
        return f"{year}-W{week:02d}"
    if unit == "month":
        month = published.month - 1 + step
        return f"{published.year + month // 12}-{month % 12 + 1:02d}"
    return str(published.year + step)


def _absolute(when: str, published: dt.date | None, future: bool | None) -> str | None:
    """A date the words give themselves: "Feb. 12", "12 March 2024", "May 2015", "2016".
    Without a year, the nearest such day before (or, for the future, after) ``published``."""
    month_year = _MONTH_YEAR.match(when)
    if month_year:
        month = _month_number(month_year.group(1))
        return f"{month_year.group(2)}-{month:02d}"
    if _YEAR.match(when) and not re.search(r"\d{1,2}\D+\d{4}|\d{4}\D+\d{1,2}", when):
        return _YEAR.match(when).group(1)
    day = _day_of_month(when, published, future)
    return day if day is not None else _by_dateparser(when, published, future)


def _day_of_month(when: str, published: dt.date | None, future: bool | None) -> str | None:
    """A day in one of the forms _MONTH_DAY and _DAY_MONTH read, resolved as dateparser
    would (same year; without one, the year before when that day is after ``published``,
    or the year after for the future when it is not); None for dateparser to read."""
    found = _MONTH_DAY.fullmatch(when)
    if found:
        month, day, year = found.groups()
    elif found := _DAY_MONTH.fullmatch(when):
        day, month, year = found.groups()
    else:
        return None
    number, day_number = _month_number(month), int(day)
    if year is None and (published is None or (number, day_number) == (2, 29)):
        return None  # a leap day's year is dateparser's to choose
    try:
        date = dt.date(int(year) if year else published.year, number, day_number)
    except ValueError:
        return None
    if year is None and date > published and not future:
        date = date.replace(year=date.year - 1)
    elif year is None and date <= published and future:
        date = date.replace(year=date.year + 1)
    return date.isoformat()


def _by_dateparser(when: str, published: dt.date | None, future: bool | None) -> str | None:
    import dateparser

    base = dt.datetime.combine(published, dt.time()) if published else None
    settings = {
        "REQUIRE_PARTS": ["day", "month"] + ([] if base else ["year"]),
        "PREFER_DATES_FROM": "future" if future else "past",
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    if base is not None:
        settings["RELATIVE_BASE"] = base
    parsed = dateparser.parse(when, languages=["en"], settings=settings)
    return parsed.date().isoformat() if parsed else None


def _month_number(name: str) -> int:
    return [
        "jan",
        "feb",
        "mar",
        "apr",
        "may",
        "jun",
        "jul",
        "aug",
        "sep",
        "oct",
        "nov",
        "dec",
    ].index(name[:3].lower()) + 1
