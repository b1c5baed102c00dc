"""Who is looking at or typing in a conversation now (collision detection); never stored.

``LiveState`` keeps, per server process and in memory, the agents viewing each conversation
and who is typing there (agents: a reply or a note; the customer, told by its channel). Every
change goes out as an ephemeral event through ``EventBus.publish_ephemeral``:

- ``conversation.viewing`` ``{conversation_id, agent_id, viewing: bool}``
- ``conversation.typing`` ``{conversation_id, sender_type: "agent"|"contact",
  agent_id: int|null, kind: "text"|"note"|null, typing: bool}``

They go to the agents viewing the conversation (the only ones who show them: the chat header),
never to the whole inbox, so a typing agent costs a few writes whatever the number of agents
connected. Only changes are published: a viewer's heartbeat (the client repeats ``viewing``
every ``VIEW_TTL_S / 3``) costs nothing on the bus. An entry whose heartbeat stopped expires
(``viewing: false`` / ``typing: false``), and an agent whose last event stream ends leaves
every conversation at once (``EventBus.on_agent_gone``). A multi-process deployment relays the
events in ``publish_ephemeral``; this state would then be kept per process, each process
publishing the changes of its own clients."""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Callable
from dataclasses import dataclass

from convos_server.services.events import EventBus

# Three heartbeats / two repeats of the desktop client (``convos_desktop/core/live.py``).
VIEW_TTL_S = 90.0
TYPING_TTL_S = 10.0
SWEEP_S = 1.0
KNOWN_INBOXES = 20_000
Clock = Callable[[], float]


@dataclass(slots=True)
class _Entry:
    inbox_id: int
    expires: float
    kind: str | None = None  # typing only: "text" or "note"


