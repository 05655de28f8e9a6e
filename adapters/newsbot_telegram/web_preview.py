"""A story's Bot API payload as HTML that looks like Telegram shows it, for the
moderators' web page: the picture above its caption, or the text message, in a bubble.

The caption is our own Telegram HTML (`render.py`); the core's `allowed_html` keeps
only the tags Telegram understands, so nothing else can reach the page.
"""

from __future__ import annotations

from newsbot.web.previews import allowed_html, image
from newsbot_telegram.render import Payload

#: Telegram's HTML tags (parse_mode HTML), as they appear in a browser
TAGS = {"b": "b", "strong": "b", "i": "i", "em": "i", "u": "u", "ins": "u", "s": "s",
        "strike": "s", "del": "s", "code": "code", "pre": "pre", "blockquote": "blockquote",
        "a": "a"}


def telegram_bubble(payload: Payload) -> str:
    params = payload.params
    body = allowed_html(str(params.get("caption") or params.get("text") or ""), TAGS)
    photo = image(params.get("photo"), "tg-photo") if payload.method == "sendPhoto" else ""
    silent = '<span class="tg-silent" title="sent without sound">🔕</span>' if params.get(
        "disable_notification") else ""
    return (f'<div class="tg-chat"><div class="tg-bubble">{photo}'
            f'<div class="tg-text">{body}</div>{silent}</div></div>')
