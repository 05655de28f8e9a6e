"""Story and list rendering, table-driven: a summary on one side, the payload on the other."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from newsbot import logs
from newsbot.cli import main
from newsbot.config import load_config
from newsbot.delivery.fitting import utf16_len
from newsbot.types import Style, Summary
from newsbot_telegram import TelegramAdapter
from newsbot_telegram.render import plain_story, story_list
from tests.helpers import SITE_URL, make_config, write_post
from tests.telegram.bot_api_checks import telegram_html

URL = "https://news.example.org/news/2026/01/31/hello.html"
BASE = Summary(
    post_id="2026-01-31-hello.md",
    title="Hello",
    url=URL,
    excerpt="Short summary",
    image_url=None,
    date=datetime(2026, 1, 31, 15, 32, 27, tzinfo=UTC),
    author="",
    tags=("politics", "uk", "News"),
)
LINKED = f'<b><a href="{URL}">Hello</a></b>'
TAIL = "<i>31 January 2026</i>\n#politics #uk #News"


def text(html: str) -> dict[str, Any]:
    return {"method": "sendMessage", "params": {"text": html, "parse_mode": "HTML"}}


def photo(url: str, html: str) -> dict[str, Any]:
    return {"method": "sendPhoto", "params": {"photo": url, "caption": html, "parse_mode": "HTML"}}


CASES = [
    pytest.param({}, text(f"{LINKED}\n\nShort summary\n\n{TAIL}"), id="text"),
    pytest.param(
        {"image_url": "https://news.example.org/assets/images/a.jpg"},
        photo("https://news.example.org/assets/images/a.jpg",
              f"{LINKED}\n\nShort summary\n\n{TAIL}"),
        id="photo-with-caption",
    ),
    pytest.param(
        {"title": "Hello <b>x</b> & y", "excerpt": "1 < 2 && 3 > 2"},
        text(f'<b><a href="{URL}">Hello &lt;b&gt;x&lt;/b&gt; &amp; y</a></b>\n\n'
             f"1 &lt; 2 &amp;&amp; 3 &gt; 2\n\n{TAIL}"),
        id="html-hostile-title-and-excerpt",
    ),
    pytest.param(
        {"url": 'https://x.org/a?b=1&c="2"'},
        text('<b><a href="https://x.org/a?b=1&amp;c=&quot;2&quot;">Hello</a></b>\n\n'
             f"Short summary\n\n{TAIL}"),
        id="url-with-quote-and-ampersand",
    ),
    pytest.param(
        {"tags": ("Breaking News", "C++", "año", "2026", "#already", "breaking-news", "!!")},
        text(f"{LINKED}\n\nShort summary\n\n<i>31 January 2026</i>\n"
             "#BreakingNews #C #año #2026 #already"),
        id="hashtags-letters-and-digits-only",
    ),
    pytest.param(
        {"excerpt": "", "tags": ()},
        text(f"{LINKED}\n\n<i>31 January 2026</i>"),
        id="bare",
    ),
    pytest.param(
        {"author": "Jane <Doe>", "tags": ()},
        text(f"{LINKED}\n\nShort summary\n\n<i>31 January 2026 · Jane &lt;Doe&gt;</i>"),
        id="author",
    ),
    pytest.param(
        {"title": "  Spread \n over   lines ", "excerpt": "One.\n\n\n\nTwo."},
        text(f'<b><a href="{URL}">Spread over lines</a></b>\n\nOne.\n\nTwo.\n\n{TAIL}'),
        id="whitespace",
    ),
]


@pytest.mark.parametrize(("changes", "expected"), CASES)
def test_story_payload(changes: dict[str, Any], expected: dict[str, Any]) -> None:
    summary = replace(BASE, **changes)
    assert json.loads(TelegramAdapter.preview(summary)) == expected
    params = expected["params"]
    telegram_html(params.get("text") or params["caption"])  # Telegram's parser accepts it


WORDS = "Lorem ipsum dolor sit amet 🙂 consectetur adipiscing élit " * 200  # ~11,000 chars


@pytest.mark.parametrize(
    ("changes", "key", "limit"),
    [
        ({"excerpt": WORDS}, "text", TelegramAdapter.text_limit),
        ({"excerpt": WORDS, "image_url": "https://x.org/a.jpg"}, "caption",
         TelegramAdapter.caption_limit),
        ({"excerpt": WORDS, "title": "<&>🙂" * 3000, "tags": tuple(f"t{i}" for i in range(500)),
          "author": "A" * 500, "image_url": "https://x.org/a.jpg"}, "caption",
         TelegramAdapter.caption_limit),
    ],
    ids=["long-text", "long-caption", "everything-huge"],
)
def test_story_stays_within_limits(changes: dict[str, Any], key: str, limit: int) -> None:
    params = TelegramAdapter.payload(replace(BASE, **changes)).params
    visible = telegram_html(params[key])
    assert limit - 64 < utf16_len(visible) <= limit
    title_line, excerpt = visible.split("\n\n")[:2]
    assert utf16_len(title_line) <= 256
    assert excerpt.endswith("…")


def test_preview_is_the_payload_and_needs_no_token() -> None:
    summary = replace(BASE, image_url="https://x.org/a.jpg")
    shown = json.loads(TelegramAdapter.preview(summary))
    payload = TelegramAdapter.payload(summary)
    assert shown == {"method": payload.method, "params": payload.params}


def test_plain_fallback_has_no_markup_and_fits() -> None:
    summary = replace(BASE, title="<b>x</b>", excerpt=WORDS)
    plain = plain_story(summary, 4096)
    assert plain.startswith(f"<b>x</b>\n{URL}\n\n")
    assert utf16_len(plain) <= 4096


def test_story_list_links_titles_newest_first_and_fits() -> None:
    newer = replace(BASE, title="A & B", url="https://x.org/1",
                    date=datetime(2026, 2, 3, tzinfo=UTC))
    html = story_list("Latest stories", [newer, BASE], 4096)
    assert html == (
        "<b>Latest stories</b>\n\n"
        '• <a href="https://x.org/1">A &amp; B</a> — 3 Feb 2026\n'
        f'• <a href="{URL}">Hello</a> — 31 Jan 2026'
    )
    many = [replace(BASE, title="🙂" * 500)] * 40
    assert utf16_len(telegram_html(story_list("Latest", many, 4096))) <= 4096


def test_from_config_is_off_without_token_and_registers_the_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no ./newsbot.toml to pick up
    config = load_config(None, env={})
    assert TelegramAdapter.from_config(config, None) is None  # type: ignore[arg-type]
    token = "987654:SECRET-token-for-redaction"
    config = load_config(None, env={"NEWSBOT_TELEGRAM_TOKEN": token})
    adapter = TelegramAdapter.from_config(config, None)  # type: ignore[arg-type]
    assert isinstance(adapter, TelegramAdapter)
    assert logs.redact(f"GET /bot{token}/getMe") == f"GET /bot{logs.REDACTED}/getMe"


def test_cli_preview_prints_the_exact_payload(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    config = make_config(tmp_path)
    post = write_post(config.site.posts_dir, "2026-01-31-hello.md", "Hello <b>x</b> & y",
                      tags=["politics", "uk"], extra='excerpt: "Short summary"\n'
                      "image: assets/images/a.jpg")
    assert main(["preview", str(post), "--platform", "telegram",
                 "--config", str(tmp_path / "newsbot.toml")]) == 0
    assert json.loads(capsys.readouterr().out) == photo(
        f"{SITE_URL}/assets/images/a.jpg",
        f'<b><a href="{SITE_URL}/news/2026/01/31/hello.html">Hello &lt;b&gt;x&lt;/b&gt; &amp; y'
        "</a></b>\n\nShort summary\n\n<i>31 January 2026</i>\n#politics #uk #News",
    )


PICTURED = replace(BASE, image_url="https://news.example.org/i.jpg",
                   excerpt="First sentence here. Second sentence.\nAnother paragraph.")
QUIET = {"disable_notification": True}
NO_PREVIEW = {"link_preview_options": {"is_disabled": True}}


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        (Style("full", True), {"method": "sendPhoto", "params": {
            "photo": "https://news.example.org/i.jpg", "parse_mode": "HTML", **QUIET,
            "caption": f"{LINKED}\n\nFirst sentence here. Second sentence.\nAnother "
                       f"paragraph.\n\n{TAIL}"}}),
        (Style("compact"), {"method": "sendMessage", "params": {
            "text": f"{LINKED}\nFirst sentence here.", "parse_mode": "HTML", **NO_PREVIEW}}),
        (Style("headline", True), {"method": "sendMessage", "params": {
            "text": LINKED, "parse_mode": "HTML", **NO_PREVIEW, **QUIET}}),
    ],
    ids=["full-silent", "compact", "headline-silent"],
)
def test_each_format_is_its_own_payload(style: Style, expected: dict[str, Any]) -> None:
    assert json.loads(TelegramAdapter.preview(PICTURED, style)) == expected


def test_compact_fits_a_long_first_line_and_shows_no_picture() -> None:
    long = replace(PICTURED, excerpt="word " * 400)
    payload = TelegramAdapter.payload(long, Style("compact"))
    line = payload.params["text"].split("\n", 1)[1]
    assert payload.method == "sendMessage" and utf16_len(line) <= 200 and line.endswith("…")


def test_cli_preview_takes_a_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = make_config(tmp_path)
    path = write_post(config.site.posts_dir, "2026-01-31-hello.md", "Hello", tags=["uk"])
    code = main(["preview", str(path), "--platform", "telegram", "--format", "headline",
                 "--silent", "--config", str(tmp_path / "newsbot.toml")])
    shown = json.loads(capsys.readouterr().out)
    assert code == 0 and shown["params"]["disable_notification"] is True
    assert shown["params"]["text"] == (
        f'<b><a href="{SITE_URL}/news/2026/01/31/hello.html">Hello</a></b>')
