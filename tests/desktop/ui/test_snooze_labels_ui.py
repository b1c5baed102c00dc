"""Snooze and labels in the widgets: the ticket list's Snoozed view and label filter (checked
with qtmodeltester), the chips' role, the snooze presets, the header's Labels menu."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from convos_desktop.core.types import Label, TicketsChanged, View
from convos_desktop.models.directory import Directory
from convos_desktop.models.ticket_list import TicketListModel, TicketRole
from convos_desktop.ui.chat.chat_header import ChatHeader
from convos_desktop.ui.workspace.snooze_menu import SnoozeMenu, snooze_presets
from convos_desktop.ui.workspace.ticket_actions import TicketAction
from tests.desktop.ui.conftest import ME, make_ticket

VIP = Label(5, "VIP", "#ff0000")
BUG = Label(6, "Bug", "#0000ff")


def ids(model: TicketListModel) -> list[int]:
    return [model.data(model.index(row), TicketRole.TICKET_ID) for row in range(model.rowCount())]


def test_snoozed_view_and_label_filter(qtmodeltester, directory: Directory) -> None:
    directory.set_labels([VIP, BUG])
    model = TicketListModel(directory)
    model.set_view(View.UNASSIGNED)
    snoozed = replace(make_ticket(3, minutes=3), snoozed=True)
    model.set_tickets(
        [
            replace(make_ticket(1, minutes=1), label_ids=(5, 6)),
            make_ticket(2, minutes=2),
            snoozed,
        ]
    )
    qtmodeltester.check(model)
    assert ids(model) == [2, 1]
    assert model.data(model.index(1), TicketRole.LABELS) == [BUG, VIP]
    model.set_label_filter(5)
    assert ids(model) == [1]
    model.set_label_filter(None)
    model.set_view(View.SNOOZED)
    assert ids(model) == [3]
    assert model.count_in(View.SNOOZED) == 1
    model.set_view(View.UNASSIGNED)
    model.apply(TicketsChanged(upserted=(replace(snoozed, snoozed=False),)))  # it woke
    assert ids(model) == [3, 2, 1]
    qtmodeltester.check(model)


def test_snooze_presets_from_a_wednesday_afternoon() -> None:
    tz = dt.timezone(dt.timedelta(hours=1))
    now = dt.datetime(2026, 3, 4, 15, 30, tzinfo=tz)  # a Wednesday
    assert dict(snooze_presets(now)) == {
        "hour": dt.datetime(2026, 3, 4, 16, 30, tzinfo=tz),
        "tomorrow": dt.datetime(2026, 3, 5, 9, 0, tzinfo=tz),
        "monday": dt.datetime(2026, 3, 9, 9, 0, tzinfo=tz),
    }
    monday = dt.datetime(2026, 3, 9, 8, 0, tzinfo=tz)
    assert dict(snooze_presets(monday))["monday"] == dt.datetime(2026, 3, 16, 9, 0, tzinfo=tz)


def test_the_menu_emits_a_moment_or_none_for_until_reply(qtbot) -> None:
    menu = SnoozeMenu()
    qtbot.addWidget(menu)
    chosen: list[object] = []
    menu.chosen.connect(chosen.append)
    actions = {action.objectName(): action for action in menu.actions()}
    actions["snooze_reply"].trigger()
    actions["snooze_hour"].trigger()
    assert chosen[0] is None
    moment = chosen[1]
    assert isinstance(moment, dt.datetime)
    assert moment.tzinfo is dt.UTC
    assert dt.timedelta(minutes=59) < moment - dt.datetime.now(dt.UTC) <= dt.timedelta(hours=1)


def test_header_labels_menu_and_snooze_button(qtbot) -> None:
    header = ChatHeader()
    qtbot.addWidget(header)
    header.set_labels([BUG, VIP])
    ticket = replace(make_ticket(1, minutes=1, assignee_id=ME.id), label_ids=(5,))
    header.set_ticket(ticket, "Mario", "details", ME)
    assert header.labels_button.text() == "1"
    assert header.labels_button.toolTip() == "Labels: VIP"
    toggled: list[tuple[int, bool]] = []
    header.labelToggled.connect(lambda i, on: toggled.append((i, on)))
    bug = header.labels_menu.actions()[0]
    assert (bug.text(), bug.isChecked()) == ("Bug", False)
    bug.trigger()
    assert toggled == [(6, True)]
    assert TicketAction.SNOOZE in header.visible_actions()
    header.set_ticket(replace(ticket, snoozed=True), "Mario", "details", ME)
    assert TicketAction.UNSNOOZE in header.visible_actions()
    assert TicketAction.SNOOZE not in header.visible_actions()
