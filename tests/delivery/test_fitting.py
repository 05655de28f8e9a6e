"""The shared helpers that fit text, and a story's card, into a platform's budget."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from newsbot.delivery.fitting import Card, CardLimits, batches, fit, fit_card, utf16_len
from newsbot.types import Summary


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("exactly ten", 11, "exactly ten"),
        ("one two three four", 12, "one two…"),
        ("one two, three", 10, "one two…"),  # trailing punctuation goes before the ellipsis
        ("Supercalifragilistic", 8, "Superca…"),  # one long word is cut inside
        ("abc", 1, "…"),
        ("abc", 0, ""),
    ],
)
def test_fit_cuts_on_word_boundary_with_ellipsis(text, limit, expected):
    assert fit(text, limit) == expected
    assert len(fit(text, limit)) <= limit


def test_fit_measures_with_the_platform_length():
    text = "😀" * 10  # 2 UTF-16 code units each
    out = fit(text, 9, length=utf16_len)
    assert utf16_len(out) <= 9 and out == "😀" * 4 + "…"


STORY = Summary(
    post_id="2026-01-31-vote.md",
    title="The vote",
    url="https://news.example.org/vote.html",
    excerpt="Parliament voted. Then it went home.\nSecond line.",
    image_url=None,
    date=datetime(2026, 1, 31, tzinfo=UTC),
    author="Ann Lee",
    tags=("politics", "uk", "Breaking News"),
)
ROOMY = CardLimits(total=1000, title=100, author=50, tags=100)


@pytest.mark.parametrize(
    ("changes", "limits", "story_format", "expected"),
    [
        pytest.param({}, ROOMY, "full",
                     Card("The vote", "full", STORY.excerpt, "Ann Lee",
                          "politics · uk · Breaking News"), id="everything fits"),
        pytest.param({}, ROOMY, "compact", Card("The vote", "compact", "Parliament voted."),
                     id="compact: one sentence"),
        pytest.param({}, ROOMY, "headline", Card("The vote", "headline"), id="headline"),
        pytest.param({"title": "  "}, replace(ROOMY, title=20), "headline",
                     Card("https://news.exampl…", "headline"), id="no title: the URL"),
        pytest.param({}, replace(ROOMY, title=6, author=4), "full",
                     Card("The…", "full", STORY.excerpt, "Ann…", "politics · uk · Breaking News"),
                     id="each part within its own limit"),
        pytest.param({}, replace(ROOMY, tags=13), "full",
                     Card("The vote", "full", STORY.excerpt, "Ann Lee", "politics ·…"),
                     id="tags cut as text"),
        pytest.param({}, replace(ROOMY, tags=13, tag_count=5, tag_join=" "), "full",
                     Card("The vote", "full", STORY.excerpt, "Ann Lee", "politics uk"),
                     id="whole tags"),
        pytest.param({}, replace(ROOMY, tag_count=1), "full",
                     Card("The vote", "full", STORY.excerpt, "Ann Lee", "politics"),
                     id="at most tag_count tags"),
        # 8 + 7 + 29 = 44 for the other parts: 20 left for the excerpt
        pytest.param({}, replace(ROOMY, total=64), "full",
                     Card("The vote", "full", "Parliament voted.…", "Ann Lee",
                          "politics · uk · Breaking News"), id="the excerpt takes what is left"),
        pytest.param({}, replace(ROOMY, excerpt=11), "full",
                     Card("The vote", "full", "Parliament…", "Ann Lee",
                          "politics · uk · Breaking News"), id="the excerpt's own cap"),
        pytest.param({}, replace(ROOMY, total=64, excerpt_min=21), "full",
                     Card("The vote", "full", "", "Ann Lee", "politics · uk · Breaking News"),
                     id="too little room: no excerpt"),
        pytest.param({}, replace(ROOMY, total=17), "compact",
                     Card("The vote", "compact", "Parliame…"), id="compact within the total"),
    ],
)
def test_fit_card(
    changes: dict[str, str], limits: CardLimits, story_format: str, expected: Card
) -> None:
    assert fit_card(replace(STORY, **changes), limits, story_format) == expected


def test_fit_card_counts_the_layout_and_measures_the_platforms_way() -> None:
    story = replace(STORY, title="😀 vote", excerpt="😀" * 30, tags=())
    limits = CardLimits(total=40, title=100, author=50)
    extra = 10  # say, a date and line breaks
    card = fit_card(story, limits, length=utf16_len, extra=lambda card: extra)
    used = sum(utf16_len(part) for part in (card.title, card.author, card.excerpt)) + extra
    # 40 - 7 (title) - 7 (author) - 10 leaves 16 units: seven two-unit emoji and "…"
    assert used <= 40 and card.excerpt == "😀" * 7 + "…"


@pytest.mark.parametrize(
    ("sizes", "most", "total", "groups"),
    [
        ([], 3, 10, []),
        ([1, 1, 1, 1, 1], 2, 10, [[1, 1], [1, 1], [1]]),  # at most `most` a group
        ([4, 4, 4, 1], 10, 9, [[4, 4], [4, 1]]),  # within the total
        ([12, 1, 12], 10, 10, [[12], [1], [12]]),  # too large for any group: alone
    ],
)
def test_batches_group_in_order_within_count_and_total(
    sizes: list[int], most: int, total: int, groups: list[list[int]]
) -> None:
    assert list(batches(sizes, lambda size: size, most=most, total=total)) == groups
