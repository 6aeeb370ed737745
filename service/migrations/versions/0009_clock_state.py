"""clock state: the planner's planned-through mark and reconciliation totals

Revision ID: 0009_clock_state
Revises: 0008_web
Create Date: 2026-11-26 21:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import service.models.base


revision: str = '0009_clock_state'
down_revision: str | None = '0008_web'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('clock_state',
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('at', service.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('updated_at', service.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_clock_state'))
    )


def downgrade() -> None:
    op.drop_table('clock_state')
