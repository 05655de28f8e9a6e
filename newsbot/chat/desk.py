"""The command desk: every command answered once, here, for every platform.

`CommandDesk.answer` takes a neutral `Request` and returns a neutral `Reply`.
A command is a `CommandSpec` (its menu entry) plus a handler; adding one is
`desk.add(spec, handler)` and every adapter offers it. Reads go through
`Queries`; the only writes, to subscriptions, through `Subscriptions`. Who may
change a destination is asked of the adapter's `Access`, only when needed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace

from newsbot.chat import wording
from newsbot.chat.commands import ALIASES, COMMANDS, CommandSpec, parse_count, parse_tag_args
from newsbot.chat.queries import Queries
from newsbot.chat.requests import Reply, Request, UsageError
from newsbot.chat.tags import Spellings, clean_filter, split_tags
from newsbot.filters import FilterError, parse_filters
from newsbot.store.subscriptions import Subscriptions
from newsbot.types import FORMATS, Chat, Filters, Subscription

log = logging.getLogger(__name__)

Handler = Callable[["CommandDesk", Request], Awaitable[Reply]]
#: unknown tags of a /subscribe that get a "did you mean" note
NOTES_MAX = 3
#: at most this many stories in a first batch (`/subscribe last:3`)
FIRST_BATCH_MAX = 10


class CommandDesk:
    def __init__(
        self,
        queries: Queries,
        subscriptions: Subscriptions,
        queued: Callable[[], None] = lambda: None,
    ) -> None:
        self.queries = queries
        self.subscriptions = subscriptions
        #: told when a command queued deliveries (a first batch), so they go out at once
        self.queued = queued
        self._specs: dict[str, CommandSpec] = {}
        self._handlers: dict[str, Handler] = {}
        for spec in COMMANDS:
            self.add(spec, BUILTIN[spec.name])

    def add(self, spec: CommandSpec, handler: Handler) -> None:
        """Offer a command on every platform (adapters read `specs` when they start)."""
        self._specs[spec.name] = spec
        self._handlers[spec.name] = handler

    @property
    def specs(self) -> list[CommandSpec]:
        """Every command, in menu order."""
        return list(self._specs.values())

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


def subject(request: Request, chat: Chat, here: bool) -> str:
    """How a sentence starts when it is about `chat`: "This chat", or its title."""
    return wording.this(request.terms).capitalize() if here else chat.title


def describe(sub: Subscription) -> str:
    return wording.describe_filter(sub.tags, sub.exclude, sub.filters, sub.style)


def first_batch_size(args: tuple[str, ...]) -> tuple[int, tuple[str, ...]]:
    """`last:3` among a /subscribe's arguments: the size of the first batch, and the rest."""
    sizes = [arg for arg in args if arg.casefold().startswith("last:")]
    if not sizes:
        return 0, args
    number = sizes[-1][len("last:"):]
    if not (number.isascii() and number.isdigit() and 1 <= int(number) <= FIRST_BATCH_MAX):
        raise UsageError(wording.FIRST_BATCH_RANGE.format(most=FIRST_BATCH_MAX))
    return int(number), tuple(arg for arg in args if arg not in sizes)


# -- the built-in commands ----------------------------------------------------------------


async def help_(desk: CommandDesk, request: Request) -> Reply:
    commands = [(spec.name, spec.args, spec.summary) for spec in desk.specs]
    return Reply(text=wording.help_text(commands, request.terms, request.private), private=True)


async def latest(desk: CommandDesk, request: Request) -> Reply:
    count = parse_count(request.args[0] if request.args else None)
    stories = await desk.queries.latest(count)
    if not stories:
        return Reply(text=wording.NOTHING_PUBLISHED)
    return Reply(heading=wording.LATEST, stories=tuple(stories))


async def tag(desk: CommandDesk, request: Request) -> Reply:
    name, count = parse_tag_args(request.args)
    result = await desk.queries.by_tag(name, count)
    if not result.known or not result.summaries:
        suggestions = tuple(result.suggestions)
        text = wording.no_such_tag(result.tag, suggestions)
        return Reply(text=text, suggestions=suggestions, private=True)
    return Reply(heading=wording.tagged(result.tag), stories=tuple(result.summaries))


async def tags(desk: CommandDesk, request: Request) -> Reply:
    counts = await desk.queries.tags()
    if not counts:
        return Reply(text=wording.NO_TAGS)
    items = tuple(wording.tag_count(item.tag, item.count) for item in counts)
    return Reply(heading=wording.TAGS, items=items)


