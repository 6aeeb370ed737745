"""feed token seeds: a feed URL can be shown again without being stored

Revision ID: 0011_feed_token_seed
Revises: 0010_feed_changes
Create Date: 2026-11-27 07:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_feed_token_seed"
down_revision: str | None = "0010_feed_changes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable: tokens issued before keep working, but cannot be shown again.
    for table in ("people", "departments"):
        op.add_column(table, sa.Column("feed_token_seed", sa.String(length=64), nullable=True))


def downgrade() -> None:
    # Not batch_alter_table: on SQLite its rebuild drops the table, and with foreign keys
    # on that cascades into the link tables. SQLite (3.35+) drops a plain column itself.
    for table in ("people", "departments"):
        op.drop_column(table, "feed_token_seed")
