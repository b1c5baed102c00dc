"""``column IN (ids)`` with the ids bound as one parameter, for statements built once.

SQLAlchemy's ``column.in_(bindparam(..., expanding=True))`` renders one placeholder per id and
processes each id at every execution: for a page's 50 ids about four times what SQLite takes
to run the statement. ``in_ids(column, "ids")`` binds the whole list as one value and its SQL
never changes (the drivers' prepared-statement caches hit): on SQLite
``column IN (SELECT value FROM json_each(?))`` with the ids as a JSON array, on PostgreSQL
``column = ANY($1::INTEGER[])``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import BindParameter, Boolean, ColumnElement, Integer, Text, bindparam
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.type_api import TypeEngine
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import TypeDecorator


class IdList(TypeDecorator[Iterable[int]]):
    """A list of integer ids as one bound value: a JSON array (SQLite), ``INTEGER[]``."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.ARRAY(Integer()))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: Iterable[int] | None, dialect: Dialect) -> Any:
        ids = [int(item) for item in value or ()]
        return ids if dialect.name == "postgresql" else json.dumps(ids)


class InIds(ColumnElement[bool]):
    """``column IN (ids)``, the ids bound as one parameter of type ``IdList``."""

    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True  # a condition as it is: no ``= 1`` on SQLite
    _traverse_internals = [  # noqa: RUF012 - SQLAlchemy's own (instance) declaration
        ("column", InternalTraversal.dp_clauseelement),
        ("ids", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: ColumnElement[int], ids: BindParameter[Iterable[int]]) -> None:
        self.column = column
        self.ids = ids


def in_ids(column: ColumnElement[int], name: str) -> InIds:
    """``column IN`` the ids given at execution as parameter ``name`` (any iterable of int)."""
    return InIds(column, bindparam(name, type_=IdList()))


@compiles(InIds)
def _in_ids_sqlite(element: InIds, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    return f"{column} IN (SELECT value FROM json_each({compiler.process(element.ids, **kw)}))"


@compiles(InIds, "postgresql")
def _in_ids_postgresql(element: InIds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{compiler.process(element.column, **kw)} = ANY({compiler.process(element.ids, **kw)})"
