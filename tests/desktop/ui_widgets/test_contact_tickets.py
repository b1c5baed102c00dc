"""The contact's tickets in the contact dock, and the undo bar of Finalize."""

from __future__ import annotations

import dataclasses
import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from convos_desktop.core.types import Status, Ticket
from convos_desktop.ui.contacts.contact_tickets import ContactTicketsModel, ContactTicketsPanel
from convos_desktop.ui.workspace.undo_toast import UndoToast

OPENED = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def ticket(ticket_id: int, status: str = "open", minutes: int = 0) -> Ticket:
    when = OPENED + dt.timedelta(minutes=minutes)
    closed = when if status == "closed" else None
    return Ticket(ticket_id, 3, 1, 7, status, 1, OPENED, None, None, closed, None, 0, when)


def inbox_name(_inbox_id: int) -> str:
    return "WhatsApp"


def test_the_model_lists_newest_first_and_follows_changes(qtmodeltester) -> None:
    model = ContactTicketsModel(inbox_name)
    qtmodeltester.check(model)
    model.set_tickets([ticket(4, "closed", 1), ticket(9, "open", 30)])
    assert [model.record_at(r).id for r in range(model.rowCount())] == [9, 4]
    assert model.index(0).data() == "#9  ·  WhatsApp  ·  Open"
    assert model.index(1).data().startswith("#4  ·  WhatsApp  ·  Closed ")
    model.upsert(ticket(9, "closed", 40))
    assert model.open_ticket() is None
    model.upsert(ticket(12, "open", 50))
    assert model.row_of(12) == 0
    qtmodeltester.check(model)


def test_reactivate_is_offered_for_a_closed_ticket_with_the_reason_when_refused(qtbot) -> None:
    panel = ContactTicketsPanel(inbox_name)
    qtbot.addWidget(panel)
    panel.show()
    panel.set_tickets([ticket(4, "closed", 1), ticket(9, "open", 30)], shown_id=9)
    assert panel.current_ticket() is not None
    assert panel.current_ticket().id == 9  # the shown ticket is selected
    assert not panel.open_button.isEnabled()  # already shown
    panel.view.setCurrentIndex(panel.model.index(1))
    panel.set_status(Status.ONLINE)
    assert not panel.reactivate_button.isEnabled()
    assert "#9" in panel.reason.text()  # one open ticket per contact

    panel.upsert(dataclasses.replace(ticket(9, "closed", 30)))
    panel.view.setCurrentIndex(panel.model.index(panel.model.row_of(4)))
    panel.set_status(Status.UNAVAILABLE)
    assert not panel.reactivate_button.isEnabled()
    assert "Unavailable" in panel.reason.text()
    panel.set_status(Status.BUSY)
    assert panel.reactivate_button.isEnabled()
    asked: list[int] = []
    shown: list[int] = []
    panel.reactivateRequested.connect(lambda t: asked.append(t.id))
    panel.openRequested.connect(lambda t: shown.append(t.id))
    panel.reactivate_button.click()
    panel.open_button.click()
    QTest.keyClick(panel.view, Qt.Key.Key_Return)
    assert asked == [4]
    assert shown == [4, 4]


def test_the_undo_bar_counts_down_and_undoes_once(qtbot) -> None:
    toast = UndoToast()
    qtbot.addWidget(toast)
    undone: list[bool] = []
    expired: list[bool] = []
    toast.undoRequested.connect(lambda: undone.append(True))
    toast.expired.connect(lambda: expired.append(True))
    toast.show_message("Ticket #3 finalized (Luca Bianchi)", seconds=2)
    assert toast.isVisible()
    assert toast.undo_button.text() == "Undo (2)"
    qtbot.waitUntil(lambda: toast.undo_button.text() == "Undo (1)", timeout=3000)
    toast.undo_button.click()
    toast.undo()  # a second undo does nothing
    assert undone == [True]
    assert not toast.isVisible()

    toast.show_message("Ticket #4 finalized (Sara Conti)", seconds=1)
    qtbot.waitUntil(lambda: not toast.isVisible(), timeout=3000)
    assert expired == [True]
    assert undone == [True]
