"""The navigation tree: ticket views with live counts, each expanding into the inboxes the
agent sees (with that view's count per inbox), then the other screens.

Changes are precise: inboxes that come, go or are renamed insert, remove or change their own
rows under each view (never a reset), and a count changes only its row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum, StrEnum

from PySide6.QtCore import QCoreApplication, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel

from convos_desktop.core.types import Counts, Inbox, View


class NavTarget(StrEnum):
    """A place the navigation tree leads to."""

    MINE = "mine"
    UNASSIGNED = "unassigned"
    ALL = "all"
    SNOOZED = "snoozed"
    NEW_TICKET = "new_ticket"
    MENTIONS = "mentions"
    CONVERSATIONS = "conversations"
    SHORTCUTS = "shortcuts"
    INBOXES = "inboxes"
    TICKETS = "tickets"
    PERFORMANCE = "performance"

    @property
    def ticket_view(self) -> View | None:
        """The ticket view this target shows, for the ticket views."""
        return {
            NavTarget.MINE: View.MINE,
            NavTarget.UNASSIGNED: View.UNASSIGNED,
            NavTarget.ALL: View.ALL,
            NavTarget.SNOOZED: View.SNOOZED,
        }.get(self)

    @property
    def is_conversation_screen(self) -> bool:
        """Whether presence counts this target as a conversation screen."""
        # Mentions is read to go back to the conversations
        return self.ticket_view is not None or self in (NavTarget.NEW_TICKET, NavTarget.MENTIONS)


class NavRole(IntEnum):
    """Data roles of :class:`NavigationModel`."""

    TARGET = Qt.ItemDataRole.UserRole + 1
    COUNT = Qt.ItemDataRole.UserRole + 2  # int, or None for targets without a count
    IS_GROUP = Qt.ItemDataRole.UserRole + 3
    INBOX_ID = Qt.ItemDataRole.UserRole + 4  # int on the inbox rows under a view, else None


@dataclass(frozen=True, slots=True)
class NavLocation:
    """Where the tree's selection is: a target, narrowed to one inbox under a ticket view."""

    target: NavTarget
    inbox_id: int | None = None


def target_label(target: NavTarget) -> str:
    """The translated label of a navigation target."""
    tr = QCoreApplication.translate
    labels = {
        NavTarget.MINE: tr("Navigation", "Mine"),
        NavTarget.UNASSIGNED: tr("Navigation", "Unassigned"),
        NavTarget.ALL: tr("Navigation", "All"),
        NavTarget.SNOOZED: tr("Navigation", "Snoozed"),
        NavTarget.NEW_TICKET: tr("Navigation", "New ticket"),
        NavTarget.MENTIONS: tr("Navigation", "Mentions"),
        NavTarget.CONVERSATIONS: tr("Navigation", "Conversations"),
        NavTarget.SHORTCUTS: tr("Navigation", "Shortcuts"),
        NavTarget.INBOXES: tr("Navigation", "Inboxes"),
        NavTarget.TICKETS: tr("Navigation", "Tickets"),
        NavTarget.PERFORMANCE: tr("Navigation", "Performance"),
    }
    return labels[target]


