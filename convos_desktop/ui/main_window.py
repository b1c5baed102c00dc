"""The main window: header, navigation tree, the current screen, the contact dock.

Wiring of presence: the chosen status goes to ``core.presence``; moving between the
conversation screens and any other screen is reported as the screen change; minimising is
not closing. Geometry, splitter and dock state are restored from QSettings.

With a tray (:meth:`MainWindow.attach_tray`) closing the window hides it to the tray and tells
presence (the 2-minute grace starts; showing it again ends it); the first time, a tray
message says Convos keeps running. Without a tray closing quits. :meth:`MainWindow.quit`
always quits; ``closed`` is emitted only then.
"""

from __future__ import annotations

import datetime as dt
import logging

from PySide6.QtCore import QByteArray, QEvent, QModelIndex, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QFont, QPainter, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolBar,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from convos_desktop.core.types import (
    ConnectionState,
    Counts,
    DirectoryChanged,
    Screen,
    Status,
    View,
    WindowState,
)
from convos_desktop.models.navigation import NavigationModel, NavRole, NavTarget, target_label
from convos_desktop.models.ticket_list import TicketListModel
from convos_desktop.ui.contact_dock import ContactDock
from convos_desktop.ui.context import ClientContext
from convos_desktop.ui.header_bar import HeaderBar
from convos_desktop.ui.inboxes_screen import InboxesScreen
from convos_desktop.ui.library import LibraryFiles
from convos_desktop.ui.new_ticket import NewTicketScreen
from convos_desktop.ui.notifications import Notifier
from convos_desktop.ui.placeholder_screen import PlaceholderScreen
from convos_desktop.ui.shortcuts_screen import ShortcutsScreen
from convos_desktop.ui.theme import ACCENT
from convos_desktop.ui.tray import Tray
from convos_desktop.ui.workspace import Workspace

log = logging.getLogger("convos.ui")

GEOMETRY_KEY = "window/geometry"
STATE_KEY = "window/state"
SPLITTER_KEY = "window/splitter"
WORKSPACE_SPLITTER_KEY = "window/workspaceSplitter"
NAV_KEY = "window/navigation"
CHOSEN_STATUS_KEY = "presence/chosen"
DOCK_WIDTH = 290
DOCK_MAX_WIDTH = 340
UNREAD_REFRESH_MS = 300


