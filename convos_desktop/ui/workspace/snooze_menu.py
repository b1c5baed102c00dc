"""The Snooze menu: preset times (in an hour, tomorrow 9:00, next Monday 9:00), until the
customer replies, or a date and time picked in a small dialog.

:func:`snooze_presets` is a pure function of "now" (local time), so the presets are tested
without a clock; the menu emits ``chosen(object)`` with an aware UTC datetime, or ``None`` for
"until the customer replies".
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDateTime, Signal
from PySide6.QtWidgets import (
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMenu,
    QVBoxLayout,
    QWidget,
)

from convos_desktop.ui.formatting import local_date_time

MORNING = dt.time(9, 0)


def snooze_presets(now: dt.datetime) -> list[tuple[str, dt.datetime]]:
    """``(kind, moment)`` of the preset times after ``now`` (aware, local): ``hour`` (now + 1
    h), ``tomorrow`` (9:00), ``monday`` (the next Monday, 9:00)."""
    tz = now.tzinfo
    tomorrow = dt.datetime.combine(now.date() + dt.timedelta(days=1), MORNING, tzinfo=tz)
    days_to_monday = (7 - now.weekday()) % 7 or 7
    monday = dt.datetime.combine(now.date() + dt.timedelta(days=days_to_monday), MORNING, tz)
    return [("hour", now + dt.timedelta(hours=1)), ("tomorrow", tomorrow), ("monday", monday)]


class SnoozeDialog(QDialog):
    """Pick a date and time (at least a minute ahead, at most a year)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Snooze until"))
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("Bring the ticket back on:"), self))
        now = QDateTime.currentDateTime()
        self.edit = QDateTimeEdit(now.addSecs(3600), self)
        self.edit.setCalendarPopup(True)
        self.edit.setMinimumDateTime(now.addSecs(60))
        self.edit.setMaximumDateTime(now.addDays(365))
        layout.addWidget(self.edit)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def moment(self) -> dt.datetime:
        """The chosen moment, aware UTC."""
        seconds = self.edit.dateTime().toSecsSinceEpoch()
        return dt.datetime.fromtimestamp(seconds, dt.UTC)


class SnoozeMenu(QMenu):
    """The presets, "until the customer replies" and "Pick a date and time…"."""

    chosen = Signal(object)  # dt.datetime (aware) or None: until the customer replies

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.aboutToShow.connect(self._fill)
        self.dialog: SnoozeDialog | None = None
        self._fill()

    def _fill(self) -> None:
        self.clear()
        now = dt.datetime.now().astimezone()
        names = {
            "hour": self.tr("In 1 hour"),
            "tomorrow": self.tr("Tomorrow at 9:00"),
            "monday": self.tr("Next Monday at 9:00"),
        }
        for kind, moment in snooze_presets(now):
            action = self.addAction(names[kind])
            action.setObjectName(f"snooze_{kind}")
            action.setToolTip(local_date_time(moment))
            action.triggered.connect(
                lambda _=False, m=moment: self.chosen.emit(m.astimezone(dt.UTC))
            )
        reply = self.addAction(self.tr("Until the customer replies"))
        reply.setObjectName("snooze_reply")
        reply.triggered.connect(lambda _=False: self.chosen.emit(None))
        self.addSeparator()
        custom = self.addAction(self.tr("Pick a date and time…"))
        custom.setObjectName("snooze_custom")
        custom.triggered.connect(self._pick)

    def _pick(self) -> None:
        dialog = SnoozeDialog(self.parentWidget())
        self.dialog = dialog
        dialog.accepted.connect(lambda: self.chosen.emit(dialog.moment()))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
