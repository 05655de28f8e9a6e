"""What a scan of the posts folder found and did, for the newsroom, the log and `check`."""

from __future__ import annotations

from dataclasses import dataclass, field

from newsbot.types import Post


@dataclass(frozen=True, slots=True)
class Problem:
    path: str
    line: int | None
    reason: str


@dataclass(slots=True)
class ScanReport:
    files: int = 0
    parsed: int = 0
    announced: list[Post] = field(default_factory=list)
    deleted: int = 0
    queued: int = 0
    #: messages already delivered that this scan's corrections will edit
    edits: int = 0
    corrected: list[str] = field(default_factory=list)  # ids of posts corrected
    #: messages of deleted posts this scan will delete (`delivery.deletions = "delete"`)
    withdrawn: int = 0
    problems: list[Problem] = field(default_factory=list)
    first_run: bool = False
