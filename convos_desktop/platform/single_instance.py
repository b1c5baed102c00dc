"""One running app per profile: a second launch hands over to the first and exits.

The first launch listens on a local socket named after the user and the profile: a Unix
domain socket file in Qt's temporary folder (``QDir.tempPath()/<name>``, the place
``QLocalServer`` used, readable by this user only) watched by a ``QSocketNotifier`` on the GUI
thread, or on Windows a named pipe of that name (``multiprocessing.connection``)
accepted by a daemon thread. A second launch connects, sends one JSON line
(``{"ticket": 123}`` or ``{"ticket": null}``) and exits 0; the first emits
:attr:`SingleInstance.activated` and the app raises its window and opens the ticket. Nothing
here blocks the GUI thread of the first launch. Python's own sockets, not QtNetwork: the
module costs ~2.4 MiB resident for this one check (issue 16).

A ticket is named on the command line as ``123``, ``#123`` or ``convos://ticket/123`` (the
URL scheme the installers register). After a crash the socket file stays behind: binding
then fails with "address in use", nobody answers a connection, so the stale file is removed
and binding is tried once more.
"""

from __future__ import annotations

import contextlib
import errno
import getpass
import hashlib
import json
import logging
import os
import re
import socket
import sys
import threading
from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QDir, QObject, QSocketNotifier, Signal

log = logging.getLogger("convos.instance")

CONNECT_TIMEOUT_MS = 500
WRITE_TIMEOUT_MS = 1000
MAX_MESSAGE_BYTES = 4096
LISTEN_BACKLOG = 8
TICKET_ARGUMENT = re.compile(r"^(?:convos://ticket/|#)?(\d{1,18})/?$", re.IGNORECASE)
PIPES = sys.platform == "win32"  # named pipes there, Unix domain sockets elsewhere


def parse_ticket(argument: str | None) -> int | None:
    """The ticket id of ``123``, ``#123`` or ``convos://ticket/123``; ``None`` otherwise."""
    if not argument:
        return None
    match = TICKET_ARGUMENT.match(argument.strip())
    return int(match.group(1)) if match else None


def server_name(profile: str, user: str | None = None) -> str:
    """The local socket name of ``profile`` for this OS user (short: socket paths are)."""
    who = user if user is not None else getpass.getuser()
    digest = hashlib.sha256(f"{who}\0{profile}".encode()).hexdigest()[:16]
    return f"convos-desktop-{digest}"


def encode_message(ticket: int | None) -> bytes:
    """The one line a second launch sends."""
    return json.dumps({"ticket": ticket}).encode() + b"\n"


def decode_message(data: bytes) -> int | None:
    """The ticket of a received line; ``None`` for none or anything malformed."""
    try:
        message = json.loads(data.decode("utf-8").strip() or "{}")
    except (UnicodeDecodeError, json.JSONDecodeError):
        log.info("ignored a malformed hand-over message")
        return None
    ticket = message.get("ticket") if isinstance(message, dict) else None
    return ticket if isinstance(ticket, int) and not isinstance(ticket, bool) else None


def socket_address(name: str) -> str:
    """Where the instance of ``name`` listens: a socket file, or a Windows pipe."""
    if PIPES:
        return rf"\\.\pipe\{name}"
    return os.path.join(QDir.tempPath(), name)


def hand_over(name: str, ticket: int | None) -> bool:
    """Send ``ticket`` to a running instance; whether one took it (blocking, at start only)."""
    address = socket_address(name)
    if PIPES:
        return connection_hand_over(address, "AF_PIPE", ticket)
    return socket_hand_over(address, ticket)


