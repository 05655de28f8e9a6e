"""Every scan ends by announcing the live posts not yet announced: find them by index.

The indexer writes a big scan in batches and announces at the end, in one
transaction with the outbox rows; it finds what to announce by asking for
live posts with `announced` false, which this index answers without reading
every post (and which also picks up posts a scan cut short left behind).

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_posts_announced_status", "posts", ["announced", "status"])


def downgrade() -> None:
    op.drop_index("ix_posts_announced_status", table_name="posts")
