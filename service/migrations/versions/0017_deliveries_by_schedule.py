"""deliveries by schedule and status: a single edit's re-plan reads only its own rows

A request that changes one schedule re-plans it in its own transaction and first reads
that schedule's pending rows. Without an index on (schedule_id, status), SQLite answers
through the (status, due_at) index, reading every pending row of the office (10,000 for
5,000 people over a 48-hour horizon) to find a lecture's 60.

Revision ID: 0017_deliveries_by_schedule
Revises: 0016_link_sms
Create Date: 2026-12-02 02:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017_deliveries_by_schedule"
down_revision: str | None = "0016_link_sms"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_deliveries_schedule_id_status", "deliveries", ["schedule_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_schedule_id_status", table_name="deliveries")
