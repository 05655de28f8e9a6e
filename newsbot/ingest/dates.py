"""A post's date, read the way Jekyll reads it (Ruby's `Time.parse`, then the site's zone).

Jekyll turns every front matter date into text and hands it to Ruby's
`Time.parse`, which accepts far more than ISO 8601: `2023-01-29 18:30:22 -0800`,
`Sun, 29 Jan 2023 18:30:22 -0800`, `January 29, 2023 6:30pm`, zone names such as
`PST` or `JST`, even a stray repeated year (`2023-01-29 18:30:22 2023 -0800`).
`parse_date_text` accepts the forms real sites use; a date with no zone is in
the site's zone. The result is then taken into the site's zone, as Jekyll does
before it fills any URL placeholder.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo

from newsbot.ingest.front_matter import PostError, kind

_MONTHS = {name: number for number, names in enumerate((
    ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
    ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
    ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
    ("dec", "december"),
), 1) for name in names}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_WEEKDAY = re.compile(
    r"\b(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|sday|nesday|rsday|urday)?\b\.?,?",
    re.IGNORECASE,
)
#: zone names Ruby's date library knows (a subset: the ones sites write), in hours
_ZONES = {
    "utc": 0, "ut": 0, "gmt": 0, "z": 0, "wet": 0, "bst": 1, "cet": 1, "met": 1, "wat": 1,
    "cest": 2, "eet": 2, "mest": 2, "sast": 2, "eest": 3, "msk": 3, "ist": 5.5,
    "sgt": 8, "cct": 8, "awst": 8, "hkt": 8, "jst": 9, "kst": 9, "acst": 9.5, "aest": 10,
    "nzst": 12, "nzdt": 13, "est": -5, "edt": -4, "cst": -6, "cdt": -5, "mst": -7,
    "mdt": -6, "pst": -8, "pdt": -7, "akst": -9, "akdt": -8, "hst": -10, "ast": -4,
    "adt": -3, "nst": -3.5, "ndt": -2.5,
}
_ZONE_NAMES = "|".join(sorted(_ZONES, key=len, reverse=True))
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?!\d)")
_SHORT_DATE = re.compile(r"^(\d{2})-(\d{1,2})-(\d{1,2})(?!\d)")
_COMPACT_DATE = re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?=T|\s|$)")
_DAY_MONTH = re.compile(
    rf"(?<!\d)(\d{{1,2}})(?:st|nd|rd|th)?[\s-]+({_MONTH})\.?,?[\s-]+(\d{{4}})\b", re.IGNORECASE
)
_MONTH_DAY = re.compile(rf"\b({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b",
                        re.IGNORECASE)
_TIME = re.compile(
    r"(?:^|(?<=[\sT]))(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"(?:\s*([ap])\.?m\.?\b)?",
    re.IGNORECASE,
)
_HOUR_ONLY = re.compile(r"(?<![\d:])(\d{1,2})\s*([ap])\.?m\.?(?!\w)", re.IGNORECASE)
_OFFSET = re.compile(
    rf"(?:(?<=\d)|(?<=\s)|^)(?:(?:utc|gmt)?([+-])(\d{{1,2}})(?::?(\d{{2}}))?(?!\d)"
    rf"|\b({_ZONE_NAMES})\b)",
    re.IGNORECASE,
)
_LEFTOVER_YEAR = re.compile(r"^\d{4}$")


def parse_date_text(text: str, zone: tzinfo) -> datetime:
    """`text` as Ruby's `Time.parse` reads it; no zone in it means `zone`."""
    rest = _WEEKDAY.sub(" ", text.strip())
    day, rest = _date_part(rest)
    if day is None:
        raise _bad(text)
    clock = time()
    if (match := _TIME.search(rest)) is not None:
        hour, minute, second, fraction, half = match.groups()
        clock = _clock(int(hour), int(minute), int(second or 0), fraction, half, text)
        rest = rest[: match.start()] + " " + rest[match.end():]
    elif (match := _HOUR_ONLY.search(rest)) is not None:
        clock = _clock(int(match.group(1)), 0, 0, None, match.group(2), text)
        rest = rest[: match.start()] + " " + rest[match.end():]
    offset: tzinfo = zone
    if (match := _OFFSET.search(rest)) is not None:
        offset = _offset(match, text)
        rest = rest[: match.start()] + " " + rest[match.end():]
    # What Ruby passes over: a lone year repeated after the time, stray separators.
    for word in rest.replace(",", " ").replace("T", " ").split():
        if not _LEFTOVER_YEAR.match(word):
            raise _bad(text)
    return datetime.combine(day, clock, offset)


