"""Alembic environment: runs on the connection that ``convos_server.db.migrate`` hands over."""

from __future__ import annotations

from alembic import context

from convos_server.db.models import Base
from convos_server.db.text_index import include_name

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through convos_server.db.migrate (no alembic.ini)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_name=include_name,
)
with context.begin_transaction():
    context.run_migrations()