class LiveState:
    """Viewers and typists per conversation; publishes every change as an ephemeral event."""

    def __init__(self, bus: EventBus, *, clock: Clock = time.monotonic) -> None:
        self._bus = bus
        self._clock = clock
        self._viewers: dict[int, dict[int, _Entry]] = {}
        self._typing: dict[int, dict[int, _Entry]] = {}
        # conversation id -> inbox id of the conversations seen lately (a conversation never
        # changes inbox and is never deleted), most recent last.
        self._inboxes: collections.OrderedDict[int, int] = collections.OrderedDict()
        bus.on_agent_gone = self.agent_gone

    # -- agents ----------------------------------------------------------------------------

    def view(self, agent_id: int, conversation_id: int, inbox_id: int, viewing: bool) -> None:
        """The agent opened (heartbeat) or left the conversation."""
        self._know(conversation_id, inbox_id)
        viewers = self._viewers.setdefault(conversation_id, {})
        known = agent_id in viewers
        if viewing:
            viewers[agent_id] = _Entry(inbox_id, self._clock() + VIEW_TTL_S)
            if not known:
                self._publish_view(conversation_id, agent_id, inbox_id, True)
            return
        self.type(agent_id, conversation_id, inbox_id, None)
        if known:
            del viewers[agent_id]
            self._publish_view(conversation_id, agent_id, inbox_id, False)
        if not viewers:
            self._viewers.pop(conversation_id, None)

    def type(self, agent_id: int, conversation_id: int, inbox_id: int, kind: str | None) -> None:
        """The agent types a reply (``text``), a note, or stopped (``None``)."""
        self._know(conversation_id, inbox_id)
        typists = self._typing.setdefault(conversation_id, {})
        before = typists.get(agent_id)
        if kind is None:
            if before is not None:
                del typists[agent_id]
                self._publish_typing(conversation_id, agent_id, inbox_id, None)
        else:
            typists[agent_id] = _Entry(inbox_id, self._clock() + TYPING_TTL_S, kind)
            if before is None or before.kind != kind:
                self._publish_typing(conversation_id, agent_id, inbox_id, kind)
        if not typists:
            self._typing.pop(conversation_id, None)

    def sent(self, agent_id: int, conversation_id: int) -> None:
        """The agent's message (a reply or a note) arrived: it no longer types there (its
        client sends no stop call after a send)."""
        entry = self._typing.get(conversation_id, {}).get(agent_id)
        if entry is not None:
            self.type(agent_id, conversation_id, entry.inbox_id, None)

    def viewer_inbox(self, agent_id: int, conversation_id: int) -> int | None:
        """The conversation's inbox when the agent views it now (its visibility was checked by
        its last ``viewing`` heartbeat), else ``None``: a typing call then skips the database."""
        entry = self._viewers.get(conversation_id, {}).get(agent_id)
        return entry.inbox_id if entry is not None else None

    def inbox_of(self, conversation_id: int) -> int | None:
        """The conversation's inbox when someone viewed or typed in it lately (one of the last
        ``KNOWN_INBOXES`` conversations), else ``None``."""
        return self._inboxes.get(conversation_id)

    def _know(self, conversation_id: int, inbox_id: int) -> None:
        inboxes = self._inboxes
        if inboxes.get(conversation_id) == inbox_id:
            inboxes.move_to_end(conversation_id)
            return
        inboxes[conversation_id] = inbox_id
        if len(inboxes) > KNOWN_INBOXES:
            inboxes.popitem(last=False)

    def viewers(self, conversation_id: int) -> list[dict[str, object]]:
        """``[{agent_id, typing: kind|null}]`` of the agents viewing the conversation now."""
        typists = self._typing.get(conversation_id, {})
        viewing = sorted(self._viewers.get(conversation_id, {}))
        return [
            {"agent_id": a, "typing": typists[a].kind if a in typists else None} for a in viewing
        ]

    def agents_typing_text(self, conversation_ids: set[int] | None = None) -> list[int]:
        """Conversations where an agent types a reply (never a note: notes stay inside)."""
        return sorted(
            conversation_id
            for conversation_id, typists in self._typing.items()
            if (conversation_ids is None or conversation_id in conversation_ids)
            and any(e.kind == "text" for e in typists.values())
        )

    def agent_gone(self, agent_id: int) -> None:
        """The agent's last event stream ended: it leaves every conversation."""
        for conversation_id, viewers in list(self._viewers.items()):
            entry = viewers.get(agent_id)
            if entry is not None:
                self.view(agent_id, conversation_id, entry.inbox_id, False)
        for conversation_id, typists in list(self._typing.items()):
            entry = typists.get(agent_id)
            if entry is not None:
                self.type(agent_id, conversation_id, entry.inbox_id, None)

    # -- customers -------------------------------------------------------------------------

    def contact_typing(self, conversation_id: int, inbox_id: int) -> None:
        """The channel says its customer is typing (the client shows it for a few seconds)."""
        self._publish(
            "conversation.typing",
            {
                "conversation_id": conversation_id,
                "sender_type": "contact",
                "agent_id": None,
                "kind": "text",
                "typing": True,
            },
            inbox_id,
        )

    # -- expiry ----------------------------------------------------------------------------

    def sweep(self) -> None:
        """Drop the entries whose heartbeat stopped, publishing the change."""
        now = self._clock()
        for conversation_id, viewers in list(self._viewers.items()):
            for agent_id, entry in list(viewers.items()):
                if entry.expires <= now:
                    self.view(agent_id, conversation_id, entry.inbox_id, False)
        for conversation_id, typists in list(self._typing.items()):
            for agent_id, entry in list(typists.items()):
                if entry.expires <= now:
                    self.type(agent_id, conversation_id, entry.inbox_id, None)

    async def sweep_forever(self, every_s: float = SWEEP_S) -> None:
        """``sweep`` every ``every_s`` seconds until cancelled."""
        while True:
            await asyncio.sleep(every_s)
            self.sweep()

    def _publish(
        self, type_: str, data: dict[str, object], inbox_id: int, actor: int | None = None
    ) -> None:
        """To the agents viewing the conversation now but ``actor``, whom it is about (its
        clients would ignore it: half the frames of a conversation with two viewers)."""
        audience = set(self._viewers.get(int(str(data["conversation_id"])), {}))
        if actor is not None:
            audience.discard(actor)
        self._bus.publish_ephemeral(type_, data, inbox_id=inbox_id, agent_ids=audience)

    def _publish_view(self, conversation_id: int, agent_id: int, inbox_id: int, on: bool) -> None:
        self._publish(
            "conversation.viewing",
            {"conversation_id": conversation_id, "agent_id": agent_id, "viewing": on},
            inbox_id,
            agent_id,
        )

    def _publish_typing(
        self, conversation_id: int, agent_id: int, inbox_id: int, kind: str | None
    ) -> None:
        self._publish(
            "conversation.typing",
            {
                "conversation_id": conversation_id,
                "sender_type": "agent",
                "agent_id": agent_id,
                "kind": kind,
                "typing": kind is not None,
            },
            inbox_id,
            agent_id,
        )
