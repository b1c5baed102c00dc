"""Keeps the local cache in step with the server and tells the models what changed.

Flow: cached state first (:meth:`Sync.emit_cached`, no network), then the event stream from
the cached cursor (or a bootstrap when there is none, or after a ``reset`` event). Events are
applied idempotently (an event whose sequence was already applied changes nothing), and a
burst is collected and written once per loop pass (``loop.call_soon`` schedules one flush).
After each write the typed change records of :mod:`convos_desktop.core.types` are emitted as
QtCore signals carrying Python objects.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QObject, Signal

from convos_desktop.core.api import ApiClient, ApiError
from convos_desktop.core.events import EPHEMERAL_TYPES, Backoff, EventStream, ServerEvent
from convos_desktop.core.store import AppliedBatch, Store, StoreBatch
from convos_desktop.core.types import (
    ConnectionState,
    ContactsChanged,
    Counts,
    DirectoryChanged,
    ListedTicket,
    Message,
    MessagesChanged,
    PresenceChanged,
    Status,
    Ticket,
    TicketsChanged,
    TicketWoke,
    View,
)

log = logging.getLogger("convos.sync")

ALL_FIELDS = "*"  # in TicketsChanged.fields: new tickets or a whole snapshot
DIRECTORY = frozenset({"agents", "teams", "inboxes", "canned", "labels"})
LIBRARY_EVENT = "library.changed"  # not cached: announced by ``Sync.library_changed``
MENTION_EVENTS = frozenset({"mention.created", "mention.updated"})  # ``Sync.mention_event``
# what Counts depend on
COUNTED_FIELDS = frozenset({ALL_FIELDS, "status", "assignee_id", "snoozed"})
FIRST_SCREEN_TICKETS = 200  # emitted at once from the cache: more than any list shows
# The rest of the cache, per loop pass (~10 ms of list work), decoded as listed columns
# (``Store.read_listed``): each slice's JSON text is freed once decoded, and 1,000 at a time
# left less of that heap behind than 2,000 did when full records were decoded (10k tickets:
# ~0.9 MiB less resident, 500: no less than 1,000 but twice the passes; issue 16).
CACHED_SLICE_TICKETS = 1_000


class Sync(QObject):
    """Applies bootstrap snapshots and events to the :class:`Store`; emits what changed.

    Signals (each carries one Python object): ``tickets_changed(TicketsChanged)``,
    ``messages_changed(MessagesChanged)``, ``contacts_changed(ContactsChanged)``,
    ``presence_changed(PresenceChanged)``, ``directory_changed(DirectoryChanged)``,
    ``counts_changed(Counts)``, ``inbox_counts_changed(dict[int, Counts])`` (per inbox,
    inboxes without open tickets left out), ``connection_state_changed(ConnectionState)``;
    ``history_reset()`` after a ``reset`` dropped the cached histories (reload open threads);
    ``auth_failed()`` when the server refuses the token; ``library_changed()`` when the file
    library may have changed (a ``library.changed`` event, or a bootstrap): it is not cached,
    its readers fetch it again; ``ticket_woke(TicketWoke)`` when a snoozed ticket came back
    (after its change reached the store); ``ephemeral(ServerEvent)`` for a live-only event
    (who views or types, ``core.live``: never cached, never moves the cursor);
    ``mention_event(dict)`` with the ``Mention`` of a ``mention.*`` event (not cached:
    ``core.mentions`` keeps them).
    """

    tickets_changed = Signal(object)
    messages_changed = Signal(object)
    contacts_changed = Signal(object)
    presence_changed = Signal(object)
    directory_changed = Signal(object)
    counts_changed = Signal(object)
    inbox_counts_changed = Signal(object)
    connection_state_changed = Signal(object)
    history_reset = Signal()
    auth_failed = Signal()
    library_changed = Signal()
    ticket_woke = Signal(object)
    ephemeral = Signal(object)
    mention_event = Signal(object)

    def __init__(
        self,
        store: Store,
        api: ApiClient,
        *,
        keepalive: float = 15.0,
        backoff: Backoff | None = None,
    ) -> None:
        super().__init__()
        self.store = store
        self.api = api
        self._applied_seq = store.event_seq()
        self._received_seq = self._applied_seq
        self._needs_bootstrap = self._applied_seq is None
        self._reset_pending = False
        self._pending: list[ServerEvent] = []
        self._flush_scheduled = False
        self._flush_task: asyncio.Task[None] | None = None
        self._reset_task: asyncio.Task[None] | None = None
        self._history_loads: dict[tuple[int, int | None], asyncio.Task[bool]] = {}
        self._counts: Counts | None = None
        self._inbox_counts: dict[int, Counts] | None = None
        self._cached_rest: asyncio.Task[None] | None = None
        self.stream = EventStream(
            api,
            cursor=lambda: self._received_seq,
            on_event=self.receive,
            before_connect=self._before_connect,
            keepalive=keepalive,
            backoff=backoff,
        )
        self.stream.state_changed.connect(self.connection_state_changed.emit)
        self.stream.auth_failed.connect(self.auth_failed.emit)

    # --- life cycle -----------------------------------------------------------------------

    @property
    def connection_state(self) -> ConnectionState:
        """The event stream's state."""
        return self.stream.state

    @property
    def me_id(self) -> int | None:
        """The logged-in agent's id, as cached."""
        me = self.store.me()
        return me.id if me else None

    def emit_cached(self) -> None:
        """Emit the cached state (tickets, counts, directory) without touching the network.

        The newest ``FIRST_SCREEN_TICKETS`` of every view come at once, enough for the first
        paint of any list; when there are more, all of them are read and decoded off the GUI
        thread and follow in slices, one per loop pass. Nothing the server sends is emitted
        before they are all out (:meth:`_cache_emitted`): a cached copy never hides news.
        The cached tickets go out as their listed columns (``TicketsChanged.listed``): the
        ticket list reads a full record back from the cache when it needs one.
        """
        me_id = self.me_id
        first = {
            ticket.id: ticket
            for view in View
            for ticket in self.store.listed_tickets(view, me_id, limit=FIRST_SCREEN_TICKETS)
        }
        self._emit_cached_tickets(list(first.values()))
        self.directory_changed.emit(DirectoryChanged(DIRECTORY))
        self._emit_counts(force=True)
        if self._counts is None or self._counts.all <= len(first):
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop yet: read the rest here
            self._emit_cached_tickets(self.store.listed_tickets())
            return
        self._cached_rest = loop.create_task(self._emit_cached_rest())

    async def _emit_cached_rest(self) -> None:
        """Read and emit the cache a slice at a time, as the listed columns of its tickets
        (the full records of 10,000 tickets at once left ~10 MiB of freed heap behind)."""
        offset = 0
        while True:
            try:
                tickets = await self.store.read_listed(offset, CACHED_SLICE_TICKETS)
            except Exception:  # a broken cache file: the bootstrap will list the tickets anew
                log.exception("reading the cached tickets failed")
                return
            self._emit_cached_tickets(tickets)
            if len(tickets) < CACHED_SLICE_TICKETS:
                return
            offset += len(tickets)

    def _emit_cached_tickets(self, tickets: list[ListedTicket]) -> None:
        if tickets:
            self.tickets_changed.emit(
                TicketsChanged(listed=tuple(tickets), fields=frozenset({ALL_FIELDS}))
            )

    async def _cache_emitted(self) -> None:
        """Wait until the cached tickets are all emitted (before emitting anything newer)."""
        if self._cached_rest is not None and not self._cached_rest.done():
            await asyncio.wait({self._cached_rest})  # its failure is its own (logged there)

    def start(self) -> None:
        """Emit the cache, then connect (bootstrapping first if there is no cursor)."""
        self.emit_cached()
        self.stream.start()

    async def stop(self) -> None:
        """Disconnect and write what was received."""
        for task in (self._reset_task, self._cached_rest):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self.stream.stop()
        await self.flush()

    async def flush(self) -> None:
        """Apply every event received so far (tests and quit)."""
        await self._cache_emitted()
        while self._pending or (self._flush_task is not None and not self._flush_task.done()):
            if self._flush_task is not None and not self._flush_task.done():
                await self._flush_task
            elif self._pending and not self._needs_bootstrap:
                await self._flush_pending()
            else:
                break

    async def bootstrap(self, *, reset: bool = False) -> None:
        """Fetch a snapshot and replace the cached one; stream from its ``event_seq``."""
        snapshot = await self.api.bootstrap_json()
        await self._cache_emitted()
        applied = await self.store.replace_snapshot(snapshot, reset=reset)
        seq = int(snapshot["event_seq"])
        self._applied_seq = seq
        self._received_seq = max(self._received_seq or 0, seq)
        self._needs_bootstrap = False
        self._pending = [e for e in self._pending if e.seq > seq]
        log.info("bootstrapped at event %d (%d open tickets)", seq, len(applied.tickets))
        self._emit_applied(applied)
        if reset:
            self.history_reset.emit()
        self.library_changed.emit()
        self._schedule_flush()

    async def _before_connect(self) -> None:
        if self._needs_bootstrap:
            await self.bootstrap(reset=self._reset_pending)
            self._reset_pending = False

    # --- events ---------------------------------------------------------------------------

    def receive(self, event: ServerEvent) -> None:
        """Take one event of the stream (duplicates and already applied ones are ignored)."""
        if event.type in EPHEMERAL_TYPES:
            self.ephemeral.emit(event)
            return
        if event.type == "reset":  # its id is the server's head, maybe below our cursor
            self._on_reset(int(event.data.get("event_seq", event.seq)))
            return
        if self._received_seq is not None and event.seq <= self._received_seq:
            return  # already received: the same event twice changes nothing
        self._received_seq = event.seq
        if event.type == LIBRARY_EVENT:
            self.library_changed.emit()
            return
        if event.type in MENTION_EVENTS:
            self.mention_event.emit(event.data.get("mention") or {})
            return
        self._pending.append(event)
        self._schedule_flush()

    def _on_reset(self, event_seq: int) -> None:
        log.warning("server asked for a reset; the stream goes on from %d", event_seq)
        self._pending.clear()
        self._needs_bootstrap = True
        self._reset_pending = True
        self._received_seq = event_seq
        self._reset_task = asyncio.get_running_loop().create_task(self._bootstrap_after_reset())

    async def _bootstrap_after_reset(self) -> None:
        try:
            await self._before_connect()
        except ApiError as exc:  # the stream's next connection attempt retries it
            log.warning("bootstrap after reset failed: %r", exc)
            self.stream.reconnect_now()

    def _schedule_flush(self) -> None:
        if self._flush_scheduled or not self._pending:
            return
        self._flush_scheduled = True
        asyncio.get_running_loop().call_soon(self._start_flush)

    def _start_flush(self) -> None:
        self._flush_scheduled = False
        if self._needs_bootstrap or (self._flush_task is not None and not self._flush_task.done()):
            return
        self._flush_task = asyncio.get_running_loop().create_task(self._flush_pending())

    async def _flush_pending(self) -> None:
        await self._cache_emitted()
        while self._pending and not self._needs_bootstrap:
            events, self._pending = self._pending, []
            batch, fields, notices = self._build_batch(events)
            if batch.event_seq is None:
                continue
            applied = await self.store.apply(batch)
            self._applied_seq = batch.event_seq
            applied.ticket_fields.update(fields)
            self._emit_applied(applied)
            for notice in notices:
                if isinstance(notice, TicketWoke):
                    self.ticket_woke.emit(notice)
                else:
                    self.presence_changed.emit(notice)

    def _build_batch(self, events: list[ServerEvent]) -> tuple[StoreBatch, set[str], list[Notice]]:
        batch = StoreBatch()
        presence: list[Notice] = []
        fields: set[str] = set()
        for event in events:
            if self._applied_seq is not None and event.seq <= self._applied_seq:
                continue
            _add_event(batch, event, fields, presence)
            batch.event_seq = event.seq
        return batch, fields, presence

    # --- emitting -------------------------------------------------------------------------

    def _emit_applied(self, applied: AppliedBatch) -> None:
        if applied.contacts:
            self.contacts_changed.emit(ContactsChanged(tuple(applied.contacts)))
        fields = frozenset(applied.ticket_fields) or frozenset({ALL_FIELDS})
        if applied.tickets or applied.removed_ticket_ids:
            self.tickets_changed.emit(
                TicketsChanged(
                    upserted=tuple(applied.tickets),
                    fields=fields,
                    removed_ids=tuple(applied.removed_ticket_ids),
                )
            )
        for conversation_id, messages in applied.messages.items():
            self.messages_changed.emit(MessagesChanged(conversation_id, tuple(messages)))
        if applied.directory:
            self.directory_changed.emit(DirectoryChanged(frozenset(applied.directory)))
        # Counting scans every cached ticket (~13 ms for 10k): only when they may differ, not
        # for each burst of messages (their tickets change last_message only).
        if applied.removed_ticket_ids or (applied.tickets and fields & COUNTED_FIELDS):
            self._emit_counts()

    def _emit_counts(self, *, force: bool = False) -> None:
        counts = self.store.counts(self.me_id)
        if force or counts != self._counts:
            self._counts = counts
            self.counts_changed.emit(counts)
        # A ticket leaving one inbox's view as another enters it keeps the totals: compared apart.
        inbox_counts = self.store.inbox_counts(self.me_id)
        if force or inbox_counts != self._inbox_counts:
            self._inbox_counts = inbox_counts
            self.inbox_counts_changed.emit(inbox_counts)

    @property
    def counts(self) -> Counts:
        """Open tickets per view, from the cache."""
        return self.store.counts(self.me_id)

    @property
    def inbox_counts(self) -> dict[int, Counts]:
        """Open tickets per view of each inbox, from the cache."""
        return self.store.inbox_counts(self.me_id)

    # --- history --------------------------------------------------------------------------

    async def ensure_history(self, conversation_id: int) -> bool:
        """Fetch a conversation's newest page unless the cache is in step; return has_more."""
        synced, has_more = self.store.history_state(conversation_id)
        if synced:
            return has_more
        return await self.load_older(conversation_id, None)

    async def load_older(self, conversation_id: int, before_id: int | None) -> bool:
        """Page history older than ``before_id`` (``None``: the newest) into the cache.

        Emits ``messages_changed`` for the new rows and returns whether older messages exist.
        Two calls for the same anchor share one request.
        """
        key = (conversation_id, before_id)
        task = self._history_loads.get(key)
        if task is None:
            task = asyncio.get_running_loop().create_task(
                self._fetch_page(conversation_id, before_id)
            )
            self._history_loads[key] = task
            task.add_done_callback(lambda _t: self._history_loads.pop(key, None))
        return await asyncio.shield(task)

    async def _fetch_page(self, conversation_id: int, before_id: int | None) -> bool:
        page = await self.api.messages_json(conversation_id, before=before_id)
        has_more = bool(page.get("has_more"))
        changed = await self.store.store_history(
            conversation_id, page["items"], newest=before_id is None, has_more=has_more
        )
        if changed:
            self.messages_changed.emit(MessagesChanged(conversation_id, tuple(changed)))
        return has_more

    # --- local echo (used by core.outbox) -------------------------------------------------

    def publish_local(self, message: Message) -> None:
        """Emit a local echo (pending or failed send) as a change of its conversation."""
        self.messages_changed.emit(MessagesChanged(message.conversation_id, (message,)))

    def publish_removed(self, conversation_id: int, client_id: str) -> None:
        """Emit that a local echo was discarded."""
        self.messages_changed.emit(
            MessagesChanged(conversation_id, removed_client_ids=(client_id,))
        )

    async def apply_sent(self, message: dict[str, Any]) -> None:
        """Store the server's answer to a send; it replaces the echo with the same client_id."""
        batch = StoreBatch()
        batch.messages[message["id"]] = message
        await self._cache_emitted()
        applied = await self.store.apply(batch)
        self._emit_applied(applied)

    async def update_contact(self, contact_id: int, changes: Mapping[str, Any]) -> None:
        """Edit a contact; the answer reaches the cache and the models as its event would."""
        contact = await self.api.update_contact_json(contact_id, changes)
        batch = StoreBatch()
        batch.contacts[contact["id"]] = contact
        await self._cache_emitted()
        self._emit_applied(await self.store.apply(batch))

    async def mark_read(self, conversation_id: int, message_id: int) -> None:
        """Remember the last message the agent has seen in a conversation."""
        await self.store.set_read_marker(conversation_id, message_id)


