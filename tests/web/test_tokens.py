"""Sign-in links and session cookies: signed, bound to one user, single-use, short-lived."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from newsbot.store import Store, schema
from newsbot.web.tokens import (
    LINK_SECONDS,
    SESSION_SECONDS,
    USED_PREFIX,
    BadToken,
    Identity,
    SignIn,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(f"sqlite:///{tmp_path / 'web.sqlite3'}")
    try:
        yield opened
    finally:
        await opened.close()


def token_of(link: str) -> str:
    assert link.startswith("https://bot.example.org/signin?token=")
    return link.partition("token=")[2]


async def test_a_link_opens_one_session_for_its_user(store: Store) -> None:
    sign_in = await SignIn.open(store, "https://bot.example.org")
    token = token_of(await sign_in.link("telegram", "501"))
    session, cookie = await sign_in.redeem(token)
    assert session.identity == Identity("telegram", "501")
    assert sign_in.session(cookie) == session
    with pytest.raises(BadToken, match="used already"):
        await sign_in.redeem(token)


async def test_links_expire_after_a_quarter_of_an_hour(store: Store) -> None:
    clock = Clock()
    sign_in = await SignIn.open(store, "https://bot.example.org", clock)
    early = token_of(await sign_in.link("discord", "7"))
    late = token_of(await sign_in.link("discord", "7"))
    clock.now += LINK_SECONDS - 1
    await sign_in.redeem(early)
    clock.now += 1
    with pytest.raises(BadToken, match="expired"):
        await sign_in.redeem(late)


async def test_sessions_last_a_day_at_most(store: Store) -> None:
    clock = Clock()
    sign_in = await SignIn.open(store, "https://bot.example.org", clock)
    _, cookie = await sign_in.redeem(token_of(await sign_in.link("telegram", "501")))
    clock.now += SESSION_SECONDS - 1
    assert sign_in.session(cookie) is not None
    clock.now += 1
    assert sign_in.session(cookie) is None


@pytest.mark.parametrize("change", ["user", "signature", "garbage", "cookie as link"])
async def test_forged_links_open_nothing(store: Store, change: str) -> None:
    sign_in = await SignIn.open(store, "https://bot.example.org")
    token = token_of(await sign_in.link("telegram", "501"))
    body, _, mac = token.partition(".")
    if change == "user":  # another user's id with the first user's signature
        other = token_of(await sign_in.link("telegram", "502"))
        forged = f"{other.partition('.')[0]}.{mac}"
    elif change == "signature":
        forged = f"{body}.{mac[:-2]}AA"
    elif change == "garbage":
        forged = "not-a-token"
    else:  # a session cookie is signed for another purpose
        _, forged = await sign_in.redeem(token)
    with pytest.raises(BadToken, match="not one of mine"):
        await sign_in.redeem(forged)
    assert sign_in.session(token) is None  # nor does a link pass for a cookie


async def test_the_secret_is_kept_across_restarts_and_differs_per_install(
    store: Store, tmp_path: Path
) -> None:
    first = await SignIn.open(store, "https://bot.example.org")
    token = token_of(await first.link("telegram", "501"))
    again = await SignIn.open(store, "https://bot.example.org")
    await again.redeem(token)  # a restart keeps links working
    other = await Store.open(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    try:
        stranger = await SignIn.open(other, "https://bot.example.org")
        with pytest.raises(BadToken):
            await stranger.redeem(token_of(await first.link("telegram", "501")))
    finally:
        await other.close()


async def test_used_links_are_forgotten_once_expired(store: Store) -> None:
    clock = Clock()
    sign_in = await SignIn.open(store, "https://bot.example.org", clock)
    await sign_in.redeem(token_of(await sign_in.link("telegram", "1")))
    clock.now += LINK_SECONDS + 1
    await sign_in.redeem(token_of(await sign_in.link("telegram", "2")))
    m = schema.meta
    async with store.engine.connect() as conn:
        used = (await conn.execute(select(m.c.key).where(m.c.key.like(USED_PREFIX + "%")))).all()
    assert len(used) == 1


async def test_a_link_used_while_signed_in_adds_its_platform_without_extending(
    store: Store,
) -> None:
    clock = Clock()
    sign_in = await SignIn.open(store, "https://bot.example.org", clock)
    first, cookie = await sign_in.redeem(token_of(await sign_in.link("telegram", "501")))
    clock.now += 3600
    both, cookie = await sign_in.redeem(token_of(await sign_in.link("discord", "77")), cookie)
    assert both.identities == (Identity("telegram", "501"), Identity("discord", "77"))
    assert both.expires == first.expires  # still a day from the first sign-in
    other, _ = await sign_in.redeem(token_of(await sign_in.link("telegram", "502")), cookie)
    assert other.identities == (Identity("discord", "77"), Identity("telegram", "502"))
    clock.now = first.expires  # the session is over: a link opens a fresh one
    fresh, _ = await sign_in.redeem(token_of(await sign_in.link("discord", "77")), cookie)
    assert fresh.identities == (Identity("discord", "77"),)
    assert fresh.expires == first.expires + SESSION_SECONDS


async def test_a_link_cannot_name_two_people(store: Store) -> None:
    sign_in = await SignIn.open(store, "https://bot.example.org")
    for user in ("1,discord:2", "1:2", "a|b", ""):
        with pytest.raises(ValueError):
            await sign_in.link("telegram", user)
