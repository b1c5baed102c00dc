"""The contact's tickets in the contact dock: open and closed, each one a click away.

Closed tickets leave every ticket list; this is where an agent finds them again. Double-click
(or Enter, or Show) shows a ticket's conversation in the workspace, closed ones with their
Reactivate button (and Ctrl+Shift+R); Reactivate here does the same for the selected closed
ticket. Reactivate follows the server's rules (``ticket_actions``): the agent working
(Online or Busy), and no other open ticket for the contact; a disabled button says why.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from convos_desktop.core.types import Status, Ticket
from convos_desktop.models.records import RecordListModel
from convos_desktop.ui.theme import set_font_parts, set_label_box, set_text_color
from convos_desktop.ui.workspace.ticket_actions import WORKING_STATUSES

VISIBLE_ROWS = 4  # the list's height in rows before it scrolls
CLOSED_COLOR = QColor("#6b7785")


def _tr(text: str) -> str:
    return QCoreApplication.translate("ContactTickets", text)


def ticket_line(ticket: Ticket, inbox_name: str) -> str:
    """``#12 · Sales · Open`` or ``#9 · Sales · Closed 03/12/2026``."""
    if ticket.is_open:
        state = _tr("Open")
    else:
        closed = ticket.closed_at or ticket.last_message_at
        state = _tr("Closed %1").replace("%1", closed.astimezone().strftime("%d/%m/%Y"))
    parts = [f"#{ticket.id}", inbox_name, state]
    return "  ·  ".join(part for part in parts if part)


class ContactTicketsModel(RecordListModel[Ticket]):
    """One contact's tickets, newest activity first, updated in place from sync."""

    TICKET_ROLE = RecordListModel.RECORD_ROLE

    def __init__(self, inbox_name: Callable[[int], str], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._inbox_name = inbox_name

    def set_tickets(self, tickets: Iterable[Ticket]) -> None:
        self.set_records(sorted(tickets, key=lambda t: (t.last_message_at, t.id), reverse=True))

    def upsert(self, ticket: Ticket) -> None:
        """A ticket of this contact changed (or is new): show its new state."""
        kept = [t for t in self.records() if t.id != ticket.id]
        self.set_tickets([*kept, ticket])

    def row_of(self, ticket_id: int) -> int:
        return next((r for r, t in enumerate(self.records()) if t.id == ticket_id), -1)

    def open_ticket(self) -> Ticket | None:
        return next((t for t in self.records() if t.is_open), None)

    def record_data(self, record: Ticket, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return ticket_line(record, self._inbox_name(record.inbox_id))
        if role == Qt.ItemDataRole.ForegroundRole and not record.is_open:
            return CLOSED_COLOR
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tr("Double-click to show the conversation")
        return None


class ContactTicketsPanel(QWidget):
    """The list with Open and Reactivate; see the module docstring."""

    openRequested = Signal(object)  # noqa: N815 (Ticket)
    reactivateRequested = Signal(object)  # noqa: N815 (Ticket)

    def __init__(self, inbox_name: Callable[[int], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = ContactTicketsModel(inbox_name, self)
        self._status = Status.UNAVAILABLE
        self.title = QLabel(self.tr("Tickets"), self)
        set_font_parts(self.title, weight=QFont.Weight.Bold)
        set_label_box(self.title, 0, 6, 0, 0)
        self.empty_label = QLabel(self.tr("No tickets yet."), self)
        set_text_color(self.empty_label, QPalette.ColorRole.PlaceholderText)
        self.view = QListView(self)
        self.view.setObjectName("contactTickets")
        self.view.setModel(self.model)
        self.view.setUniformItemSizes(True)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.doubleClicked.connect(self._open_current)
        self.view.activated.connect(self._open_current)
        self.view.selectionModel().currentChanged.connect(self._refresh_buttons)
        self.model.modelReset.connect(self._after_reset)
        self.open_button = QPushButton(self.tr("Show"), self)
        self.open_button.clicked.connect(self._open_current)
        self.reactivate_button = QPushButton(self.tr("Reactivate"), self)
        self.reactivate_button.clicked.connect(self._reactivate_current)
        self.reason = QLabel(self)
        self.reason.setWordWrap(True)
        set_text_color(self.reason, "#a4400f")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.reactivate_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.view)
        layout.addWidget(self.reason)
        layout.addLayout(buttons)
        self._shown_id: int | None = None
        self._after_reset()

    # --- inputs ---------------------------------------------------------------------------------

    def set_tickets(self, tickets: Iterable[Ticket], shown_id: int | None = None) -> None:
        """The contact's tickets; ``shown_id`` is the ticket the workspace shows (selected)."""
        self._shown_id = shown_id
        self.model.set_tickets(tickets)

    def set_shown(self, ticket_id: int | None) -> None:
        self._shown_id = ticket_id
        self._select_shown()

    def upsert(self, ticket: Ticket) -> None:
        self.model.upsert(ticket)

    def set_status(self, status: Status) -> None:
        """The agent's effective status (Reactivate needs Online or Busy)."""
        self._status = status
        self._refresh_buttons()

    def current_ticket(self) -> Ticket | None:
        index = self.view.currentIndex()
        ticket = index.data(ContactTicketsModel.TICKET_ROLE) if index.isValid() else None
        return ticket if isinstance(ticket, Ticket) else None

    def reactivate_reason(self, ticket: Ticket) -> str:
        """Why ``ticket`` cannot be reactivated now (``""``: it can)."""
        if ticket.is_open:
            return _tr("The ticket is open")
        if self._status not in WORKING_STATUSES:
            return _tr("You are Unavailable: set yourself Online to act on tickets")
        other = self.model.open_ticket()
        if other is not None:
            text = _tr("Ticket #%1 of this contact is open: only one may be open at a time")
            return text.replace("%1", str(other.id))
        return ""

    # --- internals ------------------------------------------------------------------------------

    def _after_reset(self) -> None:
        empty = self.model.rowCount() == 0
        self.empty_label.setVisible(empty)
        self.view.setVisible(not empty)
        rows = max(1, min(self.model.rowCount(), VISIBLE_ROWS))
        row_height = max(self.view.sizeHintForRow(0), self.fontMetrics().height() + 6)
        self.view.setFixedHeight(rows * row_height + 2 * self.view.frameWidth() + 2)
        self._select_shown()
        self._refresh_buttons()

    def _select_shown(self) -> None:
        row = self.model.row_of(self._shown_id) if self._shown_id is not None else -1
        if row >= 0:
            self.view.setCurrentIndex(self.model.index(row))
        self._refresh_buttons()

    def _refresh_buttons(self, *_args: object) -> None:
        ticket = self.current_ticket()
        has_rows = self.model.rowCount() > 0
        self.open_button.setVisible(has_rows)
        self.reactivate_button.setVisible(has_rows)
        self.open_button.setEnabled(ticket is not None and ticket.id != self._shown_id)
        reason = self.reactivate_reason(ticket) if ticket is not None else ""
        closed = ticket is not None and not ticket.is_open
        self.reactivate_button.setEnabled(closed and not reason)
        self.reactivate_button.setToolTip(reason or self.reactivate_button.text())
        self.reason.setText(reason if closed else "")
        self.reason.setVisible(closed and bool(reason))

    def _open_current(self, *_args: object) -> None:
        ticket = self.current_ticket()
        if ticket is not None:
            self.openRequested.emit(ticket)

    def _reactivate_current(self) -> None:
        ticket = self.current_ticket()
        if ticket is not None and not ticket.is_open and not self.reactivate_reason(ticket):
            self.reactivateRequested.emit(ticket)
