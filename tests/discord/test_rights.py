"""Who may moderate a Discord channel (`may_moderate`: Manage Channels or Administrator
there), on a worker that runs the gateway of the channel's server and on one that runs
none: the first reads discord.py's cache, the second asks Discord by REST and resolves
the rights itself (`permissions.py`). Both must answer as Discord would, a private
thread's too: seen only by its members and those who may Manage Threads."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsbot.chat.desk import CommandDesk
from newsbot.chat.queries import Queries
from newsbot.store import Store
from newsbot.store.subscriptions import Subscriptions
from newsbot_discord import DiscordAdapter
from tests.discord.fake_discord import FakeDiscord
from tests.discord.objects import (
    ADMINS_ROLE,
    APP_ID,
    GUILD_ID,
    MANAGE_CHANNELS,
    MANAGE_THREADS,
    MEMBER_ID,
    MEMBER_OVERWRITE,
    MODERATORS_ROLE,
    NEWS,
    OWNER_ID,
    PRIVATE,
    STAFF,
    THREAD,
    TOKEN,
    VIEW_CHANNEL,
    Overwrite,
)
from tests.helpers import start_alone

#: Overwrites on #news (THREAD's parent channel)
DENY_MODERATORS = Overwrite(MODERATORS_ROLE, deny=MANAGE_CHANNELS)
ALLOW_MEMBER = Overwrite(MEMBER_ID, MEMBER_OVERWRITE, allow=MANAGE_CHANNELS)
HIDE_FROM_ALL = Overwrite(GUILD_ID, deny=VIEW_CHANNEL)  # @everyone's overwrite
HIDE_FROM_MODERATORS = Overwrite(MODERATORS_ROLE, deny=VIEW_CHANNEL)
ALLOW_ALL = Overwrite(GUILD_ID, allow=MANAGE_CHANNELS)
ALLOW_MEMBER_THREADS = Overwrite(MEMBER_ID, MEMBER_OVERWRITE, allow=MANAGE_THREADS)
NOT_A_MEMBER = None
#: whether the member is in the private thread
IN_IT, NOT_IN_IT = True, False


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[CommandDesk]:
    store = await Store.open(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    yield CommandDesk(Queries(store), Subscriptions(store))
    await store.close()


#: starts the adapter, once the test has set up the fake
Start = Callable[[], Awaitable[DiscordAdapter]]


@pytest.fixture(params=["no gateway", "gateway"])
async def started(
    request: pytest.FixtureRequest, fake: FakeDiscord, desk: CommandDesk
) -> AsyncIterator[Start]:
    """Starts the adapter once the test has set up the fake (the gateway's cache is
    what GUILD_CREATE carried): as a worker holding no shard (REST only), or as one
    process alone, running the gateway of every server."""
    adapters: list[DiscordAdapter] = []

    async def start() -> DiscordAdapter:
        adapter = DiscordAdapter(TOKEN, desk, api_url=fake.api_url,
                                 gateway_url=fake.gateway_url)
        adapters.append(adapter)
        if request.param == "gateway":
            await start_alone(adapter)
            assert adapter.shards.ids == [0]
        else:
            await adapter.start()
            assert adapter.shards.ids == []
        return adapter

    yield start
    for adapter in adapters:
        await adapter.stop()


def asked_the_server(fake: FakeDiscord) -> bool:
    """Whether the server itself (roles, owner) was read by REST."""
    return any(r.path == f"/guilds/{GUILD_ID}" for r in fake.requests)


@pytest.mark.parametrize(
    ("user", "roles", "channel", "overwrites", "expected"),
    [
        pytest.param(OWNER_ID, [], NEWS, [HIDE_FROM_ALL], True, id="the server's owner"),
        pytest.param(MEMBER_ID, [ADMINS_ROLE], NEWS, [HIDE_FROM_ALL, DENY_MODERATORS], True,
                     id="an Administrator, whatever the overwrites"),
        pytest.param(MEMBER_ID, [MODERATORS_ROLE], NEWS, [], True,
                     id="a role with Manage Channels"),
        pytest.param(MEMBER_ID, [MODERATORS_ROLE], NEWS, [DENY_MODERATORS], False,
                     id="Manage Channels denied to the role in the channel"),
        pytest.param(MEMBER_ID, [], NEWS, [ALLOW_MEMBER], True,
                     id="the member's own overwrite allows it"),
        pytest.param(MEMBER_ID, [MODERATORS_ROLE], NEWS, [DENY_MODERATORS, ALLOW_MEMBER], True,
                     id="the member's overwrite comes after the roles'"),
        pytest.param(MEMBER_ID, [MODERATORS_ROLE], NEWS, [ALLOW_ALL, DENY_MODERATORS], False,
                     id="a role's overwrite comes after @everyone's"),
        pytest.param(MEMBER_ID, [], THREAD, [ALLOW_MEMBER], True,
                     id="a thread: its parent's overwrite allows it"),
        pytest.param(MEMBER_ID, [MODERATORS_ROLE], THREAD, [DENY_MODERATORS], False,
                     id="a thread: its parent's overwrite denies it"),
        pytest.param(MEMBER_ID, [MODERATORS_ROLE], NEWS, [HIDE_FROM_MODERATORS], False,
                     id="Manage Channels without View Channel there"),
        pytest.param(MEMBER_ID, [], NEWS, [], False, id="a plain member"),
        pytest.param(MEMBER_ID, NOT_A_MEMBER, NEWS, [], False, id="not a member"),
    ],
)
async def test_rights_are_resolved_as_discord_does(
    started: Start, fake: FakeDiscord, user: str,
    roles: list[str] | None, channel: str, overwrites: list[Overwrite], expected: bool,
) -> None:
    if roles is not None:
        fake.members[user] = roles
    fake.channels[NEWS].overwrites = overwrites
    adapter = await started()

    assert await adapter.may_moderate(user, channel) is expected
    # without the gateway's cache the server's roles and owner come from Discord
    assert asked_the_server(fake) is (adapter.shards.ids == [])


def asked_who_is_in(fake: FakeDiscord, thread: str) -> bool:
    return any(r.path.startswith(f"/channels/{thread}/thread-members/") for r in fake.requests)


@pytest.mark.parametrize(
    ("user", "roles", "in_thread", "overwrites", "expected"),
    [
        pytest.param(MEMBER_ID, [MODERATORS_ROLE], NOT_IN_IT, [], False,
                     id="Manage Channels on the parent, not in the thread"),
        pytest.param(MEMBER_ID, [MODERATORS_ROLE], IN_IT, [], True,
                     id="Manage Channels on the parent, in the thread"),
        pytest.param(MEMBER_ID, [], IN_IT, [], False, id="in the thread, a plain member"),
        pytest.param(MEMBER_ID, [MODERATORS_ROLE], IN_IT, [HIDE_FROM_MODERATORS], False,
                     id="in the thread, without View Channel on the parent"),
        pytest.param(MEMBER_ID, [MODERATORS_ROLE], NOT_IN_IT, [ALLOW_MEMBER_THREADS], True,
                     id="Manage Threads and Manage Channels, not in the thread"),
        pytest.param(MEMBER_ID, [MODERATORS_ROLE], NOT_IN_IT,
                     [ALLOW_MEMBER_THREADS, DENY_MODERATORS], False,
                     id="Manage Threads, Manage Channels denied on the parent"),
        pytest.param(MEMBER_ID, [ADMINS_ROLE], NOT_IN_IT, [HIDE_FROM_ALL], True,
                     id="an Administrator, not in the thread"),
        pytest.param(OWNER_ID, [], NOT_IN_IT, [], True, id="the server's owner"),
    ],
)
async def test_a_private_thread_is_moderated_only_by_those_who_see_it(
    started: Start, fake: FakeDiscord, user: str, roles: list[str], in_thread: bool,
    overwrites: list[Overwrite], expected: bool,
) -> None:
    """Discord's "Threads" topic: a private thread is seen by its members and by those
    who may Manage Threads (Administrators too); the parent's rights apply to them."""
    fake.members[user] = roles
    fake.channels[NEWS].overwrites = overwrites
    fake.private_thread([user] if in_thread else [])
    adapter = await started()

    assert await adapter.may_moderate(user, PRIVATE) is expected
    assert asked_the_server(fake) is (adapter.shards.ids == [])
    # membership is asked of Discord, on either path, unless the rights settle it
    settled = roles == [ADMINS_ROLE] or user == OWNER_ID or ALLOW_MEMBER_THREADS in overwrites
    can_view = HIDE_FROM_MODERATORS not in overwrites
    assert asked_who_is_in(fake, PRIVATE) is (can_view and not settled)