class NavigationModel(QStandardItemModel):
    """Two groups: the customer-service views (with counts) and the management screens."""

    SERVICE_TARGETS = (
        NavTarget.MINE,
        NavTarget.UNASSIGNED,
        NavTarget.ALL,
        NavTarget.SNOOZED,
        NavTarget.NEW_TICKET,
        NavTarget.MENTIONS,
    )
    COUNTED = frozenset(
        {NavTarget.MINE, NavTarget.UNASSIGNED, NavTarget.ALL, NavTarget.SNOOZED, NavTarget.MENTIONS}
    )
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
        self._inbox_counts: Mapping[int, Counts] = {}
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
            item.setData(0 if target in self.COUNTED else None, NavRole.COUNT)
            group.appendRow(item)
            self._items[target] = item
        self.appendRow(group)

    def index_of(self, target: NavTarget, inbox_id: int | None = None) -> QModelIndex:
        """The row of ``target``, or of ``inbox_id`` under it (invalid when not listed)."""
        item = self._items[target]
        if inbox_id is None:
            return item.index()
        child = self._inbox_item(item, inbox_id)
        return child.index() if child is not None else QModelIndex()

    @staticmethod
    def target_of(index: QModelIndex | QPersistentModelIndex) -> NavTarget | None:
        value = index.data(NavRole.TARGET)
        return NavTarget(value) if value else None

    @staticmethod
    def location_of(index: QModelIndex | QPersistentModelIndex) -> NavLocation | None:
        """The target and inbox of a row (``None`` for group titles)."""
        target = NavigationModel.target_of(index)
        if target is None:
            return None
        inbox_id = index.data(NavRole.INBOX_ID)
        return NavLocation(target, int(inbox_id) if inbox_id is not None else None)

    def set_count(self, view: View | NavTarget, count: int) -> None:
        """A view's open tickets, or the unread count of ``NavTarget.MENTIONS``."""
        item = self._items[NavTarget(view.value)]
        if item.data(NavRole.COUNT) != count:
            item.setData(count, NavRole.COUNT)

    # --- inboxes under the ticket views ---------------------------------------------------------

    def set_inboxes(self, inboxes: Sequence[Inbox]) -> None:
        """The inboxes the agent sees, in the order given, under each ticket view."""
        wanted = [(inbox.id, inbox.name) for inbox in inboxes]
        for view in View:
            self._sync_children(self._items[NavTarget(view.value)], view, wanted)

    def set_inbox_counts(self, counts: Mapping[int, Counts]) -> None:
        """Open tickets per view of each inbox (an inbox left out has none)."""
        self._inbox_counts = dict(counts)
        for view in View:
            parent = self._items[NavTarget(view.value)]
            for row in range(parent.rowCount()):
                child = parent.child(row)
                self._set_child_count(child, view)

    def inbox_ids(self, view: View) -> list[int]:
        """The inboxes listed under ``view``, in order."""
        parent = self._items[NavTarget(view.value)]
        return [int(parent.child(row).data(NavRole.INBOX_ID)) for row in range(parent.rowCount())]

    def _sync_children(
        self, parent: QStandardItem, view: View, wanted: list[tuple[int, str]]
    ) -> None:
        wanted_ids = [inbox_id for inbox_id, _name in wanted]
        for row in reversed(range(parent.rowCount())):
            if parent.child(row).data(NavRole.INBOX_ID) not in wanted_ids:
                parent.removeRow(row)
        for position, (inbox_id, name) in enumerate(wanted):
            child = self._inbox_item(parent, inbox_id)
            if child is None:
                child = QStandardItem(name)
                child.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                child.setData(parent.data(NavRole.TARGET), NavRole.TARGET)
                child.setData(False, NavRole.IS_GROUP)
                child.setData(inbox_id, NavRole.INBOX_ID)
                child.setToolTip(name)
                self._set_child_count(child, view)
                parent.insertRow(position, [child])
                continue
            if child.text() != name:
                child.setText(name)
                child.setToolTip(name)
            if child.row() != position:
                parent.insertRow(position, parent.takeRow(child.row()))

    def _set_child_count(self, child: QStandardItem, view: View) -> None:
        counts = self._inbox_counts.get(int(child.data(NavRole.INBOX_ID)))
        count = counts.for_view(view) if counts is not None else 0
        if child.data(NavRole.COUNT) != count:
            child.setData(count, NavRole.COUNT)

    @staticmethod
    def _inbox_item(parent: QStandardItem, inbox_id: int) -> QStandardItem | None:
        for row in range(parent.rowCount()):
            child = parent.child(row)
            if child.data(NavRole.INBOX_ID) == inbox_id:
                return child
        return None
