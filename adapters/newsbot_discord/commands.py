"""Slash commands: the tree synced on start, and handlers that answer through `Queries`.

Names and descriptions come from the core's `COMMANDS`, so every platform offers
the same commands. `/latest` and `/tag` answer with embeds; errors and refusals
are ephemeral (only the person who asked sees them). `/subscribe` and
`/unsubscribe` are registered with Manage Channels as the default member
permission, and because a server can override that default, the member's
permissions in the channel (resolved by Discord and sent with the interaction)
are checked again here. `/subscribe` also checks the bot's own permissions there.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import discord
from discord import app_commands

from newsbot.chat.commands import ABOUT, COMMANDS, describe_filter
from newsbot.chat.queries import MAX_COUNT, TAG_MAX_LEN, Queries, UsageError, clean_filter
from newsbot.delivery.fitting import fit
from newsbot.store.subscriptions import Subscriptions
from newsbot.types import Chat, Subscription, Summary
from newsbot_discord.render import NO_MENTIONS, EmbedLimits, batches, story_embed

log = logging.getLogger(__name__)

PLATFORM = "discord"
#: what the bot needs in a channel to deliver stories there, with Discord's names
BOT_NEEDS = (("view_channel", "View Channel"), ("embed_links", "Embed Links"))
THREAD_TYPES = (
    discord.ChannelType.public_thread,
    discord.ChannelType.private_thread,
    discord.ChannelType.news_thread,
)
#: a subscription filter typed in one option, e.g. "politics, uk"
TAGS_MAX_LEN = 1000
_SUMMARIES = {spec.name: spec.summary for spec in COMMANDS}

#: failures whose message is meant for the person who typed the command
SHOWN_ERRORS = (UsageError, app_commands.TransformerError, app_commands.CheckFailure)

Count = app_commands.Range[int, 1, MAX_COUNT]
Tag = app_commands.Range[str, 1, TAG_MAX_LEN]
TagList = app_commands.Range[str, 1, TAGS_MAX_LEN]


class NewsTree(app_commands.CommandTree):
    """The command tree; turns failures into an ephemeral answer instead of silence."""

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        cause = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        if isinstance(cause, SHOWN_ERRORS):
            text = str(cause)
        else:
            log.error(
                "/%s failed", getattr(interaction.command, "name", "?"), exc_info=cause
            )
            text = "Sorry, something went wrong on my side. Please try again later."
        try:
            await say(interaction, text, ephemeral=True)
        except discord.HTTPException:
            log.warning("could not tell the user that a command failed", exc_info=True)


def build_tree(client: discord.Client, queries: Queries) -> NewsTree:
    """The slash commands of one client, answering from `queries`."""
    tree = NewsTree(client)
    for command in _commands(queries):
        tree.add_command(command)
    return tree


def _commands(queries: Queries) -> list[app_commands.Command]:  # type: ignore[type-arg]
    @app_commands.command(name="latest", description=_SUMMARIES["latest"])
    @app_commands.describe(count=f"how many stories (1 to {MAX_COUNT}, default 5)")
    async def latest(interaction: discord.Interaction, count: Count | None = None) -> None:
        stories = await queries.latest(count)
        await show_stories(interaction, stories, "Nothing has been published yet.")

    @app_commands.command(name="tag", description=_SUMMARIES["tag"])
    @app_commands.describe(tag="a tag or category", count=f"how many stories (1 to {MAX_COUNT})")
    async def tag(interaction: discord.Interaction, tag: Tag, count: Count | None = None) -> None:
        result = await queries.by_tag(tag, count)
        if not result.known:
            text = f"No stories are tagged “{result.tag}”."
            if result.suggestions:
                text += " Did you mean: " + ", ".join(result.suggestions) + "?"
            await say(interaction, text, ephemeral=True)
            return
        await show_stories(interaction, result.summaries, f"No stories are tagged “{result.tag}”.")

    @tag.autocomplete("tag")
    async def complete_tag(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [_choice(t) for t in await queries.complete_tag(current, 25)]

    @app_commands.command(name="tags", description=_SUMMARIES["tags"])
    async def tags(interaction: discord.Interaction) -> None:
        counts = await queries.tags()
        if not counts:
            await say(interaction, "No tags yet.")
            return
        await say(interaction, "Tags: " + ", ".join(f"{c.tag} ({c.count})" for c in counts))

    @app_commands.command(name="subscribe", description=_SUMMARIES["subscribe"])
    @app_commands.describe(tags="only stories with these tags, separated by commas (empty: all)")
    @app_commands.default_permissions(manage_channels=True)
    @app_commands.guild_only()
    async def subscribe(interaction: discord.Interaction, tags: TagList | None = None) -> None:
        refusal = member_refusal(interaction) or bot_refusal(interaction)
        if refusal:
            await say(interaction, refusal, ephemeral=True)
            return
        known = {t.tag.casefold() for t in await queries.tags()}
        sub = await Subscriptions(queries.store).subscribe(
            chat_of(interaction), clean_filter(split_tags(tags or "", known))
        )
        log.info("discord channel %s subscribed to %s", sub.chat.id, describe_filter(sub.tags))
        await say(interaction, f"This channel will now receive {describe_filter(sub.tags)}.")

    @subscribe.autocomplete("tags")
    async def complete_tags(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        done, _, last = current.rpartition(",")
        chosen = [p.strip() for p in done.split(",") if p.strip()]
        head = "".join(f"{p}, " for p in chosen)
        taken = {p.casefold() for p in chosen}
        found = await queries.complete_tag(last, 25)
        return [
            _choice(head + t) for t in found if t.casefold() not in taken and len(head + t) <= 100
        ]

    @app_commands.command(name="unsubscribe", description=_SUMMARIES["unsubscribe"])
    @app_commands.default_permissions(manage_channels=True)
    @app_commands.guild_only()
    async def unsubscribe(interaction: discord.Interaction) -> None:
        refusal = member_refusal(interaction)
        if refusal:
            await say(interaction, refusal, ephemeral=True)
            return
        if not await Subscriptions(queries.store).unsubscribe(chat_of(interaction)):
            await say(interaction, "This channel was not subscribed.", ephemeral=True)
            return
        log.info("discord channel %s unsubscribed", interaction.channel_id)
        await say(interaction, "This channel will no longer receive new stories.")

    @app_commands.command(name="settings", description=_SUMMARIES["settings"])
    async def settings(interaction: discord.Interaction) -> None:
        sub = await queries.settings(chat_of(interaction))
        await say(interaction, describe_settings(sub), ephemeral=True)

    @app_commands.command(name="help", description=_SUMMARIES["help"])
    async def help_(interaction: discord.Interaction) -> None:
        await say(interaction, help_text(), ephemeral=True)

    return [latest, tag, tags, subscribe, unsubscribe, settings, help_]


# -- answers --------------------------------------------------------------------


async def say(interaction: discord.Interaction, text: str, *, ephemeral: bool = False) -> None:
    """Answer with text: the interaction response, or a follow-up once responded."""
    text = fit(text, EmbedLimits.content)
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS)
    else:
        await interaction.response.send_message(
            text, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS
        )


async def show_stories(
    interaction: discord.Interaction, stories: Sequence[Summary], empty: str
) -> None:
    """Stories as embeds, ten (and 6000 characters) per message; `empty` when there are none."""
    if not stories:
        await say(interaction, empty)
        return
    for embeds in batches(story_embed(s, brief=True) for s in stories):
        if interaction.response.is_done():
            await interaction.followup.send(embeds=embeds, allowed_mentions=NO_MENTIONS)
        else:
            await interaction.response.send_message(embeds=embeds, allowed_mentions=NO_MENTIONS)


def describe_settings(sub: Subscription | None) -> str:
    if sub is None:
        return (
            "This channel is not subscribed. Someone who can manage this channel "
            "can use /subscribe to receive new stories here."
        )
    if sub.dead:
        reason = f" ({sub.dead_reason})" if sub.dead_reason else ""
        return (
            f"This channel was subscribed to {describe_filter(sub.tags)}, but delivery "
            f"stopped{reason}. Use /subscribe to start again."
        )
    return f"This channel receives {describe_filter(sub.tags)}."


def help_text() -> str:
    lines = [ABOUT, ""]
    for spec in COMMANDS:
        args = f" {spec.args}" if spec.args else ""
        who = " (needs Manage Channels)" if spec.moderator_only else ""
        lines.append(f"/{spec.name}{args} — {spec.summary}{who}")
    return "\n".join(lines)


# -- who may do what ------------------------------------------------------------


def member_refusal(interaction: discord.Interaction) -> str | None:
    """Why this member may not change the channel's subscription, or None if they may."""
    if interaction.guild_id is None:
        return "Subscriptions are made in a server channel, not in direct messages."
    perms = interaction.permissions
    if perms.administrator or perms.manage_channels:
        return None
    return "Only members who can Manage Channels here may change this channel's subscription."


