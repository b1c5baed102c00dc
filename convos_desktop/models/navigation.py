"""The navigation tree: ticket views with live counts, then the other screens."""

from __future__ import annotations

from enum import IntEnum, StrEnum

from PySide6.QtCore import QCoreApplication, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel

from convos_desktop.core.types import View


class NavTarget(StrEnum):
    """A place the navigation tree leads to."""

    MINE = "mine"
    UNASSIGNED = "unassigned"
    ALL = "all"
    NEW_TICKET = "new_ticket"
    CONVERSATIONS = "conversations"
    SHORTCUTS = "shortcuts"
    INBOXES = "inboxes"
    TICKETS = "tickets"
    PERFORMANCE = "performance"

    @property
    def ticket_view(self) -> View | None:
        """The ticket view this target shows, for the three ticket views."""
        return {
            NavTarget.MINE: View.MINE,
            NavTarget.UNASSIGNED: View.UNASSIGNED,
            NavTarget.ALL: View.ALL,
        }.get(self)

    @property
    def is_conversation_screen(self) -> bool:
        """Whether presence counts this target as a conversation screen."""
        return self in (NavTarget.MINE, NavTarget.UNASSIGNED, NavTarget.ALL, NavTarget.NEW_TICKET)


class NavRole(IntEnum):
    """Data roles of :class:`NavigationModel`."""

    TARGET = Qt.ItemDataRole.UserRole + 1
    COUNT = Qt.ItemDataRole.UserRole + 2  # int, or None for targets without a count
    IS_GROUP = Qt.ItemDataRole.UserRole + 3


def target_label(target: NavTarget) -> str:
    """The translated label of a navigation target."""
    tr = QCoreApplication.translate
    labels = {
        NavTarget.MINE: tr("Navigation", "Mine"),
        NavTarget.UNASSIGNED: tr("Navigation", "Unassigned"),
        NavTarget.ALL: tr("Navigation", "All"),
        NavTarget.NEW_TICKET: tr("Navigation", "New ticket"),
        NavTarget.CONVERSATIONS: tr("Navigation", "Conversations"),
        NavTarget.SHORTCUTS: tr("Navigation", "Shortcuts"),
        NavTarget.INBOXES: tr("Navigation", "Inboxes"),
        NavTarget.TICKETS: tr("Navigation", "Tickets"),
        NavTarget.PERFORMANCE: tr("Navigation", "Performance"),
    }
    return labels[target]


class NavigationModel(QStandardItemModel):
    """Two groups: the customer-service views (with counts) and the management screens."""

    SERVICE_TARGETS = (NavTarget.MINE, NavTarget.UNASSIGNED, NavTarget.ALL, NavTarget.NEW_TICKET)
    MANAGEMENT_TARGETS = (
        NavTarget.CONVERSATIONS,
        NavTarget.SHORTCUTS,
        NavTarget.INBOXES,
        NavTarget.TICKETS,
        NavTarget.PERFORMANCE,
    )

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._items: dict[NavTarget, QStandardItem] = {}
        tr = QCoreApplication.translate
        self._add_group(tr("Navigation", "Customer service"), self.SERVICE_TARGETS)
        self._add_group(tr("Navigation", "Manage"), self.MANAGEMENT_TARGETS)

    def _add_group(self, title: str, targets: tuple[NavTarget, ...]) -> None:
        group = QStandardItem(title)
        group.setFlags(Qt.ItemFlag.ItemIsEnabled)
        group.setData(True, NavRole.IS_GROUP)
        for target in targets:
            item = QStandardItem(target_label(target))
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
            item.setData(target.value, NavRole.TARGET)
            item.setData(False, NavRole.IS_GROUP)
            item.setData(0 if target.ticket_view else None, NavRole.COUNT)
            group.appendRow(item)
            self._items[target] = item
        self.appendRow(group)

    def index_of(self, target: NavTarget) -> QModelIndex:
        return self._items[target].index()

    @staticmethod
    def target_of(index: QModelIndex | QPersistentModelIndex) -> NavTarget | None:
        value = index.data(NavRole.TARGET)
        return NavTarget(value) if value else None

    def set_count(self, view: View, count: int) -> None:
        item = self._items[NavTarget(view.value)]
        if item.data(NavRole.COUNT) != count:
            item.setData(count, NavRole.COUNT)
