"""Event stream pieces that need no server: backoff with full jitter, silence timeout."""

import asyncio
import random

from convos_desktop.core.api import ApiClient
from convos_desktop.core.events import Backoff, EventStream
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
