"""The moderators' page over HTTP: who sees what, sessions, CSRF, rights asked again
at every change, and settings stored exactly as the chat commands store them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import update

from newsbot.app import Newsroom
from newsbot.chat.requests import Request
from newsbot.sections import WebConfig
from newsbot.store import schema
from newsbot.types import Chat
from tests.helpers import make_config, scripted_room, two_posts, write_post
from tests.web.conftest import NEWS, SPORT, Moderated, Visitor


async def test_nobody_signed_in_sees_nothing(visitor: Visitor) -> None:
    status, page = await visitor.get()
    assert status == 200 and "Send /manage to the bot" in page
    assert NEWS.title not in page and SPORT.title not in page
    for path in ("/save", "/resume", "/preview"):
        status, _ = await visitor.post(path, {"chat": NEWS.id, "tags": "x"})
        assert status == 403


async def test_opening_a_link_spends_nothing_until_the_button(visitor: Visitor) -> None:
    link = await visitor.link("ann")
    async with visitor.http.get(link) as response:
        assert response.status == 200 and "Open my page" in await response.text()
    token = link.partition("token=")[2]
    async with visitor.http.post(visitor.base + "/signin", data={"token": token},
                                 allow_redirects=False) as response:
        assert response.status == 303
        cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Max-Age=86400" in cookie
    assert "Secure" not in cookie  # served over http: a Secure cookie would never come back
    _, page = await visitor.get()
    assert NEWS.title in page and SPORT.title not in page  # Ann runs only the news chat
    async with visitor.http.post(visitor.base + "/signin", data={"token": token}) as again:
        assert again.status == 403 and "used already" in await again.text()


async def test_a_forged_or_foreign_link_opens_nothing(room: Newsroom, visitor: Visitor) -> None:
    assert room.sign_in is not None
    other = (await visitor.link("ann", platform="telegram")).partition("token=")[2]
    status, _ = await visitor.post("/signin", {"token": other[:-3] + "AAA"})
    assert status == 403
    await visitor.post("/signin", {"token": other})  # a telegram user on another platform
    status, page = await visitor.get()
    assert NEWS.title not in page and "Nothing to manage" in page


async def test_each_person_sees_only_what_they_moderate(
    visitor: Visitor, stranger: Visitor
) -> None:
    await visitor.sign_in("ann")
    await stranger.sign_in("carol")  # moderates nothing
    _, ann = await visitor.get()
    _, carol = await stranger.get()
    assert NEWS.title in ann and SPORT.title not in ann
    assert NEWS.title not in carol and SPORT.title not in carol
    # another person's destination cannot be changed by naming it
    status, _ = await visitor.post("/save", {"csrf": await visitor.csrf(), "chat": SPORT.id,
                                             "tags": "economy", "format": "full"})
    assert status == 404


async def test_changes_need_the_session_csrf_token(room: Newsroom, visitor: Visitor) -> None:
    await visitor.sign_in("ann")
    form = {"chat": NEWS.id, "tags": "economy", "format": "headline"}
    assert (await visitor.post("/save", form))[0] == 403
    assert (await visitor.post("/save", {**form, "csrf": "forged"}))[0] == 403
    async with visitor.http.post(visitor.base + "/preview", json=form) as response:
        assert response.status == 403
    sub = await room.queries.settings(NEWS)
    assert sub is not None and sub.tags == () and sub.style.format == "full"
    status, _ = await visitor.post("/save", {**form, "csrf": await visitor.csrf()})
    assert status == 303
    sub = await room.queries.settings(NEWS)
    assert sub is not None and sub.tags == ("economy",) and sub.style.format == "headline"


async def test_rights_are_asked_again_at_every_change(
    room: Newsroom, visitor: Visitor, platform: Moderated
) -> None:
    await visitor.sign_in("ann")
    csrf = await visitor.csrf()
    platform.moderators[NEWS.id].discard("ann")  # an admin demoted her meanwhile
    platform.asked.clear()
    status, _ = await visitor.post("/save", {"csrf": csrf, "chat": NEWS.id,
                                             "tags": "economy", "format": "full"})
    assert status == 404 and ("ann", NEWS.id) in platform.asked
    sub = await room.queries.settings(NEWS)
    assert sub is not None and sub.tags == ()
    _, page = await visitor.get()
    assert NEWS.title not in page


async def test_what_the_page_saves_equals_what_the_commands_store(
    room: Newsroom, visitor: Visitor, platform: Moderated
) -> None:
    other = Chat("scripted", "-300", "Commands")
    await room.subscriptions.subscribe(other)
    tags, words = "Politics, -economy, #UK", 'vote "interest rates" -sponsored /ru?ble/'
    for command, args in (("subscribe", tags), ("filter", words),
                          ("format", "compact silent publish noedits")):
        await room.desk.answer(Request(command, other, tuple(args.split())))
    await visitor.sign_in("ann")
    status, _ = await visitor.post("/save", {
        "csrf": await visitor.csrf(), "chat": NEWS.id, "tags": tags, "filters": words,
        "format": "compact", "silent": "on", "publish": "on", "edits": "ignore"})
    assert status == 303
    by_page, by_commands = await room.queries.settings(NEWS), await room.queries.settings(other)
    assert by_page is not None and by_commands is not None
    assert (by_page.tags, by_page.exclude, by_page.filters, by_page.style, by_page.edits) == (
        by_commands.tags, by_commands.exclude, by_commands.filters, by_commands.style,
        by_commands.edits)
    assert by_page.tags == ("politics", "uk") and by_page.exclude == ("economy",)
    assert by_page.edits == "ignore"
    await room.desk.answer(Request("format", other, ("edits",)))  # and back again
    status, _ = await visitor.post("/save", {
        "csrf": await visitor.csrf(), "chat": NEWS.id, "tags": tags, "filters": words,
        "format": "compact", "silent": "on", "publish": "on", "edits": "update"})
    by_page, by_commands = await room.queries.settings(NEWS), await room.queries.settings(other)
    assert by_page is not None and by_commands is not None
    assert status == 303 and by_page.edits == by_commands.edits == "update"


async def test_the_corrections_field_shows_the_choice_and_saves_only_a_change(
    room: Newsroom, visitor: Visitor
) -> None:
    await visitor.sign_in("ann")
    _, page = await visitor.get()
    assert 'name="edits" value="update" checked> Edit stories already sent' in page
    assert "This site edits no story already sent" not in page
    form = {"csrf": await visitor.csrf(), "chat": NEWS.id, "tags": "", "format": "full"}
    assert (await visitor.post("/save", {**form, "edits": "update"}))[0] == 303
    sub = await room.queries.settings(NEWS)
    assert sub is not None and sub.edits is None  # unchanged: still follows the site
    status, page = await visitor.post("/save", {**form, "edits": "never"})
    assert status == 400 and 'data-for="edits">Choose one of: update, ignore.' in page
    assert (await visitor.post("/save", {**form, "edits": "ignore"}))[0] == 303
    sub = await room.queries.settings(NEWS)
    assert sub is not None and sub.edits == "ignore"
    _, page = await visitor.get()
    assert 'name="edits" value="ignore" checked> Leave stories already sent' in page
    assert (await visitor.post("/save", form))[0] == 303  # a form without the field
    sub = await room.queries.settings(NEWS)
    assert sub is not None and sub.edits == "ignore"


async def test_the_page_says_when_the_site_edits_nothing(
    tmp_path: Path, platform: Moderated
) -> None:
    config = make_config(tmp_path, sections={"web": {"listen": "127.0.0.1:0"},
                                             "delivery": {"edits": "ignore",
                                                          "deletions": "delete"}})
    room = scripted_room(config, platform)
    await room.start()
    try:
        await room.subscriptions.subscribe(NEWS)
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            visitor = Visitor(room, http)
            await visitor.sign_in("ann")
            _, page = await visitor.get()
    finally:
        await room.stop()
    assert "This site edits no story already sent" in page
    assert "corrects them, and delete withdrawn ones</label>" in page


async def test_a_bad_pattern_is_explained_beside_its_field(
    room: Newsroom, visitor: Visitor
) -> None:
    await visitor.sign_in("ann")
    status, page = await visitor.post("/save", {
        "csrf": await visitor.csrf(), "chat": NEWS.id, "tags": "", "filters": "/ru?ble",
        "format": "full"})
    assert status == 400
    assert 'data-for="filters">The pattern /ru?ble needs a closing /' in page
    assert 'value="/ru?ble"' in page  # what they typed stays in the field
    sub = await room.queries.settings(NEWS)
    assert sub is not None and not sub.filters


async def test_the_preview_follows_the_settings(room: Newsroom, visitor: Visitor) -> None:
    await visitor.sign_in("ann")
    csrf = await visitor.csrf()
    ask = {"csrf": csrf, "chat": NEWS.id, "filters": "", "format": "full",
           "silent": False, "publish": False}
    async with visitor.http.post(visitor.base + "/preview", json={**ask, "tags": "economy"},
                                 headers={"X-CSRF-Token": csrf}) as response:
        answer = await response.json()
    assert "Budget day" in answer["html"] and answer["errors"] == {}
    async with visitor.http.post(visitor.base + "/preview",
                                 json={**ask, "tags": "", "filters": "/(/"}) as response:
        answer = await response.json()
    assert "filters" in answer["errors"]


async def test_deliveries_and_resuming_a_dead_destination(
    room: Newsroom, visitor: Visitor
) -> None:
    write_post(room.config.site.root, "2026-02-01-new.md", "A new story", tags=["uk"])
    await room.scan()
    await room.drain()
    await room.outbox.mark_dead("scripted", NEWS.id, "Forbidden: bot was kicked")
    await visitor.sign_in("ann")
    _, page = await visitor.get()
    assert "A new story" in page and "state-sent" in page
    assert "Delivery stopped: Forbidden: bot was kicked" in page
    csrf = await visitor.csrf()
    status, _ = await visitor.post("/save", {"csrf": csrf, "chat": NEWS.id, "tags": "uk"})
    sub = await room.queries.settings(NEWS)
    assert status == 303 and sub is not None and sub.tags == ("uk",)
    assert sub.dead  # new tags are not a resume: that is the button's to do
    status, _ = await visitor.post("/resume", {"csrf": csrf, "chat": NEWS.id})
    assert status == 303
    sub = await room.queries.settings(NEWS)
    assert sub is not None and not sub.dead


async def test_a_waiting_delivery_shows_why(room: Newsroom, visitor: Visitor) -> None:
    o = schema.outbox
    write_post(room.config.site.root, "2026-02-02-held.md", "Held back", tags=["uk"])
    await room.scan()
    await room.drain()
    async with room.store.engine.begin() as conn:
        await conn.execute(update(o).where(o.c.chat_id == NEWS.id).values(
            status="pending", attempts=2, last_error="Too Many Requests: retry after 5"))
    await visitor.sign_in("ann")
    _, page = await visitor.get()
    assert "retrying: Too Many Requests: retry after 5" in page


def test_cookies_are_secure_when_the_page_is_reached_over_https() -> None:
    behind_proxy = WebConfig(listen="127.0.0.1:8080", public_url="https://bot.example.org/")
    assert behind_proxy.secure and behind_proxy.base_url == "https://bot.example.org"
    assert not WebConfig(listen="127.0.0.1:8080").secure
    assert not WebConfig().enabled


async def test_no_post_from_another_site_is_taken_not_even_a_sign_in(visitor: Visitor) -> None:
    """Another site could otherwise sign a visitor into the attacker's own session (with
    the attacker's link) or replay a form: browsers say where a request comes from."""
    token = (await visitor.link("ann")).partition("token=")[2]
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"},
                    {"Sec-Fetch-Site": "same-site"}):
        async with visitor.http.post(visitor.base + "/signin", data={"token": token},
                                     headers=headers, allow_redirects=False) as response:
            assert response.status == 403 and "another site" in await response.text()
    _, page = await visitor.get()
    assert NEWS.title not in page  # not signed in, and the link is still unspent:
    own = {"Origin": "null", "Sec-Fetch-Site": "same-origin"}  # as Chromium sends it here
    async with visitor.http.post(visitor.base + "/signin", data={"token": token},
                                 headers=own, allow_redirects=False) as response:
        assert response.status == 303
    csrf = await visitor.csrf()
    async with visitor.http.post(visitor.base + "/save", data={"chat": NEWS.id, "csrf": csrf,
                                 "tags": "x"}, headers={"Origin": "https://evil.example"},
                                 allow_redirects=False) as response:
        assert response.status == 403


