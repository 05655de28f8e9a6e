"""A story's message body as HTML that looks like Discord's embed, for the moderators'
web page: the coloured bar, author, linked title, description, image and footer."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any


def _text(value: Any) -> str:
    return html.escape(str(value or ""), quote=False).replace("\n", "<br>")


def _link(url: Any, inner: str) -> str:
    href = str(url or "")
    if not href.startswith(("http://", "https://")):
        return inner
    return (f'<a href="{html.escape(href, quote=True)}" rel="noopener noreferrer" '
            f'target="_blank">{inner}</a>')


def discord_embed(payload: dict[str, Any]) -> str:
    parts = []
    for embed in payload.get("embeds") or []:
        rows = []
        if (embed.get("author") or {}).get("name"):
            rows.append(f'<div class="dc-author">{_text(embed["author"]["name"])}</div>')
        if embed.get("title"):
            title = _link(embed.get("url"), _text(embed["title"]))
            rows.append(f'<div class="dc-title">{title}</div>')
        if embed.get("description"):
            rows.append(f'<div class="dc-description">{_text(embed["description"])}</div>')
        image = (embed.get("image") or {}).get("url")
        if image:
            src = html.escape(str(image), quote=True)
            rows.append(f'<img class="dc-image" src="{src}" alt="">')
        footer = [_text((embed.get("footer") or {}).get("text"))]
        if embed.get("timestamp"):
            when = datetime.fromisoformat(str(embed["timestamp"]))
            footer.append(html.escape(when.strftime("%d/%m/%Y %H:%M")))
        footer = [part for part in footer if part]
        if footer:
            rows.append(f'<div class="dc-footer">{" • ".join(footer)}</div>')
        parts.append(f'<div class="dc-embed">{"".join(rows)}</div>')
    silent = ('<span class="dc-silent" title="sent without a notification">@silent</span>'
              if payload.get("flags") else "")
    return f'<div class="dc-message">{silent}{"".join(parts)}</div>'
