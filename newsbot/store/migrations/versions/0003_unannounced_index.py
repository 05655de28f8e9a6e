"""Every scan ends by announcing the live posts not yet announced: find them by index.

The indexer writes a big scan in batches and announces at the end, in one
transaction with the outbox rows; it finds what to announce by asking for
live posts with `announced` false, oldest first. This partial index holds only
those (a handful among 100,000), in that order; without it SQLite walks every
live post (90 ms at 100,000, on every scan).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_posts_unannounced", "posts", ["status", "date", "id"],
        sqlite_where=sa.text("announced = 0"), postgresql_where=sa.text("announced = false"),
    )


def downgrade() -> None:
    op.drop_index("ix_posts_unannounced", table_name="posts")
