"""Subscriptions say what they leave out: excluded tags, and word and pattern filters.

Every existing subscription keeps what it had: no tag excluded, no filter.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("exclude", sa.JSON, nullable=False,
                                   server_default=sa.text("'[]'")))
        batch.add_column(sa.Column("filters", sa.JSON, nullable=False,
                                   server_default=sa.text("'{}'")))


def downgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("filters")
        batch.drop_column("exclude")
