"""Alembic migration scripts of the Convos server schema."""
