"""The shared helper that fits text into a platform's budget."""

from __future__ import annotations

import pytest

from newsbot.delivery.fitting import fit, utf16_len


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
