"""Each destination chooses how its stories look (a full card, a compact line, the
headline) and whether they arrive silently; each queued delivery keeps the choice it
was queued with.

Every existing subscription and queued delivery gets today's look: a full card, with
a notification.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("subscriptions", "outbox"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("format", sa.String(16), nullable=False,
                                       server_default="full"))
            batch.add_column(sa.Column("silent", sa.Boolean, nullable=False,
                                       server_default=sa.false()))


def downgrade() -> None:
    for table in ("subscriptions", "outbox"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("silent")
            batch.drop_column("format")
