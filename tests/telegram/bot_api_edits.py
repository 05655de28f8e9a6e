"""The fake Bot API's edit methods: `editMessageText`, `editMessageCaption` and
`editMessageMedia` (and the answers of `deleteMessage`), as Telegram answers them.

The fake remembers each message it sent (`Sent`: text or photo, what it shows);
an edit of a message it does not hold is "message to edit not found", an edit that
changes nothing is "message is not modified", `editMessageText` of a photo message
is "there is no text in the message to edit" and `editMessageCaption` of a text
message "there is no caption in the message to edit". `editMessageMedia` turns a
text message into a photo message, as Telegram allows; nothing turns a photo
message back into text. `deleteMessage` removes a message, except one older than
48 hours (`FakeBotAPI.age`): "message can't be deleted".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.telegram.bot_api_answers import ApiError

NOT_FOUND = ApiError(400, "Bad Request: message to edit not found")
NOT_MODIFIED = ApiError(
    400, "Bad Request: message is not modified: specified new message content and reply "
    "markup are exactly the same as a current content and reply markup of the message",
)
NO_TEXT = ApiError(400, "Bad Request: there is no text in the message to edit")
NO_CAPTION = ApiError(400, "Bad Request: there is no caption in the message to edit")
DELETE_NOT_FOUND = ApiError(400, "Bad Request: message to delete not found")
#: a message older than 48 hours cannot be deleted (the Bot API's deleteMessage)
CANNOT_DELETE = ApiError(400, "Bad Request: message can't be deleted")


@dataclass
class Sent:
    """A message the fake sent: `kind` "text" or "photo", its markup as sent, its photo."""

    kind: str
    markup: str
    photo: str | None = None
    visible: str = ""
    old: bool = False  # sent more than 48 hours ago


def edit(sent: Sent | None, method: str, params: dict[str, Any]) -> ApiError | tuple[str, str]:
    """Check an edit of `sent` and apply it; returns an error or (key, new markup)
    for the caller to parse and answer with."""
    if sent is None:
        return NOT_FOUND
    if method == "editMessageText":
        if sent.kind != "text":
            return NO_TEXT
        markup = str(params.get("text", ""))
        if markup == sent.markup:
            return NOT_MODIFIED
        return "text", markup
    if method == "editMessageCaption":
        if sent.kind != "photo":
            return NO_CAPTION
        markup = str(params.get("caption", ""))
        if markup == sent.markup:
            return NOT_MODIFIED
        return "caption", markup
    media = params.get("media")
    if not isinstance(media, dict) or media.get("type") != "photo" or not media.get("media"):
        return ApiError(400, "Bad Request: can't parse InputMedia: Media is not specified")
    markup = str(media.get("caption", ""))
    if sent.kind == "photo" and sent.photo == media["media"] and sent.markup == markup:
        return NOT_MODIFIED
    return "caption", markup
