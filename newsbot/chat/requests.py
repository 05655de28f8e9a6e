"""What goes into the core's command desk and what comes out, for every platform.

An adapter turns its platform's update (a Telegram message, a Discord
interaction, a typed console line) into a `Request`, hands it to
`CommandDesk.answer`, and renders the `Reply` it gets back. The platform's
rules about who may change a destination stay with the adapter, behind
`Access`; the wording of every answer stays here, in the core.
"""

from __future__ import annotations

import abc
import re
from dataclasses import dataclass, field

from newsbot.types import Chat, Summary


class UsageError(Exception):
    """A request a person can correct; the message is safe to show them."""


@dataclass(frozen=True, slots=True)
class Terms:
    """How a platform names things, so the core's sentences read right on it.

    `noun` is what a destination is called ("chat", "channel"); `moderators` and
    `moderator` who may change one ("administrators" / "an administrator");
    `chat_reference` is the syntax for naming another destination as the first
    argument of a configuration command (Telegram's `@channel` or `-100…` id),
    shown in help as `reference_example`.
    """

    noun: str = "chat"
    moderators: str = "moderators"
    moderator: str = "a moderator"
    chat_reference: re.Pattern[str] | None = None
    reference_example: str = ""


class Access(abc.ABC):
    """The platform's answers about rights, asked only when a command needs them
    (so `/latest` in a busy group costs no permission lookup)."""

    @abc.abstractmethod
    async def may_moderate(self, chat: Chat) -> bool | None:
        """May the sender change `chat`'s settings? None when it could not be checked."""

    async def bot_missing(self, chat: Chat) -> tuple[str, ...]:
        """The permissions the bot lacks to post in `chat`, by their platform names."""
        return ()

    async def find_chat(self, reference: str) -> Found | None:
        """The destination a typed reference names (`@channel`), or None if unknown."""
        return None

    async def caveats(self, chat: Chat) -> Caveats:
        """What still holds some stories back in `chat`, where the bot can post: said
        when it is subscribed, refused nothing."""
        return Caveats()


@dataclass(frozen=True, slots=True)
class Caveats:
    """A destination's conditions on delivery, in neutral terms for the core to word."""

    #: permissions (the platform's names) the bot lacks there to recognise a story it
    #: already delivered when a send is repeated (a Discord forum post takes no nonce)
    repeat_guard: tuple[str, ...] = ()
    #: the destination takes only stories with one of these labels (a Discord forum that
    #: requires one of its tags); empty: any story
    only_labels: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Found:
    """A destination named by reference; `configurable` is False for one that cannot
    take stories by reference (a person's private chat)."""

    chat: Chat
    configurable: bool = True


class Everyone(Access):
    """Access where the sender owns the destination (the console, a private chat)."""

    async def may_moderate(self, chat: Chat) -> bool | None:
        return True


@dataclass(frozen=True, slots=True)
class Request:
    """One command as a person typed it, in neutral terms.

    `chat` is where it was typed; `private` says that is a one-to-one chat with
    the bot; `command` is the name without `/` (empty when the text was not a
    command at all); `args` are its arguments as the platform split them (a
    Discord option with spaces stays one argument). `target` is a destination the
    platform itself let the sender pick (Discord's `channel` option), already
    resolved: the command is about it instead of `chat`. `sender` is the platform's
    id of the person who typed it ("" when the platform does not say, as for a
    message sent as a channel).
    """

    command: str
    chat: Chat
    args: tuple[str, ...] = ()
    access: Access = field(default_factory=Everyone)
    terms: Terms = field(default_factory=Terms)
    private: bool = False
    target: Chat | None = None
    sender: str = ""


@dataclass(frozen=True, slots=True)
class Reply:
    """The answer, for an adapter to render in its platform's way.

    `text` is plain text (adapters escape it); `heading` titles a list of
    `stories` or of `items` (one line each, such as a tag with its count);
    `suggestions` are close tags offered for a misspelt one; `private` asks for
    the answer to be shown only to the person who asked, where the platform can.
    `direct` is for the sender's eyes alone (a sign-in link): an adapter shows it
    instead of `text` where only they see the answer (a private chat, an ephemeral
    reply), else sends it to them privately and shows `text` where they asked; it
    is never logged.
    """

    text: str = ""
    heading: str = ""
    stories: tuple[Summary, ...] = ()
    items: tuple[str, ...] = ()
    suggestions: tuple[str, ...] = ()
    private: bool = False
    direct: str = ""
