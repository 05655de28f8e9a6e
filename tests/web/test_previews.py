"""The safe pieces a preview is made of: whatever a story holds, the page gets escaped text,
http(s) links only, and only the markup a platform declares."""

from __future__ import annotations

import pytest

from newsbot.web.previews import allowed_html, image, link, text

TAGS = {"b": "b", "strong": "b", "a": "a"}
SAFE_OPEN = 'rel="noopener noreferrer" target="_blank">'


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("1 < 2 & 3", "1 &lt; 2 &amp; 3"),
        ("<simple>unknown tags go</simple>", "unknown tags go"),
        ("<b>bold</b> <strong>too</strong>", "<b>bold</b> <b>too</b>"),
        ("<i>not allowed</i><script>alert(1)</script>", "not allowedalert(1)"),
        ('<b onclick="x()">b</b>', "<b>b</b>"),
        ('<a href="https://x.org/?a=1&b=2">x</a>',
         f'<a href="https://x.org/?a=1&amp;b=2" {SAFE_OPEN}x</a>'),
        ('<a href="javascript:alert(1)">x</a>', "<a>x</a>"),
        ("one\ntwo", "one<br>two"),
        ("&lt;b&gt; stays text", "&lt;b&gt; stays text"),
    ],
)
def test_allowed_html_keeps_only_the_declared_tags(markup: str, expected: str) -> None:
    assert allowed_html(markup, TAGS) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://x.org/a", f'<a href="https://x.org/a" {SAFE_OPEN}<b>in</b></a>'),
        ('http://x.org/"><script>', f'<a href="http://x.org/&quot;&gt;&lt;script&gt;" {SAFE_OPEN}'
                                    "<b>in</b></a>"),
        ("data:text/html,x", "<b>in</b>"),
        (None, "<b>in</b>"),
    ],
)
def test_links_go_to_web_addresses_only(url: str | None, expected: str) -> None:
    assert link(url, "<b>in</b>") == expected


def test_text_and_images_are_escaped() -> None:
    assert text("<b>\nx") == "&lt;b&gt;<br>x"
    assert text(None) == ""
    assert image('x" onerror="y', "c") == '<img class="c" src="x&quot; onerror=&quot;y" alt="">'
