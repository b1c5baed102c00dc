"""Issue 10 (item 7): a narrow ticket row elides the inbox, not the assignee's name."""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QWidget

from convos_desktop.ui.workspace.ticket_delegate import meta_line

INBOX = "WhatsApp Vendite Nord-Est"
ASSIGNEE = "Bartolomeo Fontanarosa"


def test_the_assignee_stays_whole_and_the_inbox_gives_way(qtbot) -> None:
    small = QFont(QWidget().font())  # the row's small font, as TicketDelegate makes it
    small.setPointSizeF(max(7.5, small.pointSizeF() - 1.5))
    metrics = QFontMetrics(small)
    line = meta_line(metrics, INBOX, ASSIGNEE, 210)  # a 250 px list, less paddings
    assert line.endswith("·  " + ASSIGNEE)
    assert line.startswith("WhatsApp")
    assert "…" in line
    assert metrics.horizontalAdvance(line) <= 210
    wide = meta_line(metrics, INBOX, ASSIGNEE, 900)
    assert wide == f"{INBOX}  ·  {ASSIGNEE}"
    assert meta_line(metrics, "", ASSIGNEE, 900) == ASSIGNEE
