"""One app per profile: a second launch hands its ticket to the first and exits; a stale
socket left by a crash is recovered. Real Unix domain sockets (and the Windows pipe listener's
``multiprocessing.connection`` code over AF_UNIX), in-process and with a second launch as a
real subprocess; QtNetwork is never loaded."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid

import pytest
from PySide6.QtCore import QDir

from convos_desktop.platform.single_instance import (
    ConnectionListener,
    SingleInstance,
    claim,
    connection_hand_over,
    decode_message,
    encode_message,
    hand_over,
    parse_ticket,
    server_name,
    socket_address,
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="Unix socket files")


@pytest.fixture
def profile():
    return f"test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def first(qapp, profile):
    instance = claim(profile, None)
    assert instance is not None
    assert instance.is_listening()
    yield instance
    instance.close()


def test_a_second_launch_hands_over_its_ticket(qtbot, first, profile):
    with qtbot.waitSignal(first.activated, timeout=3000) as signal:
        assert claim(profile, 4321) is None
    assert signal.args == [4321]


def test_a_second_launch_without_ticket_only_raises(qtbot, first, profile):
    with qtbot.waitSignal(first.activated, timeout=3000) as signal:
        assert hand_over(server_name(profile), None)
    assert signal.args == [None]


def test_profiles_are_independent(qapp, first, profile):
    other = claim(profile + "-other", None)
    assert other is not None
    assert other.is_listening()
    other.close()


def test_a_stale_socket_after_a_crash_is_recovered(qapp, profile):
    name = server_name(profile)
    path = os.path.join(QDir.tempPath(), name)
    crashed = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    crashed.bind(path)  # a listener that died without removing its socket file
    crashed.close()
    assert os.path.exists(path)
    instance = claim(profile, None)
    assert instance is not None
    assert instance.is_listening()
    instance.close()


def test_the_command_line_hands_over_and_exits(qtbot, first, profile):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    with qtbot.waitSignal(first.activated, timeout=20000) as signal:
        second = subprocess.Popen(
            [sys.executable, "-m", "convos_desktop", "--profile", profile, "convos://ticket/77"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    assert second.wait(timeout=20) == 0
    assert signal.args == [77]


def test_the_socket_file_is_this_users_and_goes_with_the_listener(qapp, profile):
    instance = claim(profile, None)
    assert instance is not None
    path = socket_address(server_name(profile))
    assert path == os.path.join(QDir.tempPath(), server_name(profile))  # where Qt had it
    assert os.stat(path).st_mode & 0o777 == 0o600
    instance.close()
    assert not os.path.exists(path)
    assert not hand_over(server_name(profile), None)


def test_a_silent_or_oversized_peer_is_dropped(qtbot, first, profile):
    path = socket_address(server_name(profile))
    signals: list[object] = []
    first.activated.connect(signals.append)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.connect(path)  # connects and hangs up without a line: nothing happens
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as flood:
        flood.connect(path)
        with qtbot.waitSignal(first.activated, timeout=3000):
            flood.sendall(b"x" * 10_000)
    assert signals == [None]  # the flood: no ticket, the window raised once
    with qtbot.waitSignal(first.activated, timeout=3000) as signal:
        assert hand_over(server_name(profile), 5)  # the listener still takes the next one
    assert signal.args == [5]


def test_the_first_launch_keeps_its_gui_thread_free_while_a_peer_trickles(qtbot, first, profile):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as slow:
        slow.connect(socket_address(server_name(profile)))
        line = encode_message(9)
        slow.sendall(line[:5])
        qtbot.wait(50)  # the event loop runs on: the half line waits in the listener
        with qtbot.waitSignal(first.activated, timeout=3000) as signal:
            slow.sendall(line[5:])
    assert signal.args == [9]


def test_the_pipe_listener_hands_over_on_its_thread(qtbot, qapp, tmp_path):
    address = str(tmp_path / "pipe")  # AF_UNIX stands in for Windows' AF_PIPE here
    received: list[bytes] = []
    listener = ConnectionListener(address, "AF_UNIX", received.append, qapp)
    try:
        assert connection_hand_over(address, "AF_UNIX", 31)
        qtbot.waitUntil(lambda: received == [encode_message(31)], timeout=3000)
        assert decode_message(received[0]) == 31
    finally:
        listener.close()
    assert not connection_hand_over(address, "AF_UNIX", 32)
    assert received == [encode_message(31)]


def test_the_app_does_not_load_qtnetwork():
    code = "import sys, convos_desktop.app; print('PySide6.QtNetwork' in sys.modules)"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("argument", "ticket"),
    [
        ("123", 123),
        ("#123", 123),
        ("convos://ticket/123", 123),
        ("CONVOS://ticket/9/", 9),
        ("convos://other/1", None),
        ("abc", None),
        (None, None),
    ],
)
def test_ticket_arguments(argument, ticket):
    assert parse_ticket(argument) == ticket


def test_malformed_messages_open_nothing():
    assert decode_message(b"not json") is None
    assert decode_message(b'{"ticket": "1"}') is None
    assert decode_message(b'{"ticket": true}') is None
    assert decode_message(b"[1]") is None
    assert decode_message(b'{"ticket": 5}') == 5


def test_a_demo_run_never_listens(qapp):
    import argparse

    from convos_desktop.product import claim_instance

    instance = claim_instance(argparse.Namespace(demo=True, ticket=None, profile="x"), qapp)
    assert isinstance(instance, SingleInstance)
    assert not instance.is_listening()
