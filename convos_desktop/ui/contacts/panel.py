"""What the contact dock shows for the open ticket, and saving the agent's edits of it."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import QObject

from convos_desktop.core.api import ConflictError, NotFoundError
from convos_desktop.core.types import Ticket
from convos_desktop.ui.contacts.contact_dock import ContactDock
from convos_desktop.ui.context import ClientContext
from convos_desktop.ui.tasks import TaskRunner

CONTACT_TICKETS = 20  # the contact's latest tickets listed in the contact dock


class ContactPanel(QObject):
    """Fills ``dock`` for the shown ticket's contact and saves its edits.

    The card shows the cached contact at once; files, activity and the contact's tickets
    follow from the server (an answer for a contact no longer shown is dropped). An edit goes
    to ``Sync.update_contact``: the answer reaches the cache and the directory the way the
    ``contact.updated`` event does, and the card follows the directory.
    """

    def __init__(self, context: ClientContext, dock: ContactDock, parent: QObject) -> None:
        super().__init__(parent)
        self._context = context
        self._dock = dock
        self._shown: Ticket | None = None
        self._tasks = TaskRunner()
        dock.editRequested.connect(self._save)
        context.directory.contact_changed.connect(self._on_contact_changed)

    def show_for(self, ticket: Ticket) -> None:
        """Show ``ticket``'s contact: the cached card now, the rest when the server answers."""
        self._shown = ticket
        self._dock.set_contact(self._context.directory.contact(ticket.contact_id))
        self._dock.tickets_panel.set_shown(ticket.id)
        self._tasks.run(self._fill(ticket.contact_id))

    def ticket_changed(self, ticket: Ticket) -> None:
        """A ticket changed: the shown one is kept current, the contact's list follows."""
        shown = self._shown
        if shown is None:
            return
        if ticket.id == shown.id:
            self._shown = ticket
        if ticket.contact_id == shown.contact_id:
            self._dock.tickets_panel.upsert(ticket)

    async def _fill(self, contact_id: int) -> None:
        api = self._context.api
        files, activities, tickets = await asyncio.gather(
            api.contact_files(contact_id),
            api.contact_activities(contact_id),
            api.tickets(contact_id=contact_id, limit=CONTACT_TICKETS),
        )
        shown = self._shown
        if shown is not None and shown.contact_id == contact_id:
            self._dock.set_contact(self._context.directory.contact(contact_id), files, activities)
            self._dock.tickets_panel.set_tickets(tickets.items, shown.id)

    def _on_contact_changed(self, contact_id: int) -> None:
        if self._shown is not None and self._shown.contact_id == contact_id:
            self._tasks.run(self._fill(contact_id))

    def _save(self, contact_id: int, changes: dict[str, object]) -> None:
        self._tasks.run(self._save_changes(contact_id, changes), on_error=self._dock.save_finished)

    async def _save_changes(self, contact_id: int, changes: dict[str, object]) -> None:
        try:
            await self._context.sync.update_contact(contact_id, changes)
        except ConflictError as exc:
            if exc.code != "contact_exists" or exc.contact_id is None:
                raise
            field = "email" if exc.extra.get("field") == "email" else "phone"
            try:
                name = (await self._context.api.contact(exc.contact_id)).name
            except NotFoundError:  # a contact of another team's inboxes: named by number
                name = None
            self._dock.save_refused_duplicate(field, exc.contact_id, name)
            return
        self._dock.save_finished(None)

    async def shutdown(self) -> None:
        self._tasks.cancel_all()
        await self._tasks.wait_idle()
