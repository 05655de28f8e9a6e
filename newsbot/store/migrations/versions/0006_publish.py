"""A destination may ask for its stories to be published onward (Discord announcement
channels: crossposted to the servers that follow them); each queued delivery keeps
the choice it was queued with. Nothing existing is published.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("subscriptions", "outbox"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("publish", sa.Boolean, nullable=False,
                                       server_default=sa.false()))


def downgrade() -> None:
    for table in ("subscriptions", "outbox"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("publish")
