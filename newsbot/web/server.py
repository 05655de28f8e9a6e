"""The moderators' page over HTTP, served by the bot's own process (aiohttp).

Routes: `/` (the page, or a sign-in hint), `/signin` (a link from /manage: GET shows a
button, POST uses the link, so a chat app fetching the link for a preview spends
nothing), `/save`, `/resume`, `/preview` (the page's script asks for a preview as
settings change), `/signout`, `/static/…`. Every change needs the session's CSRF
token and asks the platform again whether the person still moderates the destination;
no POST made from another site is taken, a sign-in included.
No query string is ever logged: a sign-in link travels in one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Collection
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from mako.lookup import TemplateLookup

from newsbot.adapter import Adapter
from newsbot.sections import WebConfig
from newsbot.types import Style, Subscription
from newsbot.web.moderation import Form, Moderation
from newsbot.web.tokens import BadToken, Session, SignIn

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
COOKIE = "newsbot_session"
#: scripts and styles only from the page itself; pictures from the sites stories link to
POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: http:;"
          " connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
_templates = TemplateLookup(directories=[str(HERE / "templates")], default_filters=["h"],
                            input_encoding="utf-8")


class PathOnlyLog(AbstractAccessLogger):
    """One line per request, without its query string (where a sign-in link would be)."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info("%s %s %s", request.method, request.path, response.status)


def anchor(chat_id: str) -> str:
    return "d-" + hashlib.sha256(chat_id.encode()).hexdigest()[:12]


def render(name: str, status: int = 200, **values: Any) -> web.Response:
    text = _templates.get_template(name).render(**values)
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")


@web.middleware
async def headers(request: web.Request, handler: Any) -> web.StreamResponse:
    response: web.StreamResponse = await handler(request)
    response.headers.setdefault("Content-Security-Policy", POLICY)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


#: what browsers say (`Sec-Fetch-Site`) of a request made from the page itself, or typed
SAME_SITE = frozenset({"same-origin", "none"})


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".casefold()


