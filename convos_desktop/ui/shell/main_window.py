"""The main window: header, navigation tree, the current screen, the contact dock.

Wiring of presence: the chosen status goes to ``core.presence``; moving between the
conversation screens and any other screen is reported as the screen change; minimising is
not closing; a visible pop-out window counts as a conversation screen. Geometry, splitter
and dock state are restored from QSettings (the pop-out windows by ``ui.popout``).

With a tray (:meth:`MainWindow.attach_tray`) closing the window hides it to the tray and tells
presence (the 2-minute grace starts; showing it again ends it); the first time, a tray
message says Convos keeps running. Without a tray closing quits. :meth:`MainWindow.quit`
always quits; ``closed`` is emitted only then.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QByteArray, QEvent, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QPixmapCache, QShowEvent
from PySide6.QtWidgets import (
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from convos_desktop.core.types import (
    ConnectionState,
    Counts,
    DirectoryChanged,
    Screen,
    Status,
    Ticket,
    View,
    WindowState,
)
from convos_desktop.models.navigation import (
    NavigationModel,
    NavLocation,
    NavRole,
    NavTarget,
    target_label,
)
from convos_desktop.models.ticket_list import TicketListModel
from convos_desktop.platform.memory_trim import MemoryTrimmer, glibc_malloc_trim
from convos_desktop.preferences import SOUND_KEY, close_to_tray, read_bool
from convos_desktop.ui.chat.files import FileActions
from convos_desktop.ui.chat.library import LibraryFiles
from convos_desktop.ui.contacts.contact_dock import ContactDock
from convos_desktop.ui.context import ClientContext
from convos_desktop.ui.popout.manager import PopoutManager
from convos_desktop.ui.shell.app_menu import AppMenu
from convos_desktop.ui.shell.commands import CommandCenter
from convos_desktop.ui.shell.header_bar import BACKGROUND as HEADER_BACKGROUND
from convos_desktop.ui.shell.header_bar import RULE as HEADER_RULE
from convos_desktop.ui.shell.header_bar import HeaderBar
from convos_desktop.ui.shell.navigation_view import (
    NavigationDelegate,
    NavigationView,
    navigation_column,
)
from convos_desktop.ui.shell.notifications import Notifier
from convos_desktop.ui.shell.sound import NotificationSound
from convos_desktop.ui.shell.tray import Tray
from convos_desktop.ui.system_text import SystemWording
from convos_desktop.ui.tasks import TaskRunner
from convos_desktop.ui.widgets.dock_toggle import DockToggle
from convos_desktop.ui.widgets.flat_tool_bar import FlatToolBar
from convos_desktop.ui.workspace.workspace import Workspace

# The other screens' modules are imported when a screen is first built: most sessions never
# open them (their code, models and widgets ~1.2 MiB resident at import; issue 16).
if TYPE_CHECKING:
    from convos_desktop.ui.screens.conversations_screen import ConversationsScreen
    from convos_desktop.ui.screens.inboxes_screen import InboxesScreen
    from convos_desktop.ui.screens.labels_dialog import LabelsDialog
    from convos_desktop.ui.screens.mentions_screen import MentionsScreen
    from convos_desktop.ui.screens.new_ticket import NewTicketScreen
    from convos_desktop.ui.screens.performance_screen import PerformanceScreen
    from convos_desktop.ui.screens.shortcuts_screen import ShortcutsScreen
    from convos_desktop.ui.screens.ticket_history_screen import TicketHistoryScreen

log = logging.getLogger("convos.ui")

GEOMETRY_KEY = "window/geometry"
STATE_KEY = "window/state"
SPLITTER_KEY = "window/splitter"
WORKSPACE_SPLITTER_KEY = "window/workspaceSplitter"
NAV_KEY = "window/navigation"
NAV_INBOX_KEY = "window/navigationInbox"  # the inbox selected under a view, "" for none
NAV_EXPANDED_KEY = "window/navigationExpanded"  # the views whose inboxes are shown
CHOSEN_STATUS_KEY = "presence/chosen"
DOCK_WIDTH = 290
DOCK_MAX_WIDTH = 340
UNREAD_REFRESH_MS = 300


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
        self._restoring_expansion = False
        self.nav_view = NavigationView(self)
        self.nav_view.setModel(self.navigation)
        self.nav_view.setHeaderHidden(True)
        self.nav_view.setRootIsDecorated(False)
        self.nav_view.setIndentation(14)
        self.nav_view.setItemDelegate(NavigationDelegate(self.nav_view))
        self._expand_groups()
        self.nav_view.collapsed.connect(self._on_nav_collapsed)
        self.nav_view.expanded.connect(lambda _index: self._save_expanded())
        self.nav_view.setMinimumWidth(190)

        self.contact_dock = ContactDock(
            self,
            inbox_name=context.directory.inbox_name,
            wording=SystemWording(context.directory, self),
        )
        self.contact_dock.setObjectName("contactDock")
        self.contact_dock.setMaximumWidth(DOCK_MAX_WIDTH)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.contact_dock)
        self.resizeDocks([self.contact_dock], [DOCK_WIDTH], Qt.Orientation.Horizontal)
        self.tickets = TicketListModel(context.directory, self, records=context.store.ticket)
        self.files = FileActions(context.api, self)
        self.workspace = Workspace(context, self.tickets, self.contact_dock, self.files, self)
        self.workspace.viewRequested.connect(lambda view: self.navigate(NavTarget(view.value)))
        # The freed heap of a scroll, an open or the cached inbox listed goes back once it
        # settles (glibc only; the app starts the minute's trim too: ``memory.start``); the
        # caches an idle window does not need go after ``IDLE_MS`` without either.
        self._store_shrinks = TaskRunner()
        self.memory = MemoryTrimmer(
            self, trim=glibc_malloc_trim(), release=self.release_idle, settle=self.settle_caches
        )
        self.workspace.chat.verticalScrollBar().valueChanged.connect(self.memory.trim_soon)
        self.workspace.ticketOpened.connect(self.memory.trim_soon)
        self.tickets.rowsInserted.connect(self.memory.trim_soon)
        self.popouts = PopoutManager(context, self.files, self.tickets, self)
        self.workspace.set_popped_out(self.popouts.is_open)
        self.workspace.popOutRequested.connect(self.pop_out)
        self.workspace.bringBackRequested.connect(self.popouts.close)
        self.popouts.closed.connect(self._on_popout_closed)
        self.popouts.shownChanged.connect(self._refresh_screen)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.workspace)
        self._screens: dict[NavTarget, QWidget] = {}
        self._language: str | None = None  # the UI language, for the new ticket's composer
        self.library = LibraryFiles(context.api, context.sync, self)
        self.library.changed.connect(self._on_library_changed)
        self.workspace.composer.set_thumbnails(context.thumbnails)
        self.library.refresh()
        # The other screens are built when first shown (or asked for): most sessions never
        # open them, and each holds its widgets and models (the new ticket's ~1.3 MiB).
        self._builders: dict[NavTarget, Callable[[], QWidget]] = {
            NavTarget.NEW_TICKET: self._build_new_ticket,
            NavTarget.SHORTCUTS: self._build_shortcuts,
            NavTarget.INBOXES: self._build_inboxes,
            NavTarget.CONVERSATIONS: self._build_conversations,
            NavTarget.TICKETS: self._build_ticket_history,
            NavTarget.PERFORMANCE: self._build_performance,
            NavTarget.MENTIONS: self._build_mentions,
        }
        self._mention_loads = TaskRunner()
        context.mentions.changed.connect(
            lambda: self.navigation.set_count(NavTarget.MENTIONS, context.mentions.unread())
        )

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(navigation_column(self.nav_view))
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
        header_bar = FlatToolBar(self.tr("Header"), HEADER_BACKGROUND, HEADER_RULE, self)
        header_bar.setObjectName("headerToolBar")
        header_bar.setMovable(False)
        header_bar.setFloatable(False)
        header_bar.toggleViewAction().setEnabled(False)
        header_bar.addWidget(self.header)
        self.contact_toggle = DockToggle(self.contact_dock, self)
        header_bar.addAction(self.contact_toggle)
        self.app_menu = AppMenu(
            self, settings, play_sound=lambda: self.sound.play(), on_saved=self._on_settings_saved
        )
        header_bar.addWidget(self.app_menu.button)
        self.labels_action = QAction(self.tr("Labels…"), self)
        self.labels_action.setObjectName("manageLabels")
        self.labels_action.triggered.connect(self.open_labels)
        self.labels_action.setVisible(False)  # admins only (see _on_me_changed)
        self.app_menu.menu.insertAction(self.app_menu.settings_action, self.labels_action)
        self.labels_dialog: LabelsDialog | None = None
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, header_bar)
        self.commands = CommandCenter(self)  # Ctrl+K palette, Ctrl+Shift+K search, F1 keys

        sync = context.sync
        sync.counts_changed.connect(self._on_counts)
        sync.inbox_counts_changed.connect(self.navigation.set_inbox_counts)
        sync.connection_state_changed.connect(self._on_connection)
        sync.directory_changed.connect(self._on_directory)
        sync.contacts_changed.connect(lambda c: context.directory.upsert_contacts(c.contacts))
        sync.presence_changed.connect(context.directory.apply_presence)
        self.sound = NotificationSound(settings, self)
        self.notifier = Notifier(
            me_id=lambda: context.directory.me_id,
            ticket=context.store.ticket,
            contact=context.directory.contact,
            sound_enabled=lambda: self.header.sound_enabled,
            window_active=self._app_active,
            beep=self.sound.play,
            started_at=dt.datetime.now(dt.UTC),
            agent_name=context.directory.agent_name,
            parent=self,
        )
        sync.tickets_changed.connect(self.notifier.on_tickets_changed)
        sync.messages_changed.connect(self.notifier.on_messages_changed)
        sync.ticket_woke.connect(self.notifier.on_ticket_woke)
        context.mentions.mentioned.connect(self.notifier.on_mentioned)
        context.presence.effective_changed.connect(self._on_effective)
        context.directory.me_changed.connect(self._on_me_changed)
        self.nav_view.selectionModel().currentChanged.connect(self._on_navigated)

        self._current_target = NavTarget.MINE
        self._pending_location: NavLocation | None = None  # a saved inbox not listed yet
        self._ticket_to_select: int | None = None  # started or asked for, not listed yet
        self.tickets.rowsInserted.connect(self._select_pending_ticket)
        self._quitting = False
        self._tray: Tray | None = None
        self._told_keeps_running = False
        self._unread_timer = QTimer(self)
        self._unread_timer.setSingleShot(True)
        self._unread_timer.setInterval(UNREAD_REFRESH_MS)
        self._unread_timer.timeout.connect(self._refresh_unread)
        self._on_directory(DirectoryChanged(frozenset({"agents", "inboxes", "canned"})))
        self.navigation.set_inbox_counts(sync.inbox_counts)
        self._restore_state()
        self._on_counts(sync.counts)
        self._on_connection(sync.connection_state)
        self._on_me_changed()
        self.workspace.set_effective_status(context.presence.effective)
        self.popouts.set_effective_status(context.presence.effective)

    # --- screens built when first shown -------------------------------------------------------

    def screen_of(self, target: NavTarget) -> QWidget:
        """The screen of a non-list ``target``, built (and added to the stack) the first time."""
        screen = self._screens.get(target)
        if screen is None:
            screen = self._builders[target]()
            self.stack.addWidget(screen)
            self._screens[target] = screen
        return screen

    def built_screens(self, targets: Collection[NavTarget] | None = None) -> list[QWidget]:
        """The screens built so far (what there is to shut down at quit), only those of
        ``targets`` when given."""
        return [
            screen
            for target, screen in self._screens.items()
            if targets is None or target in targets
        ]

    def _build_shortcuts(self) -> ShortcutsScreen:
        from convos_desktop.ui.screens.shortcuts_screen import ShortcutsScreen

        return ShortcutsScreen(self._context, self)

    def _build_inboxes(self) -> InboxesScreen:
        from convos_desktop.ui.screens.inboxes_screen import InboxesScreen

        return InboxesScreen(self._context, self.library, self)

    def _build_performance(self) -> PerformanceScreen:
        from convos_desktop.ui.screens.performance_screen import PerformanceScreen

        return PerformanceScreen(self._context, self)

    def _build_new_ticket(self) -> NewTicketScreen:
        from convos_desktop.ui.screens.new_ticket import NewTicketScreen

        context = self._context
        screen = NewTicketScreen(context, self)
        screen.ticketStarted.connect(self._open_started_ticket)
        screen.ticketOpenRequested.connect(self._open_existing_ticket)
        screen.set_inboxes(context.directory.inboxes())
        screen.set_effective_status(context.presence.effective)
        if self._language is not None:
            screen.composer.set_language(self._language)
        return screen

    def _built_new_ticket(self) -> NewTicketScreen | None:
        return cast("NewTicketScreen | None", self._screens.get(NavTarget.NEW_TICKET))

    def set_new_ticket_language(self, language: str) -> None:
        """The UI language for the new ticket's composer (now, or when it is built)."""
        self._language = language
        new_ticket = self._built_new_ticket()
        if new_ticket is not None:
            new_ticket.composer.set_language(language)

    def _build_conversations(self) -> ConversationsScreen:
        from convos_desktop.ui.screens.conversations_screen import ConversationsScreen

        screen = ConversationsScreen(self._context, self)
        screen.open_requested.connect(self.show_ticket)
        report = screen.show_error
        screen.chat.openFileRequested.connect(lambda f: self.files.open_file(f, report))
        screen.chat.saveFileRequested.connect(lambda f: self.files.save_file(f, report))
        return screen

    def _build_ticket_history(self) -> TicketHistoryScreen:
        from convos_desktop.ui.screens.ticket_history_screen import TicketHistoryScreen

        screen = TicketHistoryScreen(self._context, self)
        screen.open_requested.connect(self.show_ticket)
        return screen

    def _build_mentions(self) -> MentionsScreen:
        from convos_desktop.ui.screens.mentions_screen import MentionsScreen

        screen = MentionsScreen(self._context, self)
        screen.open_requested.connect(self.show_ticket)
        return screen

    @property
    def new_ticket(self) -> NewTicketScreen:
        return cast("NewTicketScreen", self.screen_of(NavTarget.NEW_TICKET))

    @property
    def shortcuts(self) -> ShortcutsScreen:
        return cast("ShortcutsScreen", self.screen_of(NavTarget.SHORTCUTS))

    @property
    def inboxes(self) -> InboxesScreen:
        return cast("InboxesScreen", self.screen_of(NavTarget.INBOXES))

    @property
    def conversations(self) -> ConversationsScreen:
        return cast("ConversationsScreen", self.screen_of(NavTarget.CONVERSATIONS))

    @property
    def ticket_history(self) -> TicketHistoryScreen:
        return cast("TicketHistoryScreen", self.screen_of(NavTarget.TICKETS))

    @property
    def performance(self) -> PerformanceScreen:
        return cast("PerformanceScreen", self.screen_of(NavTarget.PERFORMANCE))

    @property
    def mentions(self) -> MentionsScreen:
        return cast("MentionsScreen", self.screen_of(NavTarget.MENTIONS))

    # --- navigation ---------------------------------------------------------------------------

    def navigate(self, target: NavTarget, inbox_id: int | None = None) -> None:
        """Select ``target`` (narrowed to ``inbox_id`` under a ticket view, when listed)."""
        index = self.navigation.index_of(target, inbox_id)
        if not index.isValid():
            index = self.navigation.index_of(target)
        self.nav_view.setCurrentIndex(index)

    @property
    def current_target(self) -> NavTarget:
        return self._current_target

    @property
    def current_location(self) -> NavLocation:
        location = NavigationModel.location_of(self.nav_view.currentIndex())
        return location or NavLocation(self._current_target)

    def _on_navigated(self, current: QModelIndex, _previous: QModelIndex) -> None:
        location = NavigationModel.location_of(current)
        if location is None:
            return
        target = location.target
        self._current_target = target
        self._pending_location = None
        settings = self._context.settings
        settings.setValue(NAV_KEY, target.value)
        settings.setValue(NAV_INBOX_KEY, "" if location.inbox_id is None else location.inbox_id)
        view = target.ticket_view
        if view is not None:
            title = target_label(target)
            if location.inbox_id is not None:
                title += "  ·  " + self._context.directory.inbox_name(location.inbox_id)
            self.workspace.set_view(view, title, location.inbox_id)
            self.stack.setCurrentWidget(self.workspace)
        else:
            self.stack.setCurrentWidget(self.screen_of(target))
        self.contact_toggle.set_available(view is not None)
        self._refresh_screen()

    def _refresh_screen(self) -> None:
        """Tell presence the screen: a conversation screen here, or a pop-out on screen."""
        popout = self.popouts.any_shown()
        conversation = popout or self._current_target.is_conversation_screen
        self._context.presence.set_screen(Screen.CONVERSATIONS if conversation else Screen.OTHER)
        if self._tray is not None and self.isHidden() and not self._quitting:
            window = WindowState.VISIBLE if popout else WindowState.CLOSED_TO_TRAY
            if self._context.presence.machine.inputs.window is not window:
                self._context.presence.set_window(window)

    # --- an idle window ------------------------------------------------------------------------

    def settle_caches(self) -> None:
        """Once the app is at rest after a scroll, an open or a listing (before the trim): the
        open conversations' painted rows' pictures go (``ConversationPane.settle``),
        and the cache's SQLite page caches (``shrink_store_soon``)."""
        for pane in [self.workspace.pane, *(window.pane for window in self.popouts.windows())]:
            pane.settle()
        self.shrink_store_soon()

    def release_idle(self) -> None:
        """Drop what an idle window does not need: the row caches and thumbnails of the
        conversations no longer open here or in a pop-out (the open ones stay warm), Qt's
        pixmap cache, the cache's SQLite page caches (the writer's on its thread, then a
        trim). What was dropped is built again when shown."""
        panes = [self.workspace.pane, *(window.pane for window in self.popouts.windows())]
        for pane in panes:
            pane.release_idle()
        self._context.thumbnails.keep_only(set().union(*(p.messages.file_ids() for p in panes)))
        QPixmapCache.clear()
        self.shrink_store_soon()

    def shrink_store_soon(self) -> None:
        """Hand both of the cache's SQLite page caches back to the heap (the writer's on its
        thread), then trim: ~1 MiB at rest once a scroll through a long thread filled them
        (``benchmarks.client_memory``, issue 16); SQLite reads the pages again from the file
        (the OS's page cache) when asked. Nothing without an event loop (a test without one)."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        self._store_shrinks.run(self._shrink_store())

    async def stop_memory_work(self) -> None:
        """At quit: no more trims or idle releases; a cache shrink under way finishes."""
        self.memory.stop()
        await self._store_shrinks.wait_idle()

    async def _shrink_store(self) -> None:
        await self._context.store.shrink_memory()
        self.memory.trim_now()

    # --- pop-out windows ----------------------------------------------------------------------

    def pop_out(self, ticket: Ticket) -> None:
        """Open ``ticket`` in its own window (raised if open); the main window shows a notice
        in its place."""
        self.popouts.open(ticket)
        self.workspace.popped_out_changed(ticket.id)

    def _on_popout_closed(self, ticket_id: int) -> None:
        """The agent closed a pop-out: the conversation comes back here, selected."""
        self.workspace.popped_out_changed(ticket_id)
        ticket = self.tickets.known_ticket(ticket_id) or self._context.store.ticket(ticket_id)
        if ticket is None:
            return
        if self.current_target.ticket_view is None or not self.workspace.select_ticket(ticket_id):
            self.show_ticket(ticket)
        self.bring_back()

    def _app_active(self) -> bool:
        """Whether the agent is in Convos now: this window or a pop-out is active."""
        return self.isActiveWindow() or any(w.isActiveWindow() for w in self.popouts.windows())

    def _on_library_changed(self) -> None:
        files = self.library.files()
        self.workspace.composer.set_library_files(files)
        self.popouts.set_library_files(files)

    def show_ticket(self, ticket: Ticket) -> None:
        """Show ``ticket`` in the conversations (Tutto), selected when the list holds it."""
        self.navigate(NavTarget.ALL)
        if not self.workspace.select_ticket(ticket.id):
            self.workspace.open_ticket(ticket)

    def _open_started_ticket(self, ticket_id: int) -> None:
        """A ticket the agent started or reactivated: it is in Mine; open it there."""
        self._show_ticket(NavTarget.MINE, ticket_id)

    def _open_existing_ticket(self, ticket_id: int) -> None:
        """An open ticket to show, in the view that holds it."""
        ticket = self.tickets.known_ticket(ticket_id) or self._context.store.ticket(ticket_id)
        target = NavTarget.ALL
        if ticket is not None and ticket.assignee_id is None:
            target = NavTarget.UNASSIGNED
        elif ticket is not None and ticket.assignee_id == self._context.directory.me_id:
            target = NavTarget.MINE
        self._show_ticket(target, ticket_id)

    def _show_ticket(self, target: NavTarget, ticket_id: int) -> None:
        """Go to ``target`` and select the ticket, at once or as soon as its event lists it
        (the answer of the request may come before the event)."""
        self.navigate(target)
        self._ticket_to_select = ticket_id
        self._select_pending_ticket()

    def _select_pending_ticket(self, *_args: object) -> None:
        ticket_id = self._ticket_to_select
        if ticket_id is None:
            return
        if self.current_target.ticket_view is None:
            self._ticket_to_select = None  # the agent went elsewhere meanwhile
        elif self.workspace.select_ticket(ticket_id):
            self._ticket_to_select = None
            self.workspace.ticket_view.setFocus()

    # --- sync and presence --------------------------------------------------------------------

    def _on_counts(self, counts: Counts) -> None:
        for view in View:
            self.navigation.set_count(view, counts.for_view(view))

    def _on_connection(self, state: ConnectionState) -> None:
        self.header.set_connection(state)
        if state is ConnectionState.CONNECTED:  # mentions are not cached: load them again
            self._mention_loads.run(self._context.mentions.load())
        self._context.presence.set_connection(state)
        if self._tray is not None:
            self._tray.set_connected(state is ConnectionState.CONNECTED)

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
            new_ticket = self._built_new_ticket()
            if new_ticket is not None:
                new_ticket.set_inboxes(directory.inboxes())
            self.navigation.set_inboxes(directory.inboxes())
            self._restore_expanded()
            self._apply_pending_location()
        if "canned" in change.what:
            directory.set_canned(store.canned())
        if "teams" in change.what:
            directory.set_teams(store.teams())
        if "labels" in change.what:
            directory.set_labels(store.labels())

    def _on_me_changed(self) -> None:
        me = self._context.directory.me
        if me is not None:
            self.header.set_agent_name(me.name)
        self.labels_action.setVisible(me is not None and me.role == "admin")

    def open_labels(self) -> LabelsDialog:
        """The admins' labels dialog (the open one is raised)."""
        if self.labels_dialog is None:
            from convos_desktop.ui.screens.labels_dialog import LabelsDialog

            dialog = LabelsDialog(self._context, self)
            dialog.finished.connect(self._forget_labels)
            self.labels_dialog = dialog
            dialog.open()
        self.labels_dialog.raise_()
        return self.labels_dialog

    def _forget_labels(self, _result: int) -> None:
        if self.labels_dialog is not None:
            self.labels_dialog.deleteLater()
            self.labels_dialog = None

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
        new_ticket = self._built_new_ticket()
        if new_ticket is not None:
            new_ticket.set_effective_status(status)
        self.popouts.set_effective_status(status)

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
        tray.ticketRequested.connect(self.show_notified_ticket)
        tray.quitRequested.connect(self.quit)
        tray.statusChosen.connect(self._on_tray_status)
        tray.set_chosen(self.header.chosen_status())
        self.app_menu.add_to_tray(tray)
        sync = self._context.sync
        tray.set_connected(sync.connection_state is ConnectionState.CONNECTED)
        sync.tickets_changed.connect(self._schedule_unread)
        sync.messages_changed.connect(self._schedule_unread)
        self.tickets.dataChanged.connect(self._schedule_unread)
        self._refresh_unread()
        tray.show()

    def show_notified_ticket(self, ticket_id: int) -> None:
        """A click on a notification about ``ticket_id``: its pop-out window when one shows
        it, else the main window with the ticket selected in the view that holds it."""
        window = self.popouts.window(ticket_id)
        if window is not None:
            if window.isMinimized():
                window.showNormal()
            window.raise_()
            window.activateWindow()
            return
        self.bring_back()
        self._open_existing_ticket(ticket_id)

    def bring_back(self) -> None:
        """Show the window again (from the tray or minimised) and give it the focus."""
        if self.isMinimized():
            self.showNormal()
        else:
            self.show()
        self.raise_()
        self.activateWindow()

    def _on_settings_saved(self) -> None:
        self.header.sound_button.setChecked(read_bool(self._context.settings, SOUND_KEY, True))

    def open_ticket_by_id(self, ticket_id: int) -> None:
        """Open ticket ``ticket_id`` (a second launch or a ``convos://ticket/ID`` link)."""
        self._open_started_ticket(ticket_id)

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
        inbox_value = str(settings.value(NAV_INBOX_KEY, "") or "")
        inbox_id = int(inbox_value) if inbox_value.isdigit() else None
        self._restore_expanded()
        self.navigate(target, inbox_id)
        if inbox_id is not None and self.current_location.inbox_id != inbox_id:
            self._pending_location = NavLocation(target, inbox_id)  # its inbox comes later

    # --- the tree's expansion -----------------------------------------------------------------

    def _expand_groups(self) -> None:
        root = self.navigation.invisibleRootItem()
        for row in range(root.rowCount()):
            self.nav_view.expand(self.navigation.index(row, 0))

    def _on_nav_collapsed(self, index: QModelIndex) -> None:
        if index.data(NavRole.IS_GROUP):
            self.nav_view.expand(index)  # the two groups stay open
            return
        self._save_expanded()

    def _expanded_views(self) -> list[str]:
        return [
            view.value
            for view in View
            if self.nav_view.isExpanded(self.navigation.index_of(NavTarget(view.value)))
        ]

    def _save_expanded(self) -> None:
        if not self._restoring_expansion:
            self._context.settings.setValue(NAV_EXPANDED_KEY, ",".join(self._expanded_views()))

    def _restore_expanded(self) -> None:
        saved = str(self._context.settings.value(NAV_EXPANDED_KEY, "") or "")
        wanted = {value for value in saved.split(",") if value}
        self._restoring_expansion = True
        try:
            for view in View:
                index = self.navigation.index_of(NavTarget(view.value))
                self.nav_view.setExpanded(index, view.value in wanted)
        finally:
            self._restoring_expansion = False

    def _apply_pending_location(self) -> None:
        pending = self._pending_location
        if pending is None or self.current_target is not pending.target:
            return
        if self.navigation.index_of(pending.target, pending.inbox_id).isValid():
            self.navigate(pending.target, pending.inbox_id)

    def save_state(self) -> None:
        settings = self._context.settings
        settings.setValue(GEOMETRY_KEY, self.saveGeometry())
        settings.setValue(STATE_KEY, self.saveState())
        settings.setValue(SPLITTER_KEY, self.splitter.saveState())
        settings.setValue(WORKSPACE_SPLITTER_KEY, self.workspace.splitter.saveState())
        self.popouts.save()
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
        keep_running = close_to_tray(self._context.settings)
        if self._tray is not None and not self._quitting and keep_running:
            event.ignore()
            self.hide()
            if not self.popouts.any_shown():  # a pop-out on screen keeps the agent here
                self._context.presence.set_window(WindowState.CLOSED_TO_TRAY)
            if not self._told_keeps_running:
                self._told_keeps_running = True
                self._tray.tell_keeps_running()
            return
        super().closeEvent(event)
        if self._tray is not None:
            self._tray.hide()
        self.closed.emit()
