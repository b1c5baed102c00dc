"""Performance: opened, closed, backlog and response times per inbox or agent, with their trend.

The screen asks the server for the chosen period and for the period just before it (the
comparison) at once, then shows the total as figure cards with their change, the trend per
day as a chart (QtCharts, created when the screen is first shown so the app does not load it
at start-up) and one row per inbox or agent in a sortable table. The table exports to CSV and
the chart to PNG. Admins see every inbox and agent; an agent sees its teams' inboxes and, by
agent, only its own figures (the server decides; the screen says so).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QDate,
    QDateTime,
    QLocale,
    QMargins,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from convos_desktop.core.types import Report, ReportDay, ReportRow
from convos_desktop.models.performance import (
    SORT_ROLE,
    Column,
    Period,
    PeriodKind,
    ReportTableModel,
    change_text,
    change_verdict,
    figure,
    figure_text,
    report_csv_lines,
)
from convos_desktop.ui.tasks import TaskRunner
from convos_desktop.ui.theme import screen_title

if TYPE_CHECKING:
    from PySide6.QtCharts import QCategoryAxis, QChartView

    from convos_desktop.ui.context import ClientContext

log = logging.getLogger("convos.ui.performance")

SETTINGS_PERIOD = "performance/period"
SETTINGS_BY = "performance/by"
CARD_COLUMNS = (
    Column.OPENED,
    Column.CLOSED,
    Column.BACKLOG,
    Column.FIRST_RESPONSE_MEDIAN,
    Column.RESOLUTION_MEDIAN,
)
GOOD = "#1a7f37"
BAD = "#c62828"
MUTED = "#6b7785"


class FigureCard(QFrame):
    """One figure of the total, large, with its change against the previous period."""

    def __init__(self, column: Column, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.column = column
        self.setObjectName("figureCard")
        self.setStyleSheet(
            "#figureCard { background: white; border: 1px solid #d8dee6; border-radius: 8px; }"
        )
        self.title = QLabel(title, self)
        self.title.setStyleSheet(f"color: {MUTED};")
        self.value = QLabel("–", self)
        self.value.setStyleSheet("font-size: 18pt; font-weight: 600;")
        self.change = QLabel("", self)
        for label in (self.title, self.value, self.change):
            label.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setWordWrap(True)
        self.change.setWordWrap(True)
        self.setMinimumWidth(120)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addWidget(self.value)
        layout.addWidget(self.change)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def show_figures(self, total: ReportRow | None, before: ReportRow | None) -> None:
        value = figure(total, self.column) if total is not None else None
        self.value.setText(figure_text(self.column, value))
        previous = figure(before, self.column) if before is not None else None
        change = change_text(self.column, value, previous)
        if change is None or value is None or previous is None:
            self.change.setText("")
            return
        verdict = change_verdict(self.column, value, previous)
        colour = MUTED if verdict is None else (GOOD if verdict else BAD)
        self.change.setStyleSheet(f"color: {colour};")
        self.change.setText(self.tr("{change} on the previous period").format(change=change))


class PerformanceScreen(QWidget):
    """See the module docstring."""

    def __init__(self, context: ClientContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("performanceScreen")
        self._context = context
        self._tasks = TaskRunner()
        self._generation = 0
        self.report: Report | None = None
        self.previous: Report | None = None
        self.chart_view: QChartView | None = None

        self.period_combo = QComboBox(self)
        for kind, label in (
            (PeriodKind.TODAY, self.tr("Today")),
            (PeriodKind.DAYS_7, self.tr("Last 7 days")),
            (PeriodKind.DAYS_30, self.tr("Last 30 days")),
            (PeriodKind.DAYS_90, self.tr("Last 90 days")),
            (PeriodKind.CUSTOM, self.tr("Custom…")),
        ):
            self.period_combo.addItem(label, kind.value)
        self.period_combo.setAccessibleName(self.tr("Period"))
        today = QDate.currentDate()
        self.from_edit = self._date_edit(today.addDays(-29), self.tr("From"))
        self.to_edit = self._date_edit(today, self.tr("To"))
        self.by_combo = QComboBox(self)
        self.by_combo.addItem(self.tr("By inbox"), "inbox")
        self.by_combo.addItem(self.tr("By agent"), "agent")
        self.by_combo.setAccessibleName(self.tr("Group by"))
        self.refresh_button = QPushButton(self.tr("Refresh"), self)
        self.refresh_button.setToolTip(self.tr("Ask the server again (F5)"))
        self.csv_button = QPushButton(self.tr("Export CSV…"), self)
        self.csv_button.setToolTip(self.tr("Save the table as CSV (Ctrl+E)"))
        self.png_button = QPushButton(self.tr("Save chart as PNG…"), self)

        self.cards = {
            column: FigureCard(column, title, self)
            for column, title in (
                (Column.OPENED, self.tr("Opened")),
                (Column.CLOSED, self.tr("Closed")),
                (Column.BACKLOG, self.tr("Backlog at the end")),
                (Column.FIRST_RESPONSE_MEDIAN, self.tr("First response (median)")),
                (Column.RESOLUTION_MEDIAN, self.tr("Resolution (median)")),
            )
        }
        self.metric_combo = QComboBox(self)
        self.metric_combo.addItem(self.tr("Tickets per day"), "tickets")
        self.metric_combo.addItem(self.tr("Response times per day"), "times")
        self.metric_combo.setAccessibleName(self.tr("Chart"))
        self.chart_holder = QVBoxLayout()
        self.chart_holder.setContentsMargins(0, 0, 0, 0)

        self.table_model = ReportTableModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.table_model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView(self)
        self.table.setObjectName("performanceTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(Column.NAME, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(Column.NAME, QHeaderView.ResizeMode.Stretch)
        self.status = QLabel("", self)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        self._lay_out()
        self._connect()
        self._restore()

    # --- building -------------------------------------------------------------------------

    def _date_edit(self, date: QDate, name: str) -> QDateEdit:
        edit = QDateEdit(date, self)
        edit.setCalendarPopup(True)
        edit.setMaximumDate(QDate.currentDate())
        edit.setAccessibleName(name)
        edit.setToolTip(name)
        return edit

    def _lay_out(self) -> None:
        title = screen_title(self.tr("Performance"), self)
        controls = QHBoxLayout()
        controls.addWidget(title)
        controls.addSpacing(16)
        for widget in (self.period_combo, self.from_edit, self.to_edit, self.by_combo):
            controls.addWidget(widget)
        controls.addStretch(1)
        for button in (self.refresh_button, self.csv_button, self.png_button):
            controls.addWidget(button)
        cards = QHBoxLayout()
        cards.setSpacing(10)
        for card in self.cards.values():
            cards.addWidget(card)
        chart_bar = QHBoxLayout()
        chart_bar.addWidget(self.metric_combo)
        chart_bar.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 12)
        layout.setSpacing(10)
        layout.addLayout(controls)
        layout.addLayout(cards)
        layout.addLayout(chart_bar)
        layout.addLayout(self.chart_holder, 3)
        layout.addWidget(self.table, 2)
        layout.addWidget(self.status)

    def _connect(self) -> None:
        self.period_combo.currentIndexChanged.connect(self._on_period_changed)
        self.from_edit.dateChanged.connect(self._on_custom_dates)
        self.to_edit.dateChanged.connect(self._on_custom_dates)
        self.by_combo.currentIndexChanged.connect(self._on_by_changed)
        self.refresh_button.clicked.connect(self.refresh)
        self.csv_button.clicked.connect(self.export_csv)
        self.png_button.clicked.connect(self.export_png)
        self.metric_combo.currentIndexChanged.connect(self._draw_chart)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Refresh), self, self.refresh)
        QShortcut(QKeySequence("Ctrl+E"), self, self.export_csv)

    def _restore(self) -> None:
        settings = self._context.settings
        period = settings.value(SETTINGS_PERIOD, PeriodKind.DAYS_7.value, str)
        by = settings.value(SETTINGS_BY, "inbox", str)
        self.period_combo.blockSignals(True)
        self.by_combo.blockSignals(True)
        self.period_combo.setCurrentIndex(max(0, self.period_combo.findData(period)))
        self.by_combo.setCurrentIndex(max(0, self.by_combo.findData(by)))
        self.period_combo.blockSignals(False)
        self.by_combo.blockSignals(False)
        self._show_custom_dates()

    # --- what is asked --------------------------------------------------------------------

    def period_kind(self) -> PeriodKind:
        return PeriodKind(self.period_combo.currentData())

    def by(self) -> str:
        return str(self.by_combo.currentData())

    def period(self, today: dt.date | None = None) -> Period:
        """The chosen period in UTC days (the server's days)."""
        kind = self.period_kind()
        if kind == PeriodKind.CUSTOM:
            first, last = self.from_edit.date().toPython(), self.to_edit.date().toPython()
            assert isinstance(first, dt.date)
            assert isinstance(last, dt.date)
            return Period(min(first, last), max(first, last))
        return Period.ending(kind, today or dt.datetime.now(dt.UTC).date())

    def _show_custom_dates(self) -> None:
        custom = self.period_kind() == PeriodKind.CUSTOM
        self.from_edit.setVisible(custom)
        self.to_edit.setVisible(custom)

    def _on_period_changed(self) -> None:
        self._context.settings.setValue(SETTINGS_PERIOD, self.period_kind().value)
        self._show_custom_dates()
        self.refresh()

    def _on_custom_dates(self) -> None:
        if self.period_kind() == PeriodKind.CUSTOM:
            self.refresh()

    def _on_by_changed(self) -> None:
        self._context.settings.setValue(SETTINGS_BY, self.by())
        self.refresh()

    # --- loading --------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.chart_view is None:
            self._create_chart()
        if self.report is None:
            self.refresh()

    def refresh(self) -> None:
        """Ask for the chosen period and the one before it; older answers are dropped."""
        self._generation += 1
        generation = self._generation
        period = self.period()
        self.status.setStyleSheet(f"color: {MUTED};")
        self.status.setText(self.tr("Loading…"))
        self._tasks.run(self._load(generation, period, self.by()), on_error=self._on_error)

    async def _load(self, generation: int, period: Period, by: str) -> None:
        api = self._context.api
        before = period.previous()
        report, previous = await asyncio.gather(
            api.report(period.first.isoformat(), period.last.isoformat(), by),
            api.report(before.first.isoformat(), before.last.isoformat(), by),
        )
        if generation == self._generation:
            self.show_reports(report, previous, period)

    def _on_error(self, sentence: str) -> None:
        self.status.setStyleSheet(f"color: {BAD};")
        self.status.setText(sentence)

    async def shutdown(self) -> None:
        """Wait for what is still asked of the server (before the client closes)."""
        await self._tasks.wait_idle()

    async def wait_idle(self) -> None:
        """Until the loads and writes started so far have finished (for tests)."""
        await self._tasks.wait_idle()

    def show_reports(self, report: Report, previous: Report | None, period: Period) -> None:
        """Show ``report`` compared with ``previous``."""
        self.report, self.previous = report, previous
        self.table_model.set_reports(report, previous)
        for card in self.cards.values():
            card.show_figures(report.total, previous.total if previous else None)
        self._draw_chart()
        me = self._context.directory.me
        own_only = report.by == "agent" and (me is None or me.role != "admin")
        when = QDateTime.currentDateTime().time().toString("HH:mm")
        text = self.tr("{first} – {last}, compared with the {days} days before. Updated at {time}.")
        text = text.format(
            first=_date_text(period.first),
            last=_date_text(period.last),
            days=period.days,
            time=when,
        )
        if own_only:
            text += " " + self.tr("By agent you see your own figures only.")
        self.status.setStyleSheet(f"color: {MUTED};")
        self.status.setText(text)

    # --- chart ----------------------------------------------------------------------------

    def _create_chart(self) -> None:
        from PySide6.QtCharts import QChart, QChartView

        chart = QChart()
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        chart.setMargins(QMargins(0, 0, 0, 0))
        chart.setBackgroundRoundness(6)
        self.chart_view = QChartView(chart, self)
        self.chart_view.setObjectName("performanceChart")
        self.chart_view.setMinimumHeight(180)
        self.chart_holder.addWidget(self.chart_view)
        self._draw_chart()

    def _draw_chart(self) -> None:
        if self.chart_view is None:
            return
        from PySide6.QtCharts import QLineSeries, QValueAxis

        chart = self.chart_view.chart()
        chart.removeAllSeries()
        for old_axis in chart.axes():
            chart.removeAxis(old_axis)
        days = self.report.days if self.report is not None else ()
        if not days:
            chart.setTitle(self.tr("No figures yet"))
            return
        chart.setTitle("")
        x_axis = day_axis(days)
        chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
        if self.metric_combo.currentData() == "times":
            lines = [
                (self.tr("First response, median (minutes)"), "#1f6feb", Qt.AlignmentFlag.AlignLeft,
                 [(d.day, _minutes(d.first_response_median_s)) for d in days]),
                (self.tr("Resolution, median (hours)"), "#8250df", Qt.AlignmentFlag.AlignRight,
                 [(d.day, _hours(d.resolution_median_s)) for d in days]),
            ]  # fmt: skip
        else:
            lines = [
                (self.tr("Opened"), "#1f6feb", Qt.AlignmentFlag.AlignLeft,
                 [(d.day, float(d.opened)) for d in days]),
                (self.tr("Closed"), "#1a7f37", Qt.AlignmentFlag.AlignLeft,
                 [(d.day, float(d.closed)) for d in days]),
                (self.tr("Backlog"), "#bf8700", Qt.AlignmentFlag.AlignLeft,
                 [(d.day, float(d.backlog)) for d in days]),
            ]  # fmt: skip
        value_axes: dict[Qt.AlignmentFlag, QValueAxis] = {}
        for name, colour, side, points in lines:
            series = QLineSeries()
            series.setName(name)
            series.setColor(QColor(colour))
            series.setPointsVisible(True)
            for position, (_day, value) in enumerate(points):
                if value is not None:
                    series.append(float(position), value)
            chart.addSeries(series)
            series.attachAxis(x_axis)
            axis = value_axes.get(side)
            if axis is None:
                axis = QValueAxis()
                axis.setLabelFormat("%.0f")
                axis.setMin(0)
                chart.addAxis(axis, side)
                value_axes[side] = axis
            series.attachAxis(axis)
        _fit_axes(value_axes.values(), lines)

    # --- export ---------------------------------------------------------------------------

    def default_file_name(self, suffix: str) -> str:
        period = self.period()
        return f"performance-{self.by()}-{period.first}-{period.last}.{suffix}"

    def export_csv(self) -> None:
        """Ask where, then write the table (and the total) as CSV off the GUI thread."""
        if self.report is None:
            return
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Export CSV"), self.default_file_name("csv"), self.tr("CSV (*.csv)")
        )
        if path:
            self.save_csv(Path(path))

    def save_csv(self, path: Path) -> None:
        """Write the shown report to ``path`` (no dialog), off the GUI thread."""
        if self.report is None:
            return
        lines = list(report_csv_lines(self.report, self.previous))
        self._tasks.run(self._write(path, lines), on_error=self._on_error)

    async def _write(self, path: Path, lines: list[str]) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, _write_text, path, "".join(lines))
        self.status.setText(self.tr("Saved {name}.").format(name=path.name))

    def export_png(self) -> None:
        if self.chart_view is None:
            return
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Save chart"), self.default_file_name("png"), self.tr("PNG (*.png)")
        )
        if path:
            self.save_png(Path(path))

    def save_png(self, path: Path) -> bool:
        """The chart as it is shown, as a PNG image."""
        if self.chart_view is None:
            return False
        saved = self.chart_view.grab().save(str(path), "PNG")
        if saved:
            self.status.setText(self.tr("Saved {name}.").format(name=path.name))
        else:
            self._on_error(self.tr("Could not save {name}.").format(name=path.name))
        return saved


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8-sig")


