"""Several workers on one store, and a destination's own edits policy.

- `subscriptions.edits`: "update" or "ignore" as a moderator chose for that
  destination; NULL follows the site's `delivery.edits`.
- `workers`: one row per running `newsbot run`, its heartbeat in `seen_at`.
- `leases`: named roles one worker holds at a time (the indexer, Telegram's
  poller, a Discord shard), each until `expires_at` unless renewed.
- `chat_claims`: which worker sends to a destination now, until `expires_at`.
- `paces`: a bot token's shared send schedule (the next free slot, in seconds
  of the database's clock), so all workers together keep the platform's rate.
- `ix_outbox_pending_chat`, `ix_edits_pending_chat`: each chat's pending deliveries
  and corrections in order, to find the head of a chat's queue (workers claim chats
  by it) and read a claimed chat's rows without reading them all.

Existing stores start with no workers, leases or claims, and every destination
following the site's policy.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("subscriptions", sa.Column("edits", sa.String(8), nullable=True))
    op.create_table(
        "workers",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("seen_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "leases",
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("holder", sa.String(128), nullable=False),
        sa.Column("acquired_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "chat_claims",
        sa.Column("platform", sa.String(32), primary_key=True),
        sa.Column("chat_id", sa.String(64), primary_key=True),
        sa.Column("worker_id", sa.String(128), nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_chat_claims_worker", "chat_claims", ["worker_id"])
    op.create_table(
        "paces",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("next_at", sa.Float, nullable=False),
    )
    op.create_index(
        "ix_outbox_pending_chat", "outbox", ["platform", "chat_id", "id"],
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_edits_pending_chat", "edits", ["platform", "chat_id", "id"],
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index("ix_edits_pending_chat", table_name="edits")
    op.drop_index("ix_outbox_pending_chat", table_name="outbox")
    op.drop_table("paces")
    op.drop_index("ix_chat_claims_worker", table_name="chat_claims")
    op.drop_table("chat_claims")
    op.drop_table("leases")
    op.drop_table("workers")
    op.drop_column("subscriptions", "edits")
