"""What the fake Discord answers besides objects: errors, 429s and rate-limit headers.

`ERRORS` are the failures a test can script; `rate_limited` is Discord's 429
(a float `retry_after` in the body, whole seconds in `Retry-After`, the
`X-RateLimit-Scope`, and the `Via` header discord.py looks for);
`bucket_headers` are the `X-RateLimit-*` headers discord.py reads to pace a
route. `RateLimits` are the limits the fake enforces when given them.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

ERRORS: dict[str, tuple[int, dict[str, Any]]] = {
    "missing_access": (403, {"message": "Missing Access", "code": 50001}),
    "missing_permissions": (403, {"message": "Missing Permissions", "code": 50013}),
    "unknown_channel": (404, {"message": "Unknown Channel", "code": 10003}),
    "unavailable": (503, {"message": "upstream connect error", "code": 0}),
    # a 5xx that discord.py answers by sending the request again itself
    "bad_gateway": (502, {"message": "502: Bad Gateway", "code": 0}),
    "invalid_form_body": (400, {"message": "Invalid Form Body", "code": 50035}),
    # threads: a locked one takes no message from a bot without Manage Threads; an
    # archived and locked one answers as archived (an archived one alone wakes up)
    "thread_locked": (400, {"message": "Thread is locked", "code": 160005}),
    "archived_thread": (
        400, {"message": "Cannot perform this operation on an archived thread", "code": 50083}),
    # a forum takes posts (threads), not messages
    "forum_message": (400, {"message": "Cannot send a message in a forum channel",
                            "code": 40058}),
    "unknown_message": (404, {"message": "Unknown Message", "code": 10008}),
    "already_crossposted": (400, {"message": "This message has already been crossposted.",
                                  "code": 40033}),
    "wrong_channel_type": (400, {"message": "Cannot execute action on this channel type",
                                 "code": 50024}),
    "tag_required": (400, {"message": "A tag is required to create a forum post in this "
                                      "channel", "code": 40067}),
    "unknown_tag": (400, {"message": "Invalid Form Body", "code": 50035,
                          "errors": {"applied_tags": {"_errors": [
                              {"code": "UNKNOWN_TAG", "message": "Unknown tag"}]}}}),
}


@dataclass(frozen=True)
class RateLimits:
    """Discord's limits for a bot: per channel for messages, global, and IDENTIFYs on
    the gateway (`max_concurrency` of them per `identify_period` seconds, per bucket
    `shard_id % max_concurrency`, whatever process sends them)."""

    channel_messages: int = 5
    channel_period: float = 5.0
    global_per_second: int = 50
    identify_period: float = 5.0


#: Discord's crosspost limit, always enforced: 10 published messages an hour per
#: announcement channel
CROSSPOSTS_PER_HOUR = 10


def json_response(
    data: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """JSON as Discord sends it: discord.py only parses `Content-Type: application/json` exactly."""
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={**(headers or {}), "Content-Type": "application/json"},
    )


def drop_connection(request: web.Request) -> web.Response:
    """The connection closes before any answer (what a test calls "disconnect")."""
    assert request.transport is not None
    request.transport.close()
    return web.Response(status=499)


def rate_limited(wait: float, headers: dict[str, str], scope: str = "user") -> web.Response:
    """Discord's 429: `retry_after` in seconds (float) in the body, whole seconds in the
    header, and the `Via` header without which discord.py suspects a Cloudflare ban."""
    body = {"message": "You are being rate limited.", "retry_after": round(wait, 3),
            "global": scope == "global"}
    headers = {
        **headers,
        "Retry-After": str(max(1, math.ceil(wait))),
        "X-RateLimit-Scope": scope,
        "Via": "1.1 google",
    }
    return json_response(body, status=429, headers=headers)


def bucket_headers(
    remaining: int = 4, reset_after: float = 1.0, limit: int = 5
) -> dict[str, str]:
    reset = datetime.now(UTC).timestamp() + reset_after
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": f"{reset:.3f}",
        "X-RateLimit-Reset-After": f"{reset_after:.3f}",
        "X-RateLimit-Bucket": "fake-channel-messages",
    }
