"""Opaque keyset cursors for the newest-first lists: ``(time, id)`` encoded URL-safe."""

from __future__ import annotations

import base64
import datetime as dt

from convos_server.errors import invalid

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_ROW_ID = 2**63 - 1


def encode_cursor(moment: dt.datetime, row_id: int) -> str:
    """The cursor that continues after the row ``(moment, row_id)``."""
    raw = f"{moment.astimezone(dt.UTC).isoformat()}|{row_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    """The ``(moment, row_id)`` of a cursor; 422 ``invalid`` (field ``cursor``) when bad."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        moment_text, id_text = base64.urlsafe_b64decode(padded).decode().split("|")
        moment = dt.datetime.fromisoformat(moment_text)
        if moment.tzinfo is None:
            raise ValueError("naive time")
        return moment.astimezone(dt.UTC), _row_id(id_text)
    except (ValueError, OverflowError):
        raise invalid("Bad cursor", "cursor") from None


def decode_id_cursor(cursor: str) -> int:
    """The row id of a by-id cursor (decimal ASCII digits); 422 ``invalid`` when bad."""
    try:
        return _row_id(cursor)
    except ValueError:
        raise invalid("Bad cursor", "cursor") from None


def encode_offset_cursor(offset: int) -> str:
    """The cursor of a list paged by position (orders whose values repeat)."""
    return base64.urlsafe_b64encode(f"offset|{offset}".encode()).decode().rstrip("=")


def decode_offset_cursor(cursor: str) -> int:
    """The position an offset cursor continues at; 422 ``invalid`` (field ``cursor``) when bad."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        kind, offset_text = base64.urlsafe_b64decode(padded).decode().split("|")
        offset = int(offset_text)
        if kind != "offset" or not 0 <= offset < 2**31:
            raise ValueError("not an offset cursor")
        return offset
    except ValueError:
        raise invalid("Bad cursor", "cursor") from None


def _row_id(text: str) -> int:
    """A row id in 1..MAX_ROW_ID from ASCII digits (``isdigit()`` also accepts ``²``)."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ROW_ID)):
        raise ValueError("not a row id")
    row_id = int(text)
    if not 1 <= row_id <= MAX_ROW_ID:
        raise ValueError("row id out of range")
    return row_id


def clamp_limit(limit: int | None) -> int:
    """A page size within 1..MAX_LIMIT."""
    if limit is None:
        return DEFAULT_LIMIT
    return max(1, min(limit, MAX_LIMIT))
