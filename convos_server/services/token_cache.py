"""Bearer token -> agent, kept in process for a few seconds so a request needs no session.

Every authenticated request used to open a session just to look its token up. The cache keeps
a snapshot of the agent's row per token hash for ``ttl_s`` seconds (bounded, least recently
used first out) and hands each request its own detached copy, so no request sees another's
changes to it.

In this process the cache is never stale: ``watch()`` hooks the database's session class, and
a commit that changed an agent row or a token through the ORM (logout's revocation,
deactivation, role change, presence heartbeat, the presence sweeper...) drops the entries of
those agents, or all entries for a bulk UPDATE/DELETE of agents or tokens. A lookup that
raced with such a commit does not store its (possibly older) answer. Another server process
on the same database drops the agent's entries when its event reader meets the internal
``tokens.revoked`` event of a revocation (``EventBus(on_revoked=...)``, within about a second).
On PostgreSQL every other change of an agent or token row (role, status, deactivation...)
reaches every process at its commit: ``watch(..., notify=True)`` sends
``NOTIFY convos_agents`` with the changed agent ids (``*``: all) inside the transaction, and
each process's LISTEN connection (the event bus's) drops those entries
(``EventBus(on_agents_changed=...)``). A lookup that read the row before that commit does not
store its answer (the generation changed). Without the LISTEN connection (lost, SQLite
across processes) a change is seen when the entry expires: at most ``ttl_s`` late.

Beside the tokens, the cache keeps each agent's scope (``scopes``: the agent's team ids and
visible inbox ids, ``services/visibility.py``), dropped exactly when the agent's tokens are,
by the same paths. A commit that changes what some agent may see counts as a change of those
agents: a team membership (its agent), an inbox's team, a new or deleted inbox, a deleted
team (everyone). A session with such a change pending or flushed (not yet committed) never
reads or fills the scope cache (``scope_cache_of``).

The cache also keeps each inbox's API key hash and ``active`` flag (``inbox_keys``, read by
the channel ingress, ``services/auth.py`` ``inbox_key_for``). A commit that changes an
inbox's key, ``active`` or team, creates or deletes an inbox counts as a change of every
agent, so it drops them here and (PostgreSQL) in every process at once, as above; the
round-robin pointer and the other columns drop nothing.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import inspect, text
from sqlalchemy.orm import ORMExecuteState, Session, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state, manager_of_class

from convos_server.db import models as m
from convos_server.db.lean import LeanSession

_AGENT_MANAGER = manager_of_class(m.Agent)
_CHANGED = "convos_changed_agents"
_EVERYONE = -1  # in the changed set: a bulk statement touched agents or tokens
NOTIFY_CHANNEL = "convos_agents"
_EVERYONE_PAYLOAD = "*"


def agents_payload(agent_ids: set[int]) -> str:
    """The NOTIFY payload naming ``agent_ids`` (``*`` for everyone)."""
    if _EVERYONE in agent_ids:
        return _EVERYONE_PAYLOAD
    return ",".join(str(agent_id) for agent_id in sorted(agent_ids))


def agents_from_payload(payload: str) -> set[int]:
    """The agent ids of a NOTIFY payload (the everyone marker for ``*``)."""
    if payload == _EVERYONE_PAYLOAD:
        return {_EVERYONE}
    return {int(part) for part in payload.split(",") if part}


@dataclass(frozen=True, slots=True)
class _Scope:
    role: str
    value: object
    expires_at: float


class ScopeCache:
    """Per agent id, a value computed from the agent's role and the tables of who sees what
    (the agent's team ids and visible inboxes), for ``ttl_s`` seconds; dropped with the
    agent's tokens (``TokenCache.drop_agents``)."""

    def __init__(self, *, ttl_s: float, max_size: int, clock: Callable[[], float]) -> None:
        self._ttl_s = ttl_s
        self._max_size = max_size
        self._clock = clock
        self._entries: collections.OrderedDict[int, _Scope] = collections.OrderedDict()
        self._generation = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def generation(self) -> int:
        """Changes with every invalidation; take it before a lookup, give it to ``put``."""
        return self._generation

    def get(self, agent_id: int, role: str) -> object | None:
        """The agent's cached value when it was computed for ``role`` and has not expired."""
        entry = self._entries.get(agent_id)
        if entry is None:
            return None
        if entry.role != role or entry.expires_at <= self._clock():
            del self._entries[agent_id]
            return None
        self._entries.move_to_end(agent_id)
        return entry.value

    def put(self, agent_id: int, role: str, value: object, generation: int) -> None:
        """Remember ``value`` for the agent, unless something changed since ``generation``."""
        if generation != self._generation:
            return
        self._entries.pop(agent_id, None)
        self._entries[agent_id] = _Scope(role, value, self._clock() + self._ttl_s)
        while len(self._entries) > self._max_size:
            self._entries.popitem(last=False)

    def drop(self, agent_ids: set[int]) -> None:
        """Forget the values of ``agent_ids`` (all of them for ``_EVERYONE``)."""
        self._generation += 1
        if _EVERYONE in agent_ids:
            self._entries.clear()
            return
        for agent_id in agent_ids:
            self._entries.pop(agent_id, None)


# The scope cache of each watched session class (one per database: ``Database.session_class``).
_SCOPE_CACHES: dict[type[Session], ScopeCache] = {}


def scope_cache_of(session: Session) -> ScopeCache | None:
    """The scope cache ``session`` may use: none when the session's class is not watched or
    the session holds a change (pending or flushed, not committed) of agents, tokens, teams,
    memberships or inboxes, which the cache would not reflect yet."""
    cache = _SCOPE_CACHES.get(_class_of(session))
    if cache is None or session.info.get(_CHANGED):
        return None
    if any(_changes_scopes(obj) for obj in (*session.new, *session.deleted)):
        return None
    if any(_changes_scopes(obj, dirty=True) for obj in session.dirty):
        return None
    return cache


def _class_of(session: Session) -> type[Session]:
    """The session class ``session`` counts as: a ``LeanSession`` stands for its database's."""
    return session.session_class if isinstance(session, LeanSession) else type(session)


def scope_cache_of_class(session_class: type[Session]) -> ScopeCache | None:
    """The scope cache of a watched session class (for a read that opens no session)."""
    return _SCOPE_CACHES.get(session_class)


@dataclass(frozen=True, slots=True)
class _Entry:
    agent_id: int
    columns: dict[str, Any]
    expires_at: float


class TokenCache:
    """Recently seen bearer tokens (by hash) and a snapshot of their agent's row."""

    def __init__(
        self,
        *,
        ttl_s: float = 5.0,
        max_size: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl_s = ttl_s
        self._max_size = max_size
        self._clock = clock
        self._entries: collections.OrderedDict[str, _Entry] = collections.OrderedDict()
        self._tokens_of_agent: dict[int, set[str]] = collections.defaultdict(set)
        self._generation = 0
        self._columns = [attr.key for attr in inspect(m.Agent).column_attrs]
        self.scopes = ScopeCache(ttl_s=ttl_s, max_size=max_size, clock=clock)
        # inbox id -> (api_key_hash, active), under the role ``INBOX_KEY``; dropped only when
        # everyone is (an inbox change counts as a change of every agent).
        self.inbox_keys = ScopeCache(ttl_s=ttl_s, max_size=max_size, clock=clock)

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def generation(self) -> int:
        """Changes with every invalidation; take it before a lookup, give it to ``put``."""
        return self._generation

    def get(self, token_hash: str) -> m.Agent | None:
        """A detached copy of the token's agent, or ``None`` when not cached or expired."""
        entry = self._entries.get(token_hash)
        if entry is None:
            return None
        if entry.expires_at <= self._clock():
            self._forget(token_hash)
            return None
        self._entries.move_to_end(token_hash)
        # The copy's attributes go straight into its state, as a load would put them: the
        # constructor's instrumented setattr per column cost more than the rest of ``get``.
        agent: m.Agent = _AGENT_MANAGER.new_instance()
        instance_state(agent).dict.update(entry.columns)
        make_transient_to_detached(agent)
        return agent

    def identity(self, token_hash: str) -> tuple[int, str] | None:
        """The token's agent id and role when ``get`` would give its agent (same expiry),
        without making the agent's copy; ``None`` otherwise (``get`` then decides)."""
        entry = self._entries.get(token_hash)
        if entry is None or entry.expires_at <= self._clock():
            return None
        self._entries.move_to_end(token_hash)
        return entry.agent_id, entry.columns["role"]

    def agent_id(self, token_hash: str, max_age_s: float) -> int | None:
        """The token's agent id when it was looked up at most ``max_age_s`` ago (maybe past
        the ``ttl_s`` of ``get``) and nothing dropped it since; ``None`` otherwise.

        For callers that need only the id and rely on revocations reaching this process
        (``drop_agents``) for the rest, such as the live calls answered with an open event
        stream's visibility (``api/live_calls.py``)."""
        entry = self._entries.get(token_hash)
        if entry is None or entry.expires_at - self._ttl_s + max_age_s <= self._clock():
            return None
        return entry.agent_id

    def put(self, token_hash: str, agent: m.Agent, generation: int) -> None:
        """Remember ``agent`` for the token, unless something changed since ``generation``."""
        if generation != self._generation:
            return
        columns = {key: getattr(agent, key) for key in self._columns}
        self._forget(token_hash)
        self._entries[token_hash] = _Entry(agent.id, columns, self._clock() + self._ttl_s)
        self._tokens_of_agent[agent.id].add(token_hash)
        while len(self._entries) > self._max_size:
            self._forget(next(iter(self._entries)))

    def drop_agents(self, agent_ids: set[int]) -> None:
        """Forget the tokens and scopes of ``agent_ids`` (all when it holds ``_EVERYONE``)."""
        self._generation += 1
        self.scopes.drop(agent_ids)
        if _EVERYONE in agent_ids:
            self.inbox_keys.drop(agent_ids)
            self._entries.clear()
            self._tokens_of_agent.clear()
            return
        for agent_id in agent_ids:
            for token_hash in self._tokens_of_agent.pop(agent_id, ()):
                del self._entries[token_hash]

    def _forget(self, token_hash: str) -> None:
        entry = self._entries.pop(token_hash, None)
        if entry is None:
            return
        tokens = self._tokens_of_agent[entry.agent_id]
        tokens.discard(token_hash)
        if not tokens:
            del self._tokens_of_agent[entry.agent_id]

    def watch(self, session_class: type[Session], *, notify: bool = False) -> None:
        """Drop entries when sessions of ``session_class`` commit agent or token changes.

        With ``notify`` (PostgreSQL) the changes are also announced to every server process.
        """
        _SCOPE_CACHES[session_class] = self.scopes
        sa_event.listen(session_class, "after_flush", _note_flushed_changes)
        sa_event.listen(session_class, "do_orm_execute", _note_bulk_changes)
        sa_event.listen(session_class, "after_commit", self._after_commit)
        sa_event.listen(session_class, "after_rollback", _forget_changes)
        if notify:
            # after_flush: the final flush of a commit runs after before_commit.
            sa_event.listen(session_class, "after_flush", _notify_changes)
            sa_event.listen(session_class, "before_commit", _notify_changes)

    def _after_commit(self, session: Session) -> None:
        changed: set[int] | None = session.info.pop(_CHANGED, None)
        if changed:
            self.drop_agents(changed)


def _changed(session: Session) -> set[int]:
    changed: set[int] = session.info.setdefault(_CHANGED, set())
    return changed


# Rows whose changes change an agent's token entries or scope.
_WATCHED = (m.Agent, m.AuthToken, m.TeamMember, m.Inbox, m.Team)
# The role the inbox keys are cached under (``TokenCache.inbox_keys``).
INBOX_KEY = "inbox_key"
# An inbox's columns that scopes (team) or the cached inbox keys (key, active) depend on.
_INBOX_WATCHED = ("team_id", "api_key_hash", "active")


def _changes_scopes(obj: object, *, dirty: bool = False) -> bool:
    """Whether a change of ``obj`` (new, deleted, or ``dirty``) changes tokens, scopes or
    inbox keys: an inbox's other columns (the round-robin pointer...) change nobody's."""
    if dirty and isinstance(obj, m.Inbox):
        attrs = inspect(obj).attrs
        return any(attrs[key].history.has_changes() for key in _INBOX_WATCHED)
    return isinstance(obj, _WATCHED)


def _note_flushed_changes(session: Session, _context: Any) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, m.Agent) and obj.id is not None:
            _changed(session).add(obj.id)
        elif isinstance(obj, m.AuthToken | m.TeamMember):
            _changed(session).add(obj.agent_id)
    for obj in (*session.new, *session.deleted):
        if isinstance(obj, m.Inbox | m.Team):
            _changed(session).add(_EVERYONE)
    for obj in session.dirty:
        if isinstance(obj, m.Inbox) and _changes_scopes(obj, dirty=True):
            _changed(session).add(_EVERYONE)


def _note_bulk_changes(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    mapper = state.bind_mapper
    if mapper is not None and mapper.class_ in _WATCHED:
        _changed(state.session).add(_EVERYONE)


def _notify_changes(session: Session, *_args: Any) -> None:
    """Announce the changed agents to every process (delivered by PostgreSQL at commit)."""
    changed: set[int] | None = session.info.get(_CHANGED)
    if changed:
        # PostgreSQL folds identical payloads of one transaction into one notification.
        session.connection().execute(
            text("SELECT pg_notify(:channel, :payload)"),
            {"channel": NOTIFY_CHANNEL, "payload": agents_payload(changed)},
        )


def _forget_changes(session: Session) -> None:
    session.info.pop(_CHANGED, None)