class NavigationDelegate(QStyledItemDelegate):
    """Navigation rows: group titles in small caps, counts right-aligned in a pill."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # type: ignore[override]
        size = super().sizeHint(option, index)
        return QSize(size.width(), size.height() + (14 if index.data(NavRole.IS_GROUP) else 12))

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:  # type: ignore[override]
        if index.data(NavRole.IS_GROUP):
            painter.save()
            font = QFont(option.font)
            font.setPointSizeF(font.pointSizeF() - 1)
            font.setWeight(QFont.Weight.DemiBold)
            font.setCapitalization(QFont.Capitalization.AllUppercase)
            painter.setFont(font)
            painter.setPen(option.palette.placeholderText().color())
            rect = option.rect.adjusted(4, 8, 0, 0)
            painter.drawText(
                rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, index.data()
            )
            painter.restore()
            return
        super().paint(painter, option, index)
        count = index.data(NavRole.COUNT)
        if count is None:
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        text = str(count)
        metrics = option.fontMetrics
        width = max(22, metrics.horizontalAdvance(text) + 12)
        height = metrics.height() + 2
        rect = option.rect
        pill = rect.adjusted(rect.width() - width - 10, (rect.height() - height) // 2, -10, 0)
        pill.setHeight(height)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(ACCENT if count else option.palette.mid().color())
        painter.drawRoundedRect(pill, height / 2, height / 2)
        painter.setPen(Qt.GlobalColor.white)
        painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()


class MainWindow(QMainWindow):
    """See the module docstring. ``closed`` is emitted once the window has been closed."""

    closed = Signal()

    def __init__(self, context: ClientContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self.setWindowTitle(self.tr("Convos"))
        self.resize(1280, 800)
        settings = context.settings

        self.header = HeaderBar(settings, self)
        self.header.statusChosen.connect(self._on_status_chosen)
        self.navigation = NavigationModel(self)
        self.nav_view = QTreeView(self)
        self.nav_view.setObjectName("navigation")
        self.nav_view.setModel(self.navigation)
        self.nav_view.setHeaderHidden(True)
        self.nav_view.setRootIsDecorated(False)
        self.nav_view.setItemsExpandable(False)
        self.nav_view.setIndentation(10)
        self.nav_view.setItemDelegate(NavigationDelegate(self.nav_view))
        self.nav_view.expandAll()
        self.nav_view.setMinimumWidth(190)
        self.nav_view.setStyleSheet(
            "#navigation { background: #eef1f5; border: none; padding-top: 4px; }"
            "#navigation::item { padding: 4px 6px; border-radius: 6px; color: #1f2328; }"
            "#navigation::item:selected { background: #d6e3fa; color: #0f3d91; }"
            "#navigation::item:hover:!selected { background: #e3e8ef; }"
        )

        self.contact_dock = ContactDock(self)
        self.contact_dock.setObjectName("contactDock")
        self.contact_dock.setMaximumWidth(DOCK_MAX_WIDTH)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.contact_dock)
        self.resizeDocks([self.contact_dock], [DOCK_WIDTH], Qt.Orientation.Horizontal)
        self.tickets = TicketListModel(context.directory, self)
        self.workspace = Workspace(context, self.tickets, self.contact_dock, self)
        self.new_ticket = NewTicketScreen(context, self)
        self.new_ticket.ticketStarted.connect(self._open_started_ticket)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.workspace)
        self.stack.addWidget(self.new_ticket)
        self._screens: dict[NavTarget, QWidget] = {NavTarget.NEW_TICKET: self.new_ticket}
        self.library = LibraryFiles(context.api, context.sync, self)
        self.library.changed.connect(
            lambda: self.workspace.composer.set_library_files(self.library.files())
        )
        self.workspace.composer.set_thumbnails(context.thumbnails)
        self.library.refresh()
        self.shortcuts = ShortcutsScreen(context, self)
        self.inboxes = InboxesScreen(context, self.library, self)
        for target, real_screen in (
            (NavTarget.SHORTCUTS, self.shortcuts),
            (NavTarget.INBOXES, self.inboxes),
        ):
            self.stack.addWidget(real_screen)
            self._screens[target] = real_screen
        descriptions = {
            NavTarget.CONVERSATIONS: self.tr(
                "The full history of every conversation with your customers, whatever started "
                "it: chatbot, agents, mass or transactional campaigns."
            ),
            NavTarget.TICKETS: self.tr(
                "The history of resolved tickets, with search by contact, agent and date."
            ),
            NavTarget.PERFORMANCE: self.tr(
                "How inboxes and agents perform: opened, closed, backlog, response times."
            ),
        }
        for target, description in descriptions.items():
            screen = PlaceholderScreen(
                target_label(target),
                description + " " + self.tr("Coming in a later version."),
                self,
            )
            self.stack.addWidget(screen)
            self._screens[target] = screen

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.nav_view)
        self.splitter.addWidget(self.stack)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([210, 1070])
        self.splitter.setChildrenCollapsible(False)
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        header_bar = QToolBar(self.tr("Header"), self)
        header_bar.setObjectName("headerToolBar")
        header_bar.setMovable(False)
        header_bar.setFloatable(False)
        header_bar.toggleViewAction().setEnabled(False)
        header_bar.setStyleSheet("QToolBar { border: none; padding: 0; spacing: 0; }")
        header_bar.addWidget(self.header)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, header_bar)

        sync = context.sync
        sync.counts_changed.connect(self._on_counts)
        sync.connection_state_changed.connect(self._on_connection)
        sync.directory_changed.connect(self._on_directory)
        sync.contacts_changed.connect(lambda c: context.directory.upsert_contacts(c.contacts))
        sync.presence_changed.connect(context.directory.apply_presence)
        self.notifier = Notifier(
            me_id=lambda: context.directory.me_id,
            ticket=context.store.ticket,
            contact=context.directory.contact,
            sound_enabled=lambda: self.header.sound_enabled,
            window_active=self.isActiveWindow,
            beep=QApplication.beep,
            started_at=dt.datetime.now(dt.UTC),
            parent=self,
        )
        sync.tickets_changed.connect(self.notifier.on_tickets_changed)
        sync.messages_changed.connect(self.notifier.on_messages_changed)
        context.presence.effective_changed.connect(self._on_effective)
        context.directory.me_changed.connect(self._on_me_changed)
        self.nav_view.selectionModel().currentChanged.connect(self._on_navigated)

        self._current_target = NavTarget.MINE
        self._quitting = False
        self._tray: Tray | None = None
        self._told_keeps_running = False
        self._unread_timer = QTimer(self)
        self._unread_timer.setSingleShot(True)
        self._unread_timer.setInterval(UNREAD_REFRESH_MS)
        self._unread_timer.timeout.connect(self._refresh_unread)
        self._restore_state()
        self._on_directory(DirectoryChanged(frozenset({"agents", "inboxes", "canned"})))
        self._on_counts(sync.counts)
        self._on_connection(sync.connection_state)
        self._on_me_changed()
        self.workspace.set_effective_status(context.presence.effective)

    # --- navigation ---------------------------------------------------------------------------

    def navigate(self, target: NavTarget) -> None:
        self.nav_view.setCurrentIndex(self.navigation.index_of(target))

    @property
    def current_target(self) -> NavTarget:
        return self._current_target

    def _on_navigated(self, current: QModelIndex, _previous: QModelIndex) -> None:
        target = NavigationModel.target_of(current)
        if target is None:
            return
        self._current_target = target
        self._context.settings.setValue(NAV_KEY, target.value)
        view = target.ticket_view
        if view is not None:
            self.workspace.set_view(view, target_label(target))
            self.stack.setCurrentWidget(self.workspace)
            self.contact_dock.show()
        else:
            self.stack.setCurrentWidget(self._screens[target])
            self.contact_dock.setVisible(False)
        screen = Screen.CONVERSATIONS if target.is_conversation_screen else Screen.OTHER
        self._context.presence.set_screen(screen)

    def _open_started_ticket(self, ticket_id: int) -> None:
        self.navigate(NavTarget.MINE)
        if not self.workspace.select_ticket(ticket_id):
            ticket = self.tickets.known_ticket(ticket_id) or self._context.store.ticket(ticket_id)
            if ticket is not None:
                self.workspace.open_ticket(ticket)

    # --- sync and presence --------------------------------------------------------------------

    def _on_counts(self, counts: Counts) -> None:
        for view in View:
            self.navigation.set_count(view, counts.for_view(view))

    def _on_connection(self, state: ConnectionState) -> None:
        self.header.set_connection(state)
        self._context.presence.set_connection(state)

    def _on_directory(self, change: DirectoryChanged) -> None:
        store = self._context.store
        directory = self._context.directory
        if "agents" in change.what:
            me = store.me()
            if me is not None:
                directory.set_me(me)
            directory.set_agents(store.agents())
        if "inboxes" in change.what:
            directory.set_inboxes(store.inboxes())
            self.new_ticket.set_inboxes(directory.inboxes())
        if "canned" in change.what:
            directory.set_canned(store.canned())

    def _on_me_changed(self) -> None:
        me = self._context.directory.me
        if me is not None:
            self.header.set_agent_name(me.name)

    def _on_status_chosen(self, status: Status) -> None:
        self._context.settings.setValue(CHOSEN_STATUS_KEY, status.value)
        self._context.presence.choose(status)
        if self._tray is not None:
            self._tray.set_chosen(status)

    def _on_tray_status(self, status: Status) -> None:
        self.header.set_chosen(status)
        self._on_status_chosen(status)

    def _on_effective(self, status: Status) -> None:
        self.header.set_effective(status)
        self.workspace.set_effective_status(status)

    # --- tray ---------------------------------------------------------------------------------

    @property
    def tray(self) -> Tray | None:
        """The tray icon, when the system has a tray."""
        return self._tray

    def attach_tray(self, tray: Tray) -> None:
        """Show ``tray``; from now on closing hides to it, and its badge counts unread."""
        self._tray = tray
        self.notifier.tray = tray
        tray.openRequested.connect(self.bring_back)
        tray.quitRequested.connect(self.quit)
        tray.statusChosen.connect(self._on_tray_status)
        tray.set_chosen(self.header.chosen_status())
        sync = self._context.sync
        sync.tickets_changed.connect(self._schedule_unread)
        sync.messages_changed.connect(self._schedule_unread)
        self.tickets.dataChanged.connect(self._schedule_unread)
        self._refresh_unread()
        tray.show()

    def bring_back(self) -> None:
        """Show the window again (from the tray or minimised) and give it the focus."""
        if self.isMinimized():
            self.showNormal()
        else:
            self.show()
        self.raise_()
        self.activateWindow()

    def _schedule_unread(self, *_args: object) -> None:
        self._unread_timer.start()

    def _refresh_unread(self) -> None:
        if self._tray is not None:
            self._tray.set_unread(len(self._context.store.unread_conversation_ids()))

    # --- window state -------------------------------------------------------------------------

    def _restore_state(self) -> None:
        settings = self._context.settings
        geometry = settings.value(GEOMETRY_KEY)
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        state = settings.value(STATE_KEY)
        if isinstance(state, QByteArray):
            self.restoreState(state)
        for key, splitter in (
            (SPLITTER_KEY, self.splitter),
            (WORKSPACE_SPLITTER_KEY, self.workspace.splitter),
        ):
            sizes = settings.value(key)
            if isinstance(sizes, QByteArray):
                splitter.restoreState(sizes)
        chosen = str(settings.value(CHOSEN_STATUS_KEY, Status.ONLINE.value))
        status = Status(chosen) if chosen in Status._value2member_map_ else Status.ONLINE
        self.header.set_chosen(status)
        self._context.presence.choose(status)
        target_value = str(settings.value(NAV_KEY, NavTarget.MINE.value))
        target = (
            NavTarget(target_value)
            if target_value in NavTarget._value2member_map_
            else NavTarget.MINE
        )
        self.navigate(target)

    def save_state(self) -> None:
        settings = self._context.settings
        settings.setValue(GEOMETRY_KEY, self.saveGeometry())
        settings.setValue(STATE_KEY, self.saveState())
        settings.setValue(SPLITTER_KEY, self.splitter.saveState())
        settings.setValue(WORKSPACE_SPLITTER_KEY, self.workspace.splitter.saveState())
        settings.sync()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.WindowStateChange:
            minimized = bool(self.windowState() & Qt.WindowState.WindowMinimized)
            self._context.presence.set_window(
                WindowState.MINIMIZED if minimized else WindowState.VISIBLE
            )
        super().changeEvent(event)

    def quit(self) -> None:
        """Close for real (never to the tray): ``closed`` follows."""
        self._quitting = True
        self.close()

    def showEvent(self, event: QShowEvent) -> None:
        if self._context.presence.machine.inputs.window is WindowState.CLOSED_TO_TRAY:
            self._context.presence.set_window(WindowState.VISIBLE)
        super().showEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_state()
        if self._tray is not None and not self._quitting:
            event.ignore()
            self.hide()
            self._context.presence.set_window(WindowState.CLOSED_TO_TRAY)
            if not self._told_keeps_running:
                self._told_keeps_running = True
                self._tray.tell_keeps_running()
            return
        super().closeEvent(event)
        if self._tray is not None:
            self._tray.hide()
        self.closed.emit()
