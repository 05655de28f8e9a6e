"""Builders the core tests share: post files, configurations, a scripted adapter."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

from newsbot.adapter import PLAIN, Adapter
from newsbot.app import Newsroom
from newsbot.chat.commands import CommandSpec
from newsbot.chat.desk import CommandDesk, Handler
from newsbot.config import AppConfig, ConfigError, load_config
from newsbot.types import Chat, Style, Summary
from newsbot.workers.solo import SoloRoles
from newsbot_console import ConsoleAdapter

SITE_URL = "https://news.example.org"


def write_post(
    posts_dir: Path,
    name: str,
    title: str,
    *,
    date: str | None = None,
    tags: Sequence[str] = (),
    categories: Sequence[str] = ("News",),
    extra: str = "",
    body: str = "Body text of the story.\n",
) -> Path:
    """Write a Jekyll post file and return its path."""
    if date is None:  # from the file name, as a naive local time like the seed post
        stem = Path(name).name
        date = f"{stem[:10]}T10:00:00" if stem[:4].isdigit() else "2026-01-31T15:32:27"
    path = posts_dir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    front = [
        "---",
        f'title: "{title}"',
        f"date: {date}",
        f"categories: [{', '.join(categories)}]",
        f"tags: [{', '.join(tags)}]",
    ]
    if extra:
        front.append(extra.strip("\n"))
    front.append("---")
    path.write_text("\n".join(front) + "\n" + body, encoding="utf-8")
    return path


def make_config(
    tmp_path: Path,
    *,
    sections: dict[str, dict[str, Any]] | None = None,
    env: dict[str, str] | None = None,
    **site: Any,
) -> AppConfig:
    """newsbot.toml over tmp_path/_posts and tmp_path/newsbot.sqlite3, with `site`
    keys and any further `sections` ({"telegram": {"api_url": ...}}), loaded with `env`."""
    posts = tmp_path / "_posts"
    posts.mkdir(exist_ok=True)
    tables = {"site": {"url": SITE_URL, "posts_dir": "_posts", **site},
              "store": {"url": "sqlite:///newsbot.sqlite3"}, **(sections or {})}
    lines = []
    for name, keys in tables.items():
        lines.append(f"[{name}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in keys.items()]
    (tmp_path / "newsbot.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return load_config(tmp_path / "newsbot.toml", env=env or {})


def adapter_room(
    config: AppConfig,
    adapter_cls: type[Adapter],
    commands: Sequence[tuple[CommandSpec, Handler]] = (),
) -> Newsroom:
    """A newsroom whose only adapter is `adapter_cls`, built by `from_config` as the
    registry would build it; `commands` are added to the core's desk first."""

    def make(desk: CommandDesk) -> dict[str, Adapter]:
        for spec, handler in commands:
            desk.add(spec, handler)
        adapter = adapter_cls.from_config(config, desk)
        assert adapter is not None
        return {adapter_cls.platform: adapter}

    return Newsroom(config, watch=False, make_adapters=make)


async def start_alone(adapter: Adapter) -> SoloRoles:
    """Start an adapter as one process on its own does: its roles (Telegram's poller,
    Discord's shards) begin right after `start`. `adapter.stop()` ends them."""
    solo = SoloRoles(adapter.worker_roles(), fatal=lambda exc: isinstance(exc, ConfigError))
    await adapter.start()
    try:
        await solo.begin()
    except BaseException:
        await adapter.stop()  # as the newsroom does when a part fails to start
        raise
    return solo


def two_posts(folder: Path) -> Path:
    """The two stories the platform tests start from (indexed on the first run)."""
    folder.mkdir(exist_ok=True)
    write_post(folder, "2026-01-20-budget.md", "Budget day", tags=["economy"])
    write_post(folder, "2026-01-21-vote.md", "The vote", tags=["politics", "uk"])
    return folder


class ScriptedAdapter(Adapter):
    """An in-memory platform whose `send` can be told to fail, for delivery tests.

    `script[chat_id]` is a list of exceptions (or None for success) consumed one
    per attempt; `gate`, when set, makes every send wait until it is set. Sends
    record the title they showed (`titles`), edits what they changed (`edited`).
    """

    platform: ClassVar[str] = "scripted"
    max_in_flight: ClassVar[int] = 4

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []  # (chat id, post id)
        self.styles: dict[tuple[str, str], Style] = {}  # how each of those was sent
        self.attempts: list[tuple[str, str]] = []
        self.script: dict[str, list[BaseException | None]] = {}
        self.gate: asyncio.Event | None = None
        self.in_flight = 0
        self.titles: dict[str, str] = {}  # message id → title it shows
        self.edited: list[tuple[str, str, str]] = []  # (chat id, message id, new title)

    @classmethod
    def from_config(cls, config: AppConfig, desk: CommandDesk) -> Adapter | None:
        return cls()

    @classmethod
    def preview(cls, summary: Summary, style: Style = PLAIN) -> str:
        return summary.title

    async def start(self) -> None:
        """Nothing to connect."""

    async def stop(self) -> None:
        """Nothing to close."""

    async def send(self, chat_id: str, summary: Summary, style: Style = PLAIN) -> str:
        self.attempts.append((chat_id, summary.post_id))
        self.in_flight += 1
        try:
            if self.gate is not None:
                await self.gate.wait()
            steps = self.script.get(chat_id)
            if steps:
                step = steps.pop(0)
                if step is not None:
                    raise step
            self.sent.append((chat_id, summary.post_id))
            self.styles[chat_id, summary.post_id] = style
            self.titles[f"m{len(self.sent)}"] = summary.title
            return f"m{len(self.sent)}"
        finally:
            self.in_flight -= 1

    async def edit(
        self, chat_id: str, message_id: str, summary: Summary, style: Style = PLAIN
    ) -> None:
        self.titles[message_id] = summary.title
        self.edited.append((chat_id, message_id, summary.title))


def console_room(
    config: AppConfig, *, watch: bool = False, clock: Callable[..., Any] | None = None
) -> tuple[Newsroom, Callable[[], ConsoleAdapter]]:
    """A newsroom with a console adapter that writes to a buffer; returns a getter for it."""
    holder: dict[str, ConsoleAdapter] = {}

    def make(desk: CommandDesk) -> dict[str, Adapter]:
        holder["console"] = ConsoleAdapter(desk, output=io.StringIO(), read_input=False)
        return dict(holder)

    kwargs: dict[str, Any] = {"watch": watch, "make_adapters": make}
    if clock is not None:
        kwargs["clock"] = clock
    return Newsroom(config, **kwargs), lambda: holder["console"]


def scripted_room(
    config: AppConfig, adapter: ScriptedAdapter, **kwargs: Any
) -> Newsroom:
    return Newsroom(
        config, watch=False, make_adapters=lambda desk: {"scripted": adapter}, **kwargs
    )


def chat(chat_id: str, platform: str = "scripted") -> Chat:
    return Chat(platform, chat_id)
