"""Protocol JSON for every object of docs/protocol.md, one function per object.

The ``*_json`` functions format rows that are already loaded; the ``load_*`` functions fetch
what a list of rows needs (team ids, reactions, files, reply previews, last messages) in a few
bulk queries, never one query per row.
"""

from __future__ import annotations

import collections
import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from pydantic_core import to_json
from sqlalchemy import (
    Connection,
    Dialect,
    Row,
    Select,
    String,
    cast,
    exists,
    func,
    select,
    type_coerce,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import NullType

from convos_server.db import models as m
from convos_server.db.in_ids import in_ids
from convos_server.lru import LruCache

Json = dict[str, Any]
# A row of a Core statement, of any width (formatted like the model of its columns).
AnyRow = Row[*tuple[Any, ...]]
# how much of a list item's last message: all of it, without reactions, files and reply
# preview (what a history row shows), or none (``null``)
LastMessage = Literal["full", "brief", "none"]
REPLY_PREVIEW_CHARS = 200


@functools.lru_cache(maxsize=8192)
def _iso_utc(value: dt.datetime) -> str:
    """``value`` (UTC) as ``YYYY-MM-DDTHH:MM:SS.mmmZ``; cached, pages repeat the same moments."""
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (  # noqa: UP031 (the fastest formatting)
        value.year,
        value.month,
        value.day,
        value.hour,
        value.minute,
        value.second,
        value.microsecond // 1000,
    )


def iso(value: dt.datetime | None) -> str | None:
    """The protocol's time format: ISO 8601 UTC, milliseconds, ``Z``."""
    if value is None:
        return None
    if value.tzinfo is not dt.UTC:  # the columns give UTC already (``UTCDateTime``)
        value = value.astimezone(dt.UTC)
    return _iso_utc(value)


def agent_json(agent: m.Agent, team_ids: Sequence[int]) -> Json:
    """An Agent: ``status`` is the effective status."""
    return {
        "id": agent.id,
        "name": agent.name,
        "email": agent.email,
        "role": agent.role,
        "team_ids": sorted(team_ids),
        "status": agent.status,
        "chosen_status": agent.chosen_status,
        "active": agent.active,
    }


def team_json(team: m.Team, agent_ids: Sequence[int]) -> Json:
    """A Team with its members."""
    return {"id": team.id, "name": team.name, "agent_ids": sorted(agent_ids)}


def inbox_json(inbox: m.Inbox, api_key: str | None = None) -> Json:
    """An Inbox; ``api_key`` only right after it was created or rotated (it is stored hashed)."""
    data: Json = {
        "id": inbox.id,
        "name": inbox.name,
        "channel": inbox.channel,
        "team_id": inbox.team_id,
        "assignment": inbox.assignment,
        "max_open_per_agent": inbox.max_open_per_agent,
        "business_hours": inbox.business_hours,
        "active": inbox.active,
    }
    if api_key is not None:
        data["api_key"] = api_key
    return data


def contact_json(contact: m.Contact) -> Json:
    """A Contact."""
    return {
        "id": contact.id,
        "name": contact.name,
        "phone": contact.phone,
        "email": contact.email,
        "external_id": contact.external_id,
        "custom": dict(contact.custom or {}),
        "created_at": iso(contact.created_at),
        "updated_at": iso(contact.updated_at),
    }


def file_json(file: m.File | AnyRow) -> Json:
    """A File, with the URL its bytes are served from."""
    return {
        "id": file.id,
        "name": file.name,
        "kind": file.kind,
        "mime": file.mime,
        "size": file.size,
        "sha256": file.sha256,
        "width": file.width,
        "height": file.height,
        "library": file.library,
        "created_at": iso(file.created_at),
        "url": f"/api/v1/files/{file.id}",
    }


def reply_preview_json(message: m.Message | AnyRow) -> Json:
    """The quoted message shown above a reply."""
    return {
        "id": message.id,
        "body": message.body[:REPLY_PREVIEW_CHARS],
        "sender_name": message.sender_name,
        "direction": message.direction,
    }


def message_json(
    message: MessageRecord,
    reactions: Sequence[Json] = (),
    files: Sequence[Json] = (),
    reply_preview: Json | None = None,
) -> Json:
    """A Message; reactions, files and the reply preview come from ``load_messages``."""
    return {
        "id": message.id,
        "conversation_id": message.conversation_id,
        "ticket_id": message.ticket_id,
        "client_id": message.client_id,
        "direction": message.direction,
        "sender_type": message.sender_type,
        "sender_id": message.sender_id,
        "sender_name": message.sender_name,
        "body": message.body,
        "reply_to": message.reply_to,
        "reply_preview": reply_preview,
        "reactions": list(reactions),
        "files": list(files),
        "created_at": iso(message.created_at),
        "system": (
            {"kind": message.system_kind, "params": dict(message.system_params or {})}
            if message.system_kind is not None
            else None
        ),
    }


def ticket_json(
    ticket: m.Ticket | AnyRow, last_message: Json | None, label_ids: Sequence[int] = ()
) -> Json:
    """A Ticket with the last message of its conversation and its label ids."""
    return {
        "id": ticket.id,
        "conversation_id": ticket.conversation_id,
        "inbox_id": ticket.inbox_id,
        "contact_id": ticket.contact_id,
        "status": ticket.status,
        "assignee_id": ticket.assignee_id,
        "opened_at": iso(ticket.opened_at),
        "assigned_at": iso(ticket.assigned_at),
        "first_response_at": iso(ticket.first_response_at),
        "closed_at": iso(ticket.closed_at),
        "closed_by": ticket.closed_by,
        "reopen_count": ticket.reopen_count,
        "last_message": last_message,
        "last_message_at": iso(ticket.last_message_at),
        "snoozed": bool(ticket.snoozed),
        "snoozed_until": iso(ticket.snoozed_until),
        "snoozed_by": ticket.snoozed_by,
        "label_ids": sorted(label_ids),
    }


def conversation_json(conversation: m.Conversation, last_message: Json | None) -> Json:
    """A Conversation with its last message."""
    return {
        "id": conversation.id,
        "contact_id": conversation.contact_id,
        "inbox_id": conversation.inbox_id,
        "origin": conversation.origin,
        "created_at": iso(conversation.created_at),
        "last_message_at": iso(conversation.last_message_at),
        "open_ticket_id": conversation.open_ticket_id,
        "campaign": conversation.campaign,
        "last_message": last_message,
    }


def canned_json(canned: m.CannedReply) -> Json:
    """A canned (quick) reply."""
    return {
        "id": canned.id,
        "shortcut": canned.shortcut,
        "text": canned.text,
        "language": canned.language,
        "owner_id": canned.owner_id,
        "updated_at": iso(canned.updated_at),
    }


def activity_json(activity: m.Activity) -> Json:
    """An entry of a contact's activity feed."""
    return {
        "id": activity.id,
        "contact_id": activity.contact_id,
        "kind": activity.kind,
        "params": dict(activity.params or {}),
        "text": activity.text,
        "agent_id": activity.agent_id,
        "ticket_id": activity.ticket_id,
        "created_at": iso(activity.created_at),
    }


async def load_agents(session: AsyncSession, agents: Sequence[m.Agent]) -> list[Json]:
    """Agents as JSON, with their team ids from one query."""
    ids = [agent.id for agent in agents]
    teams: dict[int, list[int]] = defaultdict(list)
    if ids:
        rows = await session.execute(
            select(m.TeamMember.agent_id, m.TeamMember.team_id).where(
                m.TeamMember.agent_id.in_(ids)
            )
        )
        for agent_id, team_id in rows:
            teams[agent_id].append(team_id)
    return [agent_json(agent, teams[agent.id]) for agent in agents]


async def load_agent(session: AsyncSession, agent: m.Agent) -> Json:
    """One Agent as JSON."""
    return (await load_agents(session, [agent]))[0]


async def load_teams(session: AsyncSession, teams: Sequence[m.Team]) -> list[Json]:
    """Teams as JSON, with their members from one query."""
    ids = [team.id for team in teams]
    members: dict[int, list[int]] = defaultdict(list)
    if ids:
        rows = await session.execute(
            select(m.TeamMember.team_id, m.TeamMember.agent_id).where(m.TeamMember.team_id.in_(ids))
        )
        for team_id, agent_id in rows:
            members[team_id].append(agent_id)
    return [team_json(team, members[team.id]) for team in teams]


# The bulk reads of the ``load_*`` functions: Core statements on the tables, built once
# (``in_ids``: the ids bound as one parameter), run on the session's connection in one hop to the
# driver (``_run_core``) and formatted straight from their rows: no ORM objects to load, no
# statement to build and key per call. A row has the attributes of the model's columns, so the
# ``*_json`` functions format it as they format the model.
_T = TypeVar("_T")
_messages = m.Message.__table__.c
_files = m.File.__table__.c
_message_files = m.MessageFile.__table__.c
_reactions = m.Reaction.__table__.c
_REACTIONS = (
    select(_reactions.message_id, _reactions.emoji, _reactions.agent_id)
    .where(in_ids(_reactions.message_id, "ids"))
    .order_by(_reactions.message_id, _reactions.created_at, _reactions.agent_id)
)
_FILES = (
    select(_message_files.message_id.label("of_message"), *_files)
    .join_from(m.MessageFile.__table__, m.File.__table__, _files.id == _message_files.file_id)
    .where(in_ids(_message_files.message_id, "ids"))
    .order_by(_message_files.message_id, _message_files.position)
)
_PREVIEWS = select(_messages.id, _messages.body, _messages.sender_name, _messages.direction).where(
    in_ids(_messages.id, "ids")
)
_MESSAGES = select(*_messages).where(in_ids(_messages.id, "ids"))
_ticket_labels = m.TicketLabel.__table__.c


@dataclass(slots=True)
class NewMessage:
    """A message's columns' values: one the hot write paths inserted with a Core statement, or
    a ticket item's last message (``_item_json``).

    It has the attributes of ``m.Message``'s columns, so ``message_json`` formats it like the
    model; no ORM object exists for it (``services.messages.insert_message``).
    """

    id: int
    conversation_id: int
    ticket_id: int | None
    direction: str
    sender_type: str
    sender_id: int | None
    sender_name: str
    body: str
    reply_to: int | None
    client_id: str | None
    created_at: dt.datetime
    system_kind: str | None = None
    system_params: dict[str, Any] | None = None


# A message as a model, a row of its table's columns (``_MESSAGES``) or its values (one just
# inserted, a ticket item's last message).
MessageRecord = m.Message | AnyRow | NewMessage


async def _run_core(session: AsyncSession, read: Callable[..., _T], *args: object) -> _T:
    """``read(connection, *args)`` on the session's connection, in one hop to the driver.

    The session's pending changes are flushed first (a Core statement does not autoflush).
    """
    if session.new or session.dirty or session.deleted:
        await session.flush()
    connection = await session.connection()
    return await connection.run_sync(read, *args)


def _files_by_message(connection: Connection, message_ids: Sequence[int]) -> dict[int, list[Json]]:
    files: dict[int, list[Json]] = defaultdict(list)
    if message_ids:
        for row in connection.execute(_FILES, {"ids": list(message_ids)}):
            files[row.of_message].append(file_json(row))
    return files


async def load_files_by_message(
    session: AsyncSession, message_ids: Sequence[int]
) -> dict[int, list[Json]]:
    """The files attached to each message, in attachment order."""
    if not message_ids:
        return defaultdict(list)
    return await _run_core(session, _files_by_message, message_ids)


def _reactions_json(pairs: Iterable[tuple[str, int]]) -> list[Json]:
    """A message's reactions, ``(emoji, agent_id)`` in order, grouped by emoji."""
    emojis: dict[str, list[int]] = {}
    for emoji, agent_id in pairs:
        emojis.setdefault(emoji, []).append(agent_id)
    return [{"emoji": emoji, "agent_ids": ids} for emoji, ids in emojis.items()]


def _reaction_pairs(
    connection: Connection, message_ids: Sequence[int]
) -> dict[int, list[tuple[str, int]]]:
    """Each message's reactions as ``(emoji, agent_id)``, in the order they are shown."""
    pairs: dict[int, list[tuple[str, int]]] = defaultdict(list)
    if message_ids:
        for message_id, emoji, agent_id in connection.execute(
            _REACTIONS, {"ids": list(message_ids)}
        ):
            pairs[message_id].append((emoji, agent_id))
    return pairs


def _reactions_by_message(
    connection: Connection, message_ids: Sequence[int]
) -> dict[int, list[Json]]:
    return {
        message_id: _reactions_json(pairs)
        for message_id, pairs in _reaction_pairs(connection, message_ids).items()
    }


def _messages_json(connection: Connection, messages: Sequence[MessageRecord]) -> list[Json]:
    """Messages (models or rows) as JSON with reactions, files and reply previews."""
    ids = [message.id for message in messages]
    reactions = _reactions_by_message(connection, ids)
    files = _files_by_message(connection, ids)
    quoted_ids = {message.reply_to for message in messages if message.reply_to is not None}
    previews: dict[int, Json] = {}
    if quoted_ids:
        quoted = connection.execute(_PREVIEWS, {"ids": list(quoted_ids)})
        previews = {row.id: reply_preview_json(row) for row in quoted}
    return [
        message_json(
            message,
            reactions.get(message.id, ()),
            files.get(message.id, ()),
            previews.get(message.reply_to) if message.reply_to is not None else None,
        )
        for message in messages
    ]


async def load_messages(session: AsyncSession, messages: Sequence[m.Message]) -> list[Json]:
    """Messages as JSON with reactions, files and reply previews: three queries in all."""
    if not messages:
        return []
    return await _run_core(session, _messages_json, messages)


async def load_message(session: AsyncSession, message: m.Message) -> Json:
    """One Message as JSON."""
    return (await load_messages(session, [message]))[0]


async def load_new_message(
    session: AsyncSession, message: m.Message | NewMessage, file_ids: Sequence[int] = ()
) -> Json:
    """A message just inserted with ``file_ids`` as JSON, without the queries it cannot need.

    It has no reactions yet and its files are exactly ``file_ids``; the quoted message is
    usually in the session already. Same shape as ``load_message``.
    """
    files: list[Json] = []
    if file_ids:
        rows = await session.scalars(select(m.File).where(m.File.id.in_(file_ids)))
        by_id = {file.id: file for file in rows}
        files = [file_json(by_id[file_id]) for file_id in file_ids]
    preview = None
    if message.reply_to is not None:
        quoted = await session.get(m.Message, message.reply_to)
        preview = reply_preview_json(quoted) if quoted is not None else None
    return message_json(message, (), files, preview)


def _loaded(
    connection: Connection, messages: Sequence[MessageRecord], last_message: LastMessage
) -> list[Json]:
    if last_message == "brief":
        return [message_json(message) for message in messages]
    return _messages_json(connection, messages)


def _last_messages_by_id(
    connection: Connection, wanted: set[int], last_message: LastMessage
) -> dict[int, Json]:
    rows = connection.execute(_MESSAGES, {"ids": list(wanted)}).all()
    return {data["id"]: data for data in _loaded(connection, rows, last_message)}


async def _last_messages(
    session: AsyncSession, message_ids: Iterable[int | None], last_message: LastMessage
) -> dict[int, Json]:
    wanted = {message_id for message_id in message_ids if message_id is not None}
    if not wanted or last_message == "none":
        return {}
    return await _run_core(session, _last_messages_by_id, wanted, last_message)


async def load_conversations(
    session: AsyncSession,
    conversations: Sequence[m.Conversation],
    *,
    last_message: LastMessage = "full",
) -> list[Json]:
    """Conversations as JSON with their last messages (as much as ``last_message`` says)."""
    last = await _last_messages(session, (c.last_message_id for c in conversations), last_message)
    return [
        conversation_json(c, last.get(c.last_message_id) if c.last_message_id else None)
        for c in conversations
    ]


# A ticket as a model or as a row (``load_tickets`` reads its item again by id).
TicketRecord = m.Ticket | AnyRow

# What a ticket item is made of, read with the ticket in one statement (the page's and
# ``load_tickets``'): the ticket's columns, its label ids (one string, any order), and unless
# ``last_message="none"`` its conversation's last message's columns (``lm_*``, NULL when there
# is none) and, for ``"full"``, whether that message has reactions and files (their rows are
# read only then). The conversation and message are aliases, so a filter's subquery on those
# tables (a text search) is never correlated to the joined last message.
_tickets = m.Ticket.__table__
_TICKET_COLUMN_COUNT = len(_tickets.c)
_lm_conversation = m.Conversation.__table__.alias("lm_conversation")
_lm = m.Message.__table__.alias("lm")
_LABEL_IDS = (
    select(func.aggregate_strings(cast(_ticket_labels.label_id, String), ","))
    .where(_ticket_labels.ticket_id == _tickets.c.id)
    .scalar_subquery()
    .label("label_ids")
)
_LM_COLUMNS = tuple(column.label(f"lm_{column.name}") for column in _lm.c)
_LM_NAMES = tuple(column.name for column in _lm.c)
_LM_HAS = (
    exists().where(_reactions.message_id == _lm.c.id).label("lm_has_reactions"),
    exists().where(_message_files.message_id == _lm.c.id).label("lm_has_files"),
)
# The conversation's revision (migration 0011): an item with its last message is made of the
# conversation's parts too, kept at the pair of revisions it was read at.
_CONVERSATION_REVISION = _lm_conversation.c.revision.label("conversation_revision")
_ITEM_COLUMNS: dict[LastMessage, tuple[Any, ...]] = {
    "none": (*_tickets.c, _LABEL_IDS),
    "brief": (*_tickets.c, _LABEL_IDS, *_LM_COLUMNS, _CONVERSATION_REVISION),
    "full": (*_tickets.c, _LABEL_IDS, *_LM_COLUMNS, _CONVERSATION_REVISION, *_LM_HAS),
}
_WITH_LAST_MESSAGE = _tickets.join(
    _lm_conversation, _lm_conversation.c.id == _tickets.c.conversation_id
).outerjoin(_lm, _lm.c.id == _lm_conversation.c.last_message_id)


def _raw(column: Any) -> Any:
    """``column`` under its name, with the value the driver gives (no result processing)."""
    return type_coerce(getattr(column, "element", column), NullType()).label(column.name)


# The item columns as the statements select them: raw values, enough for a fragment's key
# (``page_item``); an item is decoded (``ItemDecoder``) only to be formatted.
_ITEM_COLUMN_NAMES = {
    option: tuple(column.name for column in columns) for option, columns in _ITEM_COLUMNS.items()
}
_RAW_ITEM_COLUMNS = {
    option: tuple(_raw(column) for column in columns) for option, columns in _ITEM_COLUMNS.items()
}


def item_select(query: Select[Any], last_message: LastMessage) -> Select[Any]:
    """``query`` (a SELECT of tickets) selecting what its items are made of, raw
    (``ItemDecoder.decode`` gives the typed values)."""
    query = query.with_only_columns(*_RAW_ITEM_COLUMNS[last_message])
    return query if last_message == "none" else query.select_from(_WITH_LAST_MESSAGE)


_ITEMS_BY_ID = {
    option: item_select(select(_tickets).where(in_ids(_tickets.c.id, "ids")), option)
    for option in _ITEM_COLUMNS
}


class RowDecoder:
    """Turns raw rows of ``columns`` (the driver's values) into the typed values the columns'
    types give for one dialect, as named tuples of the columns' names."""

    def __init__(self, dialect: Dialect, columns: Sequence[Any]) -> None:
        self._processors = [
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        ]
        self.names = [column.name for column in columns]
        self._row: Any = collections.namedtuple("_Row", self.names)  # type: ignore[misc]

    def decode(self, row: Sequence[Any]) -> Any:
        """``row``'s values, typed, by column name (as a row of the typed columns)."""
        return self._row._make(
            [
                value if process is None else process(value)
                for process, value in zip(self._processors, row, strict=True)
            ]
        )


class ItemDecoder(RowDecoder):
    """Turns raw item rows (``item_select``) into the typed values the columns' types give,
    for one dialect and ``last_message`` option (``decoder_for``)."""

    def __init__(self, dialect: Dialect, last_message: LastMessage) -> None:
        super().__init__(dialect, _ITEM_COLUMNS[last_message])
        self._moment = self._processors[LAST_MESSAGE_AT]

    def last_message_at(self, item: Sequence[Any]) -> dt.datetime:
        """``item``'s ticket's ``last_message_at``, typed (a keyset cursor's moment)."""
        return self.moment(item[LAST_MESSAGE_AT])

    def moment(self, value: Any) -> dt.datetime:
        """A raw ``last_message_at`` as the driver gave it, typed."""
        return value if self._moment is None else self._moment(value)  # type: ignore[no-any-return]


_DECODERS: dict[tuple[str, LastMessage], ItemDecoder] = {}


def decoder_for(dialect: Dialect, last_message: LastMessage) -> ItemDecoder:
    """The ``ItemDecoder`` of ``dialect`` and ``last_message``, made once."""
    key = (dialect.name, last_message)
    decoder = _DECODERS.get(key)
    if decoder is None:
        decoder = _DECODERS[key] = ItemDecoder(dialect, last_message)
    return decoder


# Where an item row's values are (``_ITEM_COLUMNS``): rows are read by position, the same
# way for SQLAlchemy's rows, ``sqlite3``'s tuples and ``asyncpg``'s records.
TICKET_ID = 0
LAST_MESSAGE_AT = [column.name for column in _tickets.c].index("last_message_at")
REVISION = [column.name for column in _tickets.c].index("revision")
LM_ID = _TICKET_COLUMN_COUNT + 1 + _LM_NAMES.index("id")
LM_REPLY_TO = _TICKET_COLUMN_COUNT + 1 + _LM_NAMES.index("reply_to")
LM_SYSTEM_PARAMS = _TICKET_COLUMN_COUNT + 1 + _LM_NAMES.index("system_params")
CONVERSATION_REVISION = _TICKET_COLUMN_COUNT + 1 + len(_LM_NAMES)
LM_HAS_REACTIONS = CONVERSATION_REVISION + 1
LM_HAS_FILES = LM_HAS_REACTIONS + 1
# The columns of a last message's file rows and quoted message's preview (``_FILES``,
# ``_PREVIEWS``), for a reader that decodes their raw rows itself (``parts_decoders``).
FILE_COLUMNS = (_message_files.message_id.label("of_message"), *_files)
PREVIEW_COLUMNS = (_messages.id, _messages.body, _messages.sender_name, _messages.direction)
_PARTS_DECODERS: dict[str, tuple[RowDecoder, RowDecoder]] = {}


def parts_decoders(dialect: Dialect) -> tuple[RowDecoder, RowDecoder]:
    """Decoders of raw file rows (``FILE_COLUMNS``) and preview rows (``PREVIEW_COLUMNS``)."""
    found = _PARTS_DECODERS.get(dialect.name)
    if found is None:
        found = _PARTS_DECODERS[dialect.name] = (
            RowDecoder(dialect, FILE_COLUMNS),
            RowDecoder(dialect, PREVIEW_COLUMNS),
        )
    return found


@dataclass(slots=True)
class ItemParts:
    """The rows of a page's last messages' reactions, files and quoted messages."""

    reactions: dict[int, list[tuple[str, int]]]  # message id -> (emoji, agent id)
    files: dict[int, list[Any]]  # message id -> its files' typed rows, in attachment order
    previews: dict[int, Any]  # quoted message id -> its preview row


@dataclass(frozen=True, slots=True)
class WantedParts:
    """Which last messages of a page need their reactions, files or quoted message read."""

    with_reactions: list[int]
    with_files: list[int]
    quoted: list[int]


def wanted_parts(items: Sequence[Sequence[Any]], last_message: LastMessage) -> WantedParts | None:
    """What the item rows' last messages need beside their own columns (``"full"`` only):
    reactions and files of the messages that have any, the quoted messages' previews;
    ``None`` when nothing."""
    if last_message != "full":
        return None
    with_reactions = [item[LM_ID] for item in items if item[LM_HAS_REACTIONS]]
    with_files = [item[LM_ID] for item in items if item[LM_HAS_FILES]]
    quoted = list({item[LM_REPLY_TO] for item in items if item[LM_REPLY_TO] is not None})
    if not with_reactions and not with_files and not quoted:
        return None
    return WantedParts(with_reactions, with_files, quoted)


def no_parts() -> ItemParts:
    """An ``ItemParts`` with nothing read yet."""
    return ItemParts({}, defaultdict(list), {})


def _item_parts(
    connection: Connection, items: Sequence[AnyRow], last_message: LastMessage
) -> ItemParts:
    """The ``ItemParts`` of item rows, read through SQLAlchemy (``wanted_parts``)."""
    parts = no_parts()
    wanted = wanted_parts(items, last_message)
    if wanted is None:
        return parts
    if wanted.with_reactions:
        parts.reactions = _reaction_pairs(connection, wanted.with_reactions)
    if wanted.with_files:
        for row in connection.execute(_FILES, {"ids": wanted.with_files}):
            parts.files[row.of_message].append(row)
    if wanted.quoted:
        previews = connection.execute(_PREVIEWS, {"ids": wanted.quoted})
        parts.previews = {row.id: row for row in previews}
    return parts


_Extras = tuple[tuple[tuple[str, int], ...], tuple[Any, ...], Any]


_NO_EXTRAS: _Extras = ((), (), None)


def _extras_of(item: Sequence[Any], parts: ItemParts, last_message: LastMessage) -> _Extras:
    """The item's last message's reaction pairs, file rows and quoted message's row."""
    if last_message != "full":
        return _NO_EXTRAS
    reply_to = item[LM_REPLY_TO]
    if reply_to is None and not item[LM_HAS_REACTIONS] and not item[LM_HAS_FILES]:
        return _NO_EXTRAS
    message_id = item[LM_ID]
    return (
        tuple(parts.reactions.get(message_id, ())),
        tuple(parts.files.get(message_id, ())),
        parts.previews.get(reply_to) if reply_to is not None else None,
    )


def _item_json(
    raw: Sequence[Any], extras: _Extras, last_message: LastMessage, decoder: ItemDecoder
) -> Json:
    """A ticket item as JSON, from its raw row and its last message's extras."""
    item = decoder.decode(raw)
    last: Json | None = None
    if last_message != "none" and item.lm_id is not None:
        start = _TICKET_COLUMN_COUNT + 1  # the ticket's columns, then label_ids
        values = item[start : start + len(_LM_NAMES)]
        message = NewMessage(**dict(zip(_LM_NAMES, values, strict=True)))
        reactions, files, preview = extras
        last = message_json(
            message,
            _reactions_json(reactions),
            [file_json(file) for file in files],
            reply_preview_json(preview) if preview is not None else None,
        )
    labels = item.label_ids
    return ticket_json(item, last, [int(label) for label in labels.split(",")] if labels else ())


def _tickets_json(
    connection: Connection, tickets: Sequence[TicketRecord], last_message: LastMessage
) -> list[Json]:
    items = connection.execute(_ITEMS_BY_ID[last_message], {"ids": [t.id for t in tickets]})
    rows = items.all()
    parts = _item_parts(connection, rows, last_message)
    decoder = decoder_for(connection.dialect, last_message)
    by_id = {
        row.id: _item_json(row, _extras_of(row, parts, last_message), last_message, decoder)
        for row in rows
    }
    return [by_id[ticket.id] for ticket in tickets]


async def load_tickets(
    session: AsyncSession, tickets: Sequence[TicketRecord], *, last_message: LastMessage = "full"
) -> list[Json]:
    """Tickets as JSON, each with the last message of its conversation (as much of it as
    ``last_message`` says) and its label ids: read again by id with the page's statement
    (``item_select``), so a model's pending changes are flushed first."""
    if not tickets:
        return []
    return await _run_core(session, _tickets_json, tickets, last_message)


async def load_ticket(session: AsyncSession, ticket: m.Ticket) -> Json:
    """One Ticket as JSON."""
    return (await load_tickets(session, [ticket]))[0]


async def contacts_of(session: AsyncSession, contact_ids: set[int]) -> list[Json]:
    """The contacts with these ids as JSON (a page's side-loaded contacts)."""
    if not contact_ids:
        return []
    found = await session.scalars(select(m.Contact).where(m.Contact.id.in_(contact_ids)))
    return [contact_json(contact) for contact in found]


# What a page item was made of (its raw row's values and its last message's extras) and its
# JSON bytes.
Fragment = tuple[tuple[Any, ...], _Extras, bytes]


class TicketFragments(LruCache[tuple[str, int], Fragment]):
    """The JSON bytes of ticket page items, with every value they were made of.

    Per ``last_message`` option and ticket id: the ticket's row, its last message's row, that
    message's reactions, files and quoted message's rows, and its label ids, exactly as read
    for the page that formatted it, and the item's bytes. A page reuses the bytes only when
    every value it read for the item equals the stored ones (compared, not hashed: hashing
    ~33 values per item, bodies included, cost more than comparing them); any other value
    formats the item again and replaces the entry. Nothing is ever invalidated, so a write
    path cannot leave a page stale. The item rows include ``tickets.revision`` and (with a
    last message) ``conversations.revision``, which the database changes with every write
    that changes an item's own or its conversation's parts (migrations 0010, 0011): a plain
    first page on the driver (``services.ticket_page``) reads its heads (ids and revisions)
    and reads whole only the items whose entry has other revisions (``current``); ``pages``
    keeps such a page's last heads and encoded items, reused while its heads are the same.
    Bounded, least recently used first out. One per app (``app.state.ticket_fragments``).
    """

    def __init__(self, size: int = 4096, pages: int = 256) -> None:
        super().__init__(size)
        # (statement's identity, option) -> (statement, heads, items' bytes, next cursor)
        self.pages: LruCache[tuple[int, str], tuple[object, list[Any], list[bytes], str | None]]
        self.pages = LruCache(pages)

    def current(
        self, last_message: LastMessage, heads: Sequence[Sequence[Any]]
    ) -> tuple[dict[int, Fragment], list[int]]:
        """For page heads ``(ticket id, ticket revision[, conversation revision])`` (the
        conversation's unless ``last_message="none"``): the entries of the items read at
        those revisions (``tickets.revision`` changes with every write of the ticket's row and
        labels, migration 0010; ``conversations.revision`` with every write of the last
        message, its reactions and files, or the quoted message, migration 0011), marked
        recently used, and the ids of the others in the heads' order."""
        kept: dict[int, Fragment] = {}
        stale: list[int] = []
        entries = self._items
        with_conversation = last_message != "none"
        for head in heads:
            ticket_id = head[0]
            key = (last_message, ticket_id)
            found = entries.get(key)
            if (
                found is not None
                and found[0][REVISION] == head[1]
                and (not with_conversation or found[0][CONVERSATION_REVISION] == head[2])
            ):
                entries.move_to_end(key)
                kept[ticket_id] = found
            else:
                stale.append(ticket_id)
        return kept, stale


def _normalised(extras: _Extras) -> _Extras:
    """``extras`` as plain tuples of values, whatever rows they came from."""
    if extras is _NO_EXTRAS:
        return extras
    reactions, files, preview = extras
    return (
        reactions,
        tuple(tuple(file) for file in files),
        tuple(preview) if preview is not None else None,
    )


def _compared(values: tuple[Any, ...], last_message: LastMessage) -> tuple[Any, ...]:
    """An item row's values as compared: a JSON value the driver decoded (``asyncpg``: the
    last message's ``system_params`` as a dict) as its JSON bytes, since ``==`` on dicts
    does not see every difference their JSON shows (``1 == 1.0 == True``, ``0.0 == -0.0``)."""
    if last_message == "none":
        return values
    params = values[LM_SYSTEM_PARAMS]
    if params is None or isinstance(params, str):
        return values
    return (*values[:LM_SYSTEM_PARAMS], to_json(params), *values[LM_SYSTEM_PARAMS + 1 :])


def page_item(
    item: Sequence[Any],
    parts: ItemParts,
    last_message: LastMessage,
    fragments: TicketFragments,
    decoder: ItemDecoder,
) -> bytes:
    """One item of a page as JSON bytes, from ``fragments`` when nothing in it changed.

    ``item`` is a raw row of ``item_select``'s columns (what the driver gave: a SQLAlchemy
    row, a ``sqlite3`` tuple or an ``asyncpg`` record); decoding it is left to a miss."""
    extras = _extras_of(item, parts, last_message)
    made_of = _normalised(extras)
    values = _compared(tuple(item), last_message)
    key = (last_message, values[TICKET_ID])
    found = fragments.get(key)
    if found is not None and found[0] == values and found[1] == made_of:
        return found[2]
    encoded = to_json(_item_json(item, extras, last_message, decoder))
    fragments.put(key, (values, made_of, encoded))
    return encoded


def _page_items(
    connection: Connection,
    items: Sequence[AnyRow],
    last_message: LastMessage,
    fragments: TicketFragments,
) -> list[bytes]:
    parts = _item_parts(connection, items, last_message)
    decoder = decoder_for(connection.dialect, last_message)
    return [page_item(item, parts, last_message, fragments, decoder) for item in items]


async def load_ticket_page_items(
    session: AsyncSession,
    items: Sequence[AnyRow],
    fragments: TicketFragments,
    *,
    last_message: LastMessage = "full",
) -> list[bytes]:
    """Item rows (``item_select``) as the JSON bytes of ``load_tickets``' items (what FastAPI
    encodes them to), each formatted only when ``fragments`` has not seen all it is made of."""
    if not items:
        return []
    return await _run_core(session, _page_items, items, last_message, fragments)


def page_json(items: Sequence[bytes], rest: Json) -> bytes:
    """``{"items": [...], **rest}`` as JSON bytes, from items already encoded."""
    tail = to_json(rest)
    if tail == b"{}":
        return b'{"items":[' + b",".join(items) + b"]}"
    return b'{"items":[' + b",".join(items) + b"]," + tail[1:]
