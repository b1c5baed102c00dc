"""Presence rules, one test each, on a fake clock (no real waiting)."""

import asyncio

import pytest

from convos_desktop.core.presence import Heartbeat, PresenceDriver, PresenceMachine
from convos_desktop.core.types import ConnectionState, Screen, Status, WindowState
from tests.fakes import FakeClock


class Server:
    """Records the heartbeats the driver sends."""

    def __init__(self) -> None:
        self.beats: list[Heartbeat] = []

    async def put(self, status: Status, screen: Screen) -> None:
        self.beats.append(Heartbeat(status, screen))


ONLINE_HERE = Heartbeat(Status.ONLINE, Screen.CONVERSATIONS)
ONLINE_AWAY = Heartbeat(Status.ONLINE, Screen.OTHER)


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
async def driven(clock):
    server = Server()
    driver = PresenceDriver(server.put, clock=clock)
    statuses: list[Status] = []
    driver.effective_changed.connect(statuses.append)
    driver.start()
    await driver.wait_sent()
    yield driver, server, statuses
    driver.stop()


async def settle(driver: PresenceDriver) -> None:
    await asyncio.sleep(0)
    await driver.wait_sent()


async def test_start_sends_the_chosen_status_at_once(driven):
    _driver, server, statuses = driven
    assert server.beats == [ONLINE_HERE]
    assert statuses == [Status.ONLINE]


async def test_heartbeat_every_30_seconds(driven, clock):
    driver, server, _ = driven
    clock.advance(95)
    await settle(driver)
    assert server.beats == [ONLINE_HERE] * 4


async def test_choosing_a_status_sends_at_once(driven):
    driver, server, statuses = driven
    driver.choose(Status.BUSY)
    await settle(driver)
    assert server.beats[-1] == Heartbeat(Status.BUSY, Screen.CONVERSATIONS)
    assert statuses[-1:] == [Status.BUSY]


async def test_other_screen_is_unavailable_at_once_and_back_restores(driven):
    driver, server, statuses = driven
    driver.set_screen(Screen.OTHER)
    await settle(driver)
    assert server.beats[-1] == ONLINE_AWAY
    assert statuses[-1:] == [Status.UNAVAILABLE]
    driver.set_screen(Screen.CONVERSATIONS)
    await settle(driver)
    assert server.beats[-1] == ONLINE_HERE
    assert statuses[-1:] == [Status.ONLINE]


async def test_closed_to_tray_turns_unavailable_after_two_minutes(driven, clock):
    driver, server, statuses = driven
    driver.set_window(WindowState.CLOSED_TO_TRAY)
    clock.advance(119)
    await settle(driver)
    assert ONLINE_AWAY not in server.beats
    assert statuses[-1:] == [Status.ONLINE]
    clock.advance(1)
    await settle(driver)
    assert server.beats[-1] == ONLINE_AWAY
    assert statuses[-1:] == [Status.UNAVAILABLE]


async def test_shown_again_within_the_grace_stays_online(driven, clock):
    driver, server, _ = driven
    driver.set_window(WindowState.CLOSED_TO_TRAY)
    clock.advance(60)
    driver.set_window(WindowState.VISIBLE)
    clock.advance(300)
    await settle(driver)
    assert ONLINE_AWAY not in server.beats


async def test_shown_after_the_grace_restores_at_once(driven, clock):
    driver, server, _ = driven
    driver.set_window(WindowState.CLOSED_TO_TRAY)
    clock.advance(130)
    driver.set_window(WindowState.VISIBLE)
    await settle(driver)
    assert server.beats[-2:] == [ONLINE_AWAY, ONLINE_HERE]


async def test_minimising_is_not_closing(driven, clock):
    driver, server, statuses = driven
    driver.set_window(WindowState.MINIMIZED)
    clock.advance(600)
    await settle(driver)
    assert set(server.beats) == {ONLINE_HERE}
    assert statuses == [Status.ONLINE]


async def test_locked_session_behaves_like_the_tray(driven, clock):
    driver, server, _ = driven
    driver.set_locked(True)
    clock.advance(121)
    await settle(driver)
    assert server.beats[-1] == ONLINE_AWAY
    driver.set_locked(False)
    await settle(driver)
    assert server.beats[-1] == ONLINE_HERE


async def test_sleep_sends_nothing_and_resume_sends_at_once(driven, clock):
    driver, server, _ = driven
    sent_before = len(server.beats)
    driver.set_asleep(True)
    clock.advance(3600)
    await settle(driver)
    assert len(server.beats) == sent_before
    driver.set_asleep(False)
    await settle(driver)
    assert len(server.beats) == sent_before + 1
    assert server.beats[-1] == ONLINE_HERE
    clock.advance(30)
    await settle(driver)
    assert len(server.beats) == sent_before + 2


async def test_reconnect_reasserts_at_once(driven):
    driver, server, _ = driven
    driver.set_connection(ConnectionState.RECONNECTING)
    await settle(driver)
    assert len(server.beats) == 1
    driver.set_connection(ConnectionState.CONNECTED)
    await settle(driver)
    assert server.beats == [ONLINE_HERE, ONLINE_HERE]


def test_machine_is_pure_and_reports_its_deadline():
    machine = PresenceMachine()
    machine.set_window(WindowState.CLOSED_TO_TRAY, now=50.0)
    assert machine.next_deadline(60.0) == 170.0
    assert machine.effective(169.9) is Status.ONLINE
    assert machine.effective(170.0) is Status.UNAVAILABLE
    machine.choose(Status.UNAVAILABLE, now=10.0)
    machine.set_window(WindowState.VISIBLE, now=11.0)
    assert machine.effective(500.0) is Status.UNAVAILABLE
    assert machine.next_deadline(500.0) is None
