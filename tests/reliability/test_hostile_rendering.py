"""Stories whose titles and excerpts carry markup, mentions and invisible characters,
delivered through the whole bot to both fake platforms: every one arrives, shows
those characters as text, and pings nobody."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from newsbot.app import Newsroom
from newsbot.chat.desk import CommandDesk
from newsbot.config import AppConfig, load_config
from newsbot.ingest.posts import parse_post
from newsbot.types import Chat
from newsbot_discord import DiscordAdapter
from newsbot_telegram import TelegramAdapter
from newsbot_telegram.render import WORD_JOINER
from tests.discord.fake_discord import FakeDiscord
from tests.discord.objects import NEWS, pings
from tests.discord.objects import TOKEN as DISCORD_TOKEN
from tests.helpers import SITE_URL
from tests.telegram.fake_bot_api import TOKEN as TELEGRAM_TOKEN
from tests.telegram.fake_bot_api import FakeBotAPI, SpecChecker

TELEGRAM_CHAT = -1001234  # a group: where an @mention would notify someone
HOSTILE = [
    ("html", "<b>Bold</b> & <script>alert(1)</script> <i>", "<a href='https://evil'>x</a> &amp;"),
    ("telegram-entities", '<a href="tg://user?id=42">you</a> <tg-spoiler>boo</tg-spoiler>',
     '<pre><code class="language-x">x</code></pre> <blockquote>q</blockquote>'),
    ("markdown", "*bold* _it_ `code` [link](https://evil.example) ~~s~~",
     "**b** __u__ ||spoiler|| > quote # head"),
    ("discord-mentions", "@everyone @here <@123456789012345678> <@!1> <@&987654321>",
     "Ping <@&111> and @everyone, <#222> too"),
    ("telegram-mentions", "Interview with @durov and @newsroom_test_bot",
     "Ask @someone_else (mail: a@example.org)"),
    ("bidi", "\u202eevil.exe\u202c \u2066isolate\u2069 \u200fRTL mark",
     "Text \u202dforced\u202c and \u061carabic mark"),
    ("zero-width", "Zero\u200bwidth\u200c\u200djoin\u2060er\ufeffbom",
     "Invisible\u200b\u200b\u200bcharacters"),
]
#: Telegram's own rule for turning `@name` into a mention entity (which notifies)
_TELEGRAM_MENTION = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{5,32}\b")


@pytest.fixture(autouse=True)
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(TelegramAdapter, "chat_interval", 0.0)
    monkeypatch.setattr(DiscordAdapter, "guild_ready_timeout", 0.01)


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[FakeBotAPI, FakeDiscord]]:
    telegram, discord = FakeBotAPI(spec=SpecChecker.from_env()), FakeDiscord()
    await telegram.start()
    await discord.start()
    try:
        yield telegram, discord
    finally:
        await telegram.close()
        await discord.close()
    assert telegram.violations == [] and discord.problems == []


def config_for(tmp_path: Path, telegram: FakeBotAPI, discord: FakeDiscord) -> AppConfig:
    (tmp_path / "_posts").mkdir()
    (tmp_path / "newsbot.toml").write_text(
        f'[site]\nurl = "{SITE_URL}"\nposts_dir = "_posts"\n'
        '[store]\nurl = "sqlite:///newsbot.sqlite3"\n'
        f'[telegram]\napi_url = "{telegram.api_url}"\n'
        f'[discord]\napi_url = "{discord.api_url}"\ngateway_url = "{discord.gateway_url}"\n',
        encoding="utf-8",
    )
    return load_config(tmp_path / "newsbot.toml", env={
        "NEWSBOT_TELEGRAM_TOKEN": TELEGRAM_TOKEN, "NEWSBOT_DISCORD_TOKEN": DISCORD_TOKEN,
    })


def both(config: AppConfig) -> Any:
    def make(desk: CommandDesk) -> dict[str, Any]:
        return {"telegram": TelegramAdapter.from_config(config, desk),
                "discord": DiscordAdapter.from_config(config, desk)}
    return make


def write(posts: Path, number: int, title: str, excerpt: str) -> Path:
    path = posts / f"2026-07-{number:02d}-hostile.md"
    front = yaml.safe_dump({"title": title, "excerpt": excerpt, "author": "@reporter",
                            "tags": ["@everyone", "<b>"]}, allow_unicode=True)
    path.write_text(f"---\n{front}---\nBody.\n", encoding="utf-8")
    return path


async def test_hostile_titles_and_excerpts_render_literally_and_ping_nobody(
    tmp_path: Path, fakes: tuple[FakeBotAPI, FakeDiscord]
) -> None:
    telegram, discord = fakes
    config = config_for(tmp_path, telegram, discord)
    room = Newsroom(config, watch=False, make_adapters=both(config))
    await room.start()
    try:
        await room.subscriptions.subscribe(Chat("telegram", str(TELEGRAM_CHAT)))
        await room.subscriptions.subscribe(Chat("discord", NEWS))
        paths = [write(config.site.posts_dir, n, title, excerpt)
                 for n, (_, title, excerpt) in enumerate(HOSTILE, 1)]
        await room.scan()
        await room.drain()
    finally:
        await room.stop()

    posts = [parse_post(path.read_bytes(), path.name, config.site) for path in paths]
    stories = telegram.delivered(TELEGRAM_CHAT)
    bodies = discord.sent(NEWS)
    assert len(stories) == len(bodies) == len(HOSTILE)
    for post, call, body in zip(posts, stories, bodies, strict=True):
        assert post is not None
        # Telegram: our HTML, with the post's text escaped, parsed by Telegram's rules
        text = call.params["text"]
        assert call.params["parse_mode"] == "HTML"
        assert text.count("<a ") == 1 and f'<a href="{post.url}">' in text
        assert "tg://" not in text.replace("tg://user?id=42", "")  # only as escaped text
        visible = call.visible or ""
        assert not _TELEGRAM_MENTION.search(visible), visible
        shown = visible.replace("@" + WORD_JOINER, "@")  # the joiner that unlinks a mention
        assert shown.startswith(post.title + "\n\n")
        assert post.excerpt in shown and "@reporter" in shown
        # Discord: embeds only, no content, and nothing may ping
        assert body["allowed_mentions"] == {"parse": []} and not body.get("content")
        assert pings(body) == set()
        [embed] = body["embeds"]
        assert embed["title"] == post.title
        assert embed["description"] == post.excerpt
        assert embed["author"]["name"] == "@reporter"
