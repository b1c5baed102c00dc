"""Ticket: the history of resolutions, searched and sorted on the server, paged on scroll.

Filters (text, status, inbox, agent, contact, opening period) and the order (any column) go
to the server; the table fetches the next page as the agent scrolls and shows how many tickets
match. A ticket opens in the conversation workspace (where a closed one can be reactivated);
the current result exports to CSV streamed from the server straight to disk.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from convos_desktop.core.types import TicketQuery
from convos_desktop.models.ticket_history import (
    COLUMN_OF_SORT,
    TICKET_ID_ROLE,
    HistoryColumn,
    TicketHistoryModel,
)
from convos_desktop.ui.formatting import whole_number
from convos_desktop.ui.screens.history_filters import (
    MUTED,
    HistoryRefresh,
    PeriodFilter,
    count_label,
    fill_directory_choices,
    history_table,
    labelled_combo,
    search_timer,
)
from convos_desktop.ui.tasks import TaskRunner, describe_error
from convos_desktop.ui.theme import screen_title
from convos_desktop.ui.widgets.label_widgets import LabelFilterCombo

if TYPE_CHECKING:
    from convos_desktop.ui.context import ClientContext

log = logging.getLogger("convos.ui.history")

BAD = "#c62828"


class TicketHistoryScreen(QWidget):
    """See the module docstring. ``open_requested`` carries the ticket to show."""

    open_requested = Signal(object)  # Ticket

    def __init__(self, context: ClientContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ticketHistoryScreen")
        self._context = context
        self._tasks = TaskRunner()
        self._contact: tuple[int, str] | None = None
        self._shown_once = False
        self.model = TicketHistoryModel(
            context.api.ticket_history,
            lambda coroutine: self._tasks.run(coroutine),
            context.directory,
            parent=self,
        )
        self._build_filters()
        self._build_table()
        self._lay_out()
        self._connect()
        self.fill_choices()

    # --- building -------------------------------------------------------------------------

    def _build_filters(self) -> None:
        self.search = QLineEdit(self)
        self.search.setPlaceholderText(self.tr("Search text, contact name, phone or email"))
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName(self.tr("Search"))
        self.status_combo = labelled_combo(self, self.tr("Status"), 220)
        for label, value in (
            (self.tr("Any status"), None),
            (self.tr("Open"), "open"),
            (self.tr("Closed"), "closed"),
        ):
            self.status_combo.addItem(label, value)
        self.inbox_combo = labelled_combo(self, self.tr("Inbox"), 220)
        self.agent_combo = labelled_combo(self, self.tr("Agent"), 220)
        self.label_combo = LabelFilterCombo(self)
        self.label_combo.setMaximumWidth(220)
        self.period = PeriodFilter(self, self.tr("Opened"), 220)
        self.period_combo, self.from_edit, self.to_edit = self.period.widgets()
        self.contact_chip = QPushButton(self)
        self.contact_chip.setObjectName("contactChip")
        self.contact_chip.setStyleSheet(
            "#contactChip { background: #ddf4ff; border: 1px solid #54aeff; border-radius: 10px;"
            " padding: 2px 10px; }"
        )
        self.contact_chip.setToolTip(self.tr("Show every contact again"))
        self.contact_chip.setVisible(False)
        self.count_label = count_label(self)
        self.open_button = QPushButton(self.tr("Open ticket"), self)
        self.open_button.setToolTip(self.tr("Open the ticket in the conversations (Enter)"))
        self.open_button.setEnabled(False)
        self.csv_button = QPushButton(self.tr("Export CSV…"), self)
        self.csv_button.setToolTip(self.tr("Save every matching ticket as CSV (Ctrl+E)"))
        self._search_timer = search_timer(self)

    def _build_table(self) -> None:
        widths: dict[int, int] = {
            HistoryColumn.OPENED: 116,  # at least: a date as the locale writes it (moments)
            HistoryColumn.CONTACT: 220,  # stretched: what the others leave
            HistoryColumn.INBOX: 120,
            HistoryColumn.AGENT: 130,
            HistoryColumn.STATUS: 76,
            HistoryColumn.FIRST_RESPONSE: 100,
            HistoryColumn.CLOSED: 116,
            HistoryColumn.RESOLUTION: 110,
        }
        self.table = history_table(
            self,
            self.model,
            "ticketHistoryTable",
            HistoryColumn.OPENED,
            widths,
            moments=(HistoryColumn.OPENED, HistoryColumn.CLOSED),
        )
        self.refresher = HistoryRefresh(self, self.table, self.model, self.count_label)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(HistoryColumn.CONTACT, QHeaderView.ResizeMode.Stretch)

    def _lay_out(self) -> None:
        title = screen_title(self.tr("Tickets"), self)
        top = QHBoxLayout()
        top.addWidget(title)
        top.addSpacing(12)
        top.addWidget(self.search, 1)
        top.addWidget(self.open_button)
        top.addWidget(self.csv_button)
        filters = QHBoxLayout()
        for widget in (
            self.status_combo,
            self.inbox_combo,
            self.agent_combo,
            self.label_combo,
            self.period_combo,
            self.from_edit,
            self.to_edit,
            self.contact_chip,
        ):
            filters.addWidget(widget)
        filters.addStretch(1)
        filters.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 12)
        layout.setSpacing(8)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)

    def _connect(self) -> None:
        self.search.textChanged.connect(self._search_timer.start)
        self.search.returnPressed.connect(self._apply_now)
        self._search_timer.timeout.connect(self.apply_filters)
        for combo in (self.status_combo, self.inbox_combo, self.agent_combo):
            combo.currentIndexChanged.connect(self.apply_filters)
        self.label_combo.labelChosen.connect(lambda _id: self.apply_filters())
        self.period_combo.currentIndexChanged.connect(self._on_period)
        self.from_edit.dateChanged.connect(self.apply_filters)
        self.to_edit.dateChanged.connect(self.apply_filters)
        self.contact_chip.clicked.connect(self.clear_contact)
        self.open_button.clicked.connect(self.open_current)
        self.csv_button.clicked.connect(self.export_csv)
        self.table.doubleClicked.connect(self.open_current)
        self.table.selectionModel().currentRowChanged.connect(self._on_current)
        self.model.total_changed.connect(self._show_count)
        self.model.loading_changed.connect(self._on_loading)
        self.model.failed.connect(lambda exc: self._show_error(describe_error(exc)))
        self.model.modelReset.connect(lambda: self.open_button.setEnabled(False))
        QShortcut(QKeySequence("Ctrl+E"), self, self.export_csv)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Find), self, self.search.setFocus)
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            shortcut = QShortcut(QKeySequence(key), self.table, self.open_current)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
        self._context.directory.changed.connect(self.fill_choices)

    def fill_choices(self) -> None:
        """The inbox, agent and label filters list what the directory knows (selection kept)."""
        fill_directory_choices(self.inbox_combo, self.agent_combo, self._context.directory)
        labels = self._context.directory.labels()
        self.label_combo.set_labels(labels)
        self.label_combo.setVisible(bool(labels))
        self.table.viewport().update()

    # --- the query ------------------------------------------------------------------------

    def query(self) -> TicketQuery:
        """The query the filters describe, in the table's current order."""
        date_from, date_to = self.period.days()
        current = self.model.query
        assert isinstance(current, TicketQuery)
        return replace(
            current,
            text=self.search.text().strip(),
            status=self.status_combo.currentData(),
            inbox_id=self.inbox_combo.currentData(),
            assignee_id=self.agent_combo.currentData(),
            contact_id=self._contact[0] if self._contact else None,
            date_from=date_from,
            date_to=date_to,
            label_id=self.label_combo.label_id(),
        )

    def apply_filters(self) -> None:
        """Ask the server for the first page of what the filters describe."""
        self._search_timer.stop()
        query = self.query()
        if query != self.model.query or self.model.rowCount() == 0:
            self.model.set_query(query)

    def _apply_now(self) -> None:
        self.apply_filters()

    def _on_period(self) -> None:
        self.period.show_dates_if_custom()
        self.apply_filters()

    def show_contact(self, contact_id: int, name: str) -> None:
        """Show only the tickets of one contact (from the contact card)."""
        self._contact = (contact_id, name)
        self.contact_chip.setText(self.tr("Contact: {name}  ✕").format(name=name))
        self.contact_chip.setVisible(True)
        self.apply_filters()

    def clear_contact(self) -> None:
        self._contact = None
        self.contact_chip.setVisible(False)
        self.apply_filters()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            self.model.set_query(self.query())
        else:
            self.refresher.shown_again()

    # --- feedback -------------------------------------------------------------------------

    def _show_count(self, total: int) -> None:
        self.count_label.setStyleSheet(f"color: {MUTED};")
        if total == 1:
            self.count_label.setText(self.tr("1 ticket"))
        else:
            more = "+" if self.model.total_capped else ""
            self.count_label.setText(self.tr("{n} tickets").format(n=whole_number(total) + more))

    def _on_loading(self, loading: bool) -> None:
        if loading and self.model.rowCount() == 0:
            self.count_label.setStyleSheet(f"color: {MUTED};")
            self.count_label.setText(self.tr("Loading…"))

    def _show_error(self, sentence: str) -> None:
        self.count_label.setStyleSheet(f"color: {BAD};")
        self.count_label.setText(sentence)

    def sort_indicator(self) -> tuple[HistoryColumn, bool]:
        """The column and direction the table is ordered by (for tests and state)."""
        query = self.model.query
        return COLUMN_OF_SORT[query.sort], query.descending

    # --- opening and export ---------------------------------------------------------------

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.open_button.setEnabled(current.isValid())

    def open_current(self) -> None:
        """Open the selected ticket in the workspace (its latest state from the server)."""
        ticket_id = self.table.currentIndex().data(TICKET_ID_ROLE)
        if ticket_id is not None:
            self._tasks.run(self._open(int(ticket_id)), on_error=self._show_error)

    async def _open(self, ticket_id: int) -> None:
        detail = await self._context.api.ticket(ticket_id)
        self._context.directory.upsert_contacts([detail.contact])
        self.open_requested.emit(detail.ticket)

    def export_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Export CSV"), "tickets.csv", self.tr("CSV (*.csv)")
        )
        if path:
            self.save_csv(Path(path))

    def save_csv(self, path: Path) -> asyncio.Task[None]:
        """Stream the current result's CSV from the server into ``path`` (no dialog)."""
        self.count_label.setText(self.tr("Exporting…"))
        return self._tasks.run(self._export(path, self.query()), on_error=self._show_error)

    async def _export(self, path: Path, query: TicketQuery) -> None:
        loop = asyncio.get_running_loop()
        partial = path.with_name(path.name + ".part")
        handle: BinaryIO = await loop.run_in_executor(None, partial.open, "wb")

        async def write(chunk: bytes) -> None:
            await loop.run_in_executor(None, handle.write, chunk)

        try:
            size = await self._context.api.export_tickets(query, write)
        except BaseException:
            await loop.run_in_executor(None, handle.close)
            await loop.run_in_executor(None, partial.unlink, True)
            raise
        await loop.run_in_executor(None, handle.close)
        await loop.run_in_executor(None, partial.replace, path)
        log.info("exported %d bytes of tickets to %s", size, path)
        self.count_label.setStyleSheet(f"color: {MUTED};")
        self.count_label.setText(self.tr("Saved {name}.").format(name=path.name))

    async def shutdown(self) -> None:
        """Wait for what is still asked of the server (before the client closes)."""
        await self._tasks.wait_idle()

    async def wait_idle(self) -> None:
        """Until the pages, openings and exports started so far are done (for tests)."""
        await self._tasks.wait_idle()
