"""What the page shows a moderator and how a form becomes settings.

The page reads through `Queries` and the outbox table and writes only through
`Subscriptions`, with the parsers the chat commands use (`split_tags` and the
desk's `resolve_tags` as /subscribe, `parse_filters` as /filter, the format words
and the corrections policy as /format), so a setting saved here is stored exactly as
the command would store it.
Who may see or change a destination is asked of its adapter (`may_moderate`) every time.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from newsbot.adapter import Adapter
from newsbot.chat.desk import CommandDesk
from newsbot.chat.requests import UsageError
from newsbot.chat.tags import split_tags
from newsbot.filters import FilterError, Story, Wants, parse_filters
from newsbot.store import schema
from newsbot.store.database import from_db_time
from newsbot.store.rows import post_from_row
from newsbot.types import (
    EDITS,
    FORMATS,
    IGNORE,
    UPDATE,
    Chat,
    Filters,
    Style,
    Subscription,
    Summary,
)
from newsbot.web.tokens import Identity, Session

log = logging.getLogger(__name__)

#: deliveries shown per destination
HISTORY = 50
#: newest stories looked through for the preview's "newest matching story"
PREVIEW_SCAN = 200


@dataclass(frozen=True, slots=True)
class Delivery:
    """One outbox row as the page shows it."""

    title: str
    url: str
    state: str  # sent, waiting, retrying, dead, dropped, migrated
    when: datetime
    detail: str = ""


@dataclass(slots=True)
class Form:
    """A destination's settings as typed in the page's form, and what is wrong with them."""

    tags: str = ""
    filters: str = ""
    format: str = "full"
    silent: bool = False
    publish: bool = False
    #: the corrections policy chosen (one of EDITS), "" when the form does not say
    edits: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, sub: Subscription) -> Form:
        tags = ", ".join([*sub.tags, *(f"-{t}" for t in sub.exclude)])
        style = sub.style
        return cls(tags, filter_text(sub.filters), style.format, style.silent, style.publish,
                   UPDATE if sub.takes_corrections else IGNORE)

    @classmethod
    def read(cls, data: Mapping[str, str]) -> Form:
        return cls(
            tags=data.get("tags", "")[:2000], filters=data.get("filters", "")[:2000],
            format=data.get("format", "full"), silent=data.get("silent") == "on",
            publish=data.get("publish") == "on", edits=data.get("edits", "")[:16],
        )


def filter_text(filters: Filters) -> str:
    """Filters as /filter would take them back."""
    def term(words: str) -> str:
        return f'"{words}"' if " " in words else words

    parts = [*map(term, filters.keep), *(f"-{term(w)}" for w in filters.drop),
             *(f"/{p}/" for p in filters.patterns), *(f"-/{p}/" for p in filters.drop_patterns)]
    return " ".join(parts)


@dataclass(frozen=True, slots=True)
class Parsed:
    tags: tuple[str, ...]
    exclude: tuple[str, ...]
    filters: Filters
    style: Style
    notes: tuple[str, ...] = ()
    #: the corrections policy asked for; None: the form left it as it was
    edits: str | None = None


class Moderation:
    """The page's questions and changes, for one running newsroom."""

    def __init__(self, desk: CommandDesk, adapters: Mapping[str, Adapter]) -> None:
        self.desk = desk
        self.adapters = adapters

    async def may_moderate(self, who: Identity, chat: Chat) -> bool:
        adapter = self.adapters.get(chat.platform)
        if adapter is None or chat.platform != who.platform:
            return False
        try:
            return bool(await adapter.may_moderate(who.user, chat.id))
        except Exception:
            log.exception("asking %s who moderates %s failed", chat.platform, chat)
            return False

    async def destinations(self, session: Session) -> list[Subscription]:
        """Every subscribed destination, on each platform signed in, that its person
        moderates."""
        found: list[Subscription] = []
        for who in session.identities:
            subs = await self.desk.queries.subscriptions(who.platform)
            found += [sub for sub in subs if await self.may_moderate(who, sub.chat)]
        return found

    async def find(self, session: Session, destination: str) -> Subscription | None:
        """The destination a form names (`platform:chat id`, or a chat id on the first
        platform signed in), if it is subscribed and the platform says the person signed
        in there moderates it now."""
        platform, colon, chat_id = destination.partition(":")
        if not colon:
            platform, chat_id = session.identity.platform, destination
        who = session.on(platform)
        if who is None:
            return None
        sub = await self.desk.queries.settings(Chat(platform, chat_id))
        if sub is None or not await self.may_moderate(who, sub.chat):
            return None
        return sub

    async def parse(self, form: Form) -> Parsed | None:
        """The settings a form asks for, or None with `form.errors` filled in."""
        known = [item.tag for item in await self.desk.queries.tags()]
        typed = split_tags(form.tags, known)
        tags: tuple[str, ...] = ()
        exclude: tuple[str, ...] = ()
        notes: list[str] = []
        try:
            tags, more = await self.desk.resolve_tags(
                [t for t in typed if not t.startswith("-")], known)
            exclude, less = await self.desk.resolve_tags(
                [t[1:] for t in typed if t.startswith("-")], known)
            notes = more + less
        except UsageError as exc:
            form.errors["tags"] = str(exc)
        filters = Filters()
        try:
            filters = parse_filters(form.filters)
        except FilterError as exc:
            form.errors["filters"] = str(exc)
        if form.format not in FORMATS:
            form.errors["format"] = "Choose one of: " + ", ".join(FORMATS) + "."
        if form.edits and form.edits not in EDITS:
            form.errors["edits"] = "Choose one of: " + ", ".join(EDITS) + "."
        if form.errors:
            return None
        style = Style(form.format, form.silent, form.publish)
        return Parsed(tags, exclude, filters, style, tuple(notes), form.edits or None)

    async def save(self, sub: Subscription, parsed: Parsed) -> Subscription | None:
        """Store what changed, through the commands' own methods."""
        chat = sub.chat
        if (parsed.tags, parsed.exclude) != (sub.tags, sub.exclude):
            # the tags /subscribe would store, without resuming a destination marked
            # dead: that is the Resume button's to do
            await self.desk.subscriptions.set_tags(chat, parsed.tags, parsed.exclude)
        if parsed.filters != sub.filters:
            await self.desk.subscriptions.set_filters(chat, parsed.filters)
        if parsed.style != sub.style:
            await self.desk.subscriptions.set_style(chat, parsed.style)
        if parsed.edits is not None and parsed.edits != (sub.edits or UPDATE):
            # as /format edits or noedits would (a destination following the site, whose
            # form shows "update", keeps following it until someone changes the choice)
            await self.desk.subscriptions.set_edits(chat, parsed.edits)
        return await self.desk.queries.settings(chat)

    async def resume(self, sub: Subscription) -> Subscription:
        """Deliver to a destination marked dead again, as /subscribe would."""
        return await self.desk.subscriptions.subscribe(sub.chat, sub.tags, sub.exclude)

    async def newest_match(self, tags: tuple[str, ...], exclude: tuple[str, ...],
                           filters: Filters) -> Summary | None:
        """The newest live story these settings let through (the newest at all if none)."""
        p = schema.posts
        stmt = (select(p).where(p.c.status == "live").order_by(p.c.date.desc(), p.c.id)
                .limit(PREVIEW_SCAN))
        async with self.desk.queries.store.engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        posts = [post_from_row(row, self.desk.queries.tz) for row in rows]
        wants = Wants.of(tags, exclude, filters)
        found = next((post for post in posts if wants(Story.of(post))), None)
        return None if found is None else Summary.of(found)

    async def history(self, chat: Chat) -> list[Delivery]:
        """The destination's last deliveries, newest first."""
        o, p = schema.outbox, schema.posts
        stmt = (
            select(o, p.c.title, p.c.url)
            .select_from(o.outerjoin(p, p.c.id == o.c.post_id))
            .where(o.c.platform == chat.platform, o.c.chat_id == chat.id)
            .order_by(o.c.id.desc())
            .limit(HISTORY)
        )
        async with self.desk.queries.store.engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        return [_delivery(row) for row in rows]


def _delivery(row: Any) -> Delivery:
    state, when = row.status, row.created_at
    if row.status == "pending":
        state = "retrying" if row.attempts else "waiting"
        when = row.next_attempt_at
    elif row.status == "sent":
        when = row.sent_at or row.created_at
    detail = "" if state == "sent" else (row.last_error or "")
    return Delivery(row.title or row.post_id, row.url or "", state, from_db_time(when), detail)
