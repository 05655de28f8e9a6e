"""The contract between the core and a platform adapter.

An adapter translates: a neutral `Summary` into a platform payload, a platform
command into a call on `Queries`. It owns its connection and its platform's
pacing; the core owns what to send, to whom, when to retry and when to give up.

`send` reports failures by raising one of the `DeliveryError` subclasses below,
so the retry policy lives in one place (`newsbot.outbox`) for every platform.
"""

from __future__ import annotations

import abc
import asyncio
from typing import TYPE_CHECKING, ClassVar

from newsbot.types import Summary

if TYPE_CHECKING:
    from newsbot.config import AppConfig
    from newsbot.queries import Queries


class DeliveryError(Exception):
    """A send did not happen. Subclasses say what the outbox should do next."""


class RetryAfter(DeliveryError):
    """The platform asked us to wait `seconds` before trying again.

    `whole_platform` is set when the limit applies to every chat (Discord's
    global rate limit, Telegram's flood wait on the bot), not just this one.
    """

    def __init__(self, seconds: float, *, whole_platform: bool = False) -> None:
        super().__init__(f"retry after {seconds:g}s")
        self.seconds = max(0.0, float(seconds))
        self.whole_platform = whole_platform


class TransientError(DeliveryError):
    """Network trouble, a 5xx, a timeout: try again later with back-off."""


class PermanentError(DeliveryError):
    """The destination is gone or closed to us (bot removed, chat deleted, no rights).

    The chat is marked dead and stops costing work until someone subscribes it again.
    """


class Undeliverable(DeliveryError):
    """The platform refuses this story itself (a payload it will never accept).

    The delivery is dropped, with the reason kept in the outbox, so one bad
    story cannot hold the chat's later stories back for ever.
    """


class ChatMigrated(DeliveryError):
    """The chat moved to a new id (a Telegram group upgraded to a supergroup)."""

    def __init__(self, new_chat_id: str) -> None:
        super().__init__(f"chat migrated to {new_chat_id}")
        self.new_chat_id = str(new_chat_id)


class Adapter(abc.ABC):
    """One platform. Subclasses declare their limits as class attributes."""

    #: registry name and the `platform` stored with every subscription
    platform: ClassVar[str]
    #: one sentence telling a person which settings turn this adapter on
    enable_hint: ClassVar[str] = ""
    #: sends the outbox may have in flight at once on this platform (different chats)
    max_in_flight: ClassVar[int] = 8

    @classmethod
    @abc.abstractmethod
    def from_config(cls, config: AppConfig, queries: Queries) -> Adapter | None:
        """Build the adapter, or return None when its settings leave it off."""

    @classmethod
    @abc.abstractmethod
    def preview(cls, summary: Summary) -> str:
        """The exact payload `send` would deliver for this summary, as text."""

    @abc.abstractmethod
    async def start(self) -> None:
        """Connect and begin answering commands. Returns once ready to send."""

    @abc.abstractmethod
    async def stop(self) -> None:
        """Stop answering commands and close connections. Safe to call twice."""

    @abc.abstractmethod
    async def send(self, chat_id: str, summary: Summary) -> str:
        """Deliver one story to one chat and return the platform's message id.

        Raises a `DeliveryError` subclass on failure; anything else is treated
        as transient.
        """

    def closed(self) -> asyncio.Event | None:
        """An event set when the adapter ended on its own (the console's input closed),
        which stops the whole bot. Platform adapters never end on their own: None."""
        return None
