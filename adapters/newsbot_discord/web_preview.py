"""A story's message body as HTML that looks like Discord's embed, for the moderators'
web page: the coloured bar, author, linked title, description, image and footer
(made of the core's safe pieces, `newsbot.web.previews`)."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from newsbot.web.previews import image, link, text


def discord_embed(payload: dict[str, Any]) -> str:
    parts = []
    for embed in payload.get("embeds") or []:
        rows = []
        if (embed.get("author") or {}).get("name"):
            rows.append(f'<div class="dc-author">{text(embed["author"]["name"])}</div>')
        if embed.get("title"):
            rows.append(f'<div class="dc-title">{link(embed.get("url"), text(embed["title"]))}'
                        "</div>")
        if embed.get("description"):
            rows.append(f'<div class="dc-description">{text(embed["description"])}</div>')
        if (embed.get("image") or {}).get("url"):
            rows.append(image(embed["image"]["url"], "dc-image"))
        footer = [text((embed.get("footer") or {}).get("text"))]
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