async def test_leaving_a_private_thread_loses_it_at_the_next_look(
    started: Start, fake: FakeDiscord
) -> None:
    fake.members[MEMBER_ID] = [MODERATORS_ROLE]
    thread = fake.private_thread([MEMBER_ID])
    adapter = await started()
    assert await adapter.may_moderate(MEMBER_ID, PRIVATE) is True
    thread.thread_members.remove(MEMBER_ID)
    assert await adapter.may_moderate(MEMBER_ID, PRIVATE) is False
    fake.fail(f"{PRIVATE}/thread-members", "unavailable")  # Discord cannot say who is in it
    assert await adapter.may_moderate(MEMBER_ID, PRIVATE) is None
    assert await adapter.may_moderate(MEMBER_ID, THREAD) is True  # a public thread: no question
    assert not asked_who_is_in(fake, THREAD)


async def test_a_private_thread_the_bot_is_not_in_is_moderated_by_nobody_there(
    started: Start, fake: FakeDiscord
) -> None:
    """The bot cannot see it (its role has no Manage Threads): Missing Access."""
    fake.members[MEMBER_ID] = [MODERATORS_ROLE]
    fake.private_thread([MEMBER_ID]).thread_members.remove(APP_ID)
    adapter = await started()
    assert await adapter.may_moderate(MEMBER_ID, PRIVATE) is False


