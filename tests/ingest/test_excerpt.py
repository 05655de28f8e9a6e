"""Markdown, HTML and Liquid to plain text, and the choice of a body's excerpt."""

from __future__ import annotations

import pytest

from newsbot.ingest.excerpt import (
    clean_text,
    excerpt_from_body,
    html_to_text,
    strip_liquid,
    to_text,
)


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("plain ascii", "plain ascii"),
        ("  runs \t of\n\nspace  ", "runs of space"),
        ("Â£2.2bn deal", "£2.2bn deal"),
        ("donâ€™t panic", "don’t panic"),
        ("“curly” quotes stay", "“curly” quotes stay"),
        ("bell\x07 and nul\x00", "bell and nul"),
        ("non\u00a0breaking", "non breaking"),
    ],
)
def test_clean_text(text: str, clean: str) -> None:
    assert clean_text(text) == clean


@pytest.mark.parametrize(
    ("markdown", "text"),
    [
        ("Some *emphasis* and **strong** text.", "Some emphasis and strong text."),
        ("A [link](https://example.com) and `code`.", "A link and code."),
        ("Line one\nline two", "Line one line two"),
        ("# Title\n\nPara one.\n\n- item a\n- item b", "Title Para one. item a item b"),
        ("Fish &amp; chips &lt;3 &#163;5", "Fish & chips <3 £5"),
        ("<p>Raw <b>HTML</b></p><script>alert(1)</script><style>p{}</style>", "Raw HTML"),
        ("Before<br>after", "Before after"),
        ("![alt text](x.jpg) Caption", "Caption"),
        ("Hi {{ page.author | upcase }}, {% if x %}yes{% endif %}!", "Hi , yes!"),
        ("Text\n{: .lead}", "Text"),
        ("{% comment %}hidden{% endcomment %}Shown", "Shown"),
        ("| a | b |\n|---|---|\n| 1 | 2 |", "a b 1 2"),
        ("Â£2.2bn <!-- note --> raised", "£2.2bn raised"),
        ("{% raw %}", ""),
        ("", ""),
    ],
)
def test_to_text(markdown: str, text: str) -> None:
    assert to_text(markdown) == text


def test_inline_rendering_keeps_leading_numbers_and_marks() -> None:
    assert to_text("2024. A *year*", inline=True) == "2024. A year"
    assert to_text("- not a list", inline=True) == "- not a list"
    assert to_text("2024. A *year*") == "A year"  # block mode reads a list


@pytest.mark.parametrize(
    ("body", "separator", "excerpt"),
    [
        ("First.\n\nSecond.", None, "First."),
        ("\n\n\nFirst\nstill first.\n\nSecond.", None, "First still first."),
        ("## Heading\n\nSub\n---\n\n![img](a.png)\n\nProse here.", None, "Prose here."),
        ("```\ncode\n\nmore code\n```\n\nProse.", None, "Prose."),
        ("~~~\ncode\n\n~~~\n\nAfter fence.", None, "After fence."),
        ("{% highlight py %}\nx = 1\n\ny = 2\n{% endhighlight %}\n\nProse.", None, "Prose."),
        ("{% include figure.html %}\n\n<figure>\n<img src=a.jpg>\n</figure>\n\nText.", None,
         "Text."),
        ("> Quoted lead.\n\nProse.", None, "Quoted lead."),
        ("<div class=lead>\nHTML lead.\n</div>\n\nProse.", None, "HTML lead."),
        ("One.\n\nTwo.\n\n<!-- more -->\n\nThree.", None, "One. Two."),
        ("One.\n\nTwo.\n<!--MORE-->", None, "One. Two."),
        ("One.\n\nTwo.\n[cut]\nThree.\n<!--more-->", "[cut]", "One. Two."),
        ("<!--more-->\nOnly after.", None, "Only after."),
        ("One.\n\nTwo.", "[cut]", "One. Two."),  # Jekyll: no separator, whole body
        ("One.\n\nTwo.", "", ""),  # Jekyll: an empty separator means no excerpt
        ("# Only a heading", None, ""),
        ("", None, ""),
    ],
)
def test_excerpt_from_body(body: str, separator: str | None, excerpt: str) -> None:
    assert excerpt_from_body(body, separator) == excerpt


def test_strip_liquid_leaves_text_without_braces_alone() -> None:
    text = "No templates here."
    assert strip_liquid(text) is text


def test_html_to_text_without_tags_only_unescapes() -> None:
    assert html_to_text("a &amp; b") == "a & b"
    assert html_to_text("a b") == "a b"


def test_a_separator_that_looks_like_liquid_still_cuts() -> None:
    assert excerpt_from_body("Lead {{ x }}.\n{% more %}\nRest.", "{% more %}") == "Lead ."
