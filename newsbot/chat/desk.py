"""The command desk: every command answered once, here, for every platform.

`CommandDesk.answer` takes a neutral `Request` and returns a neutral `Reply`.
A command is a `CommandSpec` (its menu entry) plus a handler; adding one is
`desk.add(spec, handler)` and every adapter offers it; the built-in handlers
are in `questions.py` (what anyone may ask) and `configure.py` (what moderators
change). Reads go through
`Queries`; the only writes, to subscriptions, through `Subscriptions`. Who may
change a destination is asked of the adapter's `Access`, only when needed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from newsbot.chat import configure, questions, wording
from newsbot.chat.commands import ALIASES, COMMANDS, CommandSpec, Option
from newsbot.chat.queries import Queries
from newsbot.chat.requests import Reply, Request, UsageError
from newsbot.chat.tags import NOTES_MAX, Spellings, clean_filter
from newsbot.store.subscriptions import Subscriptions
from newsbot.types import Chat

log = logging.getLogger(__name__)

Handler = Callable[["CommandDesk", Request], Awaitable[Reply]]


class CommandDesk:
    def __init__(
        self,
        queries: Queries,
        subscriptions: Subscriptions,
        queued: Callable[[], None] = lambda: None,
        *,
        site_edits: bool = True,
        site_deletions: bool = False,
    ) -> None:
        self.queries = queries
        self.subscriptions = subscriptions
        #: told when a command queued deliveries (a first batch), so they go out at once
        self.queued = queued
        #: the site's `delivery.edits = "update"` and `delivery.deletions = "delete"`, which
        #: answers about a destination's corrections must take into account
        self.site_edits = site_edits
        self.site_deletions = site_deletions
        self._specs: dict[str, CommandSpec] = {}
        self._handlers: dict[str, Handler] = {}
        builtin = {**questions.HANDLERS, **configure.HANDLERS}
        for spec in COMMANDS:
            self.add(spec, builtin[spec.name])

    def add(self, spec: CommandSpec, handler: Handler) -> None:
        """Offer a command on every platform (adapters read `specs` when they start)."""
        self._specs[spec.name] = spec
        self._handlers[spec.name] = handler

    @property
    def specs(self) -> list[CommandSpec]:
        """Every command, in menu order."""
        return list(self._specs.values())

    async def complete(
        self, option: Option, typed: str, *, most: int = 25, width: int = 100
    ) -> list[str]:
        """What to offer while someone types a tag option: known tags like the text; in
        a list of tags ("politics, u"), the list so far followed by each known tag not
        in it yet. No offer is longer than `width` characters."""
        if option.kind != "tags":
            return [tag[:width] for tag in await self.queries.complete_tag(typed, most)]
        done, _, last = typed.rpartition(",")
        chosen = [part.strip() for part in done.split(",") if part.strip()]
        head = "".join(f"{part}, " for part in chosen)
        taken = {part.casefold() for part in chosen}
        found = await self.queries.complete_tag(last, most)
        return [head + tag for tag in found
                if tag.casefold() not in taken and len(head + tag) <= width]

    def knows(self, command: str) -> bool:
        return ALIASES.get(command, command) in self._handlers

    async def answer(self, request: Request) -> Reply:
        """The reply to one request; never raises for anything a person typed."""
        if not request.command:
            return Reply(text=wording.NOT_A_COMMAND, private=True)
        name = ALIASES.get(request.command, request.command)
        handler = self._handlers.get(name)
        if handler is None:
            return Reply(text=wording.unknown_command(name), private=True)
        try:
            return await handler(self, request)
        except UsageError as exc:
            return Reply(text=str(exc), private=True)
        except Exception:
            log.exception("/%s failed", name)
            return Reply(text=wording.INTERNAL_ERROR, private=True)

    # -- the destination a configuration command is about ------------------------------

    async def target(self, request: Request) -> tuple[Chat, bool, tuple[str, ...]]:
        """The destination, whether it is where the command was typed, and the other args.

        A destination the platform resolved (`request.target`) is taken as it is; it
        is "here" when it is where the command was typed. Otherwise a first argument
        in the platform's reference syntax (`@channel`) names another destination,
        which is only understood in a private chat with the bot.
        """
        pattern, args = request.terms.chat_reference, request.args
        if request.target is not None:
            here = (request.target.platform, request.target.id) == (
                request.chat.platform, request.chat.id)
            return request.target, here, args
        if pattern is None or not args or not pattern.fullmatch(args[0]):
            return request.chat, True, args
        if not request.private:
            raise UsageError(wording.CONFIGURE_IN_PRIVATE)
        found = await request.access.find_chat(args[0])
        if found is None:
            raise UsageError(wording.cannot_find(args[0]))
        if not found.configurable:
            raise UsageError(wording.not_a_destination(args[0]))
        return found.chat, False, args[1:]

    async def moderated(
        self, request: Request, *, needs_bot: bool = False
    ) -> tuple[Chat, bool, tuple[str, ...]]:
        """`target`, for a command only moderators may use: a refusal is a `UsageError`,
        which the person sees and which changes nothing."""
        chat, here, rest = await self.target(request)
        refusal = await self.refusal(request, chat, here, needs_bot=needs_bot)
        if refusal:
            raise UsageError(refusal)
        return chat, here, rest

    async def refusal(
        self, request: Request, chat: Chat, here: bool, *, needs_bot: bool
    ) -> str | None:
        """Why the sender may not change `chat` (and, with `needs_bot`, why the bot could
        not post there), or None when nothing stands in the way."""
        terms, access = request.terms, request.access
        allowed = await access.may_moderate(chat)
        if here and not allowed:
            return wording.only_moderators(terms)
        missing = await access.bot_missing(chat) if needs_bot else ()
        if allowed and not missing:
            return None
        reasons = []
        if allowed is None:
            reasons.append(wording.unchecked(terms, chat.title))
        elif not allowed:
            reasons.append(wording.not_a_moderator(terms, chat.title))
        if missing:
            where = wording.this(terms) if here else chat.title
            reasons.append(wording.cannot_post(where, missing))
        return " ".join(reasons)

    async def resolve_tags(
        self, typed: list[str], known: list[str]
    ) -> tuple[tuple[str, ...], list[str]]:
        """Typed tags as the site spells them (`#BreakingNews` → `Breaking News`), plus
        notes on the ones no story carries yet."""
        wanted = clean_filter(typed)
        spellings = Spellings(known)
        tags: list[str] = []
        notes: list[str] = []
        for tag in wanted:
            match = spellings.find(tag)
            if match is None and len(notes) < NOTES_MAX:
                suggestions = (await self.queries.by_tag(tag, 1)).suggestions
                notes.append(wording.no_such_tag(tag, suggestions, yet=True))
            tags.append(match or tag)
        return clean_filter(tags), notes