def same_origin(allowed: Callable[[], Collection[str]]) -> Any:
    """Refuse any POST another site made the browser send: a change, and also a sign-in
    (which could otherwise sign a visitor into the attacker's own session). Browsers
    say where a request comes from (`Sec-Fetch-Site`, `Origin`) and pages cannot lie
    about it; `allowed` gives the page's own origins (its public URL, where it listens)."""

    @web.middleware
    async def check(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.method == "POST" and not _from_here(request, allowed()):
            raise web.HTTPForbidden(text="This form came from another site.")
        return await handler(request)

    return check


def _from_here(request: web.Request, allowed: Collection[str]) -> bool:
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:  # every current browser sends it
        return fetch_site in SAME_SITE
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":  # the page's no-referrer policy sends "null"
        return True  # not a browser that says: the CSRF token still guards every change
    own = {_origin(url) for url in allowed} | {f"{request.scheme}://{request.host}".casefold()}
    return origin.casefold() in own


class WebServer:
    def __init__(self, config: WebConfig, sign_in: SignIn, moderation: Moderation) -> None:
        self.config = config
        self.sign_in = sign_in
        self.moderation = moderation
        self._runner: web.AppRunner | None = None
        #: the port actually listened on (`listen` may ask for any free one with :0)
        self.port = 0

    def app(self) -> web.Application:
        own = same_origin(lambda: (self.sign_in.base_url,))
        app = web.Application(middlewares=[headers, own], client_max_size=64 * 1024)
        r = app.router
        r.add_get("/", self.page)
        r.add_get("/signin", self.signin_form)
        r.add_post("/signin", self.signin)
        r.add_post("/signout", self.signout)
        r.add_post("/save", self.save)
        r.add_post("/resume", self.resume)
        r.add_post("/preview", self.preview)
        r.add_static("/static", HERE / "static", append_version=False)
        return app

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app(), access_log_class=PathOnlyLog,
                                     access_log=log)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.host, self.config.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        if not self.config.public_url:  # links point at where the page really is
            self.sign_in.base_url = f"http://{self.config.host}:{self.port}"
        log.info("moderators' page on %s (links point at %s)", self.config.listen,
                 self.sign_in.base_url)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    # -- sessions ---------------------------------------------------------------------

    async def session(self, request: web.Request) -> Session | None:
        return await self.sign_in.open_session(request.cookies.get(COOKIE))

    async def checked(self, request: web.Request, data: Any) -> Session:
        """The session of a change, whose CSRF token must come with it."""
        session = await self.session(request)
        if session is None:
            raise web.HTTPForbidden(text="Your session has ended: send /manage again.")
        sent = str(data.get("csrf") or request.headers.get("X-CSRF-Token") or "")
        if not hmac.compare_digest(sent, self.sign_in.signer.csrf(session)):
            raise web.HTTPForbidden(text="This form is stale or came from elsewhere.")
        return session

    async def signin_form(self, request: web.Request) -> web.Response:
        return render("signin.html", token=request.query.get("token", ""))

    async def signin(self, request: web.Request) -> web.StreamResponse:
        data = await request.post()
        try:
            session, cookie = await self.sign_in.redeem(
                str(data.get("token", "")), request.cookies.get(COOKIE)
            )
        except BadToken as exc:
            return render("message.html", status=403, title="This link does not work",
                          text=f"{str(exc).capitalize()}. Send /manage to the bot for a new one.")
        response = web.Response(status=303, headers={"Location": "/"})
        response.set_cookie(
            COOKIE, cookie, max_age=session.expires - int(self.sign_in.signer.clock()),
            path="/", httponly=True, samesite="Strict", secure=self.config.secure,
        )
        return response

    async def signout(self, request: web.Request) -> web.StreamResponse:
        session = await self.checked(request, await request.post())
        await self.sign_in.revoke(session)  # a copy of the cookie signs nobody in again
        response = web.Response(status=303, headers={"Location": "/"})
        response.del_cookie(COOKIE, path="/")
        return response

    # -- the page ---------------------------------------------------------------------

    async def page(self, request: web.Request) -> web.Response:
        session = await self.session(request)
        if session is None:
            return render("message.html", title="Moderators' page",
                          text="Send /manage to the bot for your sign-in link.")
        return await self._page(session)

    async def _page(self, session: Session, forms: dict[str, Form] | None = None,
                    status: int = 200) -> web.Response:
        subs = await self.moderation.destinations(session)
        cards = []
        for sub in subs:
            form = (forms or {}).get(sub.chat.id) or Form.of(sub)
            cards.append({
                "sub": sub, "form": form, "anchor": anchor(sub.chat.id),
                "preview": await self._preview_html(sub.chat.platform, sub, form),
                "history": await self.moderation.history(sub.chat),
            })
        who = ", ".join(f"{i.platform} user {i.user}" for i in session.identities)
        desk = self.moderation.desk
        return render("page.html", status=status, cards=cards, who=who,
                      csrf=self.sign_in.signer.csrf(session), site_edits=desk.site_edits,
                      site_deletions=desk.site_deletions)

    async def _preview_html(self, platform: str, sub: Subscription, form: Form) -> str:
        adapter: Adapter | None = self.moderation.adapters.get(platform)
        parsed = await self.moderation.parse(replace(form, errors={}))
        if adapter is None:
            return ""
        if parsed is None:  # the current settings, while the form has a mistake
            tags, exclude, filters, style = sub.tags, sub.exclude, sub.filters, sub.style
        else:
            tags, exclude, filters, style = (parsed.tags, parsed.exclude, parsed.filters,
                                             parsed.style)
        story = await self.moderation.newest_match(tags, exclude, filters)
        if story is None:
            return '<p class="none">No story matches these settings yet.</p>'
        return type(adapter).preview_html(story, Style(style.format, style.silent,
                                                       style.publish))

    async def _subscription(self, session: Session, data: Any) -> Subscription:
        sub = await self.moderation.find(session, str(data.get("chat", "")))
        if sub is None:  # not subscribed, or no longer theirs: nothing to say about it
            raise web.HTTPNotFound(text="No such destination among yours.")
        return sub

    async def save(self, request: web.Request) -> web.StreamResponse:
        data = await request.post()
        session = await self.checked(request, data)
        sub = await self._subscription(session, data)
        form = Form.read({k: str(v) for k, v in data.items()})
        parsed = await self.moderation.parse(form)
        if parsed is None:
            return await self._page(session, {sub.chat.id: form}, status=400)
        await self.moderation.save(sub, parsed)
        log.info("%s: settings saved on the web page", sub.chat)
        raise web.HTTPSeeOther(f"/?saved={anchor(sub.chat.id)}#{anchor(sub.chat.id)}")

    async def resume(self, request: web.Request) -> web.StreamResponse:
        data = await request.post()
        session = await self.checked(request, data)
        sub = await self._subscription(session, data)
        await self.moderation.resume(sub)
        log.info("%s: resumed on the web page", sub.chat)
        raise web.HTTPSeeOther(f"/#{anchor(sub.chat.id)}")

    async def preview(self, request: web.Request) -> web.Response:
        if await self.session(request) is None:
            raise web.HTTPForbidden(text="Your session has ended: send /manage again.")
        try:
            data = json.loads(await request.text())
        except ValueError:
            raise web.HTTPBadRequest() from None
        if not isinstance(data, dict):
            raise web.HTTPBadRequest()
        session = await self.checked(request, data)
        sub = await self._subscription(session, data)
        form = Form.read({k: str(v) for k, v in data.items() if k not in ("silent", "publish")})
        form.silent, form.publish = data.get("silent") is True, data.get("publish") is True
        await self.moderation.parse(form)
        html = await self._preview_html(sub.chat.platform, sub, form)
        return web.json_response({"html": html, "errors": form.errors})
