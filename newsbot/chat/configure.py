"""The commands moderators use to shape a destination: /subscribe (tags in and out, a
first batch), /filter, /format (also whether stories already sent are corrected there:
`edits`, `noedits`), /unsubscribe, and /settings, which shows it all.

Each finds the destination and asks the platform whether the sender may change it
(`desk.moderated`; /settings only for another destination), then writes through
`Subscriptions`.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from newsbot.chat import wording
from newsbot.chat.requests import Caveats, Reply, Request, UsageError
from newsbot.chat.tags import NOTES_MAX, split_tags
from newsbot.filters import FilterError, parse_filters
from newsbot.types import FORMATS, IGNORE, UPDATE, Chat, Filters, Subscription

if TYPE_CHECKING:
    from newsbot.chat.desk import CommandDesk, Handler

log = logging.getLogger(__name__)

#: at most this many stories in a first batch (`/subscribe last:3`)
FIRST_BATCH_MAX = 10
#: the /format words for a destination's corrections policy (`Subscription.edits`)
EDIT_WORDS = {"edits": UPDATE, "noedits": IGNORE}


def place(request: Request, chat: Chat, here: bool) -> str:
    """How a sentence names `chat`: "this chat", or its title."""
    return wording.this(request.terms) if here else chat.title


def subject(request: Request, chat: Chat, here: bool) -> str:
    """How a sentence starts when it is about `chat`: "This chat", or its title."""
    named = place(request, chat, here)
    return named[:1].upper() + named[1:]


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


async def subscribe(desk: CommandDesk, request: Request) -> Reply:
    chat, here, rest = await desk.moderated(request, needs_bot=True)
    last, rest = first_batch_size(rest)
    known = [item.tag for item in await desk.queries.tags()]
    typed = split_tags(" ".join(rest), known)
    wanted, notes = await desk.resolve_tags([t for t in typed if not t.startswith("-")], known)
    unwanted = [t[1:] for t in typed if t.startswith("-")]
    exclude, more = await desk.resolve_tags(unwanted, known)
    sub = await desk.subscriptions.subscribe(chat, wanted, exclude)
    words = describe(sub)
    log.info("%s subscribed to %s", chat, words)
    where = place(request, chat, here)
    said = [wording.subscribed(where, words), *(notes + more)[:NOTES_MAX],
            *caveats_said(await request.access.caveats(chat), request, chat, here)]
    if last:
        said.append(wording.first_batch(*await desk.subscriptions.queue_newest(sub, last)))
        desk.queued()
    return Reply(text=" ".join(said))


def caveats_said(caveats: Caveats, request: Request, chat: Chat, here: bool) -> list[str]:
    """What a new subscription should know of the destination's conditions."""
    said = []
    if caveats.only_labels:
        said.append(wording.only_labelled(subject(request, chat, here), caveats.only_labels))
    if caveats.repeat_guard:
        said.append(wording.may_repeat(place(request, chat, here), caveats.repeat_guard))
    return said


async def filter_(desk: CommandDesk, request: Request) -> Reply:
    chat, here, rest = await desk.moderated(request, needs_bot=False)
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
    where = place(request, chat, here)
    return Reply(text=wording.filter_set(where, describe(sub)))


async def format_(desk: CommandDesk, request: Request) -> Reply:
    chat, here, rest = await desk.moderated(request, needs_bot=False)
    current = await desk.queries.settings(chat)
    if current is None:
        text = wording.subscribe_first(subject(request, chat, here), "format")
        return Reply(text=text, private=True)
    style, edits = current.style, current.edits
    words = [arg.casefold() for arg in rest]
    for word in words:
        if word in FORMATS:
            style = replace(style, format=word)
        elif word in ("silent", "loud"):
            style = replace(style, silent=word == "silent")
        elif word in ("publish", "local"):
            style = replace(style, publish=word == "publish")
        elif word in EDIT_WORDS:
            edits = EDIT_WORDS[word]
        else:
            raise UsageError(wording.FORMAT_USAGE)
    if not rest:
        raise UsageError(wording.FORMAT_USAGE)
    sub = await desk.subscriptions.set_style(chat, style)
    if sub is not None and edits != sub.edits:
        sub = await desk.subscriptions.set_edits(chat, edits)
    if sub is None:  # unsubscribed in the meantime
        text = wording.subscribe_first(subject(request, chat, here), "format")
        return Reply(text=text, private=True)
    log.info("%s format: %s; edits: %s", chat, wording.describe_style(sub.style),
             sub.edits or "as the site")
    text = wording.style_set(place(request, chat, here), sub.style)
    if EDIT_WORDS.keys() & set(words):
        text += " " + corrections(desk, sub)
    return Reply(text=text)


def corrections(desk: CommandDesk, sub: Subscription) -> str:
    """What becomes of the stories already sent to `sub` when the site corrects them."""
    return wording.corrections(sub.takes_corrections, desk.site_edits, desk.site_deletions)


async def unsubscribe(desk: CommandDesk, request: Request) -> Reply:
    chat, here, _ = await desk.moderated(request)
    if not await desk.subscriptions.unsubscribe(chat):
        return Reply(text=wording.was_not_subscribed(subject(request, chat, here)),
                     private=True)
    log.info("%s unsubscribed", chat)
    return Reply(text=wording.unsubscribed(None if here else chat.title))


async def settings(desk: CommandDesk, request: Request) -> Reply:
    chat, here, _ = await desk.target(request)
    refusal = None if here else await desk.refusal(request, chat, here, needs_bot=False)
    if refusal:  # anyone may see what their own chat gets; another's, only its moderators
        raise UsageError(refusal)
    sub = await desk.queries.settings(chat)
    named = subject(request, chat, here)
    if sub is None:
        return Reply(text=wording.not_subscribed(named), private=True)
    if sub.dead:
        reason = sub.dead_reason[:200]
        return Reply(text=wording.delivery_stopped(named, describe(sub), reason), private=True)
    text = wording.receives(named, describe(sub)) + " " + corrections(desk, sub)
    return Reply(text=text, private=True)


HANDLERS: dict[str, Handler] = {
    "subscribe": subscribe,
    "unsubscribe": unsubscribe,
    "filter": filter_,
    "format": format_,
    "settings": settings,
}
