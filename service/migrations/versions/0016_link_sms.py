"""link SMS: an outbox row that belongs to no schedule

The console sends a staff member their personal page link by SMS through the outbox
(queued, claimed once, retried, recorded like every other message). Such a row names no
occurrence, so ``deliveries.schedule_id`` may be empty; ``notice`` keys it.

Revision ID: 0016_link_sms
Revises: 0015_outbox
Create Date: 2026-12-02 00:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_link_sms"
down_revision: str | None = "0015_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.alter_column("schedule_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    # Link messages name no schedule: the older schema cannot hold them.
    op.execute("DELETE FROM deliveries WHERE schedule_id IS NULL")
    with op.batch_alter_table("deliveries") as batch:
        batch.alter_column("schedule_id", existing_type=sa.Integer(), nullable=False)
