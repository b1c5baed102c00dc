"""SIGINT/SIGTERM while Qt's event loop runs: turned into a Qt signal on the GUI thread.

Python runs its signal handlers only when the interpreter gets control, and under qasync the
thread mostly sits in Qt's C++ loop. :func:`signal.set_wakeup_fd` makes the C-level handler
write the signal number to a socket; a :class:`QSocketNotifier` on the other end wakes the Qt
loop, and ``received`` is emitted from there. Works on POSIX and Windows (a socket pair).
"""

from __future__ import annotations

import logging
import signal
import socket
from types import FrameType

from PySide6.QtCore import QObject, QSocketNotifier, Signal

log = logging.getLogger("convos.platform")

QUIT_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class QuitSignals(QObject):
    """Emits ``received(int)`` (the signal number) for SIGINT/SIGTERM until :meth:`close`.

    Installs its handlers on creation and restores the previous ones on :meth:`close`.
    """

    received = Signal(int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        self._previous_handlers = {
            number: signal.signal(number, self._note) for number in QUIT_SIGNALS
        }
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._on_readable)

    @staticmethod
    def _note(number: int, _frame: FrameType | None) -> None:
        """The Python-level handler: the wake-up byte already carries the news."""
        log.debug("signal %s noted", number)

    def _on_readable(self) -> None:
        try:
            data = self._reader.recv(64)
        except (BlockingIOError, InterruptedError):
            return
        for number in data:
            if number in QUIT_SIGNALS:
                log.info("received %s: quitting", signal.Signals(number).name)
                self.received.emit(number)

    def close(self) -> None:
        """Restore the previous handlers and wake-up fd; close the sockets."""
        self._notifier.setEnabled(False)
        for number, handler in self._previous_handlers.items():
            signal.signal(number, handler)
        signal.set_wakeup_fd(self._previous_fd)
        self._reader.close()
        self._writer.close()