def _date_part(text: str) -> tuple[date | None, str]:
    for pattern, order in ((_ISO_DATE, (1, 3, 4)), (_COMPACT_DATE, (1, 2, 3))):
        match = pattern.search(text)
        if match is not None:
            year, month, day = (int(match.group(i)) for i in order)
            return _day(year, month, day, text), _cut(text, match)
    match = _SHORT_DATE.search(text)
    if match is not None:  # Ruby's two-digit years: 69-99 are 19xx, the rest 20xx
        short = int(match.group(1))
        year = short + (1900 if short >= 69 else 2000)
        return _day(year, int(match.group(2)), int(match.group(3)), text), _cut(text, match)
    match = _DAY_MONTH.search(text)
    if match is not None:
        month = _MONTHS[match.group(2).lower()]
        return _day(int(match.group(3)), month, int(match.group(1)), text), _cut(text, match)
    match = _MONTH_DAY.search(text)
    if match is not None:
        month = _MONTHS[match.group(1).lower()]
        return _day(int(match.group(3)), month, int(match.group(2)), text), _cut(text, match)
    return None, text


def _cut(text: str, match: re.Match[str]) -> str:
    return text[: match.start()] + " " + text[match.end():]


def _day(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise _bad(text) from None


def _clock(hour: int, minute: int, second: int, fraction: str | None, half: str | None,
           text: str) -> time:
    if half is not None:
        if not 1 <= hour <= 12:
            raise _bad(text)
        hour = hour % 12 + (12 if half.lower() == "p" else 0)
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    if second == 60:
        second = 59  # a leap second: Ruby rolls over, a minute's difference is harmless
    try:
        return time(hour, minute, second, micro)
    except ValueError:
        raise _bad(text) from None


def _offset(match: re.Match[str], text: str) -> tzinfo:
    sign, hours, minutes, name = match.groups()
    if name is not None:
        value = _ZONES[name.lower()]
        return UTC if value == 0 else timezone(timedelta(hours=value))
    delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
    if delta >= timedelta(hours=24):
        raise _bad(text)
    return timezone(-delta if sign == "-" else delta)


def _bad(text: str) -> PostError:
    return PostError(f"date {text!r} is not a date such as 2024-05-06 12:30:00 +0100")


def post_date(value: object, zone: tzinfo, *, naive_timestamps_utc: bool = False) -> datetime:
    """A front matter date as an aware datetime in `zone`, the site's zone.

    Text is read like Ruby's `Time.parse`. A YAML timestamp with seconds but no
    zone (`2024-05-06 12:30:00`, unquoted) is UTC to Jekyll, whose YAML reader
    reads it so, when `naive_timestamps_utc`; otherwise it is in the site's zone.
    """
    if isinstance(value, str):
        when = parse_date_text(value, zone)
    elif isinstance(value, datetime):
        naive = UTC if naive_timestamps_utc else zone
        when = value if value.tzinfo is not None else value.replace(tzinfo=naive)
    elif isinstance(value, date):
        when = datetime.combine(value, time(), zone)
    else:
        raise PostError(f"date must be a date such as 2024-05-06 12:30:00 +0100, not "
                        f"{kind(value)}")
    return in_zone(when, zone)


def in_zone(when: datetime, zone: tzinfo) -> datetime:
    """`when` in the site's zone; refused when the store (UTC, years 1 to 9999) cannot hold it."""
    try:
        when.astimezone(UTC)
        return when.astimezone(zone)
    except (OverflowError, ValueError):
        raise PostError(f"date {when.isoformat()} is out of range") from None
