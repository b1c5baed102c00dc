"""Opening and saving a received file, wherever it is shown (chat, history, contact dock)."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QFileDialog, QWidget

from convos_desktop.core.api import ApiClient
from convos_desktop.core.types import FileInfo
from convos_desktop.ui.chat.open_failed import open_local_file
from convos_desktop.ui.tasks import TaskRunner

Report = Callable[[str], None]  # shows why an action failed, where the agent is


class FileActions(QObject):
    """Downloads off the GUI thread, then opens with the system app or saves where asked.

    ``report`` receives the sentence saying why a download or a write did not work: each
    screen shows it next to what the agent was doing. ``dialog_parent`` is the window the
    dialogs belong to.
    """

    def __init__(self, api: ApiClient, dialog_parent: QWidget) -> None:
        super().__init__(dialog_parent)
        self._api = api
        self._parent = dialog_parent
        self._tasks = TaskRunner()

    def open_file(self, file: FileInfo, report: Report) -> None:
        """Download to the temp folder and open with the system's application."""
        self._tasks.run(self._open_file(file, report), on_error=report)

    async def _open_file(self, file: FileInfo, report: Report) -> None:
        folder = Path(tempfile.gettempdir()) / "convos-desktop" / str(file.id)
        target = folder / Path(file.name).name
        await self._download(file, target)
        open_local_file(target, file.name, lambda: self.save_file(file, report), self._parent)

    def save_file(self, file: FileInfo, report: Report) -> None:
        """Ask where (a non-blocking dialog), then download there."""
        dialog = QFileDialog(self._parent, self.tr("Save attachment"), Path(file.name).name)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.fileSelected.connect(
            lambda path: self._tasks.run(self._download(file, Path(path)), on_error=report)
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    async def _download(self, file: FileInfo, target: Path) -> None:
        data = await self._api.file_bytes(file.id)
        await asyncio.get_running_loop().run_in_executor(None, _write_file, target, data)

    async def shutdown(self) -> None:
        """Stop the downloads still running."""
        self._tasks.cancel_all()
        await self._tasks.wait_idle()


def _write_file(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
