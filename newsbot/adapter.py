"""The contract between the core and a platform adapter.

An adapter translates: a neutral `Summary` into a platform payload, a platform
update into a `Request` for the core's `CommandDesk`, and the desk's `Reply`
into a platform answer. It owns its connection and its platform's pacing; the
core owns what to send, to whom, what every answer says, when to retry and
when to give up.

`send` (and `edit`, which corrects a message sent before) reports failures by
raising one of the `newsbot.delivery.errors` classes, so the retry policy lives in
one place (`newsbot.delivery.retry`) for every platform.
"""

from __future__ import annotations

import abc
import asyncio
import html
from typing import TYPE_CHECKING, ClassVar

from newsbot.delivery.errors import Undeliverable
from newsbot.delivery.pacing import PaceMaker, local_pace
from newsbot.types import Style, Summary

#: a full card, with a notification: how stories looked before destinations chose
PLAIN = Style()

if TYPE_CHECKING:
    from newsbot.chat.desk import CommandDesk
    from newsbot.config import AppConfig
    from newsbot.sections import Section
    from newsbot.workers.roles import Role, Share


class Adapter(abc.ABC):
    """One platform. Subclasses declare their limits as class attributes."""

    #: registry name and the `platform` stored with every subscription
    platform: ClassVar[str]
    #: the adapter's own `[<registry name>]` section of newsbot.toml (and its
    #: `NEWSBOT_<NAME>_<KEY>` variables), validated at load; `config.section` returns it
    settings: ClassVar[type[Section] | None] = None
    #: one sentence telling a person which settings turn this adapter on
    enable_hint: ClassVar[str] = ""
    #: sends the outbox may have in flight at once on this platform (different chats)
    max_in_flight: ClassVar[int] = 8
    _overall_pace: PaceMaker | None = None

    @classmethod
    @abc.abstractmethod
    def from_config(cls, config: AppConfig, desk: CommandDesk) -> Adapter | None:
        """Build the adapter, or return None when its settings leave it off."""

    @classmethod
    @abc.abstractmethod
    def preview(cls, summary: Summary, style: Style = PLAIN) -> str:
        """The exact payload `send` would deliver for this summary, as text."""

    @classmethod
    def preview_html(cls, summary: Summary, style: Style = PLAIN) -> str:
        """`preview` as HTML that looks like the platform shows it, for the moderators'
        page (safe to insert: everything from the story is escaped)."""
        return f'<pre class="plain-preview">{html.escape(cls.preview(summary, style))}</pre>'

    async def may_moderate(self, user_id: str, chat_id: str) -> bool | None:
        """May that user (a platform user id, as in `Request.sender`) change the
        destination's settings right now? Asked of the platform every time the
        moderators' page shows or changes one; None when it could not be checked.
        Nobody, unless the adapter says otherwise."""
        return False

    def worker_roles(self) -> list[Role | Share]:
        """The parts of taking updates that only some workers may run when several share
        one PostgreSQL store (`newsbot.workers`): a `Role` one worker at a time (Telegram's
        `getUpdates` poller), a `Share` spread over them (Discord's shards). Asked once,
        before `start`; `start` then only makes the adapter ready to send and leaves those
        parts to the roles. With one process (SQLite) every Role begins and every Share is
        given all its names right after `start`. None by default: every worker takes its
        own updates (webhooks, the console)."""
        return []

    def use_overall_pace(self, make: PaceMaker) -> None:
        """Build every overall pace with `make` from now on. The core calls this before
        `start` when several workers share one PostgreSQL store: `make(per_second, name)`
        then returns a pace whose slots come from one schedule in the store per bot token
        and `name` (`newsbot.workers.pace`), so all workers together keep the rate, and
        whose `pause` holds every worker back."""
        self._overall_pace = make

    @property
    def overall_pace(self) -> PaceMaker:
        """What builds the pace an adapter keeps for its platform's overall rate (a
        `DestinationPace(..., overall=self.overall_pace)`, or
        `self.overall_pace(per_second)` itself): every overall rate an adapter keeps goes
        through it, once `start` builds its clients. This process's own steady pace
        unless the core said otherwise (`use_overall_pace`)."""
        return self._overall_pace or local_pace

    @abc.abstractmethod
    async def start(self) -> None:
        """Connect and begin answering commands (apart from `worker_roles`). Returns once
        ready to send."""

    @abc.abstractmethod
    async def stop(self) -> None:
        """Stop answering commands and close connections. Safe to call twice."""

    @abc.abstractmethod
    async def send(self, chat_id: str, summary: Summary, style: Style = PLAIN) -> str:
        """Deliver one story to one chat, looking as `style` says (its format, and
        whether it notifies), and return the platform's message id.

        Raises a `DeliveryError` subclass on failure; anything else is treated
        as transient.
        """

    async def edit(
        self, chat_id: str, message_id: str, summary: Summary, style: Style = PLAIN
    ) -> None:
        """Make the message `send` returned as `message_id` show `summary` now (a
        correction). Applying the same edit twice must be harmless ("not modified" is
        success); a message that no longer exists raises `MessageGone`. Adapters that
        cannot edit keep this default: the correction is dropped for their chats."""
        raise Undeliverable(f"{self.platform} cannot edit messages")

    async def delete(self, chat_id: str, message_id: str) -> None:
        """Delete the message `send` returned as `message_id` (its post was withdrawn).
        A message already gone raises `MessageGone`; one the platform will not delete,
        `Undeliverable`. Adapters that cannot delete keep this default."""
        raise Undeliverable(f"{self.platform} cannot delete messages")

    def closed(self) -> asyncio.Event | None:
        """An event set when the adapter ended on its own (the console's input closed),
        which stops the whole bot. Platform adapters never end on their own: None."""
        return None
