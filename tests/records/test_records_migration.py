"""Migration 0014_records: its tables come and go, and rows elsewhere stay."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text

from service import migrate
from service.context import Pufa
from tests.support.feeds import seed_demo

TABLES = {"attendance", "attachments", "occurrence_notes"}


def test_records_tables_go_down_to_0012_and_come_back(pufa_state: Pufa) -> None:
    seed_demo(pufa_state)
    config = migrate.alembic_config(pufa_state.db.url)
    pufa_state.db.dispose()

    def tables() -> set[str]:
        with pufa_state.db.engine.connect() as connection:
            return set(inspect(connection).get_table_names())

    def people() -> int:
        with pufa_state.db.engine.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM people")).scalar_one())

    before = people()
    assert tables() >= TABLES
    command.downgrade(config, "0013_security")
    pufa_state.db.dispose()
    assert not TABLES & tables()
    assert people() == before
    command.upgrade(config, "head")
    pufa_state.db.dispose()
    assert tables() >= TABLES
    assert people() == before
