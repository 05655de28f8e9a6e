"""The console adapter: newsbot in a terminal, no tokens, and the core tests' platform.

Deliveries print as plain text the way a chat would show them; typed lines such
as `/latest 3` or `/tag politics` are answered. The person at the terminal owns
the one chat (`console`), so they may configure it, and it is subscribed to
every story when the bot starts unless it already has a subscription.
Closing the input (Ctrl-D, end of a pipe) stops the bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
from typing import TYPE_CHECKING, ClassVar, TextIO

from newsbot.adapter import Adapter
from newsbot.chat.commands import (
    ABOUT,
    COMMANDS,
    describe_filter,
    parse_count,
    parse_tag_args,
    split_command,
)
from newsbot.chat.queries import Queries, UsageError, clean_filter
from newsbot.delivery.fitting import fit
from newsbot.store.subscriptions import Subscriptions
from newsbot.types import Chat, Summary
from newsbot_console.settings import ConsoleSettings

if TYPE_CHECKING:
    from newsbot.config import AppConfig

__all__ = ["ConsoleAdapter", "render"]

CHAT_ID = "console"
RULE = "─" * 60


def format_date(summary: Summary) -> str:
    return summary.date.strftime("%d %b %Y %H:%M")


def render(summary: Summary, excerpt_limit: int = 600) -> str:
    """A story as the console shows it."""
    meta = [format_date(summary)]
    if summary.author:
        meta.append(f"by {summary.author}")
    if summary.tags:
        meta.append(" ".join(f"#{tag}" for tag in summary.tags))
    lines = [RULE, summary.title]
    if summary.excerpt:
        lines.append(fit(summary.excerpt, excerpt_limit))
    lines.append(" · ".join(meta))
    lines.append(summary.url)
    if summary.image_url:
        lines.append(f"Image: {summary.image_url}")
    lines.append(RULE)
    return "\n".join(lines)


def render_list(summaries: list[Summary], heading: str) -> str:
    if not summaries:
        return "No stories yet."
    rows = [heading]
    rows += [f"{i}. {s.title} ({format_date(s)})\n   {s.url}" for i, s in enumerate(summaries, 1)]
    return "\n".join(rows)


class ConsoleAdapter(Adapter):
    platform: ClassVar[str] = "console"
    enable_hint: ClassVar[str] = "run with --console (or set console.enabled = true)"
    settings: ClassVar[type[ConsoleSettings]] = ConsoleSettings
    max_in_flight: ClassVar[int] = 1
    #: the console is a terminal, not a chat: it still keeps stories short
    excerpt_limit: ClassVar[int] = 600

    def __init__(
        self,
        queries: Queries,
        *,
        output: TextIO | None = None,
        input: TextIO | None = None,
        read_input: bool = True,
    ) -> None:
        self.queries = queries
        self.output = output if output is not None else sys.stdout
        self.input = input if input is not None else sys.stdin
        self.read_input = read_input
        self.chat = Chat(self.platform, CHAT_ID, "console")
        #: every delivery, in order: (chat id, summary, printed text)
        self.sent: list[tuple[str, Summary, str]] = []
        self._closed = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None

    @classmethod
    def from_config(cls, config: AppConfig, queries: Queries) -> ConsoleAdapter | None:
        return cls(queries) if config.section(cls.platform, ConsoleSettings).enabled else None

    @classmethod
    def preview(cls, summary: Summary) -> str:
        return render(summary, cls.excerpt_limit)

    def closed(self) -> asyncio.Event:
        return self._closed

    def _print(self, text: str) -> None:
        print(text, file=self.output, flush=True)

    async def start(self) -> None:
        if await self.queries.settings(self.chat) is None:
            await Subscriptions(self.queries.store).subscribe(self.chat)
        if self.read_input:
            self._reader = asyncio.create_task(self._read_lines())
            self._print("newsbot console: type /help for commands, Ctrl-D to quit.")

    async def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None

    async def send(self, chat_id: str, summary: Summary) -> str:
        text = render(summary, self.excerpt_limit)
        self.sent.append((chat_id, summary, text))
        self._print(text)
        return str(len(self.sent))

    async def _read_lines(self) -> None:
        # A daemon thread, because a blocked readline() cannot be cancelled and must
        # not keep the process alive after the bot stops.
        loop = asyncio.get_running_loop()
        lines: asyncio.Queue[str | None] = asyncio.Queue()

        def pump() -> None:
            for line in self.input:
                loop.call_soon_threadsafe(lines.put_nowait, line)
            loop.call_soon_threadsafe(lines.put_nowait, None)

        threading.Thread(target=pump, name="console-input", daemon=True).start()
        while (line := await lines.get()) is not None:
            if line.strip():
                await self.handle(line.strip())
        self._closed.set()

    async def handle(self, line: str) -> str:
        """Answer one typed line, print the answer and return it."""
        try:
            answer = await self._answer(line)
        except UsageError as exc:
            answer = str(exc)
        self._print(answer)
        return answer

    async def _answer(self, line: str) -> str:
        parsed = split_command(line)
        if parsed is None:
            return "Commands start with /. Type /help for the list."
        name, args = parsed
        q = self.queries
        if name in ("help", "start"):
            lines = [ABOUT, ""]
            lines += [f"/{c.name} {c.args}".rstrip() + f" — {c.summary}" for c in COMMANDS]
            return "\n".join(lines)
        if name == "latest":
            count = parse_count(args[0] if args else None)
            return render_list(await q.latest(count), "Latest stories:")
        if name == "tag":
            tag, count = parse_tag_args(args)
            result = await q.by_tag(tag, count)
            if not result.known:
                close = ", ".join(result.suggestions)
                hint = f" Did you mean: {close}?" if close else ""
                return f"No stories are tagged “{result.tag}”.{hint}"
            return render_list(result.summaries, f"Stories tagged {result.tag}:")
        if name == "tags":
            tags = await q.tags()
            if not tags:
                return "No tags yet."
            return "Tags: " + ", ".join(f"{t.tag} ({t.count})" for t in tags)
        if name == "subscribe":
            sub = await Subscriptions(q.store).subscribe(self.chat, clean_filter(args))
            return f"Subscribed: this console gets {describe_filter(sub.tags)}."
        if name == "unsubscribe":
            if await Subscriptions(q.store).unsubscribe(self.chat):
                return "Unsubscribed: no more stories will be pushed here."
            return "This console was not subscribed."
        if name == "settings":
            current = await q.settings(self.chat)
            if current is None:
                return "Not subscribed. Use /subscribe [tags] to get new stories here."
            state = f" (paused: {current.dead_reason})" if current.dead else ""
            return f"Subscribed to {describe_filter(current.tags)}{state}."
        return f"Unknown command /{name[:32]}. Type /help for the list."
