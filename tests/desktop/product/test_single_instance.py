"""One app per profile: a second launch hands its ticket to the first and exits; a stale
socket left by a crash is recovered. Real QLocalServer/QLocalSocket peers, in-process and
with a second launch as a real subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid

import pytest
from PySide6.QtCore import QDir

from convos_desktop.platform.single_instance import (
    SingleInstance,
    claim,
    decode_message,
    hand_over,
    parse_ticket,
    server_name,
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="Unix socket files")


@pytest.fixture
def profile():
    return f"test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def first(qapp, profile):
    instance = claim(profile, None)
    assert instance is not None
    assert instance.server.isListening()
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
    assert other.server.isListening()
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
    assert instance.server.isListening()
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
    assert not instance.server.isListening()
