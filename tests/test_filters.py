"""Filters: what moderators type, what it lets through, and patterns that cannot stall."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from newsbot.filters import FilterError, Story, Wants, fold, parse_filters
from newsbot.types import Filters, Post


def post(title: str, excerpt: str = "", tags: tuple[str, ...] = ()) -> Post:
    return Post(id=title, title=title, date=datetime(2026, 1, 1, tzinfo=UTC),
                url="https://x.org/", excerpt=excerpt, tags=tags, categories=("News",))


@pytest.mark.parametrize(
    ("typed", "parsed"),
    [
        ('ukraine "interest rates"', Filters(keep=("ukraine", "interest rates"))),
        ("-sponsored -Promoted", Filters(drop=("sponsored", "promoted"))),
        ("/ru?ble/ -/(?i)advert/", Filters(patterns=("ru?ble",), drop_patterns=("(?i)advert",))),
        ("Café CAFE café", Filters(keep=("cafe",))),  # folded, then de-duplicated
        ("/interest rates? (rise|fall)/", Filters(patterns=("interest rates? (rise|fall)",))),
        ('-"press release" tech', Filters(keep=("tech",), drop=("press release",))),
    ],
)
def test_what_moderators_type_becomes_filters(typed: str, parsed: Filters) -> None:
    assert parse_filters(typed) == parsed


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("/(a)\\1/", "The pattern /(a)\\1/ cannot be used: invalid escape sequence: \\1."),
        ("/(?=lookahead)/", "The pattern /(?=lookahead)/ cannot be used: invalid perl operator"),
        ("/unclosed", "The pattern /unclosed needs a closing /, like /ru?ble/."),
        ("/" + "a" * 201 + "/", "A pattern can be at most 200 characters long."),
        ("/(((a{1,100}){1,100}){1,100})/", "cannot be used"),  # RE2 refuses the repetition
        ("/[\\pL\\pN]{6}\\pL{3}/", "is too complex"),
        (" ".join(f"w{i}" for i in range(26)), "at most 25 words and phrases"),
        (" ".join(f"/p{i}/" for i in range(6)), "at most 5 patterns"),
        ("x" * 65, "A word or phrase can be at most 64 characters long."),
        ("x " * 1001, "A filter can be at most 2000 characters long."),
    ],
)
def test_bad_filters_get_one_line(typed: str, message: str) -> None:
    with pytest.raises(FilterError) as info:
        parse_filters(typed)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_every_re2_feature_is_welcome() -> None:
    pattern = r"(?i)^\bbreaking\b.*[[:digit:]]+\s(?P<unit>k|m)?\pL{2,}|(?:x|y)*?z$"
    parsed = parse_filters(f"/{pattern}/")
    story = Story.of(post("Breaking: 12 km of road closed"))
    assert parsed.patterns == (pattern,) and Wants.of((), (), parsed)(story)


def test_a_catastrophic_pattern_runs_in_linear_time() -> None:
    # Python's `re` would take longer than the universe has left on each of these
    evil = parse_filters("/(a+)+$/ /(x+x+)+y/ /(a|aa)+b/")
    story = Story.of(post("a" * 50_000 + "!", "x" * 50_000))
    assert not Wants.of((), (), evil)(story)


def test_folding_keeps_whole_words() -> None:
    assert fold("Interest-Rates RISE, São Paulo") == " interest rates rise sao paulo "


@pytest.mark.parametrize(
    ("tags", "exclude", "typed", "story", "wanted"),
    [
        ((), (), "", post("Anything"), True),
        (("sport",), (), "", post("Match", tags=("Sport",)), True),
        (("sport",), (), "", post("Vote", tags=("politics",)), False),
        (("sport",), ("football",), "", post("Cup", tags=("sport", "Football")), False),
        ((), ("football",), "", post("Vote", tags=("politics",)), True),
        ((), (), "rates", post("Interest rates rise"), True),
        ((), (), "rates", post("Pirates of the bay"), False),  # whole words only
        ((), (), '"interest rates"', post("Rates of interest"), False),
        ((), (), '"interest rates"', post("New", "Interest-rates go up"), True),
        ((), (), "cafe", post("Un café à Paris"), True),  # accents folded
        ((), (), "-sponsored", post("Sponsored: buy now"), False),
        ((), (), "-sponsored", post("Plain news"), True),
        ((), (), "ukraine -sponsored", post("Ukraine talks (sponsored)"), False),
        ((), (), "/ru?ble/", post("Ruble falls"), True),
        ((), (), "/ru?ble/", post("Rouble falls"), False),
        ((), (), "/(?-i)ruble/", post("Ruble falls"), False),  # case, when asked for
        ((), (), "ukraine /ru?ble/", post("Rble"), True),  # any keep term or pattern
        ((), (), "-/^Advert/", post("Advert: sale"), False),
        (("sport",), (), "final", post("The final", tags=("politics",)), False),  # tags first
    ],
)
def test_what_a_destination_lets_through(
    tags: tuple[str, ...], exclude: tuple[str, ...], typed: str, story: Post, wanted: bool
) -> None:
    assert Wants.of(tags, exclude, parse_filters(typed))(Story.of(story)) is wanted


def test_filters_survive_the_store_as_json() -> None:
    filters = parse_filters('a "b c" -d /e/ -/f/')
    assert Filters.from_json(filters.to_json()) == filters
    assert Filters.from_json({}) == Filters() and Filters.from_json(None) == Filters()


def test_a_stored_pattern_that_no_longer_compiles_matches_nothing() -> None:
    stored = Filters(patterns=("a" * 300,))  # longer than patterns may be today
    assert not Wants.of((), (), stored)(Story.of(post("a" * 300)))
    assert Wants.of((), (), Filters(drop_patterns=("b" * 300,)))(Story.of(post("b" * 300)))
