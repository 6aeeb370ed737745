"""feeds: a change mark kept by triggers, so a feed's validator is computed once per change

Revision ID: 0010_feed_changes
Revises: 0009_clock_state
Create Date: 2026-11-26 21:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from service.models.changes import create_triggers_sql, drop_triggers_sql

revision: str = "0010_feed_changes"
down_revision: str | None = "0009_clock_state"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feed_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mark", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_changes")),
    )
    op.execute("INSERT INTO feed_changes (id, mark) VALUES (1, 0)")
    for statement in create_triggers_sql(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_triggers_sql(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_table("feed_changes")
