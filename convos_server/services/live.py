"""Who is looking at or typing in a conversation now (collision detection); never stored.

``LiveState`` keeps in memory the agents viewing each conversation and who is typing there
(agents: a reply or a note; the customer, told by its channel). Every change goes out as an
ephemeral event through ``EventBus.publish_ephemeral``:

- ``conversation.viewing`` ``{conversation_id, agent_id, viewing: bool}``
- ``conversation.typing`` ``{conversation_id, sender_type: "agent"|"contact",
  agent_id: int|null, kind: "text"|"note"|null, typing: bool}``

They go to the agents viewing the conversation (the only ones who show them: the chat header),
never to the whole inbox, so a typing agent costs a few writes whatever the number of agents
connected. Only changes are published: a viewer's heartbeat (the client repeats ``viewing``
every ``VIEW_TTL_S / 3``) costs nothing on the bus. An entry whose heartbeat stopped expires
(``viewing: false`` / ``typing: false``), and an agent whose last event stream ends leaves
every conversation at once (``EventBus.on_agent_gone``).

Several server processes (PostgreSQL): behind a balancer an agent's calls land on any process,
its stream on one. Every process holds the whole state, as a mirror: an entry is made of
*parts*, one per process that received the agent's calls lately (``expires`` for this
process's own part, ``origins`` for the others'), and it is visible while any part lives.
Each process expires only its own parts (their heartbeats came to it) and sends its changes
to the others (``relay``: ``services.live_relay`` carries them over PostgreSQL NOTIFY); the
others apply them with ``apply`` and publish the visible changes to their own streams, exactly
as for a change of their own. What the agent's client says (left, stopped typing, sent) ends
every part at once; a part's heartbeat that changes nothing is not relayed. Which processes
hold an agent's streams is mirrored as well: the agent leaves when its last stream anywhere
ends. A process that stops talking (killed) is forgotten by the others (``forget``) with all
its parts, and a full ``snapshot`` of a process's own parts, sent when asked and now and
then, replaces what the others hold of it (``begin_snapshot`` .. ``end_snapshot``)."""

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
# A change for the other processes (see ``services.live_relay`` for the codes).
Op = list[object]
Relay = Callable[[Op], None]


@dataclass(slots=True)
class _Entry:
    inbox_id: int
    expires: float | None  # this process's part: when it runs out; None: no part here
    kind: str | None = None  # typing only: "text" or "note"
    origins: set[str] | None = None  # the other processes holding a part

    def alive(self) -> bool:
        return self.expires is not None or bool(self.origins)

    def add_origin(self, origin: str) -> bool:
        """Note ``origin``'s part; whether it is new."""
        if self.origins is None:
            self.origins = {origin}
            return True
        if origin in self.origins:
            return False
        self.origins.add(origin)
        return True