class Elsewhere(Moderated):
    """A second platform, where Ann runs another chat."""

    platform = "elsewhere"


ELSEWHERE = Chat("elsewhere", "e-1", "Another chat of Ann")


@pytest.fixture
async def two_platforms(tmp_path: Path, platform: Moderated) -> AsyncIterator[Newsroom]:
    other = Elsewhere()
    other.moderators = {ELSEWHERE.id: {"ann-e"}}
    two_posts(tmp_path / "_posts")
    config = make_config(tmp_path, sections={"web": {"listen": "127.0.0.1:0"}})
    room = Newsroom(config, watch=False,
                    make_adapters=lambda desk: {"scripted": platform, "elsewhere": other})
    await room.start()
    await room.subscriptions.subscribe(NEWS)
    await room.subscriptions.subscribe(ELSEWHERE)
    try:
        yield room
    finally:
        await room.stop()


async def test_one_page_shows_a_persons_destinations_on_every_platform_signed_in(
    two_platforms: Newsroom,
) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        visitor = Visitor(two_platforms, http)
        await visitor.sign_in("ann")
        _, page = await visitor.get()
        assert NEWS.title in page and ELSEWHERE.title not in page
        assert two_platforms.sign_in is not None
        link = await two_platforms.sign_in.link("elsewhere", "ann-e")
        await visitor.post("/signin", {"token": link.partition("token=")[2]})
        _, page = await visitor.get()
        assert NEWS.title in page and ELSEWHERE.title in page
        csrf = await visitor.csrf()
        status, _ = await visitor.post("/save", {"chat": "elsewhere:e-1", "csrf": csrf,
                                                 "tags": "uk", "format": "headline"})
        assert status == 303
    sub = await two_platforms.queries.settings(ELSEWHERE)
    assert sub is not None and sub.tags == ("uk",) and sub.style.format == "headline"


async def test_signing_out_ends_the_session_for_every_copy_of_its_cookie(
    visitor: Visitor, room: Newsroom
) -> None:
    await visitor.sign_in("ann")
    [kept] = [c.value for c in visitor.http.cookie_jar if c.key == "newsbot_session"]
    csrf = await visitor.csrf()
    status, _ = await visitor.post("/signout", {"csrf": csrf})
    assert status == 303
    base = visitor.base
    async with aiohttp.ClientSession(cookies={"newsbot_session": kept}) as stolen:
        async with stolen.get(base + "/") as page:
            assert NEWS.title not in await page.text()  # the copy opens nothing
        async with stolen.post(base + "/save", data={"chat": NEWS.id, "csrf": csrf,
                                                     "tags": "x"}) as change:
            assert change.status == 403
    sub = await room.queries.settings(NEWS)
    assert sub is not None and sub.tags == ()
