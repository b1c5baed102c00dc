"""Migrations: a fresh database upgraded to head matches models.py exactly."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from convos_server.db.engine import create_engine
from convos_server.db.migrate import upgrade_to_head
from convos_server.db.models import Base
from tests.server.conftest import BACKENDS


def _diff(connection):
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, Base.metadata)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_fresh_database_at_head_has_no_diff_to_models(database_url):
    await upgrade_to_head(database_url)
    await upgrade_to_head(database_url)  # a second run is a no-op
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            diff = await connection.run_sync(_diff)
            tables = await connection.run_sync(lambda sync: sync.dialect.get_table_names(sync))
    finally:
        await engine.dispose()
    assert diff == []
    assert "alembic_version" in tables
    assert set(Base.metadata.tables) <= set(tables)
