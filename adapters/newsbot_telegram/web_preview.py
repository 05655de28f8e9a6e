"""A story's Bot API payload as HTML that looks like Telegram shows it, for the
moderators' web page: the picture above its caption, or the text message, in a bubble.

The caption is our own Telegram HTML (`render.py`); it is passed through a list of
the tags Telegram understands, so nothing else can reach the page.
"""

from __future__ import annotations

import html
from html.parser import HTMLParser

from newsbot_telegram.render import Payload

#: Telegram's HTML tags (parse_mode HTML), as they appear in a browser
_TAGS = {"b": "b", "strong": "b", "i": "i", "em": "i", "u": "u", "ins": "u", "s": "s",
         "strike": "s", "del": "s", "code": "code", "pre": "pre", "blockquote": "blockquote",
         "a": "a"}


class _Sanitizer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        name = _TAGS.get(tag)
        if name == "a":
            href = dict(attrs).get("href") or ""
            if href.startswith(("http://", "https://")):
                safe = html.escape(href, quote=True)
                self.out.append(f'<a href="{safe}" rel="noopener noreferrer" target="_blank">')
            else:
                self.out.append("<a>")
        elif name:
            self.out.append(f"<{name}>")

    def handle_endtag(self, tag: str) -> None:
        name = _TAGS.get(tag)
        if name:
            self.out.append(f"</{name}>")

    def handle_data(self, data: str) -> None:
        self.out.append(html.escape(data, quote=False))


def telegram_html(markup: str) -> str:
    """Telegram HTML as browser HTML: its tags kept, anything else escaped."""
    parser = _Sanitizer()
    parser.feed(markup)
    parser.close()
    return "".join(parser.out).replace("\n", "<br>")


def telegram_bubble(payload: Payload) -> str:
    params = payload.params
    body = telegram_html(str(params.get("caption") or params.get("text") or ""))
    photo = ""
    if payload.method == "sendPhoto":
        src = html.escape(str(params.get("photo", "")), quote=True)
        photo = f'<img class="tg-photo" src="{src}" alt="">'
    silent = '<span class="tg-silent" title="sent without sound">🔕</span>' if params.get(
        "disable_notification") else ""
    return (f'<div class="tg-chat"><div class="tg-bubble">{photo}'
            f'<div class="tg-text">{body}</div>{silent}</div></div>')
