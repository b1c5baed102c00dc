"""The file library: the live list every client keeps, and the page where admins edit it.

:class:`LibraryFiles` fetches ``GET /files?library=1`` at start and again whenever
``Sync.library_changed`` says it may have changed (a ``library.changed`` event or a bootstrap);
the composer's attachments dialog and :class:`LibraryPanel` show it. Admins add files (kind
and sticker rules checked off the GUI thread before the upload, the server checks again) and
take files out of the library.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from convos_desktop.core.api import ApiClient
from convos_desktop.core.media import FileKind
from convos_desktop.core.sync import Sync
from convos_desktop.core.types import FileInfo
from convos_desktop.ui.chat.attachments import (
    MAX_UPLOAD_BYTES,
    LibraryBrowser,
    inspect_local_file,
    sticker_problem,
)
from convos_desktop.ui.chat.thumbnails import ThumbnailCache
from convos_desktop.ui.formatting import format_size
from convos_desktop.ui.tasks import TaskRunner, describe_error
from convos_desktop.ui.widgets.confirm import ask

log = logging.getLogger("convos.ui.library")

REFRESH_DELAY_MS = 150  # a burst of library events costs one fetch


class LibraryFiles(QObject):
    """The workspace's library files, kept current; ``changed`` after each new list."""

    changed = Signal()

    def __init__(self, api: ApiClient, sync: Sync, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._api = api
        self._files: list[FileInfo] = []
        self._tasks = TaskRunner()
        self._fetching = False
        self._again = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REFRESH_DELAY_MS)
        self._timer.timeout.connect(self._start_fetch)
        sync.library_changed.connect(self.refresh)

    def files(self) -> list[FileInfo]:
        return list(self._files)

    def refresh(self) -> None:
        """Fetch the list again soon (calls close together make one fetch)."""
        self._timer.start()

    def _start_fetch(self) -> None:
        if not _loop_running():  # a window built without the app's loop (tests, tools)
            log.debug("no event loop: the library is fetched at the next change")
            return
        if self._fetching:
            self._again = True
            return
        self._fetching = True
        self._tasks.run(self._fetch())

    async def _fetch(self) -> None:
        try:
            files = await self._api.library_files()
        except Exception as exc:
            log.info("library not fetched: %s", exc)  # the next event or bootstrap retries
            return
        finally:
            self._fetching = False
            if self._again:
                self._again = False
                self._timer.start()
        self._files = files
        self.changed.emit()

    async def wait_idle(self) -> None:
        """Wait for fetches in flight (tests, quit)."""
        await self._tasks.wait_idle()

    def stop(self) -> None:
        """No more fetches; one in flight ends by itself (``wait_idle``): cancelling an httpx
        request behind a proxy (httpcore's transport) under qasync can leave anyio delivering
        the cancellation for ever."""
        self._timer.stop()
        self._again = False


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _tr(text: str) -> str:
    """``tr`` for code that runs off the GUI thread (no widget at hand)."""
    return QCoreApplication.translate("LibraryPanel", text)


def _read_checked(path: Path, as_sticker: bool) -> tuple[bytes, FileKind]:
    """Read and sort a local file for the library (blocking: runs in the executor).

    ``ValueError`` carries the sentence for the admin when the file cannot be added.
    """
    size = path.stat().st_size
    if size > MAX_UPLOAD_BYTES:
        raise ValueError(_tr("Too large: files can be at most %s") % format_size(MAX_UPLOAD_BYTES))
    kind, sticker = inspect_local_file(path)
    if as_sticker:
        if kind not in (FileKind.IMAGE, FileKind.STICKER):
            raise ValueError(_tr("Not a sticker: it must be an image"))
        if sticker is not None and not sticker.ok:
            raise ValueError(sticker_problem(sticker))
    return path.read_bytes(), kind