def bot_refusal(interaction: discord.Interaction) -> str | None:
    """Why the bot could not deliver stories to this channel, or None if it can."""
    perms = interaction.app_permissions
    if perms.administrator:
        return None
    channel = interaction.channel
    in_thread = channel is not None and getattr(channel, "type", None) in THREAD_TYPES
    needs = (
        *BOT_NEEDS,
        ("send_messages_in_threads", "Send Messages in Threads")
        if in_thread
        else ("send_messages", "Send Messages"),
    )
    missing = [label for name, label in needs if not getattr(perms, name)]
    if not missing:
        return None
    return (
        "I cannot post stories in this channel: I need the "
        + _join(missing)
        + " permission"
        + ("s" if len(missing) > 1 else "")
        + " here. Please ask a server admin, then try /subscribe again."
    )


def chat_of(interaction: discord.Interaction) -> Chat:
    channel = interaction.channel
    name = getattr(channel, "name", None)
    guild = interaction.guild.name if interaction.guild and interaction.guild.name else ""
    title = f"#{name}" if name else ""
    if guild:
        title = f"{title} ({guild})" if title else guild
    return Chat(PLATFORM, str(interaction.channel_id), title)


def split_tags(text: str, known: set[str]) -> list[str]:
    """A typed filter as tags. With commas, the pieces between them ("politics,
    Breaking News"); without, one known tag as typed, else words ("politics uk")."""
    text = text.strip()
    if "," in text:
        return [piece.strip() for piece in text.split(",") if piece.strip()]
    if text.lstrip("#").casefold() in known:
        return [text]
    return text.split()


def _choice(value: str) -> app_commands.Choice[str]:
    return app_commands.Choice(name=value[:100], value=value[:100])


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
