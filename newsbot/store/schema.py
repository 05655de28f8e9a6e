"""The store's tables, in SQLAlchemy Core, portable between SQLite and PostgreSQL.

Changing a table means adding an Alembic revision under `newsbot/migrations`;
these definitions are what the revisions must add up to.

Times are stored as naive UTC datetimes in every dialect, so ordering and
comparison behave the same in SQLite (text) and PostgreSQL (timestamp).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)

metadata = MetaData()

#: small facts about the store itself (first-run marker)
meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

#: every file seen under posts_dir, so a restart over an unchanged folder parses nothing
files = Table(
    "files",
    metadata,
    Column("path", String(1024), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("mtime_ns", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("post_id", String(1024), nullable=True),
    Column("error", Text, nullable=True),
)

#: posts as readers see them; `status` is live, held (dated in the future) or deleted
posts = Table(
    "posts",
    metadata,
    Column("id", String(1024), primary_key=True),
    Column("title", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("excerpt", Text, nullable=False, default=""),
    Column("author", Text, nullable=False, default=""),
    Column("image_url", Text, nullable=True),
    Column("date", DateTime, nullable=False),
    Column("tags", JSON, nullable=False),
    Column("categories", JSON, nullable=False),
    Column("source", String(1024), nullable=False, default=""),
    Column("status", String(16), nullable=False),
    # set once the post has been fanned out (or indexed on the first run): never pushed twice
    Column("announced", Boolean, nullable=False, default=False),
    Column("updated_at", DateTime, nullable=False),
    Index("ix_posts_status_date", "status", "date"),
    # every scan ends by looking for live posts not yet announced, oldest first: a
    # handful in 100,000, which only an index of the unannounced ones finds at once
    Index(
        "ix_posts_unannounced", "status", "date", "id",
        sqlite_where=text("announced = 0"), postgresql_where=text("announced = false"),
    ),
)

#: one row per (post, label) with the label case-folded, for tag queries and counts;
#: `date` is the post's, so the newest posts of a tag are the first entries of one index
post_labels = Table(
    "post_labels",
    metadata,
    Column("post_id", String(1024), ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("label", String(256), primary_key=True),
    Column("display", String(256), nullable=False),
    Column("date", DateTime, nullable=True),  # nullable only for the migration's sake
)
Index(
    "ix_post_labels_label_date",
    post_labels.c.label,
    post_labels.c.date.desc(),
    post_labels.c.post_id,
)

#: destinations and what they want: any of `tags` (empty = everything), none of `exclude`,
#: and what `filters` lets through (`newsbot.types.Filters` as JSON)
subscriptions = Table(
    "subscriptions",
    metadata,
    Column("platform", String(32), primary_key=True),
    Column("chat_id", String(64), primary_key=True),
    Column("title", Text, nullable=False, default=""),
    Column("tags", JSON, nullable=False),
    Column("exclude", JSON, nullable=False, server_default=text("'[]'")),
    Column("filters", JSON, nullable=False, server_default=text("'{}'")),
    # how stories look there (full, compact, headline), whether they notify, whether they
    # are published onward (crossposted from a Discord announcement channel)
    Column("format", String(16), nullable=False, server_default="full"),
    Column("silent", Boolean, nullable=False, server_default=false()),
    Column("publish", Boolean, nullable=False, server_default=false()),
    # "update" or "ignore" as the destination's moderators chose; NULL follows the site
    Column("edits", String(8), nullable=True),
    Column("dead", Boolean, nullable=False, default=False),
    Column("dead_reason", Text, nullable=False, default=""),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

#: one row per (post, destination); written in the same transaction that announces the post
outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("post_id", String(1024), nullable=False),
    Column("platform", String(32), nullable=False),
    Column("chat_id", String(64), nullable=False),
    # pending, sent, dead (destination gone), dropped (post deleted), migrated
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime, nullable=False),
    Column("message_id", String(64), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("sent_at", DateTime, nullable=True),
    # the destination's style when the story was queued
    Column("format", String(16), nullable=False, server_default="full"),
    Column("silent", Boolean, nullable=False, server_default=false()),
    Column("publish", Boolean, nullable=False, server_default=false()),
    UniqueConstraint("post_id", "platform", "chat_id", name="uq_outbox_post_destination"),
    Index("ix_outbox_platform_status_id", "platform", "status", "id"),
    # each chat's pending rows in order: which row heads a chat's queue (a worker claims
    # chats by their head, newsbot.workers.claims), and a claimed chat's rows
    Index(
        "ix_outbox_pending_chat", "platform", "chat_id", "id",
        sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'"),
    ),
)

#: one edit job per delivered message (`outbox` row) whose post changed visibly since it was
#: sent; written in the transaction that records the change. Saves in a row bump `revision`
#: of the one row, so they collapse into one edit that renders the newest version when sent.
#: status: pending, done, gone (the message no longer exists), failed (refused for good),
#: skipped (its destination turned corrections off: `subscriptions.edits = "ignore"`);
#: action: edit (show the newest version) or delete (the post was deleted or unpublished)
edits = Table(
    "edits",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("outbox_id", Integer, nullable=False),
    Column("post_id", String(1024), nullable=False),
    Column("platform", String(32), nullable=False),
    Column("chat_id", String(64), nullable=False),
    Column("message_id", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("action", String(8), nullable=False, server_default="edit"),
    Column("revision", Integer, nullable=False, default=1),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("outbox_id", name="uq_edits_outbox"),
    Index("ix_edits_platform_status_id", "platform", "status", "id"),
    # each chat's pending jobs: a worker reads those of the chats it claimed
    Index(
        "ix_edits_pending_chat", "platform", "chat_id", "id",
        sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'"),
    ),
)

# -- several workers on one store (PostgreSQL); see `newsbot.workers` -------------------

#: one row per running worker; `seen_at` is its heartbeat (naive UTC, the database's clock)
workers = Table(
    "workers",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", DateTime, nullable=False),
    Column("seen_at", DateTime, nullable=False),
)

#: named roles held by one worker at a time ("indexer", "poller:telegram",
#: "shard:discord:3"), each until `expires_at` unless its holder renews it
leases = Table(
    "leases",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("holder", String(128), nullable=False),
    Column("acquired_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
)

#: the worker that sends to a destination now (one at a time, so its order is kept)
chat_claims = Table(
    "chat_claims",
    metadata,
    Column("platform", String(32), primary_key=True),
    Column("chat_id", String(64), primary_key=True),
    Column("worker_id", String(128), nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Index("ix_chat_claims_worker", "worker_id"),
)

#: a bot token's shared send schedule: the next free slot, in epoch seconds of the
#: database's clock; workers reserve slots from it so together they keep the rate
paces = Table(
    "paces",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("next_at", Float, nullable=False),
)
