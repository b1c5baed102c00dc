"""Name lookups the views need: agents, inboxes and contacts by id, and who is signed in."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from PySide6.QtCore import QObject, Signal

from convos_desktop.core.types import Agent, Canned, Contact, Inbox, Label, PresenceChanged, Team


class Directory(QObject):
    """The small, slowly changing lists (agents, teams, inboxes, contacts, quick replies,
    labels) by id.

    Fed by the wiring code from the store on bootstrap and on ``DirectoryChanged`` /
    ``ContactsChanged``; views and delegates read it to turn ids into names. ``changed`` tells
    them to repaint; ``contact_changed`` names the one contact that changed.
    """

    changed = Signal()
    contact_changed = Signal(int)
    me_changed = Signal()

    def __init__(
        self,
        load_contact: Callable[[int], Contact | None] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._load_contact = load_contact
        self._me: Agent | None = None
        self._agents: dict[int, Agent] = {}
        self._inboxes: dict[int, Inbox] = {}
        self._contacts: dict[int, Contact] = {}
        self._canned: tuple[Canned, ...] = ()
        self._teams: tuple[Team, ...] = ()
        self._labels: dict[int, Label] = {}

    # --- who is signed in -------------------------------------------------------------------

    @property
    def me(self) -> Agent | None:
        return self._me

    @property
    def me_id(self) -> int | None:
        return self._me.id if self._me else None

    def set_me(self, agent: Agent) -> None:
        self._me = agent
        self._agents[agent.id] = agent
        self.me_changed.emit()

    def apply_presence(self, change: PresenceChanged) -> None:
        """Record an agent's new status (mine included)."""
        agent = self._agents.get(change.agent_id)
        if agent is None:
            return
        updated = replace(agent, status=change.status, chosen_status=change.chosen_status)
        self._agents[agent.id] = updated
        if self._me is not None and self._me.id == agent.id:
            self._me = updated
            self.me_changed.emit()
        self.changed.emit()

    # --- lookups ----------------------------------------------------------------------------

    def agent(self, agent_id: int | None) -> Agent | None:
        return None if agent_id is None else self._agents.get(agent_id)

    def agent_name(self, agent_id: int | None) -> str:
        agent = self.agent(agent_id)
        return agent.name if agent else ""

    def inbox(self, inbox_id: int | None) -> Inbox | None:
        return None if inbox_id is None else self._inboxes.get(inbox_id)

    def inbox_name(self, inbox_id: int | None) -> str:
        inbox = self.inbox(inbox_id)
        return inbox.name if inbox else ""

    def inboxes(self) -> list[Inbox]:
        return sorted(self._inboxes.values(), key=lambda inbox: inbox.name.casefold())

    def agents(self) -> list[Agent]:
        return sorted(self._agents.values(), key=lambda agent: agent.name.casefold())

    def contact(self, contact_id: int | None) -> Contact | None:
        """A contact by id; a miss asks ``load_contact`` (the cache) once."""
        if contact_id is None:
            return None
        contact = self._contacts.get(contact_id)
        if contact is None and self._load_contact is not None:
            contact = self._load_contact(contact_id)
            if contact is not None:
                self._contacts[contact_id] = contact
        return contact

    def contact_name(self, contact_id: int | None) -> str:
        contact = self.contact(contact_id)
        return contact.name if contact else ""

    def canned(self) -> tuple[Canned, ...]:
        return self._canned

    def labels(self) -> list[Label]:
        """The workspace's labels, by name."""
        return sorted(self._labels.values(), key=lambda label: label.name.casefold())

    def labels_of(self, label_ids: Iterable[int]) -> list[Label]:
        """The known labels among ``label_ids``, by name (a deleted one is left out)."""
        found = [self._labels[i] for i in label_ids if i in self._labels]
        return sorted(found, key=lambda label: label.name.casefold())

    # --- updates ----------------------------------------------------------------------------

    def set_agents(self, agents: Iterable[Agent]) -> None:
        self._agents = {agent.id: agent for agent in agents}
        if self._me is not None:
            self._me = self._agents.get(self._me.id, self._me)
            self._agents[self._me.id] = self._me
        self.changed.emit()

    def set_inboxes(self, inboxes: Iterable[Inbox]) -> None:
        self._inboxes = {inbox.id: inbox for inbox in inboxes}
        self.changed.emit()

    def teams(self) -> tuple[Team, ...]:
        """Every team, by name."""
        return self._teams

    def set_teams(self, teams: Iterable[Team]) -> None:
        self._teams = tuple(sorted(teams, key=lambda t: t.name.casefold()))
        self.changed.emit()

    def set_labels(self, labels: Iterable[Label]) -> None:
        self._labels = {label.id: label for label in labels}
        self.changed.emit()

    def set_canned(self, canned: Iterable[Canned]) -> None:
        self._canned = tuple(sorted(canned, key=lambda c: c.shortcut.casefold()))
        self.changed.emit()

    def upsert_contacts(self, contacts: Iterable[Contact]) -> None:
        for contact in contacts:
            self._contacts[contact.id] = contact
            self.contact_changed.emit(contact.id)