Notice = PresenceChanged | TicketWoke  # announced after their batch is applied


def _add_event(
    batch: StoreBatch,
    event: ServerEvent,
    fields: set[str],
    presence: list[Notice],
) -> None:
    """Fold one event into ``batch`` (later events of the same object win)."""
    data = event.data
    kind = event.type
    if kind == "ticket.woke":
        ticket = data["ticket"]
        batch.tickets[ticket["id"]] = ticket
        fields.update(("snoozed", "snoozed_until", "snoozed_by"))
        woke = TicketWoke(Ticket.from_json(ticket), str(data["reason"]), data.get("snoozed_by"))
        presence.append(woke)
        return
    if kind == "label.changed":
        label = data["label"]
        if data.get("deleted"):
            batch.deleted_label_ids.add(int(label["id"]))
            batch.labels.pop(int(label["id"]), None)
        else:
            batch.labels[int(label["id"])] = label
            batch.deleted_label_ids.discard(int(label["id"]))
        return
    if kind in ("ticket.created", "ticket.updated"):
        ticket = data["ticket"]
        batch.tickets[ticket["id"]] = ticket
        if data.get("contact"):
            batch.contacts[data["contact"]["id"]] = data["contact"]
        if kind == "ticket.created":
            fields.add(ALL_FIELDS)
        fields.update(data.get("changed") or (ALL_FIELDS,))
        if ticket.get("last_message"):
            batch.messages[ticket["last_message"]["id"]] = ticket["last_message"]
    elif kind in ("message.created", "message.updated"):
        batch.messages[data["message"]["id"]] = data["message"]
    elif kind == "contact.updated":
        batch.contacts[data["contact"]["id"]] = data["contact"]
    elif kind == "presence.changed":
        agent_id = int(data["agent_id"])
        batch.presence[agent_id] = (data["status"], data["chosen_status"])
        presence.append(
            PresenceChanged(agent_id, Status(data["status"]), Status(data["chosen_status"]))
        )
    elif kind == "agent.changed":
        batch.agents[data["agent"]["id"]] = data["agent"]
    elif kind == "canned.changed":
        _add_upsert_or_delete(data, "canned", batch.canned, batch.deleted_canned_ids)
    elif kind == "inbox.changed":
        _add_upsert_or_delete(data, "inbox", batch.inboxes, batch.deleted_inbox_ids)
    elif kind == "team.changed":
        _add_upsert_or_delete(data, "team", batch.teams, batch.deleted_team_ids)
    else:
        log.debug("ignoring event type %s", kind)


def _add_upsert_or_delete(
    data: dict[str, Any], key: str, upserts: dict[int, dict[str, Any]], deleted: set[int]
) -> None:
    if data.get(key):
        upserts[data[key]["id"]] = data[key]
        deleted.discard(data[key]["id"])
    elif data.get("deleted_id") is not None:
        deleted.add(int(data["deleted_id"]))
        upserts.pop(int(data["deleted_id"]), None)
