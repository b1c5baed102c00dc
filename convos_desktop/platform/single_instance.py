"""One running app per profile: a second launch hands over to the first and exits.

The first launch listens on a local socket (``QLocalServer``: a Unix socket or a Windows
named pipe) named after the user and the profile. A second launch connects, sends one JSON
line (``{"ticket": 123}`` or ``{"ticket": null}``) and exits 0; the first emits
:attr:`SingleInstance.activated` and the app raises its window and opens the ticket.

A ticket is named on the command line as ``123``, ``#123`` or ``convos://ticket/123`` (the
URL scheme the installers register). After a crash the socket file stays behind: listening
then fails with "address in use", nobody answers a connection, so the stale name is removed
and listening is tried once more.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import re

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QAbstractSocket, QLocalServer, QLocalSocket

log = logging.getLogger("convos.instance")

CONNECT_TIMEOUT_MS = 500
WRITE_TIMEOUT_MS = 1000
MAX_MESSAGE_BYTES = 4096
TICKET_ARGUMENT = re.compile(r"^(?:convos://ticket/|#)?(\d{1,18})/?$", re.IGNORECASE)


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


def hand_over(name: str, ticket: int | None) -> bool:
    """Send ``ticket`` to a running instance; whether one took it (blocking, at start only)."""
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(CONNECT_TIMEOUT_MS):
        return False
    socket.write(encode_message(ticket))
    delivered = socket.waitForBytesWritten(WRITE_TIMEOUT_MS)
    socket.disconnectFromServer()
    if socket.state() != QLocalSocket.LocalSocketState.UnconnectedState:
        socket.waitForDisconnected(WRITE_TIMEOUT_MS)
    return delivered


class SingleInstance(QObject):
    """The first launch's listener; ``activated(ticket or None)`` for each later launch."""

    activated = Signal(object)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._on_new_connection)
        self._buffers: dict[QLocalSocket, bytearray] = {}

    def listen(self) -> bool:
        """Listen on the name, recovering a stale socket left by a crash; whether it works."""
        if self.server.listen(self.name):
            return True
        if self.server.serverError() == QAbstractSocket.SocketError.AddressInUseError:
            log.info("removing the stale single-instance socket %s", self.name)
            QLocalServer.removeServer(self.name)
            if self.server.listen(self.name):
                return True
        log.warning("single instance not enforced: %s", self.server.errorString())
        return False

    def close(self) -> None:
        """Stop listening (the socket file is removed)."""
        self.server.close()

    def _on_new_connection(self) -> None:
        while self.server.hasPendingConnections():
            socket = self.server.nextPendingConnection()
            self._buffers[socket] = bytearray()
            socket.readyRead.connect(lambda s=socket: self._on_ready_read(s))
            socket.disconnected.connect(lambda s=socket: self._on_disconnected(s))
            self._on_ready_read(socket)

    def _on_ready_read(self, socket: QLocalSocket) -> None:
        buffer = self._buffers.get(socket)
        if buffer is None:
            return
        buffer += bytes(socket.readAll().data())
        if b"\n" in buffer or len(buffer) > MAX_MESSAGE_BYTES:
            del self._buffers[socket]
            line = bytes(buffer).split(b"\n", 1)[0]
            socket.disconnectFromServer()
            socket.deleteLater()
            ticket = decode_message(line)
            log.info("another launch handed over (ticket %s)", ticket)
            self.activated.emit(ticket)

    def _on_disconnected(self, socket: QLocalSocket) -> None:
        if self._buffers.pop(socket, None) is not None:
            socket.deleteLater()


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
