"""The protocol's timestamp formatter against the ``isoformat`` reference it replaced."""

from __future__ import annotations

import datetime as dt

import pytest

from convos_server.serialize import iso


def _reference(value: dt.datetime) -> str:
    """The former implementation of ``iso``."""
    if value.tzinfo is not dt.UTC:
        value = value.astimezone(dt.UTC)
    return value.isoformat(timespec="milliseconds")[:-6] + "Z"


PLUS_2 = dt.timezone(dt.timedelta(hours=2))
MINUS_530 = dt.timezone(-dt.timedelta(hours=5, minutes=30))


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(2026, 12, 5, 13, 45, 1, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 5, 13, 45, 1, 123456, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 5, 13, 45, 1, 999999, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 5, 13, 45, 1, 999, tzinfo=dt.UTC),
        dt.datetime(2026, 1, 1, 0, 0, 0, 1000, tzinfo=dt.UTC),
        dt.datetime(999, 1, 2, 3, 4, 5, 6000, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 5, 1, 30, 0, 500000, tzinfo=PLUS_2),
        dt.datetime(2026, 12, 31, 22, 0, 0, 250, tzinfo=MINUS_530),
        dt.datetime(2026, 12, 5, 13, 45, 1, 123456, tzinfo=dt.timezone.utc),  # noqa: UP017
        dt.datetime(2026, 12, 5, 13, 45, 1, 0),  # naive: local time, as before
        dt.datetime(2026, 12, 5, 13, 45, 1, 654321),
    ],
)
def test_iso_matches_isoformat(value: dt.datetime) -> None:
    assert iso(value) == _reference(value)
    assert iso(value) == _reference(value)  # the cached answer too


def test_iso_none_and_equal_instants() -> None:
    assert iso(None) is None
    moment = dt.datetime(2026, 12, 5, 13, 0, 0, 1000, tzinfo=dt.UTC)
    assert iso(moment.astimezone(PLUS_2)) == iso(moment) == "2026-12-05T13:00:00.001Z"
