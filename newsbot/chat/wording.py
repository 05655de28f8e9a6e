"""Every sentence the bot says to people, in one place, for every platform.

Platforms differ only in the words `Terms` gives (what a destination is
called, who may change it); adapters escape and lay out these strings but
never write their own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from newsbot.chat.requests import Terms
from newsbot.types import Filters, Style

ABOUT = (
    "I post the site's new stories here as soon as they are published, "
    "and answer questions about what has been published."
)
NOT_A_COMMAND = "Commands start with /. Type /help for the list."
INTERNAL_ERROR = "Sorry, something went wrong on my side. Please try again later."
NOTHING_PUBLISHED = "Nothing has been published yet."
NO_TAGS = "There are no tags yet."
LATEST = "Latest stories"
TAGS = "Tags"
CONFIGURE_IN_PRIVATE = "To configure another chat, send me the command in private."
ASK_WHICH_TAG = "Which tag? For example: /tag politics"


MANAGE_SENT = "I sent you a private message with your link."
MANAGE_START_FIRST = (
    "I cannot write to you privately yet: open a private chat with me, press Start, "
    "and send /manage there."
)
MANAGE_WHO = "I cannot tell who sent this; send /manage to me in a private chat."


def manage_link(link: str, minutes: int) -> str:
    return (
        f"Your page with every chat you moderate: {link}\n"
        f"The link works once, for you only, for {minutes} minutes. Do not share it."
    )


def unknown_command(name: str) -> str:
    return f"Unknown command /{name[:32]}. Type /help for the list."


def tagged(tag: str) -> str:
    return f"Stories tagged {tag}"


def count_range(most: int) -> str:
    return f"The number of stories must be a whole number from 1 to {most}."


def tag_too_long(most: int) -> str:
    return f"A tag can be at most {most} characters long."


def too_many_tags(most: int) -> str:
    return f"A subscription can filter on at most {most} tags."


def join(words: Sequence[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def no_such_tag(tag: str, suggestions: Sequence[str], *, yet: bool = False) -> str:
    """The answer to a tag no story carries, with close ones when there are."""
    text = f"No stories are tagged “{tag}”" + (" yet" if yet else "")
    if not suggestions:
        return text + "."
    close = ", ".join(suggestions)
    return text + (f" (did you mean {close}?)." if yet else f". Did you mean: {close}?")


def tag_count(tag: str, count: int) -> str:
    return f"{tag} ({count})"


def and_more(count: int) -> str:
    return f"…and {count} more"


def describe_filter(
    tags: Iterable[str],
    exclude: Iterable[str] = (),
    filters: Filters | None = None,
    style: Style | None = None,
) -> str:
    """Human words for what a subscription lets through (and, when it is not a full card
    with a notification, how it looks)."""
    tags, exclude = tuple(tags), tuple(exclude)
    words = "every new story" if not tags else "stories tagged " + ", ".join(tags)
    if exclude:
        words += " except those tagged " + ", ".join(exclude)
    if filters:
        keep = [*map(_term, filters.keep), *(f"/{p}/" for p in filters.patterns)]
        drop = [*map(_term, filters.drop), *(f"/{p}/" for p in filters.drop_patterns)]
        if keep:
            words += ", only those that mention " + " or ".join(keep)
        if drop:
            words += ", never those that mention " + " or ".join(drop)
    if style is not None and style != Style():
        words += ", " + describe_style(style)
    return words


def _term(words: str) -> str:
    return f"“{words}”" if " " in words else words


FILTER_USAGE = (
    'Which words? For example: /filter ukraine "interest rates" -sponsored /ru?ble/ '
    "(or /filter off to clear it)."
)


def filter_set(subject: str, filter_words: str) -> str:
    return f"Filter saved: {subject} receives {filter_words}."


def subscribe_first(subject: str, command: str) -> str:
    return f"{subject} is not subscribed. Use /subscribe first, then /{command}."


FORMAT_USAGE = (
    "How should stories look? For example: /format compact, /format headline silent, "
    "/format full loud, /format publish (or local), /format noedits (stories already "
    "sent stay as they were when the site corrects them; /format edits undoes it)."
)
FIRST_BATCH_RANGE = "last: takes a number of stories from 1 to {most}, like last:3."
_LOOKS = {"full": "as full cards", "compact": "as one line each", "headline": "as headlines"}


def describe_style(style: Style) -> str:
    """How stories look, in words: "as headlines, silently"."""
    words = _LOOKS.get(style.format, style.format) + (", silently" if style.silent else "")
    return words + (", published to following servers" if style.publish else "")


def style_set(subject: str, style: Style) -> str:
    return f"Format saved: {subject} receives stories {describe_style(style)}."


def corrections(wanted: bool, site_edits: bool, site_deletions: bool) -> str:
    """What becomes of stories already sent to a destination when the site corrects or
    withdraws them: `wanted` is the destination's choice, the others the site's."""
    if not wanted:
        return ("Corrections: sent stories stay as they were "
                "(/format edits turns corrections on).")
    if site_edits:
        return ("Corrections: sent stories are edited in place"
                + (", and deleted when withdrawn." if site_deletions else "."))
    if site_deletions:
        return ("Corrections: sent stories are deleted when withdrawn, "
                "not edited (the site's setting).")
    return "Corrections: sent stories stay as they were (the site's setting)."


def first_batch(found: int, new: int) -> str:
    """What became of a first batch: `found` matching stories, `new` of them queued."""
    if not found:
        return "No published story matches yet."
    stories = "story" if found == 1 else f"{found} stories"
    def coming(count: int) -> str:
        return "is on its way" if count == 1 else "are on their way"

    if new == found:
        return f"The newest {stories} {coming(found)}" + ("." if found == 1 else ", oldest first.")
    if not new:
        return f"The newest {stories} {'is' if found == 1 else 'are'} here already."
    return f"Of the newest {stories}, {new} more {coming(new)}."


def this(terms: Terms) -> str:
    return f"this {terms.noun}"


def subscribed(where: str, filter_words: str) -> str:
    return f"Subscribed: {where} will receive {filter_words}."


def unsubscribed(where: str | None) -> str:
    place = "here" if where is None else f"to {where}"
    return f"Unsubscribed: no more stories will be sent {place}."


def was_not_subscribed(subject: str) -> str:
    return f"{subject} was not subscribed."


def receives(subject: str, filter_words: str) -> str:
    return f"{subject} receives {filter_words}."


def not_subscribed(subject: str) -> str:
    return f"{subject} is not subscribed. Use /subscribe to receive new stories."


def delivery_stopped(subject: str, filter_words: str, reason: str) -> str:
    why = f" ({reason})" if reason else ""
    return (
        f"{subject} was subscribed to {filter_words}, but delivery stopped{why}. "
        "Use /subscribe again once I can post."
    )


# -- refusals ---------------------------------------------------------------------


def only_moderators(terms: Terms) -> str:
    return f"Only {terms.moderators} can change {this(terms)}'s subscription."


def not_a_moderator(terms: Terms, title: str) -> str:
    return f"You are not {terms.moderator} of {title}."


def unchecked(terms: Terms, title: str) -> str:
    return f"I could not check that you are {terms.moderator} of {title}."


def cannot_post(where: str, missing: Sequence[str]) -> str:
    plural = "s" if len(missing) > 1 else ""
    return f"I cannot post in {where}: I need the {join(missing)} permission{plural} there."


def may_repeat(where: str, missing: Sequence[str]) -> str:
    plural = "s" if len(missing) > 1 else ""
    return (f"Without the {join(missing)} permission{plural} in {where}, a story whose "
            "sending is tried again could be posted twice.")


def only_labelled(subject: str, labels: Sequence[str]) -> str:
    return (f"{subject} requires one of its tags, so only stories tagged "
            f"{join(labels)} can be posted there.")


def cannot_find(reference: str) -> str:
    return f"I cannot find {reference}. Check the name, and add me to it first."


def not_a_destination(reference: str) -> str:
    return f"{reference} is not a group or channel."


# -- help ---------------------------------------------------------------------------


def help_text(
    commands: Iterable[tuple[str, str, str, bool]], terms: Terms, private: bool
) -> str:
    """About the bot, one line per command (name, arguments, what it does, whether only
    moderators may use it), and who they are; `private` adds how to configure another
    destination."""
    commands = list(commands)
    lines = [ABOUT, ""]
    lines += [f"/{name} {args}".rstrip() + f" — {summary}" for name, args, summary, _ in commands]
    moderated = [f"/{name}" for name, _, _, moderators in commands if moderators]
    if moderated:
        lines += ["", f"Only {terms.moderators} can use {join(moderated)}."]
    if private and terms.reference_example:
        lines.append(
            f"To subscribe a channel or group, send me /subscribe {terms.reference_example} "
            f"[tag ...] here; you must be {terms.moderator} of it, and so must I."
        )
    return "\n".join(lines)


def fit_items(items: Sequence[str], budget: int, length: Callable[[str], int] = len) -> list[str]:
    """As many `items` as fit in `budget` (one per line, measured with `length`), and a
    last line saying how many were left out when some were."""
    kept: list[str] = []
    used = 0
    for shown, item in enumerate(items):
        cost = length(item) + 1
        # keep room for the "…and N more" line while anything may still be left out
        reserve = length(and_more(len(items))) + 1 if shown + 1 < len(items) else 0
        if used + cost + reserve > budget:
            kept.append(and_more(len(items) - shown))
            break
        kept.append(item)
        used += cost
    return kept
