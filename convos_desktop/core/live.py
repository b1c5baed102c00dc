"""Collision detection and typing on the client: who else is in the open conversation.

:class:`Live` tells the server which conversations the agent has open (``PUT .../viewing``,
after the agent stayed on one ``VIEW_DEBOUNCE_S``, repeated every ``VIEW_HEARTBEAT_S``, and
``viewing: false`` on leaving one it was told about: a conversation passed through within the
debounce costs no call at all, so switching back and forth sends nothing until the agent stays).
Each place that shows a conversation says so under its own ``owner`` key: the main window
(``MAIN``) and every pop-out window (``ui.popout``), so an agent with two windows open views
two conversations; one is left once no owner shows it.
It tells that the agent is typing (``PUT .../typing``, in one conversation at a time, at
most every ``TYPING_REPEAT_S``, stopped after ``TYPING_IDLE_S`` without a key; a send needs
no stop: the server clears the typing with the message). Keys are never sent one by one: a
thousand agents at work make about two calls a second of this per 100 agents (derivation in
benchmarks/RESULTS.md). It keeps what the ephemeral events (``conversation.viewing``,
``conversation.typing``, see docs/protocol.md) say about the open conversations and emits
``changed(conversation_id)``.
A customer's typing shows for ``CONTACT_TYPING_S`` or until its message arrives. Nothing
of this is cached: it is about now. A failed call is only logged (the state is advisory).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Signal

from convos_desktop.core.api import ApiClient, ApiError
from convos_desktop.core.events import ServerEvent
from convos_desktop.core.types import ConnectionState, Direction, MessagesChanged

log = logging.getLogger("convos.live")

VIEW_DEBOUNCE_S = 0.5
# The server forgets a silent viewer after 90 s and a silent typist after 10 s: a heartbeat
# or a repeat may get lost once. Leaving and the stream's end are told at once anyway.
VIEW_HEARTBEAT_S = 30.0
TYPING_REPEAT_S = 5.0
TYPING_IDLE_S = 4.0
CONTACT_TYPING_S = 6.0
MAIN = "main"  # the main window's owner key in :meth:`Live.view`


@dataclass(slots=True)
class Presence:
    """Who is in one conversation now: viewers (agent ids) and what each types."""

    viewers: set[int] = field(default_factory=set)
    typing: dict[int, str] = field(default_factory=dict)  # agent id -> "text" | "note"
    contact_typing_until: float = 0.0

    def contact_typing(self, now: float) -> bool:
        """Whether the customer was typing a moment ago."""
        return now < self.contact_typing_until


class Live(QObject):
    """The open conversations' viewers and typists; emits ``changed(conversation_id)``."""

    changed = Signal(int)

    def __init__(
        self, api: ApiClient, me_id: Callable[[], int | None], *, clock: Callable[[], float]
    ) -> None:
        super().__init__()
        self._api = api
        self._me_id = me_id
        self._clock = clock
        self._viewing: dict[object, int] = {}  # owner (a window) -> the conversation it shows
        self._presence: dict[int, Presence] = {}
        self._heartbeats: dict[int, asyncio.Task[None]] = {}
        self._typing_in: int | None = None  # the conversation the agent types in
        self._typing_kind: str | None = None
        self._typing_sent_at = 0.0
        self._typing_stop: asyncio.TimerHandle | None = None
        self._calls: set[asyncio.Task[None]] = set()
        # Events that came while a viewing call was in flight: its answer is the server's
        # state when it answered, and the stream may have been faster than the answer.
        self._during_call: dict[int, list[ServerEvent]] = {}
        # Conversations the server was (or may have been) told the agent views: only these are
        # left with a call (issue 16: a switch spent ~1-4 ms on a needless ``viewing: false``).
        self._told: set[int] = set()

    @classmethod
    def for_api(cls, api: ApiClient, me_id: Callable[[], int | None]) -> Live:
        """A ``Live`` on the monotonic clock."""
        return cls(api, me_id, clock=time.monotonic)

    # --- what the UI asks -----------------------------------------------------------------

    def presence(self, conversation_id: int) -> Presence:
        """Who else is in the conversation (the agent itself left out)."""
        known = self._presence.get(conversation_id, Presence())
        me = self._me_id()
        return Presence(
            {a for a in known.viewers if a != me},
            {a: k for a, k in known.typing.items() if a != me},
            known.contact_typing_until,
        )

    def viewed(self) -> set[int]:
        """The conversations some window of the agent shows now."""
        return set(self._viewing.values())

    def view(self, conversation_id: int | None, owner: object = MAIN) -> None:
        """``owner`` (a window) shows ``conversation_id`` now (``None``: none)."""
        if self._viewing.get(owner) == conversation_id:
            return
        before = self.viewed()
        if conversation_id is None:
            self._viewing.pop(owner, None)
        else:
            self._viewing[owner] = conversation_id
        after = self.viewed()
        for left in before - after:
            self._stop_heartbeat(left)
            self._stop_typing(left)
            if left in self._told:
                self._told.discard(left)
                self._call(self._put_viewing(left, False))
            self._presence.pop(left, None)
        for opened in after - before:
            self._start_heartbeat(opened)

    def typed(self, kind: str, conversation_id: int | None = None) -> None:
        """The agent typed in a conversation's composer (``text`` or ``note``); without
        ``conversation_id`` the main window's."""
        if conversation_id is None:
            conversation_id = self._viewing.get(MAIN)
        if conversation_id is None or conversation_id not in self.viewed():
            return
        if self._typing_in not in (None, conversation_id):
            self._stop_typing(self._typing_in)  # one composer at a time has the keys
        self._typing_in = conversation_id
        now = self._clock()
        if kind != self._typing_kind or now - self._typing_sent_at >= TYPING_REPEAT_S:
            self._typing_kind, self._typing_sent_at = kind, now
            self._call(self._put_typing(conversation_id, kind))
        if self._typing_stop is not None:
            self._typing_stop.cancel()
        self._typing_stop = asyncio.get_running_loop().call_later(
            TYPING_IDLE_S, self._stop_typing, conversation_id
        )

    def sent(self, conversation_id: int | None = None) -> None:
        """The agent sent a composer's message (without ``conversation_id``: the main
        window's): no longer typing there. The server clears the typing when the message
        arrives, so no call (the next key starts typing again)."""
        if conversation_id is None:
            conversation_id = self._viewing.get(MAIN)
        if conversation_id is None or self._typing_in != conversation_id:
            return
        self._typing_in = None
        if self._typing_stop is not None:
            self._typing_stop.cancel()
            self._typing_stop = None
        self._typing_kind = None

    async def stop(self) -> None:
        """Leave the open conversations and wait for the calls in flight (logout, quit)."""
        for owner in list(self._viewing):
            self.view(None, owner)
        if self._calls:
            await asyncio.wait(set(self._calls), timeout=5.0)

    # --- events ---------------------------------------------------------------------------

    def receive(self, event: ServerEvent) -> None:
        """Apply an ephemeral event (``Sync.ephemeral``)."""
        conversation_id = int(event.data.get("conversation_id") or 0)
        if conversation_id not in self.viewed():
            return
        if conversation_id in self._during_call:
            self._during_call[conversation_id].append(event)
        self._apply(self._presence.setdefault(conversation_id, Presence()), event)
        self.changed.emit(conversation_id)

    def _apply(self, state: Presence, event: ServerEvent) -> None:
        data = event.data
        agent_id = data.get("agent_id")
        if event.type == "conversation.viewing" and isinstance(agent_id, int):
            if data.get("viewing"):
                state.viewers.add(agent_id)
            else:
                state.viewers.discard(agent_id)
                state.typing.pop(agent_id, None)
        elif event.type == "conversation.typing":
            if data.get("sender_type") == "contact":
                state.contact_typing_until = self._clock() + CONTACT_TYPING_S
            elif isinstance(agent_id, int):
                kind = data.get("kind")
                if data.get("typing") and isinstance(kind, str):
                    state.typing[agent_id] = kind
                    state.viewers.add(agent_id)
                else:
                    state.typing.pop(agent_id, None)

    def on_messages_changed(self, change: MessagesChanged) -> None:
        """A customer's message arrived: it no longer types."""
        state = self._presence.get(change.conversation_id)
        if (
            state is not None
            and state.contact_typing_until
            and any(m.direction is Direction.IN for m in change.upserted)
        ):
            state.contact_typing_until = 0.0
            self.changed.emit(change.conversation_id)

    def on_connection_state(self, state: ConnectionState) -> None:
        """The event stream is back: the server dropped us as a viewer, say it again."""
        if state is not ConnectionState.CONNECTED:
            return
        for conversation_id in self.viewed():
            self._stop_heartbeat(conversation_id)
            self._presence.pop(conversation_id, None)
            self._start_heartbeat(conversation_id)

    # --- calls ----------------------------------------------------------------------------

    async def _view_forever(self, conversation_id: int) -> None:
        await asyncio.sleep(VIEW_DEBOUNCE_S)
        while True:
            await self._put_viewing(conversation_id, True)
            await asyncio.sleep(VIEW_HEARTBEAT_S)

    async def _put_viewing(self, conversation_id: int, viewing: bool) -> None:
        if viewing:
            self._told.add(conversation_id)  # from the call's start: it may reach the server
            self._during_call.setdefault(conversation_id, [])
        try:
            answer = await self._api.request(
                "PUT", f"/conversations/{conversation_id}/viewing", json={"viewing": viewing}
            )
        except ApiError as exc:
            log.info("viewing %s not told: %s", conversation_id, exc.code)
            return
        finally:
            came = self._during_call.pop(conversation_id, []) if viewing else []
        if viewing and conversation_id in self.viewed():
            state = self._presence.setdefault(conversation_id, Presence())
            state.viewers = {int(v["agent_id"]) for v in answer.get("viewers", [])}
            state.typing = {
                int(v["agent_id"]): str(v["typing"])
                for v in answer.get("viewers", [])
                if v.get("typing")
            }
            for event in came:  # replayed in stream order: the last word of each agent wins
                self._apply(state, event)
            self.changed.emit(conversation_id)

    async def _put_typing(self, conversation_id: int, kind: str | None) -> None:
        try:
            await self._api.request(
                "PUT", f"/conversations/{conversation_id}/typing", json={"kind": kind}
            )
        except ApiError as exc:
            log.info("typing in %s not told: %s", conversation_id, exc.code)

    def _stop_typing(self, conversation_id: int) -> None:
        if self._typing_in != conversation_id:
            return
        self._typing_in = None
        if self._typing_stop is not None:
            self._typing_stop.cancel()
            self._typing_stop = None
        if self._typing_kind is not None:
            self._typing_kind = None
            self._call(self._put_typing(conversation_id, None))

    def _start_heartbeat(self, conversation_id: int) -> None:
        self._heartbeats[conversation_id] = asyncio.get_running_loop().create_task(
            self._view_forever(conversation_id), name="convos-viewing"
        )

    def _stop_heartbeat(self, conversation_id: int) -> None:
        heartbeat = self._heartbeats.pop(conversation_id, None)
        if heartbeat is not None:
            heartbeat.cancel()

    def _call(self, call: object) -> None:
        assert asyncio.iscoroutine(call)
        task = asyncio.get_running_loop().create_task(call)
        self._calls.add(task)
        task.add_done_callback(self._calls.discard)