async def test_a_timed_out_moderator_moderates_nothing(
    started: Start, fake: FakeDiscord
) -> None:
    """Discord: a timed-out member keeps View Channel and Read Message History only."""
    fake.members[MEMBER_ID] = [MODERATORS_ROLE]
    fake.timeouts[MEMBER_ID] = datetime.now(UTC) + timedelta(hours=1)
    adapter = await started()
    assert await adapter.may_moderate(MEMBER_ID, NEWS) is False
    fake.timeouts[MEMBER_ID] = datetime.now(UTC) - timedelta(minutes=1)  # it ended
    assert await adapter.may_moderate(MEMBER_ID, NEWS) is True


@pytest.fixture
async def rest_only(fake: FakeDiscord, desk: CommandDesk) -> AsyncIterator[DiscordAdapter]:
    adapter = DiscordAdapter(TOKEN, desk, api_url=fake.api_url, gateway_url=fake.gateway_url)
    await adapter.start()  # no shard given: no gateway
    yield adapter
    await adapter.stop()


async def test_without_the_gateway_each_look_asks_discord_again(
    rest_only: DiscordAdapter, fake: FakeDiscord
) -> None:
    fake.members[MEMBER_ID] = [MODERATORS_ROLE]
    assert await rest_only.may_moderate(MEMBER_ID, THREAD) is True
    asked = sorted(r.path for r in fake.requests if r.method == "GET"
                   and r.path.startswith(("/channels/", "/guilds/")))
    assert asked == [f"/channels/{NEWS}", f"/channels/{THREAD}", f"/guilds/{GUILD_ID}",
                     f"/guilds/{GUILD_ID}/members/{MEMBER_ID}"]
    fake.members[MEMBER_ID] = []  # the role is taken away: nothing remembered
    assert await rest_only.may_moderate(MEMBER_ID, THREAD) is False


async def test_without_the_gateway_refusals_mean_no_and_outages_cannot_tell(
    rest_only: DiscordAdapter, fake: FakeDiscord
) -> None:
    fake.members[MEMBER_ID] = [MODERATORS_ROLE]
    assert await rest_only.may_moderate(MEMBER_ID, STAFF) is False  # Missing Access
    assert await rest_only.may_moderate(MEMBER_ID, "1499999999999999999") is False  # Unknown
    fake.fail(GUILD_ID, "unavailable")
    assert await rest_only.may_moderate(MEMBER_ID, NEWS) is None
    assert await rest_only.may_moderate(MEMBER_ID, NEWS) is True  # Discord is back
    assert await rest_only.may_moderate("someone", NEWS) is None  # not a Discord user id
