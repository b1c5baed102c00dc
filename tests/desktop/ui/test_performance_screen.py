"""Performance: periods, the report table model, CSV, and the screen against a real server."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from PySide6.QtCharts import QCategoryAxis
from PySide6.QtCore import QDate, QLocale

from convos_desktop.core.types import Report, ReportDay, ReportRow
from convos_desktop.models.navigation import NavTarget
from convos_desktop.models.performance import (
    SORT_ROLE,
    Column,
    Period,
    PeriodKind,
    ReportTableModel,
    change_text,
    change_verdict,
    report_csv_lines,
)
from convos_desktop.ui.formatting import format_duration
from convos_desktop.ui.screens.performance_screen import day_axis
from tests.desktop.ui.conftest import open_ui
from tests.e2e.conftest import Workspace, take_ticket, wait_until


def row(row_id, name, opened=0, closed=0, backlog=0, fr=None, res=None) -> ReportRow:
    return ReportRow(row_id, name, opened, closed, backlog, fr, fr, res, res)


def report(*rows: ReportRow, total: ReportRow | None = None) -> Report:
    return Report("inbox", rows, total or row(None, "", 0, 0, 0))


def test_periods_and_the_period_before():
    today = dt.date(2026, 3, 12)
    week = Period.ending(PeriodKind.DAYS_7, today)
    assert (week.first, week.last, week.days) == (dt.date(2026, 3, 6), today, 7)
    assert week.previous() == Period(dt.date(2026, 2, 27), dt.date(2026, 3, 5))
    assert Period.ending(PeriodKind.TODAY, today).previous() == Period(
        dt.date(2026, 3, 11), dt.date(2026, 3, 11)
    )


def test_durations_read_in_their_two_largest_units():
    assert [format_duration(s) for s in (0, 59.4, 61, 3600, 3660, 86400, 90000)] == [
        "0 s",
        "59 s",
        "1 min",
        "1 h",
        "1 h 1 min",
        "1 d",
        "1 d 1 h",
    ]


def test_changes_are_signed_and_worded_like_the_figure():
    assert change_text(Column.OPENED, 12, 9) == "+3"
    assert change_text(Column.BACKLOG, 2, 2) == "±0"
    assert change_text(Column.RESOLUTION_MEDIAN, 60.0, 180.0) == "−2 min"
    assert change_text(Column.OPENED, 3, None) is None


def test_a_change_is_good_or_bad_news_but_the_demand_is_neither():
    assert change_verdict(Column.CLOSED, 12, 9) is True
    assert change_verdict(Column.BACKLOG, 12, 9) is False
    assert change_verdict(Column.FIRST_RESPONSE_MEDIAN, 60.0, 120.0) is True
    assert change_verdict(Column.RESOLUTION_P90, 7200.0, 3600.0) is False
    assert change_verdict(Column.CLOSED, 9, 9) is None
    assert change_verdict(Column.OPENED, 40, 68) is None  # fewer customers wrote: no verdict
    assert change_verdict(Column.OPENED, 68, 40) is None


def test_the_table_model_sorts_by_raw_figures_and_compares(qtmodeltester):
    model = ReportTableModel()
    current = report(row(1, "Zeta", 9, 2, fr=30.0), row(2, "alfa", 10, 1, fr=None))
    previous = report(row(1, "Zeta", 4, 2, fr=90.0))
    model.set_reports(current, previous)
    qtmodeltester.check(model)
    assert model.rowCount() == 2
    assert model.index(0, Column.OPENED).data() == "9"
    assert model.index(1, Column.FIRST_RESPONSE_MEDIAN).data() == "–"
    assert model.index(1, Column.FIRST_RESPONSE_MEDIAN).data(SORT_ROLE) == -1.0
    assert model.index(0, Column.NAME).data(SORT_ROLE) == "zeta"
    tip = model.index(0, Column.OPENED).data(0x03)  # ToolTipRole
    assert "4" in tip
    assert "+5" in tip
    model.set_reports(None, None)
    assert model.rowCount() == 0


def test_csv_has_raw_seconds_the_previous_period_and_the_total():
    current = report(row(1, 'Vendite, "Nord"', 3, 2, 1, 90.0, 3600.5), total=row(None, "", 3, 2, 1))
    previous = report(row(1, 'Vendite, "Nord"', 1, 1, 0, 120.0, None))
    rows = list(csv.reader(io.StringIO("".join(report_csv_lines(current, previous)))))
    assert rows[0][:3] == ["Name", "Opened", "Opened (previous period)"]
    assert rows[1][0] == 'Vendite, "Nord"'
    assert rows[1][1:3] == ["3", "1"]
    resolution_median = 1 + 2 * (Column.RESOLUTION_MEDIAN - 1)
    assert rows[1][resolution_median : resolution_median + 2] == ["3600.500", ""]
    assert rows[2][0] == "Total"
    assert len(rows) == 3


@pytest.mark.e2e
@pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
async def test_the_screen_shows_the_servers_figures_for_today(workspace: Workspace, tmp_path):
    """Three hand-offs today, two closed by Anna: the screen equals the server's report."""
    api = await workspace.agent_api()
    try:
        ticket_ids = []
        for n in range(3):
            handed = await workspace.customer_says(f"aiuto {n}", f"wa-{n}", handoff=True)
            ticket_ids.append(handed["ticket_id"])
        for ticket_id in ticket_ids[:2]:
            await take_ticket(api, ticket_id)
            await api.close_ticket(ticket_id)
        token = api.token
        assert token is not None
        ui = await open_ui(tmp_path, workspace.server.url, token)
    finally:
        await api.aclose()
    try:
        screen = ui.window.performance
        screen.period_combo.setCurrentIndex(screen.period_combo.findData(PeriodKind.TODAY.value))
        ui.window.navigate(NavTarget.PERFORMANCE)
        await wait_until(lambda: screen.report is not None, what="report shown")
        await screen.wait_idle()
        today = dt.datetime.now(dt.UTC).date().isoformat()
        expected = await ui.context.api.report(today, today, "inbox")
        assert screen.report == expected
        assert (expected.total.opened, expected.total.closed, expected.total.backlog) == (3, 2, 1)
        assert screen.cards[Column.OPENED].value.text() == "3"
        assert screen.cards[Column.BACKLOG].value.text() == "1"
        assert screen.table_model.rowCount() == 1
        assert screen.proxy.index(0, Column.CLOSED).data() == "2"
        assert screen.chart_view is not None
        assert screen.chart_view.chart().series()

        screen.by_combo.setCurrentIndex(screen.by_combo.findData("agent"))
        await wait_until(lambda: screen.report is not None and screen.report.by == "agent")
        await screen.wait_idle()
        assert [r.name for r in screen.report.rows] == ["Anna"]
        assert "own figures" in screen.status.text()

        csv_path = tmp_path / "performance.csv"
        screen.save_csv(csv_path)
        await screen.wait_idle()
        lines = list(csv.reader(io.StringIO(csv_path.read_text(encoding="utf-8-sig"))))
        assert lines[1][:2] == ["Anna", "2"]
        assert lines[-1][0] == "Total"
        png = tmp_path / "chart.png"
        assert screen.save_png(png)
        assert png.stat().st_size > 1000
    finally:
        await ui.close()


