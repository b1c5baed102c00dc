"""Event stream pieces that need no server: backoff with full jitter, silence timeout,
reading a stream answered by a mock transport."""

import asyncio
import random

import httpx

from convos_desktop.core.api import ApiClient
from convos_desktop.core.events import Backoff, EventStream, ServerEvent
from convos_desktop.core.types import ConnectionState


def test_backoff_is_full_jitter_and_capped():
    backoff = Backoff(base=0.5, cap=30.0)
    rng = random.Random(7)
    for attempt in range(12):
        ceiling = min(30.0, 0.5 * 2**attempt)
        delays = [backoff.delay(attempt, rng) for _ in range(200)]
        assert all(0.0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling * 0.8  # uses the whole range, not a fixed step
    assert backoff.delay(10_000, rng) <= 30.0


async def test_silence_timeout_is_2_5_keepalives_and_injectable():
    api = ApiClient("http://127.0.0.1:9")
    assert EventStream(api, lambda: None, lambda e: None).silence_timeout == 37.5
    stream = EventStream(api, lambda: None, lambda e: None, keepalive=0.2)
    assert stream.silence_timeout == 0.5
    assert stream.state is ConnectionState.OFFLINE
    await api.aclose()


async def test_unreachable_server_reconnects_until_stopped():
    api = ApiClient("http://127.0.0.1:9")
    states: list[ConnectionState] = []
    stream = EventStream(api, lambda: None, lambda e: None, backoff=Backoff(0.01, 0.02))
    stream.state_changed.connect(states.append)
    stream.start()
    await asyncio.sleep(0.3)
    await stream.stop()
    assert states[0] is ConnectionState.CONNECTING
    assert ConnectionState.RECONNECTING in states
    assert states[-1] is ConnectionState.OFFLINE
    assert stream.connections == 0
    await api.aclose()


async def test_a_keepalive_after_an_event_is_not_that_event_again():
    """httpx-sse yields the blank line after ``: ping`` with the last id and no data."""
    body = (
        b'id: 7\r\nevent: message.created\r\ndata: {"n": 1}\r\n\r\n'
        b": ping\r\n\r\n"
        b'id: 8\r\nevent: message.created\r\ndata: {"n": 2}\r\n\r\n'
        b": ping\r\n\r\n"
    )
    transport = httpx.MockTransport(
        lambda request: httpx.Response(
            200, content=body, headers={"Content-Type": "text/event-stream"}
        )
    )
    api = ApiClient("http://convos.test", "token", transport=transport)
    received: list[ServerEvent] = []
    stream = EventStream(api, lambda: None, received.append, backoff=Backoff(10.0, 10.0))
    read_to_the_end = asyncio.Event()

    def on_state(state: ConnectionState) -> None:
        if state is ConnectionState.RECONNECTING:  # the body was read to its end
            read_to_the_end.set()

    stream.state_changed.connect(on_state)
    stream.start()
    await asyncio.wait_for(read_to_the_end.wait(), 10)
    await stream.stop()
    assert [(event.seq, event.data) for event in received] == [(7, {"n": 1}), (8, {"n": 2})]
    await api.aclose()
