"""records: attendance, attachments (evidence and lecture material) and summaries

Revision ID: 0014_records
Revises: 0013_security
Create Date: 2026-12-01 22:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import service.models.base


revision: str = "0014_records"
down_revision: str | None = "0013_security"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _instant() -> service.models.base.UTCDateTime:
    return service.models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('schedule_id', sa.Integer(), nullable=False),
    sa.Column('original_start_at', _instant(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=50), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('thumbnail', sa.LargeBinary(), nullable=True),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', _instant(), nullable=False),
    sa.CheckConstraint("kind IN ('evidence', 'material')", name=op.f('ck_attachments_kind')),
    sa.ForeignKeyConstraint(['schedule_id'], ['schedules.id'], name=op.f('fk_attachments_schedule_id_schedules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments'))
    )
    op.create_index('ix_attachments_occurrence', 'attachments', ['schedule_id', 'original_start_at'], unique=False)
    op.create_table('attendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('schedule_id', sa.Integer(), nullable=False),
    sa.Column('original_start_at', _instant(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('created_at', _instant(), nullable=False),
    sa.Column('updated_at', _instant(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("source IN ('roll_call', 'check_in', 'leave_request')", name=op.f('ck_attendance_source')),
    sa.CheckConstraint("status IN ('present', 'leave', 'absent')", name=op.f('ck_attendance_status')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_attendance_person_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['schedule_id'], ['schedules.id'], name=op.f('fk_attendance_schedule_id_schedules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance')),
    sa.UniqueConstraint('schedule_id', 'original_start_at', 'person_id', name=op.f('uq_attendance_schedule_id_original_start_at_person_id'))
    )
    op.create_index(op.f('ix_attendance_person_id'), 'attendance', ['person_id'], unique=False)
    op.create_table('occurrence_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('schedule_id', sa.Integer(), nullable=False),
    sa.Column('original_start_at', _instant(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('created_at', _instant(), nullable=False),
    sa.Column('updated_at', _instant(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['schedule_id'], ['schedules.id'], name=op.f('fk_occurrence_notes_schedule_id_schedules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_occurrence_notes')),
    sa.UniqueConstraint('schedule_id', 'original_start_at', name=op.f('uq_occurrence_notes_schedule_id_original_start_at'))
    )


def downgrade() -> None:
    op.drop_table('occurrence_notes')
    op.drop_index(op.f('ix_attendance_person_id'), table_name='attendance')
    op.drop_table('attendance')
    op.drop_index('ix_attachments_occurrence', table_name='attachments')
    op.drop_table('attachments')