class LiveState:
    """Viewers and typists per conversation; publishes every change as an ephemeral event.

    ``relay`` (set by ``LiveRelay``) receives this process's changes for the others."""

    def __init__(self, bus: EventBus, *, clock: Clock = time.monotonic) -> None:
        self._bus = bus
        self._clock = clock
        self._viewers: dict[int, dict[int, _Entry]] = {}
        self._typing: dict[int, dict[int, _Entry]] = {}
        # conversation id -> inbox id of the conversations seen lately (a conversation never
        # changes inbox and is never deleted), most recent last.
        self._inboxes: collections.OrderedDict[int, int] = collections.OrderedDict()
        # agent id -> the other processes holding event streams of the agent.
        self._streams: dict[int, set[str]] = {}
        # origin -> the parts its snapshot in progress named (``begin_snapshot``).
        self._snapshots: dict[str, set[tuple[object, ...]]] = {}
        self.relay: Relay | None = None
        bus.on_agent_gone = self.agent_gone
        bus.on_agent_here = self.agent_here

    # -- agents ----------------------------------------------------------------------------

    def view(self, agent_id: int, conversation_id: int, inbox_id: int, viewing: bool) -> None:
        """The agent opened (heartbeat) or left the conversation."""
        self._know(conversation_id, inbox_id)
        viewers = self._viewers.get(conversation_id)
        entry = viewers.get(agent_id) if viewers is not None else None
        if viewing:
            expires = self._clock() + VIEW_TTL_S
            if entry is None:
                self._viewers.setdefault(conversation_id, {})[agent_id] = _Entry(inbox_id, expires)
                self._publish_view(conversation_id, agent_id, inbox_id, True)
                self._relay(["v", conversation_id, inbox_id, agent_id, 1])
            else:
                if entry.expires is None:  # a part here now: the others keep the viewer
                    self._relay(["v", conversation_id, inbox_id, agent_id, 1])
                entry.expires = expires
            return
        if entry is not None or agent_id in self._typing.get(conversation_id, {}):
            self._relay(["V", conversation_id, inbox_id, agent_id])
            self._leave(conversation_id, agent_id, told=True)

    def type(self, agent_id: int, conversation_id: int, inbox_id: int, kind: str | None) -> None:
        """The agent types a reply (``text``), a note, or stopped (``None``)."""
        self._know(conversation_id, inbox_id)
        typists = self._typing.get(conversation_id)
        entry = typists.get(agent_id) if typists is not None else None
        if kind is None:
            if entry is not None:
                self._relay(["T", conversation_id, inbox_id, agent_id])
                self._stop_typing(conversation_id, agent_id, told=True)
            return
        expires = self._clock() + TYPING_TTL_S
        if entry is None:
            entry = _Entry(inbox_id, expires, kind)
            self._typing.setdefault(conversation_id, {})[agent_id] = entry
            self._publish_typing(conversation_id, agent_id, inbox_id, kind)
            self._relay(["t", conversation_id, inbox_id, agent_id, kind])
            return
        new_part, entry.expires = entry.expires is None, expires
        if entry.kind != kind:
            entry.kind = kind
            self._publish_typing(conversation_id, agent_id, inbox_id, kind)
        elif not new_part:
            return
        self._relay(["t", conversation_id, inbox_id, agent_id, kind])

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

    def agent_here(self, agent_id: int) -> None:
        """The agent's first event stream in this process started."""
        self._relay(["s", agent_id, 1])

    def agent_gone(self, agent_id: int) -> None:
        """The agent's last event stream in this process ended: it leaves every conversation
        unless it holds a stream in another process."""
        self._relay(["s", agent_id, 0])
        if not self._streams.get(agent_id):
            self._leave_everything(agent_id)

    def _leave_everything(self, agent_id: int) -> None:
        """The agent has no stream anywhere: every process drops all its parts itself."""
        for conversation_id, viewers in list(self._viewers.items()):
            if agent_id in viewers:
                self._leave(conversation_id, agent_id)
        for conversation_id, typists in list(self._typing.items()):
            if agent_id in typists:
                self._stop_typing(conversation_id, agent_id)

    def _leave(self, conversation_id: int, agent_id: int, *, told: bool = False) -> None:
        """The agent no longer views the conversation (nor types there): every part ends.

        Unless the others were ``told`` (the agent's own call here), this process's part, if
        it had one, is said to have ended: a heartbeat of it relayed just before may have
        crossed the reason on its way to a third process."""
        self._stop_typing(conversation_id, agent_id, told=told)
        entry = _pop(self._viewers, conversation_id, agent_id)
        if entry is None:
            return
        if not told and entry.expires is not None:
            self._relay(["v", conversation_id, entry.inbox_id, agent_id, 0])
        self._publish_view(conversation_id, agent_id, entry.inbox_id, False)

    def _stop_typing(self, conversation_id: int, agent_id: int, *, told: bool = False) -> None:
        entry = _pop(self._typing, conversation_id, agent_id)
        if entry is None:
            return
        if not told and entry.expires is not None:
            self._relay(["t", conversation_id, entry.inbox_id, agent_id, None])
        self._publish_typing(conversation_id, agent_id, entry.inbox_id, None)

    # -- customers -------------------------------------------------------------------------

    def contact_typing(self, conversation_id: int, inbox_id: int) -> None:
        """The channel says its customer is typing (the client shows it for a few seconds)."""
        self._relay(["c", conversation_id, inbox_id])
        self._publish_contact_typing(conversation_id, inbox_id)

    def _publish_contact_typing(self, conversation_id: int, inbox_id: int) -> None:
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

    # -- other processes -------------------------------------------------------------------

    def _relay(self, op: Op) -> None:
        if self.relay is not None:
            self.relay(op)

    def apply(self, origin: str, op: Op) -> None:
        """A change of process ``origin`` (one of the ops this class relays)."""
        code = op[0]
        seen = self._snapshots.get(origin)
        if code == "s":
            agent_id = _int(op[1])
            if seen is not None:
                seen.add(("s", agent_id))
            self._remote_streams(origin, agent_id, bool(op[2]))
            return
        conversation_id, inbox_id = _int(op[1]), _int(op[2])
        self._know(conversation_id, inbox_id)
        if code == "c":
            self._publish_contact_typing(conversation_id, inbox_id)
            return
        agent_id = _int(op[3])
        if code == "v":
            if seen is not None:
                seen.add(("v", conversation_id, agent_id))
            if op[4]:
                self._remote_view(origin, conversation_id, inbox_id, agent_id)
            else:
                self._end_view_part(origin, conversation_id, agent_id)
        elif code == "t":
            kind = op[4]
            if seen is not None:
                seen.add(("t", conversation_id, agent_id))
            if kind in ("text", "note"):
                self._remote_typing(origin, conversation_id, inbox_id, agent_id, str(kind))
            else:
                self._end_typing_part(origin, conversation_id, agent_id)
        elif code == "V":
            self._leave(conversation_id, agent_id)
        elif code == "T":
            self._stop_typing(conversation_id, agent_id)

    def _remote_view(self, origin: str, conversation_id: int, inbox_id: int, agent_id: int) -> None:
        viewers = self._viewers.setdefault(conversation_id, {})
        entry = viewers.get(agent_id)
        if entry is None:
            viewers[agent_id] = _Entry(inbox_id, None, origins={origin})
            self._publish_view(conversation_id, agent_id, inbox_id, True)
        else:
            entry.add_origin(origin)

    def _remote_typing(
        self, origin: str, conversation_id: int, inbox_id: int, agent_id: int, kind: str
    ) -> None:
        typists = self._typing.setdefault(conversation_id, {})
        entry = typists.get(agent_id)
        if entry is None:
            typists[agent_id] = _Entry(inbox_id, None, kind, {origin})
        else:
            entry.add_origin(origin)
            if entry.kind == kind:
                return
            entry.kind = kind
        self._publish_typing(conversation_id, agent_id, inbox_id, kind)

    def _end_view_part(self, origin: str | None, conversation_id: int, agent_id: int) -> None:
        """``origin``'s part (``None``: this process's) ran out; the viewer leaves with its
        last part."""
        if _end_part(self._viewers, origin, conversation_id, agent_id):
            self._leave(conversation_id, agent_id)

    def _end_typing_part(self, origin: str | None, conversation_id: int, agent_id: int) -> None:
        if _end_part(self._typing, origin, conversation_id, agent_id):
            self._stop_typing(conversation_id, agent_id)

    def _remote_streams(self, origin: str, agent_id: int, holds: bool) -> None:
        if holds:
            self._streams.setdefault(agent_id, set()).add(origin)
            return
        origins = self._streams.get(agent_id)
        if origins is None or origin not in origins:
            return
        origins.discard(origin)
        if not origins:
            del self._streams[agent_id]
            if not self._bus.streams_of(agent_id):
                self._leave_everything(agent_id)

    def forget(self, origin: str) -> None:
        """Process ``origin`` is gone (stopped, killed, or silent too long): its parts end, and
        the agents whose last stream it held leave."""
        self._snapshots.pop(origin, None)
        self._drop_parts(origin, set())

    def begin_snapshot(self, origin: str) -> None:
        """The ops of ``origin`` until ``end_snapshot`` are all its parts and streams."""
        self._snapshots[origin] = set()

    def end_snapshot(self, origin: str) -> None:
        """``origin``'s parts and streams its snapshot did not name end."""
        seen = self._snapshots.pop(origin, None)
        if seen is not None:
            self._drop_parts(origin, seen)

    def _drop_parts(self, origin: str, keep: set[tuple[object, ...]]) -> None:
        for conversation_id, viewers in list(self._viewers.items()):
            for agent_id, entry in list(viewers.items()):
                part = ("v", conversation_id, agent_id)
                if entry.origins and origin in entry.origins and part not in keep:
                    self._end_view_part(origin, conversation_id, agent_id)
        for conversation_id, typists in list(self._typing.items()):
            for agent_id, entry in list(typists.items()):
                part = ("t", conversation_id, agent_id)
                if entry.origins and origin in entry.origins and part not in keep:
                    self._end_typing_part(origin, conversation_id, agent_id)
        for agent_id, origins in list(self._streams.items()):
            if origin in origins and ("s", agent_id) not in keep:
                self._remote_streams(origin, agent_id, False)

    def snapshot(self) -> list[Op]:
        """This process's parts and the agents holding streams here, as ops."""
        ops: list[Op] = [["s", agent_id, 1] for agent_id in self._bus.streaming_agents()]
        for conversation_id, viewers in self._viewers.items():
            for agent_id, entry in viewers.items():
                if entry.expires is not None:
                    ops.append(["v", conversation_id, entry.inbox_id, agent_id, 1])
        for conversation_id, typists in self._typing.items():
            for agent_id, entry in typists.items():
                if entry.expires is not None:
                    ops.append(["t", conversation_id, entry.inbox_id, agent_id, entry.kind])
        return ops

    # -- expiry ----------------------------------------------------------------------------

    def sweep(self) -> None:
        """End this process's parts whose heartbeat stopped, telling the others; an entry
        without parts left goes, publishing the change."""
        now = self._clock()
        for conversation_id, viewers in list(self._viewers.items()):
            for agent_id, entry in list(viewers.items()):
                if entry.expires is not None and entry.expires <= now:
                    self._relay(["v", conversation_id, entry.inbox_id, agent_id, 0])
                    self._end_view_part(None, conversation_id, agent_id)
        for conversation_id, typists in list(self._typing.items()):
            for agent_id, entry in list(typists.items()):
                if entry.expires is not None and entry.expires <= now:
                    self._relay(["t", conversation_id, entry.inbox_id, agent_id, None])
                    self._end_typing_part(None, conversation_id, agent_id)

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


Table = dict[int, dict[int, _Entry]]


def _pop(table: Table, conversation_id: int, agent_id: int) -> _Entry | None:
    """Take the agent's entry of the conversation out of ``table``."""
    entries = table.get(conversation_id)
    if entries is None:
        return None
    entry = entries.pop(agent_id, None)
    if not entries:
        del table[conversation_id]
    return entry


def _end_part(table: Table, origin: str | None, conversation_id: int, agent_id: int) -> bool:
    """End ``origin``'s part of the agent's entry; whether the entry has no part left."""
    entry = table.get(conversation_id, {}).get(agent_id)
    if entry is None:
        return False
    if origin is None:
        entry.expires = None
    elif entry.origins is not None:
        entry.origins.discard(origin)
    return not entry.alive()


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"not an id: {value!r}")
    return value
