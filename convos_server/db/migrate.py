"""Alembic migrations driven from code: no ``alembic.ini`` is needed at run time."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection

from convos_server.db.engine import create_engine

log = logging.getLogger("convos.db")

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# PostgreSQL advisory lock held by the transaction that upgrades the schema: server processes
# starting together (``serve --workers``, several machines) upgrade one after the other, and
# the later ones find the schema at head. Any constant works, the same in every process.
MIGRATION_LOCK_KEY = 7_436_002


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at the migrations inside the package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


async def upgrade_to_head(database_url: str) -> None:
    """Bring the database at ``database_url`` to the newest schema revision."""
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # PostgreSQL DDL is transactional: the lock and the upgrade end at one commit.
                await connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
            await connection.run_sync(
                lambda sync_connection: command.upgrade(alembic_config(sync_connection), "head")
            )
    finally:
        await engine.dispose()
    log.info("database schema is at head")


async def make_revision(database_url: str, message: str) -> None:
    """Autogenerate a new revision from the difference between ``models.py`` and the database.

    A development helper: upgrade a scratch database to head first, then call this.
    """
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(
                lambda sync_connection: command.revision(
                    alembic_config(sync_connection), message=message, autogenerate=True
                )
            )
    finally:
        await engine.dispose()