@pytest.mark.parametrize(("count", "labels"), [(7, 7), (30, 8), (90, 8), (1, 1)])
def test_each_day_is_labelled_under_its_own_point(qapp, count: int, labels: int) -> None:
    """The chart's x axis puts day ``i`` at ``i`` with half a day of room either side, and
    writes a day's date under its own point (a week: every day; longer periods: at most
    eight dates, the first day's among them), not at midnight between two points."""
    QLocale.setDefault(QLocale(QLocale.Language.Italian, QLocale.Country.Italy))
    first = dt.date(2026, 12, 1)
    days = tuple(ReportDay(first + dt.timedelta(days=i), i, i, 0, None, None) for i in range(count))
    axis = day_axis(days)
    assert (axis.min(), axis.max()) == (-0.5, count - 0.5)
    assert axis.labelsPosition() == QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionOnValue
    names = axis.categoriesLabels()
    assert len(names) == labels
    assert names[0] == "01 dic"
    positions = [axis.endValue(name) for name in names]
    assert positions == sorted(positions)
    assert all(p == int(p) and 0 <= p < count for p in positions)
    step = int(positions[1] - positions[0]) if labels > 1 else 1
    last = first + dt.timedelta(days=int(positions[-1]))
    assert names[-1] == QLocale().toString(QDate(last.year, last.month, last.day), "dd MMM")
    assert step * labels >= count
