"""The look: Fusion style, a calm light palette, and the colours the delegates paint with.

A widget's own text colour and font are set through its palette and font
(:func:`set_text_color`, :func:`set_font_parts`), not a per-widget style sheet: each widget
with a style sheet (and every widget under it) is drawn through a ``QStyleSheetStyle`` with
its parsed rules, palette and font cached per widget, about 1.5 MiB for the main window's
sheets (issue 16, measured in ``benchmarks/RESULTS.md``).
"""

from __future__ import annotations

from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from convos_desktop.core.types import ConnectionState, Status


class ChatColors:
    """Bubble and chip colours of the chat view (a namespace of constants)."""

    incoming = QColor("#ffffff")
    incoming_border = QColor("#dde1e6")
    outgoing = QColor("#dcecff")
    outgoing_border = QColor("#b9d6f7")
    note = QColor("#fff4d6")
    note_border = QColor("#f0c24b")
    note_label = QColor("#7a5200")
    system_text = QColor("#5f6b7a")
    system_pill = QColor("#eceff3")
    quote_bar = QColor("#3d7bd9")
    quote_background = QColor(0, 0, 0, 14)
    link = QColor("#1a5fb4")
    muted = QColor("#6b7785")
    failed = QColor("#c01c28")
    chip = QColor("#eef2f7")
    chip_border = QColor("#d3dae3")
    chip_mine = QColor("#dbe9ff")
    background = QColor("#f5f7fa")
    day_pill = QColor("#e3e8ee")


CHAT = ChatColors()

STATUS_COLORS = {
    Status.ONLINE: QColor("#2ea043"),
    Status.BUSY: QColor("#d29922"),
    Status.UNAVAILABLE: QColor("#8b949e"),
}

CONNECTION_COLORS = {
    ConnectionState.CONNECTED: QColor("#2ea043"),
    ConnectionState.CONNECTING: QColor("#d29922"),
    ConnectionState.RECONNECTING: QColor("#d29922"),
    ConnectionState.OFFLINE: QColor("#c01c28"),
}

ACCENT = QColor("#2f6fdb")
UNREAD = QColor("#2f6fdb")
DRAFT = QColor("#b5540b")


TEXT_ROLES = (
    QPalette.ColorRole.WindowText,
    QPalette.ColorRole.Text,
    QPalette.ColorRole.ButtonText,
)  # the roles a style sheet's ``color`` sets (labels paint with WindowText)


def set_text_color(widget: QWidget, color: QColor | str | QPalette.ColorRole) -> None:
    """The text of ``widget`` in ``color`` (or the colour of a role of its palette, like a
    style sheet's ``palette(placeholder-text)``), enabled or not, as a style sheet's ``color``
    would: only those roles are the widget's own, the rest follows its parent's palette."""
    if isinstance(color, QPalette.ColorRole):
        color = widget.palette().color(color)
    palette = QPalette()
    palette.setResolveMask(0)
    for role in TEXT_ROLES:
        palette.setColor(role, QColor(color))
    widget.setPalette(palette)


def set_font_parts(
    widget: QWidget,
    *,
    weight: QFont.Weight | None = None,
    point_size: float | None = None,
    pixel_size: int | None = None,
    italic: bool | None = None,
) -> None:
    """Set only these parts of ``widget``'s font (a style sheet's ``font-weight``,
    ``font-size`` in pt or px, ``font-style``); the others follow its parent's font."""
    font = QFont()
    font.setResolveMask(0)
    if weight is not None:
        font.setWeight(weight)
    if point_size is not None:
        font.setPointSizeF(point_size)
    if pixel_size is not None:
        font.setPixelSize(pixel_size)
    if italic is not None:
        font.setItalic(italic)
    widget.setFont(font)


SCREEN_TITLE_POINTS = 16  # every screen's title, with or without a search field beside it


def screen_title(text: str, parent: QWidget) -> QLabel:
    """A screen's title label: one size and weight on every screen (semibold, 16 pt), on its
    font rather than a style sheet."""
    label = QLabel(text, parent)
    set_font_parts(label, weight=QFont.Weight.DemiBold, point_size=SCREEN_TITLE_POINTS)
    return label


def set_label_box(label: QLabel, left: int, top: int, right: int, bottom: int) -> None:
    """Room around ``label``'s text, as a style sheet's ``margin``/``padding`` gives it. A
    style sheet's box is a frame to the label, and a label in a frame indents its text by half
    an "x" of its font but counts a whole "x" in its size hint: the half is the indent, the
    other half more room on the right. Set its font first, and once the label has its parent
    (a label's first polish and a change of parent set its contents margins back to none)."""
    label.ensurePolished()
    x_width = QFontMetrics(label.font()).horizontalAdvance("x")
    label.setIndent(x_width // 2)
    label.setContentsMargins(left, top, right + x_width - x_width // 2, bottom)


def paint_bottom_rule(
    painter: QPainter, rect: QRect, color: QColor, background: QColor | None = None
) -> None:
    """A bar's look without a style sheet (``background: ...; border-bottom: 1px solid
    ...``): ``rect`` filled with ``background`` if given, a 1-px line of ``color`` along its
    bottom row, under the bar's children (a style sheet's border on a frame without a frame
    shape takes no room either)."""
    if background is not None:
        painter.fillRect(rect, background)
    painter.fillRect(rect.left(), rect.bottom(), rect.width(), 1, color)


def apply_theme(app: QApplication) -> None:
    """Fusion with a restrained light palette and a readable base font."""
    app.setStyle("Fusion")
    app.setPalette(light_palette())
    font = QFont(app.font())
    if font.pointSizeF() < 10:
        font.setPointSizeF(10)
    app.setFont(font)


def light_palette() -> QPalette:
    """The app's palette: light, restrained, one accent."""
    palette = QPalette()
    window, base, text = QColor("#f3f5f8"), QColor("#ffffff"), QColor("#1f2328")
    palette.setColor(QPalette.ColorRole.Window, window)
    palette.setColor(QPalette.ColorRole.WindowText, text)
    palette.setColor(QPalette.ColorRole.Base, base)
    palette.setColor(QPalette.ColorRole.AlternateBase, QColor("#f0f3f7"))
    palette.setColor(QPalette.ColorRole.Text, text)
    palette.setColor(QPalette.ColorRole.Button, QColor("#f7f8fa"))
    palette.setColor(QPalette.ColorRole.ButtonText, text)
    palette.setColor(QPalette.ColorRole.Highlight, ACCENT)
    palette.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    palette.setColor(QPalette.ColorRole.ToolTipBase, QColor("#fffff0"))
    palette.setColor(QPalette.ColorRole.ToolTipText, text)
    palette.setColor(QPalette.ColorRole.PlaceholderText, QColor("#8b949e"))
    palette.setColor(QPalette.ColorRole.Link, CHAT.link)
    disabled = QColor("#9aa3ad")
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    # a disabled field loses the white of an input (Fusion keeps it: a disabled, empty form
    # read as waiting for input beside its greyed combo boxes)
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Base, window)
    return palette
