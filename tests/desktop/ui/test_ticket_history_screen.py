"""Ticket history: the paged table model, and the screen against a real server."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import time
from dataclasses import replace

import pytest
from PySide6.QtCore import QDateTime, QLocale, Qt, QTimeZone
from PySide6.QtWidgets import QLabel, QTableView, QWidget

from convos_desktop.core.types import CountedPage, TicketHistoryPage, TicketQuery
from convos_desktop.models.navigation import NavTarget
from convos_desktop.models.paged_table import TEXTS_KEPT
from convos_desktop.models.ticket_history import (
    IS_OPEN_ROLE,
    TICKET_ID_ROLE,
    HistoryColumn,
    TicketHistoryModel,
)
from convos_desktop.ui.screens.history_filters import STALE_AFTER_S, HistoryRefresh
from convos_desktop.ui.tasks import TaskRunner
from convos_desktop.ui.workspace.ticket_actions import TicketAction
from tests.desktop.ui.conftest import BASE_TIME, ME, OTHER, make_contact, make_ticket, open_ui
from tests.e2e.conftest import Workspace, take_ticket, wait_until


class PagedServer:
    """Pages of ``count`` tickets, ``delay`` seconds each; records what was asked."""

    def __init__(self, count: int, delay: float = 0.0) -> None:
        self.tickets = [make_ticket(n, contact_id=n) for n in range(1, count + 1)]
        self.delay = delay
        self.asked: list[tuple[TicketQuery, str | None, int]] = []

    async def fetch(self, query: TicketQuery, cursor: str | None, limit: int) -> TicketHistoryPage:
        self.asked.append((query, cursor, limit))
        await asyncio.sleep(self.delay)
        start = int(cursor or 0)
        items = tuple(self.tickets[start : start + limit])
        following = start + limit
        next_cursor = str(following) if following < len(self.tickets) else None
        contacts = tuple(make_contact(t.contact_id, f"Cliente {t.contact_id}") for t in items)
        return CountedPage(items, contacts, next_cursor, len(self.tickets) if not cursor else None)


@pytest.fixture
def runner():
    tasks = TaskRunner()
    yield tasks
    tasks.cancel_all()


async def test_pages_arrive_on_demand_and_a_second_fetch_waits(qtmodeltester, directory, runner):
    server = PagedServer(5, delay=0.05)
    model = TicketHistoryModel(server.fetch, runner.run, directory, page_size=2)
    model.set_query(TicketQuery())
    await runner.wait_idle()
    assert model.rowCount() == 2
    assert model.total == 5
    model.fetchMore()
    model.fetchMore()  # while the first is on its way: no second load
    await runner.wait_idle()
    assert [cursor for _q, cursor, _l in server.asked] == [None, "2"]
    while model.canFetchMore():
        model.fetchMore()
        await runner.wait_idle()
    assert [model.index(r, 0).data(TICKET_ID_ROLE) for r in range(model.rowCount())] == [
        1, 2, 3, 4, 5
    ]  # fmt: skip
    assert model.index(0, HistoryColumn.CONTACT).data() == "Cliente 1"
    assert model.index(0, HistoryColumn.CLOSED).data() == "–"
    qtmodeltester.check(model)


async def test_a_new_query_drops_the_answer_to_the_old_one(directory, runner):
    server = PagedServer(3, delay=0.1)
    model = TicketHistoryModel(server.fetch, runner.run, directory, page_size=50)
    model.set_query(TicketQuery(text="vecchia"))
    server.tickets = server.tickets[:1]
    model.set_query(TicketQuery(text="nuova"))
    await runner.wait_idle()
    assert model.rowCount() == 1
    assert model.query.text == "nuova"


async def test_sorting_asks_the_server_again(directory, runner):
    server = PagedServer(3)
    model = TicketHistoryModel(server.fetch, runner.run, directory)
    model.set_query(TicketQuery())
    await runner.wait_idle()
    model.sort(HistoryColumn.RESOLUTION, Qt.SortOrder.AscendingOrder)
    await runner.wait_idle()
    last_query = server.asked[-1][0]
    assert (last_query.sort, last_query.descending) == ("resolution", False)


# --- against the real server -----------------------------------------------------------------


pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


async def seeded_ui(workspace: Workspace, folder):
    """Four hand-offs of four customers; Anna closes the first two. The UI as Anna."""
    api = await workspace.agent_api()
    try:
        ids = []
        for n, name in enumerate(("Zeno", "Alba", "Marta", "Bruno")):
            handed = await workspace.customer_says(f"aiuto {n}", f"wa-{n}", handoff=True)
            ids.append(handed["ticket_id"])
            await workspace.admin.update_contact(
                (await workspace.admin.ticket(handed["ticket_id"])).contact.id, {"name": name}
            )
        for ticket_id in ids[:2]:
            await take_ticket(api, ticket_id)
            await api.close_ticket(ticket_id)
        token = api.token
        assert token is not None
        ui = await open_ui(folder, workspace.server.url, token)
    finally:
        await api.aclose()
    return ui, ids


@pytest.mark.e2e
async def test_history_filters_sorts_opens_and_exports(workspace: Workspace, tmp_path):
    ui, ids = await seeded_ui(workspace, tmp_path)
    window = ui.window
    screen = window.ticket_history
    try:
        window.navigate(NavTarget.TICKETS)
        await wait_until(lambda: screen.model.total == 4, what="count of every ticket")
        assert screen.count_label.text() == "4 tickets"
        screen.table.sortByColumn(HistoryColumn.CONTACT, Qt.SortOrder.AscendingOrder)
        await wait_until(lambda: screen.model.query.sort == "contact" and screen.model.total == 4)
        await screen.wait_idle()
        names = [screen.model.index(r, HistoryColumn.CONTACT).data() for r in range(4)]
        assert names == ["Alba", "Bruno", "Marta", "Zeno"]

        screen.status_combo.setCurrentIndex(screen.status_combo.findData("closed"))
        await wait_until(lambda: screen.model.total == 2, what="closed tickets only")
        await screen.wait_idle()
        shown = {screen.model.index(r, 0).data(TICKET_ID_ROLE) for r in range(2)}
        assert shown == set(ids[:2])

        screen.search.setText("Zeno")
        await wait_until(lambda: screen.model.total == 1, what="search by contact name")
        await screen.wait_idle()

        csv_path = tmp_path / "tickets.csv"
        await screen.save_csv(csv_path)
        rows = list(csv.DictReader(io.StringIO(csv_path.read_text(encoding="utf-8-sig"))))
        assert [(r["contact"], r["status"], r["assignee"]) for r in rows] == [
            ("Zeno", "closed", "Anna")
        ]

        screen.table.setCurrentIndex(screen.model.index(0, 0))
        screen.open_current()
        await wait_until(lambda: window.current_target == NavTarget.ALL, what="conversations")
        await wait_until(
            lambda: (
                window.workspace.current_ticket is not None
                and window.workspace.current_ticket.id == ids[0]
            ),
            what="the closed ticket shown",
        )
        assert window.workspace.current_ticket.status == "closed"
        assert window.workspace.header.visible_actions() == [TicketAction.REOPEN]
    finally:
        await ui.close()


@pytest.mark.e2e
async def test_history_tells_when_the_server_is_gone(workspace: Workspace, tmp_path):
    ui, _ids = await seeded_ui(workspace, tmp_path)
    screen = ui.window.ticket_history
    try:
        ui.window.navigate(NavTarget.TICKETS)
        await wait_until(lambda: screen.model.total == 4)
        workspace.server.stop()
        screen.status_combo.setCurrentIndex(screen.status_combo.findData("open"))
        await wait_until(lambda: "server cannot be reached" in screen.count_label.text())
        assert screen.model.rowCount() == 0
        assert not screen.model.loading
    finally:
        await ui.close()


async def test_a_capped_count_is_kept_with_the_total(directory, runner):
    server = PagedServer(3)

    async def capped(query: TicketQuery, cursor: str | None, limit: int) -> TicketHistoryPage:
        page = await server.fetch(query, cursor, limit)
        return CountedPage(page.items, page.contacts, page.next_cursor, page.total, True)

    model = TicketHistoryModel(capped, runner.run, directory)
    model.set_query(TicketQuery())
    await runner.wait_idle()
    assert (model.total, model.total_capped) == (3, True)
    model.set_query(TicketQuery(text="x"))
    assert not model.total_capped


async def test_a_history_is_read_again_on_f5_and_when_shown_stale_keeping_its_row(
    qtbot, directory, runner
):
    server = PagedServer(5)
    model = TicketHistoryModel(server.fetch, runner.run, directory, page_size=50)
    screen = QWidget()
    qtbot.addWidget(screen)
    table = QTableView(screen)
    table.setModel(model)
    now = [1000.0]
    count = QLabel(screen)
    refresher = HistoryRefresh(screen, table, model, count, clock=lambda: now[0])
    model.set_query(TicketQuery(text="rimborso"))
    await runner.wait_idle()
    assert count.toolTip().startswith("Updated at ")  # when, and which key updates it
    assert "F5" in count.toolTip()
    table.setCurrentIndex(model.index(3, 0))  # ticket 4

    refresher.shown_again()  # a moment later: nothing asked
    assert len(server.asked) == 1
    server.tickets.insert(0, make_ticket(99, contact_id=99))  # closed meanwhile, listed first
    now[0] += STALE_AFTER_S
    refresher.shown_again()
    await runner.wait_idle()
    assert [(query.text, cursor) for query, cursor, _ in server.asked] == [
        ("rimborso", None),
        ("rimborso", None),  # the same query, from its first page
    ]
    assert model.index(0, 0).data(TICKET_ID_ROLE) == 99
    assert table.currentIndex().data(TICKET_ID_ROLE) == 4  # still selected, one row lower
    assert table.currentIndex().row() == 4

    screen.show()
    screen.activateWindow()
    qtbot.waitUntil(screen.isActiveWindow)
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_F5)  # the Refresh key anywhere in the screen
    await runner.wait_idle()
    assert len(server.asked) == 3
    assert table.currentIndex().data(TICKET_ID_ROLE) == 4

    model.set_query(TicketQuery(text="altro"))  # a new query selects nothing again
    await runner.wait_idle()
    assert not table.currentIndex().isValid()


def written(epoch: int, zone: bytes, locale: QLocale) -> str:
    """A moment as the history writes it, worked out on its own: ``locale``'s short date and
    time in ``zone``."""
    moment = QDateTime.fromSecsSinceEpoch(epoch, QTimeZone(zone))
    return locale.toString(moment, QLocale.FormatType.ShortFormat)


async def test_a_shown_moment_follows_the_time_zone_and_the_locale(directory, runner):
    """The rows' texts are formatted once and kept: a new time zone or UI locale still shows
    in the rows read before it."""
    server = PagedServer(1)
    model = TicketHistoryModel(server.fetch, runner.run, directory)
    saved_zone, saved_locale = os.environ.get("TZ"), QLocale()
    try:
        os.environ["TZ"] = "UTC"
        time.tzset()
        QLocale.setDefault(QLocale("en_GB"))
        model.set_query(TicketQuery())
        await runner.wait_idle()
        opened = model.index(0, HistoryColumn.OPENED)
        epoch = int(BASE_TIME.timestamp())
        assert opened.data() == written(epoch, b"UTC", QLocale("en_GB")) == "02/03/2026 09:00"
        assert opened.data(Qt.ItemDataRole.ToolTipRole) == opened.data()
        os.environ["TZ"] = "Asia/Tokyo"
        time.tzset()
        assert opened.data() == written(epoch, b"Asia/Tokyo", QLocale("en_GB"))
        assert opened.data().endswith("18:00")
        QLocale.setDefault(QLocale("it_IT"))
        assert opened.data() == written(epoch, b"Asia/Tokyo", QLocale("it_IT"))
        assert opened.data() != written(epoch, b"Asia/Tokyo", QLocale("en_GB"))
    finally:
        if saved_zone is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = saved_zone
        time.tzset()
        QLocale.setDefault(saved_locale)


async def test_a_renamed_agent_or_contact_shows_in_the_rows_read_before(directory, runner):
    server = PagedServer(1)
    server.tickets = [make_ticket(1, assignee_id=OTHER.id, contact_id=30)]
    model = TicketHistoryModel(server.fetch, runner.run, directory)
    model.set_query(TicketQuery())
    await runner.wait_idle()
    agent = model.index(0, HistoryColumn.AGENT)
    assert agent.data() == "Marco Bianchi"
    directory.set_agents([ME, replace(OTHER, name="Marco B.")])
    assert agent.data() == "Marco B."
    model._contacts.clear()  # the name the page brought gone: the directory's is shown
    contact = model.index(0, HistoryColumn.CONTACT)
    model.forget_texts()
    directory.upsert_contacts([make_contact(30, "Giulia Verdi")])
    assert contact.data() == "Giulia Verdi"
    directory.upsert_contacts([make_contact(30, "Giulia Verdi Neri")])
    assert contact.data() == "Giulia Verdi Neri"


async def test_the_texts_kept_are_bounded_and_a_new_query_drops_them(
    qtmodeltester, directory, runner
):
    server = PagedServer(TEXTS_KEPT + 50)
    model = TicketHistoryModel(server.fetch, runner.run, directory, page_size=TEXTS_KEPT + 50)
    model.set_query(TicketQuery())
    await runner.wait_idle()
    shown = [model.index(row, HistoryColumn.CONTACT).data() for row in range(model.rowCount())]
    assert shown == [f"Cliente {n}" for n in range(1, TEXTS_KEPT + 51)]
    assert len(model._texts) == TEXTS_KEPT  # the oldest dropped
    assert model.index(0, HistoryColumn.CONTACT).data() == "Cliente 1"  # formatted again
    qtmodeltester.check(model)
    model.set_query(TicketQuery(text="altro"))
    assert model._texts == {}


async def test_the_status_is_coloured_and_the_durations_aligned_right(directory, runner):
    server = PagedServer(2)
    server.tickets[1] = make_ticket(2, status="closed")
    model = TicketHistoryModel(server.fetch, runner.run, directory)
    model.set_query(TicketQuery())
    await runner.wait_idle()
    foreground, alignment = Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.TextAlignmentRole
    assert model.index(0, HistoryColumn.STATUS).data(foreground).name() == "#1f6feb"  # open
    assert model.index(1, HistoryColumn.STATUS).data(foreground).name() == "#57606a"
    assert model.index(0, HistoryColumn.CONTACT).data(foreground) is None
    right = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    for column in (HistoryColumn.FIRST_RESPONSE, HistoryColumn.RESOLUTION):
        assert model.index(0, column).data(alignment) == right
    assert model.index(0, HistoryColumn.OPENED).data(alignment) is None
    assert model.index(0, HistoryColumn.STATUS).data(IS_OPEN_ROLE) is True
    assert model.index(1, HistoryColumn.STATUS).data(IS_OPEN_ROLE) is False
