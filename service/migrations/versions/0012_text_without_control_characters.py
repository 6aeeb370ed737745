"""text without control characters: what the API now refuses, cleaned from stored rows

Text fields refuse control characters other than tab and line breaks (a pasted Word
line break, \x0b, broke the xlsx ledger). Rows saved before would block every later
edit of their record, which is validated whole, and the character is invisible in a
form: so vertical tabs and form feeds become line breaks and the others go.

Revision ID: 0012_text_without_control
Revises: 0011_feed_token_seed
Create Date: 2026-11-27 07:10:00.000000
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_text_without_control"
down_revision: str | None = "0011_feed_token_seed"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As service.admin.common's, at the time of this migration.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _cleaned(value: str) -> str:
    return _CONTROL.sub("", value.replace("\x0b", "\n").replace("\x0c", "\n"))


def upgrade() -> None:
    bind = op.get_bind()
    metadata = sa.MetaData()
    metadata.reflect(bind)
    for table in metadata.sorted_tables:
        key = list(table.primary_key.columns)
        texts = [c for c in table.columns if isinstance(c.type, sa.String) and not c.primary_key]
        if not key or not texts or table.name == "alembic_version":
            continue
        for row in bind.execute(sa.select(*key, *texts)).all():
            changed = {
                column.name: _cleaned(value)
                for column, value in zip(texts, row[len(key) :], strict=True)
                if isinstance(value, str) and _CONTROL.search(value)
            }
            if changed:
                where = [column == row[i] for i, column in enumerate(key)]
                bind.execute(table.update().where(*where).values(**changed))


def downgrade() -> None:
    pass  # the characters removed are not worth restoring
