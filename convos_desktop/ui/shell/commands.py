"""The keyboard-first layer of the main window: command palette, message search, cheat sheet.

- Ctrl+K: the palette over every action the registry collects, the screens, the open
  tickets and the cached contacts (read off the GUI thread when it opens).
- Ctrl+Shift+K: message search (cache or workspace); a result opens its conversation in the
  workspace, scrolled to the message (:class:`~convos_desktop.ui.chat.reveal.MessageRevealer`).
- F1, or ``?`` when the focus is not in a text field: the shortcut cheat sheet, generated from
  the same registry.

A contact with an open ticket opens it; any other contact starts the New ticket screen
with the contact chosen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
)

from convos_desktop.core.types import Contact, Message, Ticket
from convos_desktop.models.commands import Command, CommandKind
from convos_desktop.models.navigation import NavTarget
from convos_desktop.ui.chat.reveal import MessageRevealer
from convos_desktop.ui.shell.command_palette import CommandPalette
from convos_desktop.ui.shell.command_registry import HIDDEN_PROPERTY, CommandRegistry, key_text
from convos_desktop.ui.shell.message_search import MessageSearchDialog
from convos_desktop.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from convos_desktop.ui.shell.main_window import MainWindow
    from convos_desktop.ui.shell.shortcut_sheet import ShortcutSheet

PALETTE_KEY = "Ctrl+K"
SEARCH_KEY = "Ctrl+Shift+K"
SHEET_KEY = "F1"
SHEET_KEY_ALT = "?"


def typing_in_text(widget: object) -> bool:
    """Whether ``widget`` (the focus) takes typed text, so ``?`` is a character there."""
    if isinstance(widget, QComboBox):
        return widget.isEditable()
    return isinstance(widget, QLineEdit | QTextEdit | QPlainTextEdit | QAbstractSpinBox)


class CommandCenter(QObject):
    """See the module docstring. Owns the three actions, the registry and the dialogs."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self._context = window._context
        self._tasks = TaskRunner()
        self.registry = CommandRegistry(window, window.navigate)
        self.palette = CommandPalette(window)
        self.search = MessageSearchDialog(self._context, window)
        self.search.openRequested.connect(self.open_message)
        self.sheet: ShortcutSheet | None = None
        workspace = window.workspace
        self.revealer = MessageRevealer(workspace.chat, workspace.messages)
        self.palette_action = self._action(
            self.tr("Command palette"), PALETTE_KEY, self.open_palette, hidden=True
        )
        self.search_action = self._action(self.tr("Search messages…"), SEARCH_KEY, self.open_search)
        self.sheet_action = self._action(
            self.tr("Keyboard shortcuts"), SHEET_KEY, self.open_sheet, hidden=False
        )
        self.question_key = QShortcut(QKeySequence(SHEET_KEY_ALT), window)
        self.question_key.activated.connect(self._on_question_key)
        for action in (self.search_action, self.sheet_action):
            window.app_menu.menu.insertAction(window.app_menu.about_action, action)
        window.app_menu.menu.insertSeparator(window.app_menu.about_action)

    def _action(self, title: str, key: str, slot: object, *, hidden: bool = False) -> QAction:
        action = QAction(title, self._window)
        action.setShortcut(QKeySequence(key))
        action.triggered.connect(slot)
        if hidden:
            action.setProperty(HIDDEN_PROPERTY, True)  # the palette does not list itself
        self._window.addAction(action)
        return action

    # --- palette ----------------------------------------------------------------------------

    def open_palette(self) -> CommandPalette:
        """Show the palette: actions and screens at once, tickets and contacts when read."""
        self.palette.present(self.registry.actions() + self.registry.screens())
        self._tasks.run(self._add_records())
        return self.palette

    async def _add_records(self) -> None:
        store = self._context.store
        tickets = await store.read_tickets()
        contacts = await store.read_contacts()
        open_by_contact = {t.contact_id: t for t in reversed(tickets)}
        commands = [self._ticket_command(t) for t in tickets]
        commands += [self._contact_command(c, open_by_contact.get(c.id)) for c in contacts]
        self.palette.add_commands(commands)

    def _ticket_command(self, ticket: Ticket) -> Command:
        directory = self._context.directory
        name = directory.contact_name(ticket.contact_id) or self.tr("Ticket #{id}").format(
            id=ticket.id
        )
        detail = "  ·  ".join(
            part
            for part in (
                f"#{ticket.id}",
                directory.inbox_name(ticket.inbox_id),
                ticket.last_message.body.split("\n")[0][:60] if ticket.last_message else "",
            )
            if part
        )
        return Command(
            CommandKind.TICKET,
            name,
            lambda: self._window.show_ticket(ticket),
            detail=detail,
            keywords=f"#{ticket.id}",
        )

    def _contact_command(self, contact: Contact, open_ticket: Ticket | None) -> Command:
        details = [v for v in (contact.phone, contact.email, contact.external_id) if v]
        if open_ticket is not None:
            details.insert(0, self.tr("open ticket #{id}").format(id=open_ticket.id))
        return Command(
            CommandKind.CONTACT,
            contact.name,
            lambda: self._open_contact(contact, open_ticket),
            detail="  ·  ".join(details),
            keywords=" ".join(v for v in (contact.phone, contact.email) if v),
        )

    def _open_contact(self, contact: Contact, open_ticket: Ticket | None) -> None:
        if open_ticket is not None:
            self._window.show_ticket(open_ticket)
            return
        self._window.navigate(NavTarget.NEW_TICKET)
        self._window.new_ticket.choose_contact(contact)

    # --- search -----------------------------------------------------------------------------

    def open_search(self) -> MessageSearchDialog:
        self.search.present()
        return self.search

    def open_message(self, message: Message) -> None:
        """Open the conversation of ``message`` in the workspace, scrolled to it."""
        store = self._context.store
        ticket = store.ticket(message.ticket_id) if message.ticket_id else None
        ticket = ticket or store.ticket_for_conversation(message.conversation_id)
        if ticket is not None:
            self._show(ticket, message)
            return
        self._tasks.run(self._fetch_and_show(message), on_error=self.search.status.setText)

    async def _fetch_and_show(self, message: Message) -> None:
        api = self._context.api
        ticket_id = message.ticket_id
        if ticket_id is None:
            ticket_id = (await api.conversation(message.conversation_id)).open_ticket_id
        if ticket_id is None:
            tr = QCoreApplication.translate
            self.search.status.setText(
                tr("CommandCenter", "This conversation has no ticket to open it in.")
            )
            self.search.present()
            return
        detail = await api.ticket(ticket_id)
        self._context.directory.upsert_contacts([detail.contact])
        self._show(detail.ticket, message)

    def _show(self, ticket: Ticket, message: Message) -> None:
        self._window.show_ticket(ticket)
        self.revealer.reveal(message.conversation_id, message.id)

    # --- cheat sheet ------------------------------------------------------------------------

    def sheet_rows(self) -> list[tuple[str, str]]:
        """Every collected shortcut, then the palette's own keys."""
        native = key_text
        rows = [(self.tr("Command palette"), native(QKeySequence(PALETTE_KEY)))]
        rows += self.registry.shortcuts()
        rows += [
            (self.tr("Keyboard shortcuts (outside a text field)"), SHEET_KEY_ALT),
            (self.tr("Palette and search: move in the list"), "↑ ↓"),
            (self.tr("Palette and search: open the selected entry"), self.tr("Enter")),
            (self.tr("Close the palette, the search or this sheet"), self.tr("Esc")),
        ]
        return rows

    def open_sheet(self) -> ShortcutSheet:
        if self.sheet is None:
            from convos_desktop.ui.shell.shortcut_sheet import ShortcutSheet

            self.sheet = ShortcutSheet(self._window)
        self.sheet.set_rows(self.sheet_rows())
        self.sheet.show()
        self.sheet.raise_()
        self.sheet.activateWindow()
        return self.sheet

    def _on_question_key(self) -> None:
        if not typing_in_text(QApplication.focusWidget()):
            self.open_sheet()

    async def shutdown(self) -> None:
        """Wait for what is still asked of the cache and the server (before they close)."""
        await self._tasks.wait_idle()
        await self.search.shutdown()
