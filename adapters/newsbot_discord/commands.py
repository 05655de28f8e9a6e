"""Slash commands: the tree synced on start, each command a request to the core's desk.

The menu is the desk's: every command it offers becomes a slash command. The
built-in ones get typed options (a count from 1 to 20, tag autocomplete); any
other gets one optional `text` option, so a command added to the core needs
nothing here. Answers are the desk's replies: stories as embeds, the rest as
text, ephemeral (seen only by the person who asked) when the reply is private.
`/subscribe` and `/unsubscribe` are registered with Manage Channels as the
default member permission; because a server can override that default, the
member's permissions in the channel (resolved by Discord and sent with the
interaction) are checked again by the desk, through `InteractionAccess`.

Used inside a thread, a command is about that thread (a channel with its own id).
The commands that configure a destination, and `/settings`, take an optional
`channel` option naming another text, announcement or forum channel of the
server (a forum takes no commands of its own); Discord resolves it with the
member's permissions there, and the desk gets it as the request's `target`.
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from newsbot.chat.commands import CommandSpec
from newsbot.chat.configure import FIRST_BATCH_MAX
from newsbot.chat.desk import CommandDesk
from newsbot.chat.queries import MAX_COUNT
from newsbot.chat.requests import Access, Reply, Request, Terms
from newsbot.chat.tags import TAG_MAX_LEN
from newsbot.chat.wording import INTERNAL_ERROR
from newsbot.delivery.fitting import fit
from newsbot.types import Chat
from newsbot_discord.places import FORUM_TYPES
from newsbot_discord.render import NO_MENTIONS, EmbedLimits, batches, story_embed

log = logging.getLogger(__name__)

PLATFORM = "discord"
TERMS = Terms(
    noun="channel",
    moderators="members who can Manage Channels",
    moderator="a member who can Manage Channels",
)
#: what the bot needs in a channel to deliver stories there, with Discord's names
BOT_NEEDS = (("view_channel", "View Channel"), ("embed_links", "Embed Links"))
#: ... and to post: a message in a channel, in a thread, or a new post in a forum
SEND = ("send_messages", "Send Messages")
SEND_IN_THREADS = ("send_messages_in_threads", "Send Messages in Threads")
CREATE_POSTS = ("send_messages", "Create Posts")
#: the channels a `channel` option offers: where stories can go, besides threads
PICKABLE = [discord.ChannelType.text, discord.ChannelType.news, discord.ChannelType.forum]
#: commands about one destination besides the moderators' ones: they take `channel` too
ABOUT_A_DESTINATION = frozenset({"settings"})
CHANNEL_HELP = "another channel of this server, such as a forum (you need Manage Channels there)"
THREAD_TYPES = (
    discord.ChannelType.public_thread,
    discord.ChannelType.private_thread,
    discord.ChannelType.news_thread,
)
#: a subscription filter typed in one option, e.g. "politics, uk"
TAGS_MAX_LEN = 1000

Count = app_commands.Range[int, 1, MAX_COUNT]
Tag = app_commands.Range[str, 1, TAG_MAX_LEN]
TagList = app_commands.Range[str, 1, TAGS_MAX_LEN]
Text = app_commands.Range[str, 1, TAGS_MAX_LEN]
Batch = app_commands.Range[int, 1, FIRST_BATCH_MAX]


class Pickable(app_commands.Transformer):
    """A `channel` option offering text, announcement and forum channels, given to the
    command as Discord resolved it (with the member's permissions there), whether or
    not discord.py's cache holds the channel."""

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        return PICKABLE

    async def transform(
        self, interaction: discord.Interaction, value: Any
    ) -> app_commands.AppCommandChannel:
        if not isinstance(value, app_commands.AppCommandChannel):
            raise app_commands.TransformerError(value, self.type, self)
        return value


Picked = app_commands.Transform[app_commands.AppCommandChannel, Pickable]


class NewsTree(app_commands.CommandTree):
    """The command tree; a failure the desk did not answer still gets an answer."""

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        cause = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        if isinstance(cause, app_commands.TransformerError | app_commands.CheckFailure):
            text = str(cause)  # discord.py's own words about a bad option value
        else:
            log.error("/%s failed", getattr(interaction.command, "name", "?"), exc_info=cause)
            text = INTERNAL_ERROR
        try:
            await show(interaction, Reply(text=text, private=True))
        except discord.HTTPException:
            log.warning("could not tell the user that a command failed", exc_info=True)


def build_tree(client: discord.Client, desk: CommandDesk) -> NewsTree:
    """The slash commands of one client, one per command the desk offers."""
    tree = NewsTree(client)
    typed = _typed_commands(desk)
    for spec in desk.specs:
        tree.add_command(typed.get(spec.name) or _text_command(desk, spec))
    return tree


async def ask(interaction: discord.Interaction, desk: CommandDesk, name: str,
              *args: str | int | None,
              channel: app_commands.AppCommandChannel | None = None) -> None:
    """Send one slash command to the desk and show its reply; `channel` is the
    destination picked with the `channel` option."""
    request = Request(
        command=name,
        chat=chat_of(interaction),
        args=tuple(str(arg) for arg in args if arg is not None),
        access=InteractionAccess(interaction, channel),
        terms=TERMS,
        private=interaction.guild_id is None,
        target=picked_chat(interaction, channel) if channel is not None else None,
        sender=str(interaction.user.id),
    )
    await show(interaction, await desk.answer(request))


def _text_command(desk: CommandDesk, spec: CommandSpec) -> app_commands.Command[Any, Any, Any]:
    """Any command of the desk: no option when it takes no arguments, else one optional
    `text` option holding them as typed; one about a destination also takes `channel`."""

    async def bare(interaction: discord.Interaction) -> None:
        await ask(interaction, desk, spec.name)

    async def with_text(interaction: discord.Interaction, text: Text | None = None) -> None:
        await ask(interaction, desk, spec.name, *(text.split() if text else ()))

    async def bare_or_elsewhere(
        interaction: discord.Interaction, channel: Picked | None = None
    ) -> None:
        await ask(interaction, desk, spec.name, channel=channel)

    async def with_text_or_elsewhere(
        interaction: discord.Interaction, text: Text | None = None, channel: Picked | None = None
    ) -> None:
        await ask(interaction, desk, spec.name, *(text.split() if text else ()), channel=channel)

    callback: Any
    if spec.moderator_only or spec.name in ABOUT_A_DESTINATION:
        callback = with_text_or_elsewhere if spec.args else bare_or_elsewhere
        callback = app_commands.describe(channel=CHANNEL_HELP)(callback)
    else:
        callback = with_text if spec.args else bare
    if spec.args:
        callback = app_commands.describe(text=spec.args[:100])(callback)
    command: app_commands.Command[Any, Any, Any] = app_commands.Command(
        name=spec.name, description=spec.summary, callback=callback
    )
    return _moderators_only(command) if spec.moderator_only else command


def _moderators_only(
    command: app_commands.Command[Any, Any, Any],
) -> app_commands.Command[Any, Any, Any]:
    command = app_commands.default_permissions(manage_channels=True)(command)
    return app_commands.guild_only()(command)


def _typed_commands(desk: CommandDesk) -> dict[str, app_commands.Command[Any, Any, Any]]:
    summaries = {spec.name: spec.summary for spec in desk.specs}

    @app_commands.command(name="latest", description=summaries.get("latest", "latest"))
    @app_commands.describe(count=f"how many stories (1 to {MAX_COUNT}, default 5)")
    async def latest(interaction: discord.Interaction, count: Count | None = None) -> None:
        await ask(interaction, desk, "latest", count)

    @app_commands.command(name="tag", description=summaries.get("tag", "tag"))
    @app_commands.describe(tag="a tag or category", count=f"how many stories (1 to {MAX_COUNT})")
    async def tag(interaction: discord.Interaction, tag: Tag, count: Count | None = None) -> None:
        await ask(interaction, desk, "tag", tag, count)

    @tag.autocomplete("tag")
    async def complete_tag(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [_choice(t) for t in await desk.queries.complete_tag(current, 25)]

    @app_commands.command(name="subscribe", description=summaries.get("subscribe", "subscribe"))
    @app_commands.describe(
        tags="only stories with these tags, separated by commas, and none with a -tag",
        last=f"send the newest matching stories now (1 to {FIRST_BATCH_MAX})",
        channel=CHANNEL_HELP,
    )
    async def subscribe(
        interaction: discord.Interaction, tags: TagList | None = None,
        last: Batch | None = None, channel: Picked | None = None,
    ) -> None:
        await ask(interaction, desk, "subscribe", tags, f"last:{last}" if last else None,
                  channel=channel)

    @subscribe.autocomplete("tags")
    async def complete_tags(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        done, _, last = current.rpartition(",")
        chosen = [p.strip() for p in done.split(",") if p.strip()]
        head = "".join(f"{p}, " for p in chosen)
        taken = {p.casefold() for p in chosen}
        found = await desk.queries.complete_tag(last, 25)
        return [
            _choice(head + t) for t in found if t.casefold() not in taken and len(head + t) <= 100
        ]

    return {"latest": latest, "tag": tag, "subscribe": _moderators_only(subscribe)}


# -- answers --------------------------------------------------------------------


async def show(interaction: discord.Interaction, reply: Reply) -> None:
    """A desk reply as the interaction's response (and follow-ups): stories as embeds,
    ten (and 6000 characters) per message; anything else as text."""
    if reply.stories:
        for embeds in batches(story_embed(s, brief=True) for s in reply.stories):
            await _respond(interaction, embeds=embeds, ephemeral=reply.private)
        return
    if reply.direct:  # for the sender's eyes: an ephemeral answer is
        await _respond(interaction, content=fit(reply.direct, EmbedLimits.content),
                       ephemeral=True)
        return
    text = f"{reply.heading}: " + ", ".join(reply.items) if reply.items else reply.text
    await _respond(interaction, content=fit(text, EmbedLimits.content), ephemeral=reply.private)


async def _respond(interaction: discord.Interaction, **kwargs: Any) -> None:
    if interaction.response.is_done():
        await interaction.followup.send(allowed_mentions=NO_MENTIONS, **kwargs)
    else:
        await interaction.response.send_message(allowed_mentions=NO_MENTIONS, **kwargs)


# -- who may do what ------------------------------------------------------------


class InteractionAccess(Access):
    """Rights as Discord resolved them for this interaction's member: in the channel it
    was used in, and in the channel its `channel` option picked."""

    def __init__(
        self, interaction: discord.Interaction,
        picked: app_commands.AppCommandChannel | None = None,
    ) -> None:
        self.interaction = interaction
        self.picked = picked

    def _elsewhere(self, chat: Chat) -> app_commands.AppCommandChannel | None:
        """The picked channel when `chat` is it and it is not where the command was used."""
        picked = self.picked
        if picked is None or chat.id != str(picked.id) or picked.id == self.interaction.channel_id:
            return None
        return picked

    async def may_moderate(self, chat: Chat) -> bool | None:
        if self.interaction.guild_id is None:
            return False  # subscriptions are made in a server channel, not in DMs
        picked = self._elsewhere(chat)
        perms = picked.permissions if picked is not None else self.interaction.permissions
        return perms.administrator or perms.manage_channels

    async def bot_missing(self, chat: Chat) -> tuple[str, ...]:
        picked = self._elsewhere(chat)
        if picked is None:
            channel = self.interaction.channel
            in_thread = channel is not None and getattr(channel, "type", None) in THREAD_TYPES
            return _missing(self.interaction.app_permissions,
                            SEND_IN_THREADS if in_thread else SEND)
        # Discord sends the bot's rights only for the channel the command was used in;
        # elsewhere they come from the server's roles and the channel's overwrites as
        # the gateway cached them. Without them nothing is claimed: delivery will tell.
        guild = self.interaction.guild
        cached = guild.get_channel(picked.id) if guild is not None else None
        if guild is None or cached is None or guild.me is None:
            return ()
        post = CREATE_POSTS if picked.type in FORUM_TYPES else SEND
        return _missing(cached.permissions_for(guild.me), post)


def _missing(perms: discord.Permissions, post: tuple[str, str]) -> tuple[str, ...]:
    if perms.administrator:
        return ()
    return tuple(label for name, label in (*BOT_NEEDS, post) if not getattr(perms, name))


def chat_of(interaction: discord.Interaction) -> Chat:
    """Where the command was used: a channel, or a thread (a channel with its own id)."""
    name = getattr(interaction.channel, "name", None)
    return Chat(PLATFORM, str(interaction.channel_id), _title(interaction, name))


def picked_chat(interaction: discord.Interaction, picked: app_commands.AppCommandChannel) -> Chat:
    return Chat(PLATFORM, str(picked.id), _title(interaction, picked.name))


def _title(interaction: discord.Interaction, name: str | None) -> str:
    guild = interaction.guild.name if interaction.guild and interaction.guild.name else ""
    title = f"#{name}" if name else ""
    if guild:
        title = f"{title} ({guild})" if title else guild
    return title


def _choice(value: str) -> app_commands.Choice[str]:
    return app_commands.Choice(name=value[:100], value=value[:100])
