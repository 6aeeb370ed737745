"""delivery lists: indexes that serve the outbox's lists in their order

The deliveries list (API and console) is read newest first, ``due_at DESC, id DESC``,
optionally filtered by status, person or schedule, a page at a time from a cursor; each
of these indexes hands the page over in that order, so a page reads its own rows and no
more. The status and person indexes take the place of the narrower ones they extend.
The dashboard reads the latest changes (``updated_at``) overall and of the statuses that
need a look.

Revision ID: 0018_delivery_lists
Revises: 0017_deliveries_by_schedule
Create Date: 2026-12-02 03:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018_delivery_lists"
down_revision: str | None = "0017_deliveries_by_schedule"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW = {
    "ix_deliveries_due_at_id": ["due_at", "id"],
    "ix_deliveries_status_due_at_id": ["status", "due_at", "id"],
    "ix_deliveries_person_due_at_id": ["person_id", "due_at", "id"],
    "ix_deliveries_schedule_due_at_id": ["schedule_id", "due_at", "id"],
    "ix_deliveries_updated_at": ["updated_at"],
    "ix_deliveries_status_updated_at": ["status", "updated_at"],
}
OLD = {
    "ix_deliveries_status_due_at": ["status", "due_at"],
    "ix_deliveries_person_id": ["person_id"],
}


def upgrade() -> None:
    for name in OLD:
        op.drop_index(name, table_name="deliveries")
    for name, columns in NEW.items():
        op.create_index(name, "deliveries", columns)


def downgrade() -> None:
    for name in NEW:
        op.drop_index(name, table_name="deliveries")
    for name, columns in OLD.items():
        op.create_index(name, "deliveries", columns)
