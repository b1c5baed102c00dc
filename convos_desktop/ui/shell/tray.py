"""The system tray icon: unread badge, menu (Open Convos, Status, Quit) and tray messages.

The window decides what closing means (see ``MainWindow.attach_tray``); this module only
shows the icon and reports the agent's choices as signals. The icon is
``resources/icons/tray-normal.svg`` (grey ``tray-disconnected.svg`` while the server is out
of reach) with a red badge drawn over it with the number of conversations with unread
customer messages. The :class:`QSystemTrayIcon` is passed in so tests can use
one that records instead of talking to a tray host (the offscreen platform has none).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QRect, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from convos_desktop.core.types import Status
from convos_desktop.resources import icon_path
from convos_desktop.ui.shell.header_bar import dot_icon, status_names
from convos_desktop.ui.theme import STATUS_COLORS

log = logging.getLogger("convos.tray")

ICON_SIZE = 64
BADGE_COLOR = QColor("#d93025")
BADGE_MAX = 99


def badge_text(count: int) -> str:
    """What the badge says: nothing for 0, the number, ``99+`` past 99."""
    if count <= 0:
        return ""
    return f"{BADGE_MAX}+" if count > BADGE_MAX else str(count)


def tray_icon_image(count: int, size: int = ICON_SIZE, *, connected: bool = True) -> QPixmap:
    """The tray icon of the state (normal or disconnected) with the unread badge (none for 0)
    drawn in its top-right corner."""
    # Imported here: QtSvg maps ~0.4 MiB of Qt's SVG code at import, needed only once a tray
    # shows the icon (not on a desktop without a tray; issue 16, ``benchmarks.client_memory``).
    from PySide6.QtSvg import QSvgRenderer

    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    QSvgRenderer(str(icon_path("tray-normal" if connected else "tray-disconnected"))).render(
        painter
    )
    font = QFont()
    font.setBold(True)
    text = badge_text(count)
    if text:
        badge = QRect(size // 2 - 4, 0, size // 2 + 4, int(size * 0.5))
        painter.setBrush(BADGE_COLOR)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawRoundedRect(badge, badge.height() / 2, badge.height() / 2)
        font.setPixelSize(int(badge.height() * (0.7 if len(text) == 1 else 0.55)))
        painter.setFont(font)
        painter.setPen(Qt.GlobalColor.white)
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)
    painter.end()
    return pixmap


class Tray(QObject):
    """The tray icon and its menu; emits what the agent picks.

    ``openRequested``: show the window (menu entry or a click on the icon);
    ``ticketRequested(int)``: a click on a notification about one ticket;
    ``statusChosen(Status)``; ``quitRequested``: quit for real.
    """

    openRequested = Signal()  # noqa: N815
    ticketRequested = Signal(int)  # noqa: N815
    statusChosen = Signal(object)  # noqa: N815
    quitRequested = Signal()  # noqa: N815

    def __init__(self, icon: QSystemTrayIcon, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.icon = icon
        self.unread = 0
        self.connected = True
        self.messages_enabled: Callable[[], bool] = lambda: True
        self.menu = QMenu()
        self.open_action = self.menu.addAction(self.tr("Open Convos"))
        self.open_action.triggered.connect(self.openRequested)
        self.status_menu = self.menu.addMenu(self.tr("Status"))
        self._status_group = QActionGroup(self)
        self.status_actions: dict[Status, QAction] = {}
        for status, label in status_names().items():
            action = self.status_menu.addAction(dot_icon(STATUS_COLORS[status]), label)
            action.setCheckable(True)
            action.triggered.connect(lambda _checked=False, s=status: self.statusChosen.emit(s))
            self._status_group.addAction(action)
            self.status_actions[status] = action
        self.menu.addSeparator()
        self.quit_action = self.menu.addAction(self.tr("Quit"))
        self.quit_action.triggered.connect(self.quitRequested)
        icon.setContextMenu(self.menu)
        icon.activated.connect(self._on_activated)
        icon.messageClicked.connect(self._on_message_clicked)
        self._message_ticket: int | None = None  # what the balloon shown last is about
        self.set_unread(0)

    def show(self) -> None:
        """Put the icon in the tray."""
        self.icon.show()

    def hide(self) -> None:
        """Take the icon out of the tray (at quit)."""
        self.icon.hide()

    def set_unread(self, count: int) -> None:
        """Redraw the badge and the tooltip for ``count`` unread conversations."""
        self.unread = max(0, count)
        self.icon.setIcon(QIcon(tray_icon_image(self.unread, connected=self.connected)))
        if self.unread:
            tip = self.tr("Convos: %n conversation(s) with unread messages", "", self.unread)
        else:
            tip = self.tr("Convos")
        self.icon.setToolTip(tip)

    def set_connected(self, connected: bool) -> None:
        """Grey icon while the server is out of reach, the blue one when connected."""
        if connected != self.connected:
            self.connected = connected
            self.set_unread(self.unread)

    def set_chosen(self, status: Status) -> None:
        """Tick the agent's chosen status in the Status submenu."""
        self.status_actions[status].setChecked(True)

    def show_message(self, title: str, text: str, ticket_id: int | None = None) -> None:
        """A tray notification balloon (unless the agent turned them off in the settings);
        ``ticket_id``: the ticket a click on it opens (else a click shows the window)."""
        if self.messages_enabled():
            self._message_ticket = ticket_id
            self._balloon(title, text)

    def _on_message_clicked(self) -> None:
        if self._message_ticket is None:
            self.openRequested.emit()
        else:
            self.ticketRequested.emit(self._message_ticket)

    def _balloon(self, title: str, text: str) -> None:
        self.icon.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 5000)

    def tell_keeps_running(self) -> None:
        """The message shown the first time the window is closed to the tray."""
        self._message_ticket = None
        self._balloon(
            self.tr("Convos keeps running"),
            self.tr(
                "Convos is still running in the tray. After 2 minutes with the window "
                "closed you are shown as Unavailable. Use Quit in the tray menu to exit."
            ),
        )

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self.openRequested.emit()
