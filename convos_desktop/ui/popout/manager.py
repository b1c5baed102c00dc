"""The pop-out windows of one login: one window per ticket, saved and restored.

:meth:`PopoutManager.open` opens a ticket's conversation in its own
:class:`~convos_desktop.ui.popout.window.PopoutWindow` (asked again, it raises the one open).
What a window's pane does that the main window's list shows goes to the list model: read
(the unread dot) and the draft marker. ``closed(ticket_id)`` tells the main window that the
agent closed one (the conversation comes back there). ``shownChanged`` follows the windows'
visibility (presence: a visible pop-out counts as a conversation screen).

The open windows (ticket ids and geometry) are kept in QSettings under ``POPOUTS_KEY`` when
one opens or closes and when the main window saves its state; :meth:`restore` opens them
again at the next start. :meth:`shutdown` (logout, quit) closes them without forgetting them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable

from PySide6.QtCore import QByteArray, QObject, Signal

from convos_desktop.core.types import FileInfo, Status, Ticket
from convos_desktop.models.ticket_list import TicketListModel
from convos_desktop.ui.chat.files import FileActions
from convos_desktop.ui.context import ClientContext
from convos_desktop.ui.popout.window import PopoutWindow
from convos_desktop.ui.tasks import TaskRunner

log = logging.getLogger("convos.ui")

POPOUTS_KEY = "window/popouts"  # JSON: [{"ticket": id, "geometry": base64}, ...]
MAX_RESTORED = 12  # a damaged or huge list opens no more windows than this


class PopoutManager(QObject):
    """See the module docstring."""

    closed = Signal(int)  # ticket id: the agent closed its window
    opened = Signal(int)  # ticket id
    shownChanged = Signal()  # noqa: N815

    def __init__(
        self,
        context: ClientContext,
        files: FileActions,
        tickets: TicketListModel,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._context = context
        self._files = files
        self._tickets = tickets
        self._tasks = TaskRunner()
        self._windows: dict[int, PopoutWindow] = {}
        self._status = Status.UNAVAILABLE
        self._language = ""
        self._library: list[FileInfo] = []
        self._shutting_down = False

    # --- what the main window asks ---------------------------------------------------------

    def is_open(self, ticket_id: int) -> bool:
        return ticket_id in self._windows

    def window(self, ticket_id: int) -> PopoutWindow | None:
        return self._windows.get(ticket_id)

    def windows(self) -> list[PopoutWindow]:
        return list(self._windows.values())

    def any_shown(self) -> bool:
        """Whether a pop-out window is on screen (shown and not minimised)."""
        return any(w.isVisible() and not w.isMinimized() for w in self._windows.values())

    def open(
        self, ticket: Ticket, geometry: QByteArray | None = None, *, activate: bool = True
    ) -> PopoutWindow:
        """Show ``ticket`` in its own window (the open one is raised); ``activate``: give it
        the focus (not when restoring at start)."""
        window = self._windows.get(ticket.id)
        if window is None:
            window = PopoutWindow(self._context, self._files, ticket)
            window.set_effective_status(self._status)
            composer = window.pane.composer
            composer.set_thumbnails(self._context.thumbnails)
            composer.set_library_files(self._library)
            if self._language:
                composer.set_language(self._language)
            pane = window.pane
            pane.seen.connect(self._tickets.mark_read)
            pane.draftEdited.connect(self._tickets.set_draft_marker)
            window.closed.connect(self._on_closed)
            window.shownChanged.connect(self.shownChanged)
            if geometry is not None:
                window.restoreGeometry(geometry)
            self._windows[ticket.id] = window
            self.save()
            self.opened.emit(ticket.id)
        if window.isMinimized():
            window.showNormal()
        else:
            window.show()
        if activate:
            window.raise_()
            window.activateWindow()
        return window

    def close(self, ticket_id: int) -> None:
        """Close a ticket's window as the agent would (the conversation comes back)."""
        window = self._windows.get(ticket_id)
        if window is not None:
            window.close()

    def set_effective_status(self, status: Status) -> None:
        self._status = status
        for window in self._windows.values():
            window.set_effective_status(status)

    def set_language(self, language: str) -> None:
        """The UI language (quick replies and emoji names in it first)."""
        self._language = language
        for window in self._windows.values():
            window.pane.composer.set_language(language)

    def set_library_files(self, files: Iterable[FileInfo]) -> None:
        """The workspace's library, offered by every composer."""
        self._library = list(files)
        for window in self._windows.values():
            window.pane.composer.set_library_files(self._library)

    # --- closing ---------------------------------------------------------------------------

    def _on_closed(self, ticket_id: int) -> None:
        window = self._windows.pop(ticket_id, None)
        if window is None:
            return
        self.save()
        self._tasks.run(self._dispose(window))
        self.closed.emit(ticket_id)

    async def _dispose(self, window: PopoutWindow) -> None:
        await window.pane.shutdown()
        window.deleteLater()

    async def shutdown(self) -> None:
        """Logout or quit: remember the open windows, close them, stop their work."""
        self.save()
        self._shutting_down = True
        windows, self._windows = list(self._windows.values()), {}
        for window in windows:
            window.close_quietly()
        for window in windows:
            await window.pane.shutdown()
            window.deleteLater()
        await self._tasks.wait_idle()

    # --- saved and restored ----------------------------------------------------------------

    def save(self) -> None:
        """Remember the open windows (ticket ids and geometry)."""
        if self._shutting_down:
            return
        saved = [
            {"ticket": ticket_id, "geometry": window.saveGeometry().toBase64().toStdString()}
            for ticket_id, window in self._windows.items()
        ]
        self._context.settings.setValue(POPOUTS_KEY, json.dumps(saved))

    def saved(self) -> list[tuple[int, QByteArray | None]]:
        """The windows remembered: ``(ticket id, geometry)``."""
        raw = self._context.settings.value(POPOUTS_KEY, "")
        try:
            entries = json.loads(str(raw or "[]"))
        except ValueError:
            log.warning("saved pop-out windows unreadable: ignored")
            return []
        found: list[tuple[int, QByteArray | None]] = []
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict) or not isinstance(entry.get("ticket"), int):
                continue
            geometry = entry.get("geometry")
            found.append(
                (
                    entry["ticket"],
                    QByteArray.fromBase64(geometry.encode()) if isinstance(geometry, str) else None,
                )
            )
        return found[:MAX_RESTORED]

    def restore(self) -> list[int]:
        """Open again the windows open at the last quit whose ticket the cache knows."""
        opened: list[int] = []
        for ticket_id, geometry in self.saved():
            ticket = self._tickets.known_ticket(ticket_id) or self._context.store.ticket(ticket_id)
            if ticket is None:
                log.info("pop-out of ticket %s not restored: not in the cache", ticket_id)
                continue
            self.open(ticket, geometry, activate=False)
            opened.append(ticket_id)
        self.save()  # the ones not found are forgotten
        return opened
