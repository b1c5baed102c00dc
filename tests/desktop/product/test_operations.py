"""Operations: --version, a rotating log file, uncaught exceptions logged and shown once,
the About box and the app menu."""

from __future__ import annotations

import logging
import logging.handlers
import subprocess
import sys
import threading

import pytest

from convos_desktop import __version__
from convos_desktop.logs import (
    LOG_FILES_KEPT,
    ExceptionHook,
    RotatingLogFile,
    qt_message,
    setup_logging,
)
from convos_desktop.ui.shell.about_dialog import AboutDialog


@pytest.fixture
def clean_root_logger():
    root = logging.getLogger()
    handlers = list(root.handlers)
    level = root.level
    yield
    root.setLevel(level)
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()


def test_version_flag():
    result = subprocess.run(
        [sys.executable, "-m", "convos_desktop", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout.startswith(f"Convos Desktop {__version__} (Qt 6.")


def test_log_file_rotates(tmp_path, clean_root_logger):
    path = setup_logging(False, tmp_path / "logs")
    assert path is not None
    handler = next(h for h in logging.getLogger().handlers if isinstance(h, RotatingLogFile))
    assert handler.max_bytes == 1024 * 1024
    assert handler.kept == LOG_FILES_KEPT
    logging.getLogger("convos.test").info("hello file")
    handler.flush()
    assert "hello file" in path.read_text(encoding="utf-8")


def test_the_log_file_turns_over_before_its_size_and_keeps_the_newest_files(tmp_path):
    path = tmp_path / "convos-desktop.log"
    handler = RotatingLogFile(path, 100, 3)
    handler.setFormatter(logging.Formatter("%(message)s"))
    try:
        for number in range(12):  # 40 bytes a line: two a file
            handler.emit(logging.makeLogRecord({"msg": f"{number:02d}" + "." * 37}))
    finally:
        handler.close()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [path.name, *(f"{path.name}.{n}" for n in (1, 2, 3))]
    lines = {
        name: [line[:2] for line in (tmp_path / name).read_text(encoding="utf-8").splitlines()]
        for name in names
    }
    assert lines[path.name] == ["10", "11"]
    assert lines[f"{path.name}.1"] == ["08", "09"]
    assert lines[f"{path.name}.3"] == ["04", "05"]  # the oldest kept; 00-03 dropped
    assert all(len((tmp_path / name).read_bytes()) < 100 for name in names)


def test_the_log_file_turns_over_as_the_standard_librarys_rotating_handler(tmp_path):
    records = [f"{n:03d} " + "x" * (n * 7 % 45) for n in range(60)]
    handlers = {
        "ours": lambda path: RotatingLogFile(path, 120, 4),
        "stdlib": lambda path: logging.handlers.RotatingFileHandler(
            path, maxBytes=120, backupCount=4, encoding="utf-8"
        ),
    }
    for folder, make in handlers.items():
        (tmp_path / folder).mkdir()
        handler = make(tmp_path / folder / "convos-desktop.log")
        handler.setFormatter(logging.Formatter("%(message)s"))
        try:
            for text in records:
                handler.emit(logging.makeLogRecord({"msg": text}))
        finally:
            handler.close()
    ours = {p.name: p.read_bytes() for p in (tmp_path / "ours").iterdir()}
    assert len(ours) == 5
    assert ours == {p.name: p.read_bytes() for p in (tmp_path / "stdlib").iterdir()}


def test_a_record_bigger_than_the_limit_goes_to_a_file_of_its_own(tmp_path):
    path = tmp_path / "convos-desktop.log"
    handler = RotatingLogFile(path, 50, 2)
    handler.setFormatter(logging.Formatter("%(message)s"))
    try:
        for text in ("short", "x" * 80, "after"):
            handler.emit(logging.makeLogRecord({"msg": text}))
    finally:
        handler.close()
    assert path.read_text(encoding="utf-8") == "after\n"
    assert (tmp_path / f"{path.name}.1").read_text(encoding="utf-8") == "x" * 80 + "\n"
    assert (tmp_path / f"{path.name}.2").read_text(encoding="utf-8") == "short\n"


def test_an_unwritable_log_folder_leaves_the_console(tmp_path, clean_root_logger):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert setup_logging(False, blocker / "logs") is None


def test_uncaught_exceptions_are_logged_and_shown_once(tmp_path, caplog):
    shown: list[str] = []
    hook = ExceptionHook(shown.append, tmp_path / "convos-desktop.log")
    with caplog.at_level(logging.CRITICAL, logger="convos.crash"):
        for message in ("first", "second"):
            try:
                raise ValueError(message)
            except ValueError as exc:
                hook.handle(type(exc), exc, exc.__traceback__)
    assert len(shown) == 1
    assert shown[0].startswith("ValueError: first")
    assert "convos-desktop.log" in shown[0]
    assert hook.count == 2
    records = [r for r in caplog.records if r.name == "convos.crash"]
    assert len(records) == 2
    assert records[0].exc_info is not None


def test_qt_messages_are_logged_without_the_offscreen_noise(caplog):
    from PySide6.QtCore import QMessageLogContext, QtMsgType

    context = QMessageLogContext()
    with caplog.at_level(logging.DEBUG, logger="convos.qt"):
        qt_message(
            QtMsgType.QtWarningMsg, context, "This plugin does not support propagateSizeHints()"
        )
        qt_message(QtMsgType.QtCriticalMsg, context, "something real")
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.ERROR, "something real")
    ]


def test_thread_exceptions_reach_the_hook(tmp_path, monkeypatch):
    shown: list[str] = []
    hook = ExceptionHook(shown.append, None)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    hook.install()

    def fail() -> None:
        raise RuntimeError("in a thread")

    thread = threading.Thread(target=fail)
    thread.start()
    thread.join()
    assert shown == ["RuntimeError: in a thread"]


def test_about_shows_the_version_and_copies_details(qtbot, tmp_path):
    dialog = AboutDialog(tmp_path / "logs")
    qtbot.addWidget(dialog)
    assert __version__ in dialog.details.text()
    dialog.copy.click()
    from PySide6.QtGui import QGuiApplication

    assert str(tmp_path / "logs") in QGuiApplication.clipboard().text()
