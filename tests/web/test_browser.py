"""The moderators' page in a real browser (Chromium driven by Playwright), signed in
through a /manage link from the fake Telegram, down to the next story's delivery.

Uses Debian's Chromium (`apt-get install chromium`) when it is there, else
Playwright's own (`playwright install chromium`); `.ci/run` installs the first.
Screenshots at desktop and phone width are saved in the test's tmp folder.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright import async_api as playwright_api

from newsbot.app import Newsroom
from newsbot.types import Chat, Style
from newsbot_telegram import TelegramAdapter
from tests.helpers import make_config, write_post
from tests.telegram.bot_api_checks import SpecChecker
from tests.telegram.conftest import telegram_room
from tests.telegram.fake_bot_api import TOKEN, FakeBotAPI, command, group, person, private

SYSTEM_CHROMIUM = "/usr/bin/chromium"
HAVE_SYSTEM_CHROMIUM = os.path.exists(SYSTEM_CHROMIUM)
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
HOW = ("no Chromium for the browser tests: install Debian's (apt-get install -y chromium) "
       "or Playwright's own (python -m playwright install chromium)")
ANN, BOB = person(501, "Ann", "ann"), person(502, "Bob")
GROUP = group(-100700, "Readers")
GROUP_CHAT = Chat("telegram", str(GROUP.id))
DESKTOP, PHONE = {"width": 1280, "height": 900}, {"width": 390, "height": 844}


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    async with playwright_api.async_playwright() as driver:
        if HAVE_SYSTEM_CHROMIUM:
            found = await driver.chromium.launch(executable_path=SYSTEM_CHROMIUM,
                                                 headless=True, args=ARGS)
        else:
            try:
                found = await driver.chromium.launch(headless=True, args=ARGS)
            except playwright_api.Error:
                if os.environ.get("CI"):  # CI installs Chromium (.ci/run): never skip there
                    raise
                pytest.skip(HOW)  # a user's machine without any Chromium: say how to get one
        try:
            yield found
        finally:
            await found.close()


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    """The fake Telegram, checking every request against the Bot API's specification."""
    server = FakeBotAPI(spec=SpecChecker.from_env())
    await server.start()
    try:
        yield server
    finally:
        await server.close()
    assert server.violations == []


@pytest.fixture
async def room(tmp_path: Path, fake: FakeBotAPI) -> AsyncIterator[Newsroom]:
    posts = tmp_path / "_posts"
    write_post(posts, "2026-01-20-budget.md", "Budget day", tags=["economy"],
               body="The chancellor spoke for an hour.\n")
    write_post(posts, "2026-01-21-vote.md", "The vote", tags=["politics", "uk"],
               body="Parliament voted late at night.\n")
    sections = {"telegram": {"api_url": fake.api_url}, "web": {"listen": "127.0.0.1:0"}}
    config = make_config(tmp_path, sections=sections, env={"NEWSBOT_TELEGRAM_TOKEN": TOKEN})
    newsroom = telegram_room(config)
    await newsroom.start()
    try:
        yield newsroom
    finally:
        await newsroom.stop()


async def link_for(bot_api: FakeBotAPI, user: object) -> str:
    reply = await bot_api.ask(command(private(user), "/manage"))  # type: ignore[arg-type]
    assert reply.visible is not None
    return reply.visible[reply.visible.index("http://"):].split()[0]


async def test_a_moderator_reshapes_a_chat_and_the_next_story_follows(
    room: Newsroom, fake: FakeBotAPI, browser: object, tmp_path: Path
) -> None:
    fake.add_chat(GROUP)
    fake.set_member(GROUP.id, ANN.id, "administrator")
    await fake.ask(command(GROUP, "/subscribe", sender=ANN))
    page = await browser.new_page(viewport=DESKTOP)  # type: ignore[attr-defined]
    await page.goto(await link_for(fake, ANN))
    await page.click("text=Open my page")
    card = page.locator("section.destination", has_text="Readers")
    preview = card.locator(".preview")
    assert "The vote" in await preview.inner_text()  # the newest story, as a full card
    assert "Parliament voted" in await preview.inner_text()

    await card.locator("input[name=tags]").fill("economy")
    await page.wait_for_function(
        "() => document.querySelector('.preview').innerText.includes('Budget day')")
    await card.locator("input[name=format][value=headline]").check()
    await page.wait_for_function(
        "() => !document.querySelector('.preview').innerText.includes('The chancellor')")
    await card.locator("input[name=filters]").fill("/ru?ble")
    note = card.locator(".error[data-for=filters]")
    await note.wait_for(state="visible")
    assert "needs a closing /" in await note.inner_text()
    await card.locator("input[name=filters]").fill("")
    await note.wait_for(state="hidden")
    await page.screenshot(path=str(tmp_path / "page-desktop.png"), full_page=True)
    await page.set_viewport_size(PHONE)
    await page.screenshot(path=str(tmp_path / "page-phone.png"), full_page=True)
    await page.set_viewport_size(DESKTOP)

    await card.locator("input[name=edits][value=ignore]").check()
    await card.locator("button", has_text="Save").click()
    await page.wait_for_load_state()
    sub = await room.queries.settings(GROUP_CHAT)
    assert sub is not None and sub.tags == ("economy",) and sub.style.format == "headline"
    assert sub.edits == "ignore"

    write_post(room.config.site.root, "2026-02-01-rates.md", "Rates held",
                       tags=["economy"])
    write_post(room.config.site.root, "2026-02-01-match.md", "Cup final", tags=["sport"])
    await room.scan()
    await room.drain()
    [sent] = [c for c in fake.delivered(GROUP.id) if "Rates held" in str(c.params)]
    summary = (await room.queries.by_tag("economy", 1)).summaries[0]
    assert summary.title == "Rates held"
    expected = TelegramAdapter.payload(summary, Style("headline"))
    assert sent.method == expected.method and sent.params["text"] == expected.params["text"]
    assert not [c for c in fake.delivered(GROUP.id) if "Cup final" in str(c.params)]
    write_post(room.config.site.root, "2026-02-01-rates.md", "Rates held at 4%",
               tags=["economy"])
    await room.scan()
    await room.drain()
    assert fake.edits(GROUP.id) == []  # "Leave stories already sent as they were"


async def test_a_non_moderator_sees_nothing(
    room: Newsroom, fake: FakeBotAPI, browser: object
) -> None:
    fake.add_chat(GROUP)
    fake.set_member(GROUP.id, ANN.id, "administrator")
    fake.set_member(GROUP.id, BOB.id, "member")
    await fake.ask(command(GROUP, "/subscribe", sender=ANN))
    page = await browser.new_page(viewport=PHONE)  # type: ignore[attr-defined]
    await page.goto(await link_for(fake, BOB))
    await page.click("text=Open my page")
    body = await page.locator("main").inner_text()
    assert "Nothing to manage" in body and "Readers" not in body
