"""core.transport on the app's loop: qasync's (Qt's event loop as asyncio's), against the
loopback servers of tests/desktop/core/test_transport.py."""

from __future__ import annotations

import asyncio
from pathlib import Path

import qasync

from tests.desktop.core import test_transport as on_asyncio


async def test_the_transport_runs_on_the_qt_loop(tmp_path: Path) -> None:
    assert isinstance(asyncio.get_running_loop(), qasync.QEventLoop)
    await on_asyncio.test_each_kind_of_response_leaves_the_connection_for_the_next_request()
    await on_asyncio.test_a_response_body_is_delivered_as_it_arrives()
    await on_asyncio.test_a_request_body_is_sent_as_it_is_produced()
    await on_asyncio.test_a_body_left_or_cancelled_midway_closes_its_connection()
    await on_asyncio.test_a_server_that_does_not_read_is_a_write_timeout()
    await on_asyncio.test_https_checks_the_servers_certificate(tmp_path)
