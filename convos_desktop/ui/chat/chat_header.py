"""The bar above a conversation: who it is with, the ticket's state, and the ticket actions.

Which of Assign to me, Unassign, Finalize (close) and Reactivate (reopen) are offered, and
which are enabled, comes from
:func:`convos_desktop.ui.workspace.ticket_actions.available_actions` (the server's rules).
A disabled action keeps its reason as a tooltip and as a line under the title; errors of the
last action are shown on that line too. Long names and details are elided with the full text
in a tooltip.

The buttons sit in an :class:`~convos_desktop.ui.chat.action_row.ActionRow`: on a narrow pane
the less-used (Unassign, Snooze, then Assign to me) go into its "⋯" menu, so an Italian
1280-pixel window keeps everything; their keys belong to the header's actions and work
wherever the button is. "Open in a new window" (Ctrl+Shift+O) asks for a pop-out window.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QAction, QFont, QIcon, QKeySequence, QPainter, QPen, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QMenu,
    QPushButton,
    QToolButton,
    QWidget,
)

from convos_desktop.core.types import Agent, Label, Status, Ticket
from convos_desktop.ui.chat.action_row import ActionRow
from convos_desktop.ui.theme import set_font_parts, set_text_color
from convos_desktop.ui.widgets.elided_label import ElidedLabel
from convos_desktop.ui.widgets.label_widgets import label_icon
from convos_desktop.ui.workspace.snooze_menu import SnoozeMenu
from convos_desktop.ui.workspace.ticket_actions import (
    SHORTCUTS,
    ActionState,
    TicketAction,
    available_actions,
)

TITLE_ROOM = 220  # pixels of contact name worth keeping beside the buttons


NO_LABEL_COLOR = "#c4cad1"
POPOUT_SHORTCUT = "Ctrl+Shift+O"
ICON_PX = 16


def popout_icon() -> QIcon:
    """A window with an arrow leaving it: "open in a new window"."""
    pixmap = QPixmap(ICON_PX, ICON_PX)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = QPen(Qt.GlobalColor.darkGray, 1.5)
    painter.setPen(pen)
    painter.drawRoundedRect(QRectF(1.5, 4.5, 10, 10), 1.5, 1.5)
    painter.drawLine(7, 9, 14, 2)
    painter.drawLine(9, 2, 14, 2)
    painter.drawLine(14, 2, 14, 7)
    painter.end()
    return QIcon(pixmap)


class ChatHeader(QFrame):
    """Shows one ticket; emits ``actionRequested(action, force)`` for the buttons and shortcuts.

    ``force`` is true for an admin taking over a ticket someone else holds.
    """

    actionRequested = Signal(str, bool)  # noqa: N815
    snoozeRequested = Signal(object)  # noqa: N815  # aware datetime, or None: until a reply
    labelToggled = Signal(int, bool)  # noqa: N815  # label id, on
    popOutRequested = Signal()  # noqa: N815

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatHeader")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.title = ElidedLabel(self)
        font = QFont(self.title.font())
        font.setPointSizeF(font.pointSizeF() + 2)
        font.setWeight(QFont.Weight.DemiBold)
        self.title.setFont(font)
        self.subtitle = ElidedLabel(self)
        set_text_color(self.subtitle, "#5d6875")
        self.reason = QLabel(self)
        self.reason.setObjectName("actionReason")
        set_text_color(self.reason, "#a4400f")
        self.reason.setWordWrap(True)
        self.reason.hide()
        # Collision detection: who else views or types here now (core.live).
        self.live = ElidedLabel(self)
        self.live.setObjectName("liveLine")
        set_text_color(self.live, "#1b6e3a")
        set_font_parts(self.live, italic=True)
        self.live.hide()

        self.buttons: dict[TicketAction, QPushButton] = {}
        # The keys belong to these actions (added to the header, so they work while a ticket
        # is shown, whether its button is in the row or in the "⋯" menu).
        self.actions_by_kind: dict[TicketAction, QAction] = {}
        labels = {
            TicketAction.ASSIGN: self.tr("Assign to me"),
            TicketAction.UNASSIGN: self.tr("Unassign"),
            TicketAction.CLOSE: self.tr("Finalize"),
            TicketAction.REOPEN: self.tr("Reactivate"),
            TicketAction.SNOOZE: self.tr("Snooze…"),
            TicketAction.UNSNOOZE: self.tr("Wake up"),
        }
        self.snooze_menu = SnoozeMenu(self)
        self.snooze_menu.chosen.connect(self.snoozeRequested)
        self.row = ActionRow(self)
        self.labels_button = QToolButton(self)
        self.labels_button.setObjectName("labelsButton")
        self.labels_button.setAccessibleName(self.tr("Labels"))
        self.labels_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.labels_menu = QMenu(self.labels_button)
        self.labels_button.setMenu(self.labels_menu)
        self._labels: list[Label] = []
        self.row.add(self.labels_button)
        for action, label in labels.items():
            button = QPushButton(label, self)
            if action == TicketAction.CLOSE:  # the main action: bold, enabled or not
                set_font_parts(button, weight=QFont.Weight.Bold)
            button.clicked.connect(lambda _=False, a=action: self._request(a))
            key = QAction(label, self)
            key.setShortcut(QKeySequence(SHORTCUTS[action]))
            key.triggered.connect(lambda _=False, a=action: self._request(a))
            self.addAction(key)
            self.row.add(button, key)
            self.buttons[action] = button
            self.actions_by_kind[action] = key
        # Opening the conversation in its own window (ui.popout); hidden where it is one.
        self.popout_action = QAction(self.tr("Open in a new window"), self)
        self.popout_action.setObjectName("popOutAction")
        self.popout_action.setShortcut(QKeySequence(POPOUT_SHORTCUT))
        self.popout_action.setIcon(popout_icon())
        self.popout_action.triggered.connect(self.popOutRequested)
        self.addAction(self.popout_action)
        self.popout_button = QToolButton(self)
        self.popout_button.setObjectName("popOutButton")
        self.popout_button.setDefaultAction(self.popout_action)
        self.popout_button.setAutoRaise(True)
        self.row.add(self.popout_button)
        self._popout_available = False
        self.set_popout_available(False)
        # the less-used go into the "⋯" menu first when the row is short of room
        self.row.set_overflow_order(
            [
                self.buttons[TicketAction.UNASSIGN],
                self.buttons[TicketAction.SNOOZE],
                self.buttons[TicketAction.UNSNOOZE],
                self.buttons[TicketAction.ASSIGN],
            ]
        )

        # The details (state, assignee, number, inbox) and the reason line run the full
        # width. The title shares its row with the buttons while there is room for both; on a
        # narrow pane the buttons get a row of their own rather than cut the name.
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(16, 8, 16, 8)
        self._grid.setHorizontalSpacing(10)
        self._grid.setVerticalSpacing(2)
        self._grid.setColumnStretch(0, 1)
        self._buttons_beside_title: bool | None = None
        self._arrange(beside_title=True)
        self._ticket: Ticket | None = None
        self._me: Agent | None = None
        self._assignee_name = ""
        self._status = Status.UNAVAILABLE
        self._states: dict[TicketAction, ActionState] = {}
        self._error = ""
        self._open_sibling: int | None = None
        self.set_ticket(None, "", "", None)

    def buttons_beside_title(self) -> bool:
        """Whether the action buttons share the title's row (else they have their own)."""
        return bool(self._buttons_beside_title)

    def _arrange(self, beside_title: bool) -> None:
        if beside_title == self._buttons_beside_title:
            return
        self._buttons_beside_title = beside_title
        grid = self._grid
        for item in (self.title, self.subtitle, self.reason, self.live):
            grid.removeWidget(item)
        grid.removeWidget(self.row)
        grid.addWidget(self.title, 0, 0, 1, 1 if beside_title else 2)
        if beside_title:
            grid.addWidget(self.row, 0, 1)
        grid.addWidget(self.subtitle, 1, 0, 1, 2)
        if not beside_title:
            grid.addWidget(self.row, 2, 0, 1, 2, Qt.AlignmentFlag.AlignLeft)
        grid.addWidget(self.reason, 3, 0, 1, 2)
        grid.addWidget(self.live, 4, 0, 1, 2)

    def _fit(self) -> None:
        """Buttons beside the title when the title keeps at least ``TITLE_ROOM`` pixels (or
        all of it, when shorter)."""
        margins = self._grid.contentsMargins()
        room = self.width() - margins.left() - margins.right() - self._grid.horizontalSpacing()
        title = min(TITLE_ROOM, self.title.sizeHint().width())
        self._arrange(beside_title=room - self.row.sizeHint().width() >= title)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def set_ticket(
        self,
        ticket: Ticket | None,
        contact_name: str,
        details: str,
        me: Agent | None,
        assignee_name: str = "",
    ) -> None:
        """Show ``ticket`` (``None``: nothing selected) as seen by ``me``."""
        self._ticket, self._me, self._assignee_name = ticket, me, assignee_name
        self._error = ""
        self.title.setText(contact_name if ticket else self.tr("No conversation selected"))
        self.subtitle.setText(details)
        self._refresh_labels()
        self._refresh()

    def set_labels(self, labels: list[Label]) -> None:
        """The workspace's labels, offered in the Labels menu."""
        self._labels = list(labels)
        self._refresh_labels()

    def _refresh_labels(self) -> None:
        ticket = self._ticket
        self.labels_menu.clear()
        on = set(ticket.label_ids) if ticket is not None else set()
        for label in self._labels:
            action = self.labels_menu.addAction(label_icon(label.color), label.name)
            action.setCheckable(True)
            action.setChecked(label.id in on)
            action.toggled.connect(lambda checked, i=label.id: self.labelToggled.emit(i, checked))
        chosen = [label for label in self._labels if label.id in on]
        # compact (a dot of the first label's colour and how many): the action row must fit
        # an Italian 1280-pixel window next to the other buttons
        self.labels_button.setIcon(label_icon(chosen[0].color if chosen else NO_LABEL_COLOR))
        self.labels_button.setText(str(len(chosen)) if chosen else "")
        self.labels_button.setToolButtonStyle(
            Qt.ToolButtonStyle.ToolButtonTextBesideIcon
            if chosen
            else Qt.ToolButtonStyle.ToolButtonIconOnly
        )
        names = ", ".join(label.name for label in chosen)
        self.labels_button.setToolTip(
            self.tr("Labels: %1").replace("%1", names) if names else self.tr("Labels")
        )
        self.row.set_offered(self.labels_button, ticket is not None and bool(self._labels))

    def set_status(self, status: Status) -> None:
        """The agent's effective status (actions need ``online`` or ``busy``)."""
        if status == self._status:
            return  # the pane tells it on every switch: the actions stand (~0.5 ms a switch)
        self._status = status
        self._refresh()

    def set_open_sibling(self, ticket_id: int | None) -> None:
        """Another open ticket of the shown contact (blocks Reactivate), if one is known."""
        if ticket_id == self._open_sibling:
            return  # the contact dock tells it on every switch: the actions stand
        self._open_sibling = ticket_id
        self._refresh()

    def set_live(self, text: str) -> None:
        """Who else is here ("Anna is viewing · Bruno is typing a note…"); empty hides it."""
        self.live.setText(text)
        self.live.setVisible(bool(text))

    def show_error(self, message: str) -> None:
        self._error = message
        self._refresh()

    def visible_actions(self) -> list[TicketAction]:
        """The offered actions, in the row's order (a button or an entry of the "⋯" menu)."""
        return [a for a in self.buttons if a in self._states]

    def set_popout_available(self, available: bool) -> None:
        """Offer "Open in a new window" (not in a pop-out window itself)."""
        self._popout_available = available
        self._refresh_popout()

    def _refresh_popout(self) -> None:
        shown = self._popout_available and getattr(self, "_ticket", None) is not None
        self.popout_action.setVisible(shown)
        self.popout_action.setEnabled(shown)
        key = self.popout_action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        self.popout_action.setToolTip(f"{self.popout_action.text()} ({key})")
        self.row.set_offered(self.popout_button, shown)

    def action_state(self, action: TicketAction) -> ActionState | None:
        """The state of an offered action (``None``: not offered)."""
        return self._states.get(action)

    def _request(self, action: TicketAction) -> None:
        state = self._states.get(action)
        if state is None or not state.enabled:
            return
        if action is TicketAction.SNOOZE:
            button = self.buttons[action]
            anchor: QWidget = button if button.isVisible() else self.row.more  # "⋯" menu
            self.snooze_menu.popup(anchor.mapToGlobal(anchor.rect().bottomLeft()))
            return
        self.actionRequested.emit(action.value, state.force)

    def _refresh(self) -> None:
        if self._me is None:
            self._states = {}
        else:
            self._states = available_actions(
                self._ticket, self._me, self._status, self._assignee_name, self._open_sibling
            )
        for action, button in self.buttons.items():
            state = self._states.get(action)
            enabled = state is not None and state.enabled
            self.row.set_offered(button, state is not None)
            button.setEnabled(enabled)
            key = self.actions_by_kind[action]
            key.setVisible(state is not None)
            key.setEnabled(enabled)
            shortcut = QKeySequence(SHORTCUTS[action]).toString(
                QKeySequence.SequenceFormat.NativeText
            )
            reason = state.reason if state is not None else ""
            button.setToolTip(reason or f"{button.text()} ({shortcut})")
            key.setToolTip(reason or button.text())
        self._refresh_popout()
        blocked = [state.reason for state in self._states.values() if not state.enabled]
        line = self._error or (blocked[0] if blocked else "")
        self.reason.setText(line)
        self.reason.setVisible(bool(line))
        self._fit()
