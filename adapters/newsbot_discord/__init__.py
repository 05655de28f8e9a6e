"""newsbot's Discord adapter: stories as embeds in channels, slash commands to subscribe.

Turned on by `discord.token` / `NEWSBOT_DISCORD_TOKEN`; see `adapter.py`.
"""

import warnings

with warnings.catch_warnings():
    # discord.py 2.7 imports the standard library's `audioop` for voice, which is
    # deprecated since Python 3.11; newsbot never uses voice. Without this, a run
    # with warnings as errors (our pytest settings) could not even import the adapter.
    warnings.filterwarnings("ignore", "'audioop' is deprecated", DeprecationWarning)
    import discord  # noqa: F401

from newsbot_discord.adapter import DiscordAdapter, DiscordStartError

__all__ = ["DiscordAdapter", "DiscordStartError"]
