"""Collision detection and typing on the client: who else is in the open conversation.

:class:`Live` tells the server which conversation the agent has open (``PUT .../viewing``,
after the agent stayed on it ``VIEW_DEBOUNCE_S``, repeated every ``VIEW_HEARTBEAT_S``, and
``viewing: false`` on leaving) and that the agent is typing (``PUT .../typing``, at most
every ``TYPING_REPEAT_S``, stopped after ``TYPING_IDLE_S`` without a key; a send needs no
stop: the server clears the typing with the message). Keys are never sent one by one: a
thousand agents at work make about two calls a second of this per 100 agents (derivation in
benchmarks/RESULTS.md). It keeps what the
ephemeral events (``conversation.viewing``, ``conversation.typing``, see
docs/protocol.md) say about the open conversation and emits ``changed(conversation_id)``.
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
    """The open conversation's viewers and typists; emits ``changed(conversation_id)``."""

    changed = Signal(int)

    def __init__(
        self, api: ApiClient, me_id: Callable[[], int | None], *, clock: Callable[[], float]
    ) -> None:
        super().__init__()
        self._api = api
        self._me_id = me_id
        self._clock = clock
        self._viewing: int | None = None
        self._presence: dict[int, Presence] = {}
        self._heartbeat: asyncio.Task[None] | None = None
        self._typing_kind: str | None = None
        self._typing_sent_at = 0.0
        self._typing_stop: asyncio.TimerHandle | None = None
        self._calls: set[asyncio.Task[None]] = set()

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

    def view(self, conversation_id: int | None) -> None:
        """The agent opened ``conversation_id`` (``None``: none): leave the last one."""
        if conversation_id == self._viewing:
            return
        left, self._viewing = self._viewing, conversation_id
        self._stop_heartbeat()
        if left is not None:
            self._stop_typing(left)
            self._call(self._put_viewing(left, False))
            self._presence.pop(left, None)
        if conversation_id is not None:
            self._heartbeat = asyncio.get_running_loop().create_task(
                self._view_forever(conversation_id), name="convos-viewing"
            )

    def typed(self, kind: str) -> None:
        """The agent typed in the open conversation's composer (``text`` or ``note``)."""
        conversation_id = self._viewing
        if conversation_id is None:
            return
        now = self._clock()
        if kind != self._typing_kind or now - self._typing_sent_at >= TYPING_REPEAT_S:
            self._typing_kind, self._typing_sent_at = kind, now
            self._call(self._put_typing(conversation_id, kind))
        if self._typing_stop is not None:
            self._typing_stop.cancel()
        self._typing_stop = asyncio.get_running_loop().call_later(
            TYPING_IDLE_S, self._stop_typing, conversation_id
        )

    def sent(self) -> None:
        """The agent sent the composer: no longer typing. The server clears the typing when
        the message arrives, so no call (the next key starts typing again)."""
        if self._typing_stop is not None:
            self._typing_stop.cancel()
            self._typing_stop = None
        self._typing_kind = None

    async def stop(self) -> None:
        """Leave the open conversation and wait for the calls in flight (logout, quit)."""
        self.view(None)
        if self._calls:
            await asyncio.wait(set(self._calls), timeout=5.0)

    # --- events ---------------------------------------------------------------------------

    def receive(self, event: ServerEvent) -> None:
        """Apply an ephemeral event (``Sync.ephemeral``)."""
        data = event.data
        conversation_id = int(data.get("conversation_id") or 0)
        if conversation_id != self._viewing:
            return
        state = self._presence.setdefault(conversation_id, Presence())
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
        self.changed.emit(conversation_id)

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
        if state is ConnectionState.CONNECTED and self._viewing is not None:
            conversation_id, self._viewing = self._viewing, None
            self._presence.pop(conversation_id, None)
            self.view(conversation_id)

    # --- calls ----------------------------------------------------------------------------

    async def _view_forever(self, conversation_id: int) -> None:
        await asyncio.sleep(VIEW_DEBOUNCE_S)
        while True:
            await self._put_viewing(conversation_id, True)
            await asyncio.sleep(VIEW_HEARTBEAT_S)

    async def _put_viewing(self, conversation_id: int, viewing: bool) -> None:
        try:
            answer = await self._api.request(
                "PUT", f"/conversations/{conversation_id}/viewing", json={"viewing": viewing}
            )
        except ApiError as exc:
            log.info("viewing %s not told: %s", conversation_id, exc.code)
            return
        if viewing and conversation_id == self._viewing:
            state = self._presence.setdefault(conversation_id, Presence())
            state.viewers = {int(v["agent_id"]) for v in answer.get("viewers", [])}
            state.typing = {
                int(v["agent_id"]): str(v["typing"])
                for v in answer.get("viewers", [])
                if v.get("typing")
            }
            self.changed.emit(conversation_id)

    async def _put_typing(self, conversation_id: int, kind: str | None) -> None:
        try:
            await self._api.request(
                "PUT", f"/conversations/{conversation_id}/typing", json={"kind": kind}
            )
        except ApiError as exc:
            log.info("typing in %s not told: %s", conversation_id, exc.code)

    def _stop_typing(self, conversation_id: int) -> None:
        if self._typing_stop is not None:
            self._typing_stop.cancel()
            self._typing_stop = None
        if self._typing_kind is not None:
            self._typing_kind = None
            self._call(self._put_typing(conversation_id, None))

    def _stop_heartbeat(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            self._heartbeat = None

    def _call(self, call: object) -> None:
        assert asyncio.iscoroutine(call)
        task = asyncio.get_running_loop().create_task(call)
        self._calls.add(task)
        task.add_done_callback(self._calls.discard)
