"""What the dispatcher tells whoever watches it (the metrics) about every attempt.

The dispatcher calls its `DeliveryEvents` once an attempt's outcome is known;
this class does nothing with it, `newsbot.ops.metrics` counts. So watching costs
the core one call per attempt and no knowledge of who listens.

What became of an attempt to deliver a story:
- sent: the platform took it;
- failed: it did not go (network trouble, a server error): tried again after a back-off;
- retried: the platform said to wait ("retry after", a 429): tried again when told;
- dropped: it will never go to that chat (the post was withdrawn, or the platform
  refuses that story for good);
- dead: the destination is gone (bot removed, chat deleted): its stories are retired;
- migrated: the chat moved to a new id, and its stories follow it there.

Of an attempt to edit (or delete) a delivered message: done, failed and retried
as above; gone (the message no longer exists), refused (the platform will never
allow it), dropped (the post was withdrawn before its edit went out).
"""

from __future__ import annotations

from typing import Literal, get_args

DeliveryOutcome = Literal["sent", "failed", "retried", "dropped", "dead", "migrated"]
EditOutcome = Literal["done", "failed", "retried", "gone", "refused", "dropped"]
DELIVERY_OUTCOMES: tuple[DeliveryOutcome, ...] = get_args(DeliveryOutcome)
EDIT_OUTCOMES: tuple[EditOutcome, ...] = get_args(EditOutcome)


class DeliveryEvents:
    """Told the outcome of every attempt; each method does nothing here."""

    def delivery(self, platform: str, outcome: DeliveryOutcome) -> None:
        """An attempt to deliver a story ended with `outcome`."""

    def edit(self, platform: str, outcome: EditOutcome) -> None:
        """An attempt to edit or delete a delivered message ended with `outcome`."""

    def rate_limited(self, platform: str, seconds: float) -> None:
        """The platform said to wait `seconds` (for a story or an edit)."""