def _date_text(day: dt.date) -> str:
    return QLocale().toString(QDate(day.year, day.month, day.day), QLocale.FormatType.ShortFormat)


MOST_DAY_LABELS = 8  # a longer period labels every second, fourth... day


def day_axis(days: tuple[ReportDay, ...]) -> QCategoryAxis:
    """The period's days as the x axis: day ``i`` at ``i``, half a day of room either side,
    its date written under its own point (and its grid line through it), at most
    ``MOST_DAY_LABELS`` dates."""
    from PySide6.QtCharts import QCategoryAxis

    axis = QCategoryAxis()
    axis.setLabelsPosition(QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionOnValue)
    step = -(-len(days) // MOST_DAY_LABELS)
    for position in range(0, len(days), step):
        day = days[position].day
        axis.append(QLocale().toString(QDate(day.year, day.month, day.day), "dd MMM"), position)
    axis.setStartValue(-0.5)
    axis.setRange(-0.5, len(days) - 0.5)
    return axis


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 60.0


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 3600.0


def _fit_axes(
    value_axes: Iterable[object],
    lines: list[tuple[str, str, Qt.AlignmentFlag, list[tuple[dt.date, float | None]]]],
) -> None:
    """Each y axis up to its highest value (the x axis spans the period: ``day_axis``)."""
    from PySide6.QtCharts import QValueAxis

    highest: dict[Qt.AlignmentFlag, float] = {}
    for _name, _colour, side, points in lines:
        values = [v for _d, v in points if v is not None]
        highest[side] = max([highest.get(side, 0.0), *values])
    for axis in value_axes:
        assert isinstance(axis, QValueAxis)
        side = axis.alignment()
        top = highest.get(side, 0.0)
        axis.setRange(0.0, max(1.0, top * 1.1))
        axis.applyNiceNumbers()
