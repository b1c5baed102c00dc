"""The agent's mentions (``@name`` in a colleague's note): list, unread count, read marking.

Not cached: :class:`Mentions` loads ``GET /mentions`` after login and follows the
``mention.created`` / ``mention.updated`` events (``Sync.mention_event``). It emits
``changed()`` after any change and ``mentioned(Mention)`` for a new unread one (the
notification). Marking read is ``POST /mentions/{id}/read``; the answer is applied at once and
the event that follows changes nothing. A renamed contact (``Sync.contacts_changed``) renames
its mentions.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from convos_desktop.core.api import ApiClient
from convos_desktop.core.types import ContactsChanged, Message, parse_time

if TYPE_CHECKING:
    from convos_desktop.core.sync import Sync

log = logging.getLogger("convos.mentions")


@dataclass(frozen=True, slots=True)
class Mention:
    """One mention of the agent: the note, where it is, who wrote it, whether it was read."""

    id: int
    conversation_id: int
    ticket_id: int | None
    by_agent_id: int
    message: Message
    created_at: dt.datetime
    read: bool
    contact_id: int | None = None  # the conversation's contact, who the note is about
    contact_name: str = ""

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Mention:
        message = Message.from_json(d["message"])
        contact = d.get("contact") or {}
        return cls(
            id=int(d["id"]),
            conversation_id=int(d["conversation_id"]),
            contact_id=int(contact["id"]) if contact.get("id") is not None else None,
            contact_name=str(contact.get("name") or ""),
            ticket_id=d.get("ticket_id"),
            by_agent_id=int(d["by_agent_id"]),
            message=message,
            created_at=parse_time(d.get("created_at")) or message.created_at,
            read=d.get("read_at") is not None,
        )


class Mentions(QObject):
    """The newest mentions of the agent, newest first."""

    changed = Signal()
    mentioned = Signal(object)  # a new unread Mention

    def __init__(self, api: ApiClient) -> None:
        super().__init__()
        self._api = api
        self._items: dict[int, Mention] = {}
        self._unread_beyond = 0  # unread ones the server counted that are not loaded

    def follow(self, sync: Sync) -> None:
        """Take ``sync``'s ``mention.*`` events and its renamed contacts."""
        sync.mention_event.connect(self.apply)
        sync.contacts_changed.connect(self.apply_contacts)

    def items(self) -> list[Mention]:
        """The loaded mentions, newest first."""
        return sorted(self._items.values(), key=lambda m: m.id, reverse=True)

    def unread(self) -> int:
        """How many mentions are unread."""
        return self._unread_beyond + sum(1 for m in self._items.values() if not m.read)

    async def load(self) -> None:
        """Load the newest page (after login and after a reconnection)."""
        page = await self._api.mentions(limit=100)
        self._items = {m.id: m for m in map(Mention.from_json, page["items"])}
        loaded_unread = sum(1 for m in self._items.values() if not m.read)
        self._unread_beyond = max(0, int(page.get("unread", 0)) - loaded_unread)
        self.changed.emit()

    def apply(self, data: dict[str, Any]) -> None:
        """A ``mention.*`` event's Mention (or a read answer)."""
        if not data:
            return
        mention = Mention.from_json(data)
        known = self._items.get(mention.id)
        if known is not None and known.read and not mention.read:
            mention = replace(mention, read=True)  # an older event after the read answer
        self._items[mention.id] = mention
        self.changed.emit()
        if known is None and not mention.read:
            self.mentioned.emit(mention)

    def apply_contacts(self, change: ContactsChanged) -> None:
        """Renamed contacts (``contact.updated``, an edit's answer): their mentions follow."""
        names = {contact.id: contact.name for contact in change.contacts}
        renamed = {
            mention.id: replace(mention, contact_name=names[mention.contact_id])
            for mention in self._items.values()
            if mention.contact_id in names and mention.contact_name != names[mention.contact_id]
        }
        if renamed:
            self._items.update(renamed)
            self.changed.emit()

    async def mark_read(self, mention_id: int) -> None:
        """Mark one mention read on the server."""
        known = self._items.get(mention_id)
        if known is None or known.read:
            return
        self.apply(await self._api.read_mention(mention_id))