class LibraryPanel(QWidget):
    """The library page: search and kind filter for everyone; Add and Remove for admins."""

    def __init__(
        self,
        api: ApiClient,
        library: LibraryFiles,
        thumbnails: ThumbnailCache | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._api = api
        self._library = library
        self._tasks = TaskRunner()
        self._is_admin = False
        self.browser = LibraryBrowser(library.files(), self, thumbnails)
        self.browser.view.selectionModel().selectionChanged.connect(self._refresh_buttons)
        self.add_button = QPushButton(self.tr("Add files…"), self)
        self.add_button.setObjectName("libraryAdd")
        self.add_button.clicked.connect(self.choose_files)
        self.sticker_check = QCheckBox(self.tr("Add images as stickers"), self)
        self.sticker_check.setToolTip(
            self.tr(
                "A sticker must be exactly 512x512 pixels, have a transparent background "
                "and weigh under 100 KB"
            )
        )
        self.remove_button = QPushButton(self.tr("Remove from library"), self)
        self.remove_button.setObjectName("libraryRemove")
        self.remove_button.clicked.connect(self.confirm_remove)
        remove_key = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.browser.view)
        remove_key.activated.connect(self.confirm_remove)
        self.status_label = QLabel(self)
        self.status_label.setWordWrap(True)
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        self.read_only_label = QLabel(self.tr("Only admins add and remove library files."), self)
        self.read_only_label.setStyleSheet("color: #6b7785;")
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.sticker_check)
        buttons.addStretch(1)
        buttons.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.read_only_label)
        layout.addLayout(buttons)
        layout.addWidget(self.browser, 1)
        layout.addWidget(self.status_label)
        library.changed.connect(lambda: self.browser.set_files(library.files()))
        self.set_admin(False)

    def set_admin(self, is_admin: bool) -> None:
        """Admins edit; the others only look."""
        self._is_admin = is_admin
        for widget in (self.add_button, self.sticker_check, self.remove_button):
            widget.setVisible(is_admin)
        self.read_only_label.setVisible(not is_admin)
        self._refresh_buttons()

    def _refresh_buttons(self, *_: object) -> None:
        self.remove_button.setEnabled(self._is_admin and bool(self.browser.selected_files()))

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status_label.setStyleSheet("color: #a11;" if error else "color: #1a7f37;")
        self.status_label.setText(text)

    # --- adding -------------------------------------------------------------------------------

    def choose_files(self) -> None:
        """Open the file chooser (non-blocking); chosen files are checked, then uploaded."""
        if not self._is_admin:
            return
        dialog = QFileDialog(self, self.tr("Add files to the library"))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        dialog.filesSelected.connect(lambda paths: self.add_files(Path(p) for p in paths))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def add_files(self, paths: Iterable[Path]) -> None:
        """Check and upload ``paths`` to the library (in the background)."""
        self._tasks.run(self._add(list(paths), self.sticker_check.isChecked()))

    async def _add(self, paths: list[Path], as_sticker: bool) -> None:
        loop = asyncio.get_running_loop()
        problems: list[str] = []
        added = 0
        for path in paths:
            self._say(self.tr("Adding %s…") % path.name)
            try:
                data, _kind = await loop.run_in_executor(None, _read_checked, path, as_sticker)
                await self._api.upload_file(path.name, data, sticker=as_sticker, library=True)
            except ValueError as exc:
                problems.append(f"{path.name}: {exc}")
            except OSError as exc:
                problems.append(f"{path.name}: " + self.tr("Cannot read: %s") % exc)
            except Exception as exc:
                problems.append(f"{path.name}: {describe_error(exc)}")
            else:
                added += 1
        if problems:
            self._say("\n".join(problems), error=True)
        else:
            self._say(self.tr("%n file(s) added to the library.", "", added))

    # --- removing -----------------------------------------------------------------------------

    def confirm_remove(self) -> None:
        """Ask before taking the selected files out of the library (non-blocking box)."""
        chosen = self.browser.selected_files()
        if not self._is_admin or not chosen:
            return
        self.confirm_box = ask(
            self,
            self.tr("Remove from library"),
            self.tr(
                "Remove %n file(s) from the library? Messages that already carry them keep them.",
                "",
                len(chosen),
            ),
            lambda: self.remove_files(chosen),
        )

    def remove_files(self, files: Iterable[FileInfo]) -> None:
        """Take ``files`` out of the library (in the background)."""
        self._tasks.run(self._remove([f.id for f in files]), on_error=self._on_error)

    async def _remove(self, file_ids: list[int]) -> None:
        for file_id in file_ids:
            await self._api.remove_library_file(file_id)
        self._say(self.tr("%n file(s) removed from the library.", "", len(file_ids)))

    def _on_error(self, text: str) -> None:
        self._say(text, error=True)

    async def wait_idle(self) -> None:
        await self._tasks.wait_idle()
