"""outbox: change notices (变更通知) and the per-schedule switch for them

Schedules get ``change_notices`` (on for lectures and meetings). A change notice is an
outbox row without a reminder rule, unique per occurrence, person and change
(``notice``), so it is written once whatever clock or request gets there first.

Revision ID: 0015_outbox
Revises: 0014_records
Create Date: 2026-12-01 23:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_outbox"
down_revision: str | None = "0014_records"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NOTICE_KEY = "uq_deliveries_schedule_id_original_start_at_person_id_notice"


def upgrade() -> None:
    op.add_column(
        "schedules",
        sa.Column("change_notices", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.execute("UPDATE schedules SET change_notices = TRUE WHERE kind IN ('lecture', 'meeting')")
    with op.batch_alter_table("deliveries") as batch:
        batch.alter_column("rule_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("notice", sa.String(length=40), nullable=True))
        batch.create_unique_constraint(
            _NOTICE_KEY, ["schedule_id", "original_start_at", "person_id", "notice"]
        )


def downgrade() -> None:
    # Change notices have no rule: the older schema cannot hold them.
    op.execute("DELETE FROM deliveries WHERE rule_id IS NULL")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_constraint(_NOTICE_KEY, type_="unique")
        batch.drop_column("notice")
        batch.alter_column("rule_id", existing_type=sa.Integer(), nullable=False)
    # Plain ALTER TABLE (SQLite 3.35+ has DROP COLUMN): a batch copy of ``schedules``
    # would trip the foreign keys pointing at it and lose its feed-change triggers.
    op.execute("ALTER TABLE schedules DROP COLUMN change_notices")
