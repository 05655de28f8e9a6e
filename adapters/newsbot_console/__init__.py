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

from newsbot.adapter import PLAIN, Adapter
from newsbot.chat.commands import split_command
from newsbot.chat.requests import Reply, Request, Terms
from newsbot.delivery.fitting import fit, one_line
from newsbot.types import Chat, Style, Summary
from newsbot_console.settings import ConsoleSettings

if TYPE_CHECKING:
    from newsbot.chat.desk import CommandDesk
    from newsbot.config import AppConfig

__all__ = ["ConsoleAdapter", "render"]

CHAT_ID = "console"
RULE = "─" * 60


def format_date(summary: Summary) -> str:
    return summary.date.strftime("%d %b %Y %H:%M")


def render(summary: Summary, excerpt_limit: int = 600, style: Style = PLAIN) -> str:
    """A story as the console shows it: a card between rules, or in the compact and
    headline formats one line (and one of excerpt) and the link."""
    if style.format != "full":
        line = one_line(summary.excerpt) if style.format == "compact" else ""
        return "\n".join(part for part in (summary.title, line, summary.url) if part)
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


def render_reply(reply: Reply) -> str:
    """A desk reply as the console prints it: numbered stories, or a line of items."""
    if reply.stories:
        rows = [f"{reply.heading}:"]
        rows += [
            f"{i}. {s.title} ({format_date(s)})\n   {s.url}"
            for i, s in enumerate(reply.stories, 1)
        ]
        return "\n".join(rows)
    if reply.items:
        return f"{reply.heading}: " + ", ".join(reply.items)
    return reply.direct or reply.text  # only the person at the terminal sees it


class ConsoleAdapter(Adapter):
    platform: ClassVar[str] = "console"
    enable_hint: ClassVar[str] = "run with --console (or set console.enabled = true)"
    settings: ClassVar[type[ConsoleSettings]] = ConsoleSettings
    max_in_flight: ClassVar[int] = 1
    #: the console is a terminal, not a chat: it still keeps stories short
    excerpt_limit: ClassVar[int] = 600
    terms: ClassVar[Terms] = Terms(
        noun="console", moderators="you, at this terminal,", moderator="its owner"
    )

    def __init__(
        self,
        desk: CommandDesk,
        *,
        output: TextIO | None = None,
        input: TextIO | None = None,
        read_input: bool = True,
    ) -> None:
        self.desk = desk
        self.output = output if output is not None else sys.stdout
        self.input = input if input is not None else sys.stdin
        self.read_input = read_input
        self.chat = Chat(self.platform, CHAT_ID, "console")
        #: every delivery, in order: (chat id, summary, printed text)
        self.sent: list[tuple[str, Summary, str]] = []
        self._closed = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None

    @classmethod
    def from_config(cls, config: AppConfig, desk: CommandDesk) -> ConsoleAdapter | None:
        return cls(desk) if config.section(cls.platform, ConsoleSettings).enabled else None

    @classmethod
    def preview(cls, summary: Summary, style: Style = PLAIN) -> str:
        return render(summary, cls.excerpt_limit, style)

    async def may_moderate(self, user_id: str, chat_id: str) -> bool | None:
        return user_id == CHAT_ID  # the person at the terminal owns the console

    def closed(self) -> asyncio.Event:
        return self._closed

    def _print(self, text: str) -> None:
        print(text, file=self.output, flush=True)

    async def start(self) -> None:
        if await self.desk.queries.settings(self.chat) is None:
            await self.desk.subscriptions.subscribe(self.chat)
        if self.read_input:
            self._reader = asyncio.create_task(self._read_lines())
            self._print("newsbot console: type /help for commands, Ctrl-D to quit.")
        if self.desk.knows("manage"):  # the moderators' page is on: here is the way in
            await self.handle("/manage")

    async def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None

    async def send(self, chat_id: str, summary: Summary, style: Style = PLAIN) -> str:
        text = render(summary, self.excerpt_limit, style)  # a terminal has no notifications
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
        parsed = split_command(line)
        name, args = parsed if parsed is not None else ("", [])
        request = Request(name, self.chat, tuple(args), terms=self.terms, private=True,
                          sender=CHAT_ID)
        answer = render_reply(await self.desk.answer(request))
        self._print(answer)
        return answer