async def subscribe(desk: CommandDesk, request: Request) -> Reply:
    chat, here, rest = await desk.target(request)
    refusal = await desk.refusal(request, chat, here, needs_bot=True)
    if refusal:
        return Reply(text=refusal, private=True)
    last, rest = first_batch_size(rest)
    known = [item.tag for item in await desk.queries.tags()]
    typed = split_tags(" ".join(rest), known)
    wanted, notes = await desk.resolve_tags([t for t in typed if not t.startswith("-")], known)
    unwanted = [t[1:] for t in typed if t.startswith("-")]
    exclude, more = await desk.resolve_tags(unwanted, known)
    sub = await desk.subscriptions.subscribe(chat, wanted, exclude)
    words = describe(sub)
    log.info("%s subscribed to %s", chat, words)
    where = wording.this(request.terms) if here else chat.title
    said = [wording.subscribed(where, words), *(notes + more)[:NOTES_MAX]]
    if last:
        said.append(wording.first_batch(*await desk.subscriptions.queue_newest(sub, last)))
        desk.queued()
    return Reply(text=" ".join(said))


async def filter_(desk: CommandDesk, request: Request) -> Reply:
    chat, here, rest = await desk.target(request)
    refusal = await desk.refusal(request, chat, here, needs_bot=False)
    if refusal:
        return Reply(text=refusal, private=True)
    text = " ".join(rest).strip()
    if not text:
        raise UsageError(wording.FILTER_USAGE)
    try:
        filters = Filters() if text.casefold() == "off" else parse_filters(text)
    except FilterError as exc:
        raise UsageError(str(exc)) from None
    sub = await desk.subscriptions.set_filters(chat, filters)
    if sub is None:
        text = wording.subscribe_first(subject(request, chat, here), "filter")
        return Reply(text=text, private=True)
    log.info("%s filters: %s", chat, describe(sub))
    where = wording.this(request.terms) if here else chat.title
    return Reply(text=wording.filter_set(where, describe(sub)))


async def format_(desk: CommandDesk, request: Request) -> Reply:
    chat, here, rest = await desk.target(request)
    refusal = await desk.refusal(request, chat, here, needs_bot=False)
    if refusal:
        return Reply(text=refusal, private=True)
    current = await desk.queries.settings(chat)
    if current is None:
        text = wording.subscribe_first(subject(request, chat, here), "format")
        return Reply(text=text, private=True)
    style = current.style
    for word in (arg.casefold() for arg in rest):
        if word in FORMATS:
            style = replace(style, format=word)
        elif word in ("silent", "loud"):
            style = replace(style, silent=word == "silent")
        elif word in ("publish", "local"):
            style = replace(style, publish=word == "publish")
        else:
            raise UsageError(wording.FORMAT_USAGE)
    if not rest:
        raise UsageError(wording.FORMAT_USAGE)
    sub = await desk.subscriptions.set_style(chat, style)
    if sub is None:  # unsubscribed in the meantime
        text = wording.subscribe_first(subject(request, chat, here), "format")
        return Reply(text=text, private=True)
    log.info("%s format: %s", chat, wording.describe_style(sub.style))
    where = wording.this(request.terms) if here else chat.title
    return Reply(text=wording.style_set(where, sub.style))


async def unsubscribe(desk: CommandDesk, request: Request) -> Reply:
    chat, here, _ = await desk.target(request)
    refusal = await desk.refusal(request, chat, here, needs_bot=False)
    if refusal:
        return Reply(text=refusal, private=True)
    if not await desk.subscriptions.unsubscribe(chat):
        return Reply(text=wording.was_not_subscribed(subject(request, chat, here)),
                     private=True)
    log.info("%s unsubscribed", chat)
    return Reply(text=wording.unsubscribed(None if here else chat.title))


async def settings(desk: CommandDesk, request: Request) -> Reply:
    chat, here, _ = await desk.target(request)
    if not here:
        refusal = await desk.refusal(request, chat, here, needs_bot=False)
        if refusal:
            return Reply(text=refusal, private=True)
    sub = await desk.queries.settings(chat)
    named = subject(request, chat, here)
    if sub is None:
        return Reply(text=wording.not_subscribed(named), private=True)
    if sub.dead:
        reason = sub.dead_reason[:200]
        return Reply(text=wording.delivery_stopped(named, describe(sub), reason), private=True)
    return Reply(text=wording.receives(named, describe(sub)), private=True)


BUILTIN: dict[str, Handler] = {
    "latest": latest,
    "tag": tag,
    "tags": tags,
    "subscribe": subscribe,
    "unsubscribe": unsubscribe,
    "filter": filter_,
    "format": format_,
    "settings": settings,
    "help": help_,
}
