"""Text search for the ``q=`` filters: a case-insensitive substring match, taken literally.

``%`` and ``_`` in what the agent typed are escaped, so ``q=%`` finds the rows that contain
a percent sign instead of every row.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement
from sqlalchemy.orm import InstrumentedAttribute

ESCAPE = "\\"


def contains_pattern(q: str) -> str:
    """The LIKE pattern matching ``q`` (stripped) anywhere, its wildcards escaped."""
    text = q.strip()
    for special in (ESCAPE, "%", "_"):
        text = text.replace(special, ESCAPE + special)
    return f"%{text}%"


def contains(
    column: InstrumentedAttribute[str] | InstrumentedAttribute[str | None], q: str
) -> ColumnElement[bool]:
    """``column`` contains ``q`` literally, ignoring case."""
    return column.ilike(contains_pattern(q), escape=ESCAPE)
