"""Slash commands: the tree synced on start, each command a request to the core's desk.

The menu is the desk's: every command it offers becomes a slash command, its
options built from the spec's typed `Option`s (a count from 1 to 20, a tag with
autocomplete, free text), so a command added to the core needs nothing here.
Answers are the desk's replies: stories as embeds, the rest as text, ephemeral
(seen only by the person who asked) when the reply is private. Moderators'
commands are registered with Manage Channels as the default member permission;
because a server can override that default, the member's permissions in the
channel (resolved by Discord and sent with the interaction) are checked again by
the desk, through `InteractionAccess`.

Used inside a thread, a command is about that thread (a channel with its own id).
A command about a destination takes a `channel` option naming another text,
announcement or forum channel of the server (a forum takes no commands of its
own); Discord resolves it with the member's permissions there, and the desk gets
it as the request's `target`.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

import discord
from discord import app_commands

from newsbot.chat.commands import BOUNDS, CommandSpec, Option, options_of, typed_args
from newsbot.chat.desk import CommandDesk
from newsbot.chat.manage import shown_where_asked
from newsbot.chat.requests import Access, Caveats, Reply, Request, Terms
from newsbot.chat.wording import INTERNAL_ERROR
from newsbot.delivery.fitting import batches, fit
from newsbot.types import Chat
from newsbot_discord.places import FORUM_TYPES, THREAD_TYPES
from newsbot_discord.render import NO_MENTIONS, EmbedLimits, story_embed

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
#: what recognises a forum post the bot already opened, when a send is repeated
#: (`forum_posts.py`): without it a repeat can open a second post
READ_HISTORY = "Read Message History"
#: the channels a `channel` option offers: where stories can go, besides threads
PICKABLE = [discord.ChannelType.text, discord.ChannelType.news, discord.ChannelType.forum]
#: the option naming another destination, as Discord shows it
CHANNEL = "channel"
CHANNEL_HELP = "another channel of this server, such as a forum (you need Manage Channels there)"
#: Discord's limit on an option's description, and on an autocomplete choice
OPTION_TEXT_MAX = 100


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
    for spec in desk.specs:
        tree.add_command(slash_command(desk, spec))
    return tree


def annotation(option: Option) -> Any:
    """The option's type as discord.py reads it from a callback's signature."""
    if option.kind == "destination":
        return app_commands.Transform[app_commands.AppCommandChannel, Pickable]
    low, high = BOUNDS[option.kind]
    return app_commands.Range[int if option.is_number else str, low, high]


def slash_command(desk: CommandDesk, spec: CommandSpec) -> app_commands.Command[Any, Any, Any]:
    """One command of the desk, its options typed as the spec declares them."""
    options = options_of(spec)
    names = {option.name: CHANNEL if option.kind == "destination" else option.name
             for option in options}

    async def callback(interaction: discord.Interaction, **values: Any) -> None:
        picked = values.pop(CHANNEL, None)
        args = typed_args(options, {name: values.get(names[name]) for name in names})
        await ask(interaction, desk, spec.name, args, picked)

    callback.__signature__ = inspect.Signature([  # type: ignore[attr-defined]
        inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                          annotation=discord.Interaction),
        *(inspect.Parameter(names[o.name], inspect.Parameter.KEYWORD_ONLY,
                            default=inspect.Parameter.empty if o.required else None,
                            annotation=annotation(o)) for o in options),
    ])
    helps = {names[o.name]: CHANNEL_HELP if o.kind == "destination" else o.help
             for o in options}
    command: app_commands.Command[Any, Any, Any] = app_commands.Command(
        name=spec.name, description=spec.summary,
        callback=app_commands.describe(**{k: v[:OPTION_TEXT_MAX] for k, v in helps.items()})(
            callback),
    )
    for option in options:
        if option.completes_tags:
            command.autocomplete(option.name)(_completer(desk, option))
    if spec.moderator_only:
        command = app_commands.default_permissions(manage_channels=True)(command)
        command = app_commands.guild_only()(command)
    return command


def _completer(desk: CommandDesk, option: Option) -> Any:
    async def complete(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        offers = await desk.complete(option, current, width=OPTION_TEXT_MAX)
        return [app_commands.Choice(name=offer, value=offer) for offer in offers]

    return complete


async def ask(interaction: discord.Interaction, desk: CommandDesk, name: str,
              args: tuple[str, ...],
              channel: app_commands.AppCommandChannel | None = None) -> None:
    """Send one slash command to the desk and show its reply; `channel` is the
    destination picked with the `channel` option."""
    request = Request(
        command=name,
        chat=chat_of(interaction),
        args=args,
        access=InteractionAccess(interaction, channel),
        terms=TERMS,
        private=interaction.guild_id is None,
        target=picked_chat(interaction, channel) if channel is not None else None,
        sender=str(interaction.user.id),
    )
    await show(interaction, await shown_where_asked(await desk.answer(request), sender_only=True))


# -- answers --------------------------------------------------------------------


async def show(interaction: discord.Interaction, reply: Reply) -> None:
    """A desk reply as the interaction's response (and follow-ups): stories as embeds,
    ten (and 6000 characters) per message; anything else as text."""
    if reply.stories:
        embeds = (story_embed(story, brief=True) for story in reply.stories)
        for batch in batches(embeds, len, most=EmbedLimits.embeds_per_message,
                             total=EmbedLimits.total):
            await _respond(interaction, embeds=batch, ephemeral=reply.private)
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


    async def caveats(self, chat: Chat) -> Caveats:
        """A forum picked with the `channel` option (nobody types in a forum): whether
        it takes only stories with one of its tags, and whether the bot can recognise
        its own posts there (`forum_posts.py`), from the gateway's cache."""
        picked, guild = self._elsewhere(chat), self.interaction.guild
        if picked is None or picked.type not in FORUM_TYPES or guild is None:
            return Caveats()
        forum = guild.get_channel(picked.id)
        if not isinstance(forum, discord.ForumChannel) or guild.me is None:
            return Caveats()
        perms = forum.permissions_for(guild.me)
        return Caveats(
            repeat_guard=() if perms.administrator or perms.read_message_history
            else (READ_HISTORY,),
            only_labels=tuple(tag.name for tag in forum.available_tags)
            if forum.flags.require_tag else (),
        )


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
