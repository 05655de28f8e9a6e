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
              *args: str | int | None) -> None:
    """Send one slash command to the desk and show its reply."""
    request = Request(
        command=name,
        chat=chat_of(interaction),
        args=tuple(str(arg) for arg in args if arg is not None),
        access=InteractionAccess(interaction),
        terms=TERMS,
        private=interaction.guild_id is None,
        sender=str(interaction.user.id),
    )
    await show(interaction, await desk.answer(request))


def _text_command(desk: CommandDesk, spec: CommandSpec) -> app_commands.Command[Any, Any, Any]:
    """Any command of the desk: no option when it takes no arguments, else one optional
    `text` option holding them as typed."""

    async def bare(interaction: discord.Interaction) -> None:
        await ask(interaction, desk, spec.name)

    async def with_text(interaction: discord.Interaction, text: Text | None = None) -> None:
        await ask(interaction, desk, spec.name, *(text.split() if text else ()))

    callback = app_commands.describe(text=spec.args[:100])(with_text) if spec.args else bare
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
    )
    async def subscribe(
        interaction: discord.Interaction, tags: TagList | None = None, last: Batch | None = None
    ) -> None:
        await ask(interaction, desk, "subscribe", tags, f"last:{last}" if last else None)

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
    """Rights as Discord resolved them for this interaction's member and channel."""

    def __init__(self, interaction: discord.Interaction) -> None:
        self.interaction = interaction

    async def may_moderate(self, chat: Chat) -> bool | None:
        if self.interaction.guild_id is None:
            return False  # subscriptions are made in a server channel, not in DMs
        perms = self.interaction.permissions
        return perms.administrator or perms.manage_channels

    async def bot_missing(self, chat: Chat) -> tuple[str, ...]:
        perms = self.interaction.app_permissions
        if perms.administrator:
            return ()
        channel = self.interaction.channel
        in_thread = channel is not None and getattr(channel, "type", None) in THREAD_TYPES
        needs = (
            *BOT_NEEDS,
            ("send_messages_in_threads", "Send Messages in Threads")
            if in_thread
            else ("send_messages", "Send Messages"),
        )
        return tuple(label for name, label in needs if not getattr(perms, name))


def chat_of(interaction: discord.Interaction) -> Chat:
    channel = interaction.channel
    name = getattr(channel, "name", None)
    guild = interaction.guild.name if interaction.guild and interaction.guild.name else ""
    title = f"#{name}" if name else ""
    if guild:
        title = f"{title} ({guild})" if title else guild
    return Chat(PLATFORM, str(interaction.channel_id), title)


def _choice(value: str) -> app_commands.Choice[str]:
    return app_commands.Choice(name=value[:100], value=value[:100])
