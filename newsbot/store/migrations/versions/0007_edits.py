"""Corrections reach the chats: an `edits` table holds one job per delivered message
whose post changed visibly (an edit) or was deleted (a deletion, when configured).
Existing stores start with no jobs: nothing is edited for changes made before the
upgrade.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "edits",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("outbox_id", sa.Integer, nullable=False),
        sa.Column("post_id", sa.String(1024), nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("chat_id", sa.String(64), nullable=False),
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("action", sa.String(8), nullable=False, server_default="edit"),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("outbox_id", name="uq_edits_outbox"),
    )
    op.create_index("ix_edits_platform_status_id", "edits", ["platform", "status", "id"])


def downgrade() -> None:
    op.drop_index("ix_edits_platform_status_id", table_name="edits")
    op.drop_table("edits")
