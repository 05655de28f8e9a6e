"""Signed sign-in links and session cookies, with a secret kept in the store.

A link (`/manage`) carries who asked (platform and user id), when it stops working
(15 minutes) and a random id; it is signed with the install's secret, and its id is
written to the store when it is used, so it opens one session only. A session
cookie carries the identities signed in (one per platform: a link used while signed
in adds its platform's, so one page shows a person's Telegram and Discord
destinations) and the session's expiry (a day from the first sign-in, never
extended), signed the same way with another purpose, so a link can never pass for a
cookie. The CSRF token of a session is derived from it, so a form from another site
cannot carry one.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, select

from newsbot.logs import forget_secret, register_secret
from newsbot.store import Store, schema

#: how long a sign-in link works
LINK_SECONDS = 15 * 60
#: how long a session lasts, at most
SESSION_SECONDS = 24 * 60 * 60
#: meta key of the install's signing secret
SECRET_KEY = "web_secret"
#: meta keys of used links: this prefix and the link's id, the value its expiry
USED_PREFIX = "web_used:"
#: meta keys of sessions signed out before their end: this prefix and the session's id
REVOKED_PREFIX = "web_revoked:"


class BadToken(Exception):
    """A link or cookie that does not open anything; the message says why (for logs
    and for the person, it holds nothing secret)."""


@dataclass(frozen=True, slots=True)
class Identity:
    """Who is signed in: a user id on one platform."""

    platform: str
    user: str


@dataclass(frozen=True, slots=True)
class Session:
    #: who is signed in, one identity per platform, the first one first
    identities: tuple[Identity, ...]
    expires: int
    #: random per session: the CSRF token is derived from it
    id: str

    @property
    def identity(self) -> Identity:
        """The identity signed in first (a link holds only one)."""
        return self.identities[0]

    def on(self, platform: str) -> Identity | None:
        """Who is signed in on `platform`, if anyone."""
        return next((i for i in self.identities if i.platform == platform), None)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    """Signs and checks `platform|user|expires|id` for one purpose ("link", "session")."""

    def __init__(self, secret: bytes, clock: Callable[[], float] = time.time) -> None:
        self._secret = secret
        self.clock = clock

    def _mac(self, purpose: str, body: str) -> str:
        digest = hmac.new(self._secret, f"{purpose}:{body}".encode(), hashlib.sha256).digest()
        return _b64(digest)

    def sign(
        self, purpose: str, identities: tuple[Identity, ...], seconds: int,
        *, expires: int | None = None,
    ) -> str:
        """A token for `identities`, good for `seconds` (or until `expires`)."""
        until = int(self.clock()) + seconds if expires is None else expires
        who = ",".join(f"{i.platform}:{i.user}" for i in identities)
        body = _b64("|".join((who, str(until), secrets.token_hex(8))).encode())
        return f"{body}.{self._mac(purpose, body)}"

    def check(self, purpose: str, token: str) -> Session:
        body, dot, mac = token.partition(".")
        if not dot or not hmac.compare_digest(mac, self._mac(purpose, body)):
            raise BadToken("this link is not one of mine")
        try:
            who, expires, token_id = _unb64(body).decode().split("|")
            identities = tuple(Identity(*i.split(":", 1)) for i in who.split(","))
            when = int(expires)
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
            raise BadToken("this link is not one of mine") from None
        if when <= self.clock():
            raise BadToken("this link has expired")
        return Session(identities, when, token_id)

    def csrf(self, session: Session) -> str:
        return self._mac("csrf", session.id)


class SignIn:
    """Issues links, turns a link into a session once, and reads session cookies."""

    def __init__(self, store: Store, base_url: str, signer: Signer) -> None:
        self.store = store
        self.base_url = base_url
        self.signer = signer

    @classmethod
    async def open(
        cls, store: Store, base_url: str, clock: Callable[[], float] = time.time
    ) -> SignIn:
        """With the store's secret, made on the first start (and kept across restarts,
        so links and sessions survive one)."""
        async with store.engine.begin() as conn:
            stmt = store.insert(schema.meta).values(key=SECRET_KEY, value=secrets.token_hex(32))
            await conn.execute(stmt.on_conflict_do_nothing(index_elements=["key"]))
            secret = await store.get_meta(conn, SECRET_KEY)
        assert secret is not None
        return cls(store, base_url, Signer(bytes.fromhex(secret), clock))

    async def link(self, platform: str, user: str) -> str:
        """A one-time sign-in link for that user, redacted from every log line until it
        expires (the platform libraries log what they send at DEBUG)."""
        if not (platform.isidentifier() and user and not set(user) & set(":,|")):
            raise ValueError(f"cannot sign in {platform!r} user {user!r}")
        token = self.signer.sign("link", (Identity(platform, user),), LINK_SECONDS)
        register_secret(token)
        asyncio.get_running_loop().call_later(LINK_SECONDS, forget_secret, token)
        return f"{self.base_url}/signin?token={token}"

    async def redeem(self, token: str, cookie: str | None = None) -> tuple[Session, str]:
        """The session (and its cookie value) a link not used before opens: a fresh one,
        or, with the `cookie` of a session still open, that session with the link's
        identity added (replacing one on the same platform), expiring when it did."""
        link = self.signer.check("link", token)
        now = int(self.signer.clock())
        m = schema.meta
        async with self.store.engine.begin() as conn:
            # forget the links and sessions that expired: refused by their date anyway
            used = (await conn.execute(select(m.c.key, m.c.value).where(
                m.c.key.like(USED_PREFIX + "%") | m.c.key.like(REVOKED_PREFIX + "%")
            ))).all()
            stale = [row.key for row in used if not row.value.isdigit() or int(row.value) < now]
            if stale:
                await conn.execute(delete(m).where(m.c.key.in_(stale)))
            stmt = self.store.insert(m).values(key=USED_PREFIX + link.id, value=str(link.expires))
            done = await conn.execute(stmt.on_conflict_do_nothing(index_elements=["key"]))
            if not done.rowcount:
                raise BadToken("this link was used already")
        current = await self.open_session(cookie)
        if current is None:
            fresh = self.signer.sign("session", link.identities, SESSION_SECONDS)
        else:
            kept = tuple(i for i in current.identities if i.platform != link.identity.platform)
            fresh = self.signer.sign("session", (*kept, link.identity), SESSION_SECONDS,
                                     expires=current.expires)
        return self.signer.check("session", fresh), fresh

    async def open_session(self, cookie: str | None) -> Session | None:
        """The session a cookie holds, unless it is missing, forged, expired or was
        signed out (`revoke`)."""
        session = self.session(cookie)
        if session is None:
            return None
        async with self.store.engine.connect() as conn:
            revoked = await self.store.get_meta(conn, REVOKED_PREFIX + session.id)
        return None if revoked is not None else session

    async def revoke(self, session: Session) -> None:
        """Sign the session out for good: its cookie opens nothing any more, wherever a
        copy of it is."""
        stmt = self.store.insert(schema.meta).values(
            key=REVOKED_PREFIX + session.id, value=str(session.expires))
        async with self.store.engine.begin() as conn:
            await conn.execute(stmt.on_conflict_do_nothing(index_elements=["key"]))

    def session(self, cookie: str | None) -> Session | None:
        """The session a cookie holds, or None (missing, forged, expired)."""
        if not cookie:
            return None
        try:
            return self.signer.check("session", cookie)
        except BadToken:
            return None