def socket_hand_over(path: str, ticket: int | None) -> bool:
    """Send the line over a Unix domain socket, then wait for the first launch to hang up."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as peer:
        peer.settimeout(CONNECT_TIMEOUT_MS / 1000)
        try:
            peer.connect(path)
        except OSError:  # no file, or a stale one nobody listens on
            return False
        peer.settimeout(WRITE_TIMEOUT_MS / 1000)
        try:
            peer.sendall(encode_message(ticket))
            peer.shutdown(socket.SHUT_WR)
            while peer.recv(MAX_MESSAGE_BYTES):  # until the first launch closes its end
                pass
        except TimeoutError:
            return True  # sent; the first launch is slow to hang up
        except OSError as error:
            log.info("the hand-over failed: %s", error)
            return False
    return True


def connection_hand_over(address: str, family: str, ticket: int | None) -> bool:
    """Send the line as one ``multiprocessing.connection`` message (Windows pipes)."""
    from multiprocessing.connection import Client  # Windows only: not imported elsewhere

    try:
        with Client(address, family) as peer:
            peer.send_bytes(encode_message(ticket))
    except (OSError, EOFError):  # no pipe: nobody is running
        return False
    return True


class _Listener(Protocol):
    def close(self) -> None: ...


class SocketListener(QObject):
    """A Unix domain socket accepted and read on the GUI thread by socket notifiers (never
    blocking: the sockets are non-blocking); ``deliver`` gets each complete line."""

    def __init__(self, path: str, deliver: Callable[[bytes], None], parent: QObject) -> None:
        super().__init__(parent)
        self.path = path
        self._deliver = deliver
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._bind()
            os.chmod(path, 0o600)  # this user only (before listening: no one connected yet)
            self._socket.listen(LISTEN_BACKLOG)
        except OSError:
            self._socket.close()
            raise
        self._socket.setblocking(False)
        self._notifier = QSocketNotifier(self._socket.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._accept)
        self._peers: dict[int, tuple[socket.socket, bytearray, QSocketNotifier]] = {}

    def _bind(self) -> None:
        try:
            self._socket.bind(self.path)
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
            # The caller's hand-over found nobody answering: a crashed instance's file.
            log.info("removing the stale single-instance socket %s", self.path)
            os.unlink(self.path)
            self._socket.bind(self.path)

    def close(self) -> None:
        """Stop listening and remove the socket file."""
        self._notifier.setEnabled(False)
        for fd in list(self._peers):
            self._drop(fd)
        self._socket.close()
        with contextlib.suppress(OSError):
            os.unlink(self.path)

    def _accept(self) -> None:
        while True:
            try:
                peer, _address = self._socket.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:
                log.warning("accepting a hand-over failed: %s", error)
                return
            peer.setblocking(False)
            notifier = QSocketNotifier(peer.fileno(), QSocketNotifier.Type.Read, self)
            fd = peer.fileno()
            self._peers[fd] = (peer, bytearray(), notifier)
            notifier.activated.connect(lambda *_args, fd=fd: self._read(fd))
            self._read(fd)

    def _read(self, fd: int) -> None:
        entry = self._peers.get(fd)
        if entry is None:
            return
        peer, buffer, _notifier = entry
        while b"\n" not in buffer and len(buffer) <= MAX_MESSAGE_BYTES:
            try:
                chunk = peer.recv(MAX_MESSAGE_BYTES)
            except (BlockingIOError, InterruptedError):
                return  # more later
            except OSError:
                chunk = b""
            if not chunk:  # hung up before a whole line: nothing to do
                self._drop(fd)
                return
            buffer += chunk
        self._drop(fd)
        self._deliver(bytes(buffer).split(b"\n", 1)[0])

    def _drop(self, fd: int) -> None:
        peer, _buffer, notifier = self._peers.pop(fd)
        notifier.setEnabled(False)
        notifier.deleteLater()
        peer.close()


class ConnectionListener(QObject):
    """A ``multiprocessing.connection`` listener (Windows: a named pipe) accepted on a daemon
    thread; each message reaches ``deliver`` on the thread of this object (queued)."""

    received = Signal(bytes)

    def __init__(
        self, address: str, family: str, deliver: Callable[[bytes], None], parent: QObject
    ) -> None:
        super().__init__(parent)
        from multiprocessing.connection import Listener  # Windows only: not imported elsewhere

        self.address = address
        self.family = family
        self._listener = Listener(address, family)
        self._closing = threading.Event()
        self.received.connect(deliver)
        self._thread = threading.Thread(target=self._serve, name="single-instance", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop accepting (a connection of our own wakes the thread's ``accept``)."""
        if self._closing.is_set():
            return
        self._closing.set()
        connection_hand_over(self.address, self.family, None)
        self._thread.join(timeout=WRITE_TIMEOUT_MS / 1000)
        self._listener.close()

    def _serve(self) -> None:
        while not self._closing.is_set():
            try:
                with self._listener.accept() as peer:
                    message = peer.recv_bytes(MAX_MESSAGE_BYTES)
            except (OSError, EOFError) as error:
                if self._closing.is_set():
                    return
                log.info("a hand-over failed: %s", error)
                continue
            if not self._closing.is_set():
                self.received.emit(message)


class SingleInstance(QObject):
    """The first launch's listener; ``activated(ticket or None)`` for each later launch."""

    activated = Signal(object)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._listener: _Listener | None = None

    def listen(self) -> bool:
        """Listen on the name, recovering a stale socket left by a crash; whether it works."""
        address = socket_address(self.name)
        try:
            if PIPES:
                self._listener = ConnectionListener(address, "AF_PIPE", self._on_message, self)
            else:
                self._listener = SocketListener(address, self._on_message, self)
        except OSError as error:
            log.warning("single instance not enforced: %s", error)
            return False
        return True

    def is_listening(self) -> bool:
        return self._listener is not None

    def close(self) -> None:
        """Stop listening (the socket file is removed)."""
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def _on_message(self, line: bytes) -> None:
        ticket = decode_message(line.split(b"\n", 1)[0])
        log.info("another launch handed over (ticket %s)", ticket)
        self.activated.emit(ticket)


def claim(profile: str, ticket: int | None, parent: QObject | None = None) -> SingleInstance | None:
    """Become the profile's instance, or hand ``ticket`` to the running one.

    ``None``: another instance took over (this launch should exit 0). Otherwise the listener
    (even when listening failed: the app then runs unguarded rather than not at all).
    """
    name = server_name(profile)
    if hand_over(name, ticket):
        log.info("Convos is already running for profile %r: handed over", profile)
        return None
    instance = SingleInstance(name, parent)
    instance.listen()
    return instance
