"""Logging of the app: the console plus a rotating file in the platform's log folder, and
uncaught exceptions logged (with their traceback) and shown to the agent once.

The file is ``convos-desktop.log`` in ``platformdirs.user_log_dir("Convos Desktop",
"Convos")`` (``core.folders``) (Linux ``~/.local/state/Convos Desktop/log``, Windows
``%LOCALAPPDATA%\\Convos\\Convos Desktop\\Logs``, macOS ``~/Library/Logs/Convos Desktop``),
1 MiB per file, 5 kept. A folder that cannot be written leaves the console alone working.
The rotation is ``RotatingLogFile``'s, not ``logging.handlers``': importing that module loads
``pickle`` (for its socket handler), ~0.6 MiB resident that the app never uses (issue 16).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

from convos_desktop.core.folders import user_log_dir

log = logging.getLogger("convos.crash")

LOG_FILE_NAME = "convos-desktop.log"
LOG_FILE_BYTES = 1024 * 1024
LOG_FILES_KEPT = 5
FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"


class RotatingLogFile(logging.FileHandler):
    """A log file appended to until the next record would take it to ``max_bytes``; then it
    becomes ``NAME.1`` (``NAME.1`` becomes ``NAME.2`` and so on, ``NAME.<kept>`` dropped) and
    a new one is started: what ``logging.handlers.RotatingFileHandler`` does, by size only."""

    def __init__(self, path: Path, max_bytes: int, kept: int) -> None:
        super().__init__(path, mode="a", encoding="utf-8")
        self.max_bytes = max_bytes
        self.kept = kept

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if self._full_with(record):
                self._rotate()
        except Exception:  # as the standard handlers: a failing log never stops the app
            self.handleError(record)
            return
        super().emit(record)

    def _full_with(self, record: logging.LogRecord) -> bool:
        """Whether ``record`` would take a non-empty file to ``max_bytes`` or over."""
        if self.stream is None:
            self.stream = self._open()
        size = self.stream.tell()
        return bool(size) and size + len(self.format(record)) + 1 >= self.max_bytes

    def _rotate(self) -> None:
        if self.stream is not None:
            self.stream.close()
            self.stream = None
        for number in range(self.kept - 1, 0, -1):
            older = f"{self.baseFilename}.{number}"
            if os.path.exists(older):
                os.replace(older, f"{self.baseFilename}.{number + 1}")
        os.replace(self.baseFilename, f"{self.baseFilename}.1")
        self.stream = self._open()


def log_folder() -> Path:
    """The platform's log folder of the app."""
    return Path(user_log_dir("Convos Desktop", "Convos"))


def setup_logging(verbose: bool, folder: Path | None = None) -> Path | None:
    """Console and rotating-file logging; the log file, or ``None`` when it cannot be opened."""
    level = logging.DEBUG if verbose else logging.INFO
    logging.basicConfig(level=level, format=FORMAT)
    logging.getLogger().setLevel(level)
    target = (folder or log_folder()) / LOG_FILE_NAME
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handler = RotatingLogFile(target, LOG_FILE_BYTES, LOG_FILES_KEPT)
    except OSError as exc:
        logging.getLogger("convos.app").warning("no log file (%s): console only", exc)
        return None
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.setLevel(level)
    logging.getLogger().addHandler(handler)
    return target


# Qt messages that say nothing to an agent or a developer: the offscreen platform (tests,
# benchmarks, the self-check) prints the first once per top-level window; QtMultimedia the
# second when the notification sound starts it without a backend plugin, as the app wants
# (``ui/shell/sound.py``'s fallback for macOS and others; Linux and Windows do not load it).
QUIET_QT_MESSAGES = frozenset(
    {
        "This plugin does not support propagateSizeHints()",
        "No QtMultimedia backends found. Only QMediaDevices, QAudioDevice, QSoundEffect, "
        "QAudioSink, and QAudioSource are available.",
    }
)
QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}
qt_log = logging.getLogger("convos.qt")


def qt_message(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    """Qt's messages into the app's log (console and file), the known noise left out."""
    if message in QUIET_QT_MESSAGES:
        return
    qt_log.log(QT_LEVELS.get(kind, logging.WARNING), "%s", message)


def install_qt_message_filter() -> None:
    """Route Qt's messages through ``qt_message`` (replaces Qt's default stderr printer)."""
    qInstallMessageHandler(qt_message)


ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


class ExceptionHook:
    """``sys.excepthook`` (and threads'): log every uncaught exception, show the first one.

    ``show(text)`` tells the agent (a modeless box in the app); only the first exception of a
    run is shown, the rest are logged only, so a failing timer cannot bury the screen.
    """

    def __init__(self, show: Callable[[str], None], log_file: Path | None) -> None:
        self._show = show
        self._log_file = log_file
        self.shown = False
        self.count = 0

    def install(self) -> None:
        """Become the process's hook for the main thread and every other thread."""
        sys.excepthook = self.handle
        threading.excepthook = self._handle_thread

    def handle(
        self,
        kind: type[BaseException],
        value: BaseException,
        traceback: TracebackType | None,
    ) -> None:
        """Log, then show once."""
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, value, traceback)
            return
        self.count += 1
        log.critical("uncaught exception", exc_info=(kind, value, traceback))
        if self.shown:
            return
        self.shown = True
        where = f"\n\n{self._log_file}" if self._log_file is not None else ""
        try:
            self._show(f"{kind.__name__}: {value}{where}")
        except Exception:  # the hook must never raise
            log.exception("could not show the error")

    def _handle_thread(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None:
            return
        self.handle(args.exc_type, args.exc_value, args.exc_traceback)
