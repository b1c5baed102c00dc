"""Bounded input types shared by every route and body model.

One definition per kind of input, so a new route gets the bounds by using the type:
ids (``Id``: 1..2^63-1, what a 64-bit database column holds), positions in a sequence
(``Position``: 0..2^63-1, e.g. ``?after=``), days (``Day``: ``YYYY-MM-DD`` within
``MIN_DAY``..``MAX_DAY``), reaction emoji (``Emoji``: one emoji, as the ``emoji`` package
decides) and contact custom fields (``CustomFields``). A value out of bounds is a 422
``invalid`` naming the field, never a 500 from the database or from date arithmetic.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Annotated

import annotated_types as at
import emoji as emoji_data
from pydantic import AfterValidator, BeforeValidator, WithJsonSchema

MAX_ID = 2**63 - 1
MIN_DAY = dt.date(1970, 1, 1)
MAX_DAY = dt.date(2999, 12, 31)

CUSTOM_MAX_KEYS = 50
CUSTOM_MAX_KEY_CHARS = 64
CUSTOM_MAX_VALUE_CHARS = 1000
CUSTOM_MAX_TOTAL_BYTES = 16 * 1024

_DAY_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)

Id = Annotated[int, at.Interval(ge=1, le=MAX_ID)]
Position = Annotated[int, at.Interval(ge=0, le=MAX_ID)]


def _parse_day(value: object) -> object:
    """A ``YYYY-MM-DD`` string as a date within MIN_DAY..MAX_DAY; other values pass through."""
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not _DAY_PATTERN.fullmatch(value.strip()):
        raise ValueError("must be a day as YYYY-MM-DD")
    day = dt.date.fromisoformat(value.strip())
    if not MIN_DAY <= day <= MAX_DAY:
        raise ValueError(f"must be a day between {MIN_DAY} and {MAX_DAY}")
    return day


Day = Annotated[
    dt.date,
    BeforeValidator(_parse_day),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date",
            "pattern": r"^\d{4}-\d{2}-\d{2}$",
            "description": f"A day, {MIN_DAY} to {MAX_DAY}",
        }
    ),
]


def _check_emoji(value: str) -> str:
    if not emoji_data.is_emoji(value):
        raise ValueError("must be one emoji")
    return value


Emoji = Annotated[str, at.Len(1, 64), AfterValidator(_check_emoji)]


def _check_custom(fields: dict[str, str]) -> dict[str, str]:
    if len(fields) > CUSTOM_MAX_KEYS:
        raise ValueError(f"at most {CUSTOM_MAX_KEYS} custom fields")
    for key, value in fields.items():
        if not key.strip() or len(key) > CUSTOM_MAX_KEY_CHARS:
            raise ValueError(f"custom field names have 1 to {CUSTOM_MAX_KEY_CHARS} characters")
        if len(value) > CUSTOM_MAX_VALUE_CHARS:
            raise ValueError(f"custom field values have at most {CUSTOM_MAX_VALUE_CHARS} chars")
    if len(json.dumps(fields, ensure_ascii=False).encode()) > CUSTOM_MAX_TOTAL_BYTES:
        raise ValueError(f"custom fields take at most {CUSTOM_MAX_TOTAL_BYTES} bytes in all")
    return fields


CustomFields = Annotated[
    dict[
        Annotated[str, at.MaxLen(CUSTOM_MAX_KEY_CHARS)],
        Annotated[str, at.MaxLen(CUSTOM_MAX_VALUE_CHARS)],
    ],
    at.MaxLen(CUSTOM_MAX_KEYS),
    AfterValidator(_check_custom),
]
