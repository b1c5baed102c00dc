"""``KeepAliveWheel``: one timer pings every registered stream once per period."""

from __future__ import annotations

import asyncio
import itertools

from convos_server.api.keepalive import SLOTS, KeepAliveWheel

PERIOD_S = 0.4
SLACK_S = 0.01  # a timer may fire a clock tick early


async def test_each_stream_is_pinged_once_per_period_from_one_timer() -> None:
    """The first ping within one period of joining (not sooner than a slot before it), then
    one every period; a removed stream is pinged no more, and the timer stops with the last."""
    loop = asyncio.get_running_loop()
    wheel = KeepAliveWheel(PERIOD_S)
    pinged: dict[str, list[float]] = {"early": [], "late": []}
    joined = {"early": loop.time()}
    wheel.add(lambda: pinged["early"].append(loop.time()))
    await asyncio.sleep(PERIOD_S / 3)
    joined["late"] = loop.time()
    late = lambda: pinged["late"].append(loop.time())  # noqa: E731
    wheel.add(late)
    await asyncio.sleep(PERIOD_S * 2.5)
    wheel.remove(late)
    removed_at = loop.time()
    await asyncio.sleep(PERIOD_S)
    for name, times in pinged.items():
        first = times[0] - joined[name]
        assert PERIOD_S * (SLOTS - 1) / SLOTS - SLACK_S <= first <= PERIOD_S + 0.2, name
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert gaps, name
        assert all(PERIOD_S - SLACK_S <= gap <= PERIOD_S + 0.2 for gap in gaps), (name, gaps)
    assert all(t <= removed_at for t in pinged["late"])
    assert pinged["early"][-1] > removed_at  # still pinged after the other left
    wheel.remove(next(iter(wheel._slot_of)))
    assert wheel._timer is None
