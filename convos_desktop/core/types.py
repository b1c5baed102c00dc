"""Typed records shared by core, models and views: the protocol objects of docs/protocol.md.

Records are frozen dataclasses built from server JSON (``from_json``) or from the local cache.
Times are timezone-aware UTC ``datetime`` objects. Views never see raw JSON.
"""

from __future__ import annotations

import datetime as dt
import struct
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, TypeVar


def parse_time(value: str | None) -> dt.datetime | None:
    """Parse the protocol's ISO 8601 UTC time (``...Z``); ``None`` stays ``None``."""
    if value is None:
        return None
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(dt.UTC)


def format_time(value: dt.datetime | None) -> str | None:
    """Format a time the way the protocol does (millisecond precision, ``Z``)."""
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Status(StrEnum):
    """An agent's presence status."""

    ONLINE = "online"
    BUSY = "busy"
    UNAVAILABLE = "unavailable"


class Screen(StrEnum):
    """Which kind of screen the agent is on, as the presence heartbeat reports it."""

    CONVERSATIONS = "conversations"
    OTHER = "other"


class View(StrEnum):
    """The ticket views of the navigation tree."""

    MINE = "mine"
    UNASSIGNED = "unassigned"
    ALL = "all"
    SNOOZED = "snoozed"  # open tickets put aside until a time or the customer's reply


class Direction(StrEnum):
    """Who a message goes to or comes from."""

    IN = "in"
    OUT = "out"
    NOTE = "note"
    SYSTEM = "system"


class Delivery(StrEnum):
    """The local delivery state of a message: confirmed by the server, or still in the outbox."""

    SENT = "sent"
    PENDING = "pending"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Agent:
    """An agent or admin."""

    id: int
    name: str
    email: str
    role: str
    team_ids: tuple[int, ...]
    status: Status
    chosen_status: Status

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Agent:
        return cls(
            id=d["id"],
            name=d["name"],
            email=d["email"],
            role=d["role"],
            team_ids=tuple(d.get("team_ids", ())),
            status=Status(d["status"]),
            chosen_status=Status(d.get("chosen_status", d["status"])),
        )


@dataclass(frozen=True, slots=True)
class Team:
    """A team of agents."""

    id: int
    name: str
    agent_ids: tuple[int, ...]

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Team:
        return cls(id=d["id"], name=d["name"], agent_ids=tuple(d.get("agent_ids", ())))


@dataclass(frozen=True, slots=True)
class Inbox:
    """An inbox (channel + team + assignment mode)."""

    id: int
    name: str
    channel: str
    team_id: int | None
    assignment: str
    max_open_per_agent: int | None
    business_hours: str = ""
    active: bool = True

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Inbox:
        return cls(
            id=d["id"],
            name=d["name"],
            channel=d["channel"],
            team_id=d.get("team_id"),
            assignment=d["assignment"],
            max_open_per_agent=d.get("max_open_per_agent"),
            business_hours=d.get("business_hours") or "",
            active=bool(d.get("active", True)),
        )


@dataclass(frozen=True, slots=True)
class Contact:
    """A customer."""

    id: int
    name: str
    phone: str | None
    email: str | None
    external_id: str | None
    custom: dict[str, str]
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Contact:
        created = parse_time(d["created_at"])
        assert created is not None
        return cls(
            id=d["id"],
            name=d["name"],
            phone=d.get("phone"),
            email=d.get("email"),
            external_id=d.get("external_id"),
            custom=dict(d.get("custom") or {}),
            created_at=created,
            updated_at=parse_time(d.get("updated_at")) or created,
        )


@dataclass(frozen=True, slots=True)
class FileInfo:
    """An uploaded file's metadata (the bytes are fetched from ``url``)."""

    id: int
    name: str
    kind: str
    mime: str
    size: int
    sha256: str
    width: int | None
    height: int | None
    library: bool
    url: str

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> FileInfo:
        return cls(
            id=d["id"],
            name=d["name"],
            kind=d["kind"],
            mime=d["mime"],
            size=d["size"],
            sha256=d.get("sha256", ""),
            width=d.get("width"),
            height=d.get("height"),
            library=bool(d.get("library", False)),
            url=d.get("url") or f"/api/v1/files/{d['id']}",
        )


@dataclass(frozen=True, slots=True)
class Reaction:
    """One emoji and the agents who chose it."""

    emoji: str
    agent_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ReplyPreview:
    """The quoted block of a reply."""

    id: int
    body: str
    sender_name: str
    direction: Direction


@dataclass(frozen=True, slots=True)
class SystemLine:
    """What a system line or an activity says: a protocol ``kind`` and its ``params`` (ids).

    The UI words known kinds in the agent's language (``ui.system_text``); the English text
    the server wrote next to it is only the fallback for kinds it does not know.
    """

    kind: str
    params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, d: dict[str, Any] | None) -> SystemLine | None:
        if not d or not d.get("kind"):
            return None
        return cls(kind=d["kind"], params=dict(d.get("params") or {}))


@dataclass(frozen=True, slots=True)
class Message:
    """A message of a conversation, confirmed (``id`` > 0) or a local echo (``id`` < 0)."""

    id: int
    conversation_id: int
    ticket_id: int | None
    client_id: str | None
    direction: Direction
    sender_type: str
    sender_id: int | None
    sender_name: str
    body: str
    reply_to: int | None
    reply_preview: ReplyPreview | None
    reactions: tuple[Reaction, ...]
    files: tuple[FileInfo, ...]
    created_at: dt.datetime
    delivery: Delivery = Delivery.SENT
    error: str | None = None  # a refused send: "<protocol code>: <server message>"
    system: SystemLine | None = None  # system lines: what happened (``body`` is English)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Message:
        rp = d.get("reply_preview")
        created = parse_time(d["created_at"])
        assert created is not None
        return cls(
            id=d["id"],
            conversation_id=d["conversation_id"],
            ticket_id=d.get("ticket_id"),
            client_id=d.get("client_id"),
            direction=Direction(d["direction"]),
            sender_type=d["sender_type"],
            sender_id=d.get("sender_id"),
            sender_name=d.get("sender_name", ""),
            body=d.get("body", ""),
            reply_to=d.get("reply_to"),
            reply_preview=(
                ReplyPreview(rp["id"], rp["body"], rp["sender_name"], Direction(rp["direction"]))
                if rp
                else None
            ),
            reactions=tuple(
                Reaction(r["emoji"], tuple(r["agent_ids"])) for r in d.get("reactions", ())
            ),
            files=tuple(FileInfo.from_json(f) for f in d.get("files", ())),
            created_at=created,
            system=SystemLine.from_json(d.get("system")),
        )


@dataclass(frozen=True, slots=True)
class Ticket:
    """A ticket with what the ticket list shows of it."""

    id: int
    conversation_id: int
    inbox_id: int
    contact_id: int
    status: str
    assignee_id: int | None
    opened_at: dt.datetime
    assigned_at: dt.datetime | None
    first_response_at: dt.datetime | None
    closed_at: dt.datetime | None
    closed_by: int | None
    reopen_count: int
    last_message_at: dt.datetime
    last_message: Message | None = None
    snoozed: bool = False
    snoozed_until: dt.datetime | None = None  # None while snoozed: until the customer replies
    snoozed_by: int | None = None
    label_ids: tuple[int, ...] = ()

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Ticket:
        opened = parse_time(d["opened_at"])
        assert opened is not None
        lm = d.get("last_message")
        return cls(
            id=d["id"],
            conversation_id=d["conversation_id"],
            inbox_id=d["inbox_id"],
            contact_id=d["contact_id"],
            status=d["status"],
            assignee_id=d.get("assignee_id"),
            opened_at=opened,
            assigned_at=parse_time(d.get("assigned_at")),
            first_response_at=parse_time(d.get("first_response_at")),
            closed_at=parse_time(d.get("closed_at")),
            closed_by=d.get("closed_by"),
            reopen_count=d.get("reopen_count", 0),
            last_message_at=parse_time(d.get("last_message_at")) or opened,
            last_message=Message.from_json(lm) if lm else None,
            snoozed=bool(d.get("snoozed", False)),
            snoozed_until=parse_time(d.get("snoozed_until")),
            snoozed_by=d.get("snoozed_by"),
            label_ids=tuple(d.get("label_ids") or ()),
        )


@dataclass(frozen=True, slots=True)
class Canned:
    """A quick reply (canned response)."""

    id: int
    shortcut: str
    text: str
    language: str | None
    owner_id: int | None

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Canned:
        return cls(
            id=d["id"],
            shortcut=d["shortcut"],
            text=d["text"],
            language=d.get("language"),
            owner_id=d.get("owner_id"),
        )


@dataclass(frozen=True, slots=True)
class Activity:
    """An entry of a contact's activity feed."""

    id: int
    contact_id: int
    kind: str
    text: str  # English: shown only when the UI does not know ``kind``
    agent_id: int | None
    ticket_id: int | None
    created_at: dt.datetime
    params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Activity:
        created = parse_time(d["created_at"])
        assert created is not None
        return cls(
            id=d["id"],
            contact_id=d["contact_id"],
            kind=d["kind"],
            text=d["text"],
            agent_id=d.get("agent_id"),
            ticket_id=d.get("ticket_id"),
            created_at=created,
            params=dict(d.get("params") or {}),
        )


@dataclass(frozen=True, slots=True)
class Draft:
    """The unsent text of a conversation and the message it replies to."""

    conversation_id: int
    text: str
    reply_to: int | None
    is_note: bool = False


# --- change notifications from core.sync to models (typed, precise, batched) ---------------


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)


def listed_sort_key(last_message_at: dt.datetime, ticket_id: int) -> int:
    """Newest activity first, then newest ticket first, as one ascending integer: the negated
    microseconds of the last activity with the ticket id below them (exact, a small int to
    keep for every row and a C comparison in a bisection)."""
    micros = (last_message_at - _EPOCH) // _MICROSECOND
    return -((micros << 64) | ticket_id)


# A listed ticket's fixed columns: its sort key (the last activity, the id), conversation,
# inbox, contact, assignee, last customer message, status code, snoozed, label count.
_LISTED_HEAD = struct.Struct(">QQqqqqqBBH")
_LISTED_LABEL = struct.Struct(">q")
_INT64_AT = _LISTED_LABEL.unpack_from
_UINT64 = struct.Struct(">Q")
_UINT64_AT = _UINT64.unpack_from
_TOP = (1 << 63) - 1  # a signed 64-bit value v is kept as _TOP - v: unsigned, in reverse order
_NONE = -(1 << 63)  # an id column's None
_STATUS_CODES = {"open": 0, "snoozed": 1, "closed": 2}
_STATUS_OTHER = 255  # any other status: its text follows the label ids
_STATUSES = tuple(_STATUS_CODES)
_SORT_PAIR = struct.Struct(">QQ")  # the sort key's two halves: the last activity, the id
# What a store keeps of them beside the ticket's id (ListedTicket.kept): the same but the id.
LISTED_KEPT = struct.Struct(">QqqqqqBBH")
LISTED_KEPT_SIZE = LISTED_KEPT.size
LISTED_KEPT_CONVERSATION_AT = 8  # where the conversation id is in them (signed 64-bit)
LISTED_KEPT_CONTACT_AT = 24  # where the contact id is


def invert_id(value: int) -> int:
    """A ticket id as the second half of :attr:`ListedTicket.sort_pair` keeps it, and back."""
    return _TOP - value


class ListedTicket(bytes):
    """The columns a ticket list sorts and filters one ticket by, not its last message (the
    list reads the one-line preview of the rows it paints back from the cache). The cache
    decodes these straight from its JSON (``Store.listed_tickets``); the list keeps their
    bytes in its own arrays (:attr:`kept`) and decodes one when it reads it.

    One immutable ``bytes`` object (~96 bytes a ticket, no Python int, str or tuple inside
    it: 10,000 listed tickets were 2.8 MiB as a dataclass of ten fields with their ints and
    sort key, issue 16): each column is decoded when read. Its first 16 bytes are the sort
    key (the last activity, then the id, both descending) in big-endian order, so listed
    tickets compare and sort as the list orders them, with ``memcmp``; :attr:`sort_pair`
    is that prefix as two ints, for a bisection. Two listed tickets are equal when every
    column is.
    """

    __slots__ = ()

    def __new__(
        cls,
        id: int,
        conversation_id: int,
        inbox_id: int,
        contact_id: int,
        status: str,
        assignee_id: int | None,
        snoozed: bool,
        label_ids: tuple[int, ...],
        key: int,
        last_id: int | None,
    ) -> ListedTicket:
        micros = -key >> 64
        if -((micros << 64) | id) != key:
            raise ValueError(f"sort key {key} is not ticket {id}'s")
        code = _STATUS_CODES.get(status, _STATUS_OTHER)
        head = _LISTED_HEAD.pack(
            _TOP - micros,
            _TOP - id,
            conversation_id,
            inbox_id,
            contact_id,
            _NONE if assignee_id is None else assignee_id,
            _NONE if last_id is None else last_id,
            code,
            snoozed,
            len(label_ids),
        )
        labels = b"".join(_LISTED_LABEL.pack(label) for label in label_ids)
        text = status.encode() if code == _STATUS_OTHER else b""
        return super().__new__(cls, head + labels + text)

    @property
    def kept(self) -> tuple[bytes, bytes]:
        """What a store keeps of it beside its id: the fixed columns but the id
        (``LISTED_KEPT``), then the rest (label ids, another status), most often empty."""
        return self[:8] + self[16 : _LISTED_HEAD.size], self[_LISTED_HEAD.size :]

    @classmethod
    def from_kept(cls, ticket_id: int, kept: bytes | bytearray) -> ListedTicket:
        """The listed ticket ``ticket_id`` from what a store kept (:attr:`kept`, joined)."""
        return super().__new__(cls, kept[:8] + _UINT64.pack(_TOP - ticket_id) + kept[8:])

    @property
    def sort_pair(self) -> tuple[int, int]:
        """The sort key as two unsigned ints (the last activity, then the id, both inverted:
        ascending is the list's order); :func:`invert_id` reads the id back."""
        pair: tuple[int, int] = _SORT_PAIR.unpack_from(self)
        return pair

    @property
    def id(self) -> int:
        inverted: int = _UINT64_AT(self, 8)[0]
        return _TOP - inverted

    @property
    def conversation_id(self) -> int:
        value: int = _INT64_AT(self, 16)[0]
        return value

    @property
    def inbox_id(self) -> int:
        value: int = _INT64_AT(self, 24)[0]
        return value

    @property
    def contact_id(self) -> int:
        value: int = _INT64_AT(self, 32)[0]
        return value

    @property
    def assignee_id(self) -> int | None:
        value: int = _INT64_AT(self, 40)[0]
        return None if value == _NONE else value

    @property
    def last_id(self) -> int | None:
        """The last message's id when it is a customer's (unread marks)."""
        value: int = _INT64_AT(self, 48)[0]
        return None if value == _NONE else value

    @property
    def status(self) -> str:
        code = self[56]
        if code != _STATUS_OTHER:
            return _STATUSES[code]
        return sys.intern(self[_LISTED_HEAD.size + 8 * self._label_count :].decode())

    @property
    def is_open(self) -> bool:
        return self[56] == 0

    @property
    def snoozed(self) -> bool:
        return self[57] != 0

    @property
    def label_ids(self) -> tuple[int, ...]:
        count = self._label_count
        if not count:
            return ()
        start = _LISTED_HEAD.size
        return tuple(_INT64_AT(self, start + 8 * n)[0] for n in range(count))

    @property
    def _label_count(self) -> int:
        return (self[58] << 8) | self[59]

    @property
    def key(self) -> int:
        """listed_sort_key: the last activity and the id."""
        micros: int = _TOP - _UINT64_AT(self, 0)[0]
        return -((micros << 64) | self.id)

    @property
    def last_message_at(self) -> dt.datetime:
        micros: int = _TOP - _UINT64_AT(self, 0)[0]
        return _EPOCH + micros * _MICROSECOND

    def __getnewargs__(self) -> tuple[Any, ...]:  # copy and pickle: the columns again
        return (
            self.id,
            self.conversation_id,
            self.inbox_id,
            self.contact_id,
            self.status,
            self.assignee_id,
            self.snoozed,
            self.label_ids,
            self.key,
            self.last_id,
        )

    def __str__(self) -> str:
        return repr(self)

    def __repr__(self) -> str:
        return (
            f"ListedTicket(id={self.id}, conversation_id={self.conversation_id}, "
            f"inbox_id={self.inbox_id}, contact_id={self.contact_id}, status={self.status!r}, "
            f"assignee_id={self.assignee_id}, snoozed={self.snoozed}, "
            f"label_ids={self.label_ids}, key={self.key}, last_id={self.last_id})"
        )

    @classmethod
    def of(cls, ticket: Ticket) -> ListedTicket:
        message = ticket.last_message
        inbound = message is not None and message.direction is Direction.IN
        return cls(
            ticket.id,
            ticket.conversation_id,
            ticket.inbox_id,
            ticket.contact_id,
            ticket.status,
            ticket.assignee_id,
            ticket.snoozed,
            ticket.label_ids,
            listed_sort_key(ticket.last_message_at, ticket.id),
            message.id if message is not None and inbound else None,
        )


@dataclass(frozen=True, slots=True)
class TicketsChanged:
    """Tickets inserted or updated (``fields`` names what changed) or removed from view.

    ``listed`` carries tickets as their listed columns only (the cached inbox read at start,
    :class:`ListedTicket`): the ticket lists take them; a listener that needs full records
    reads them from the cache (they are the cache's copies, never news).
    """

    upserted: tuple[Ticket, ...] = ()
    fields: frozenset[str] = frozenset()
    removed_ids: tuple[int, ...] = ()
    listed: tuple[ListedTicket, ...] = ()


@dataclass(frozen=True, slots=True)
class MessagesChanged:
    """Messages of one conversation inserted, updated (same id or same client_id) or removed."""

    conversation_id: int
    upserted: tuple[Message, ...] = ()
    removed_client_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ContactsChanged:
    """Contacts inserted or updated."""

    contacts: tuple[Contact, ...]


@dataclass(frozen=True, slots=True)
class PresenceChanged:
    """An agent's effective status changed."""

    agent_id: int
    status: Status
    chosen_status: Status


@dataclass(frozen=True, slots=True)
class DirectoryChanged:
    """Agents, teams, inboxes or canned replies changed: small lists, reloaded whole."""

    what: frozenset[str] = field(default_factory=frozenset)  # {"agents","teams","inboxes","canned"}


# --- records added by core (C1): conversations, pages, bootstrap, connection ----------------

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Conversation:
    """The whole thread between one contact and the company in one inbox."""

    id: int
    contact_id: int
    inbox_id: int
    origin: str
    created_at: dt.datetime
    last_message_at: dt.datetime
    open_ticket_id: int | None
    campaign: str | None = None
    last_message: Message | None = None

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Conversation:
        created = parse_time(d["created_at"])
        assert created is not None
        lm = d.get("last_message")
        return cls(
            id=d["id"],
            contact_id=d["contact_id"],
            inbox_id=d["inbox_id"],
            origin=d["origin"],
            created_at=created,
            last_message_at=parse_time(d.get("last_message_at")) or created,
            open_ticket_id=d.get("open_ticket_id"),
            campaign=d.get("campaign"),
            last_message=Message.from_json(lm) if lm else None,
        )


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a cursor-paged list; ``next_cursor`` is ``None`` on the last page."""

    items: tuple[T, ...]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class TicketQuery:
    """The filters and order of the ticket history (``GET /tickets`` and its CSV export)."""

    text: str = ""
    status: str | None = None
    inbox_id: int | None = None
    assignee_id: int | None = None
    contact_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    sort: str = "opened"
    descending: bool = True
    label_id: int | None = None

    def params(self) -> dict[str, Any]:
        """The query parameters (``None`` values are left out by the client)."""
        return {**_history_params(self), "status": self.status, "label": self.label_id}


@dataclass(frozen=True, slots=True)
class CountedPage(Generic[T]):
    """One page of a history list with its contacts; ``total`` (matches) on the first page."""

    items: tuple[T, ...]
    contacts: tuple[Contact, ...]
    next_cursor: str | None
    total: int | None
    # the server stopped counting at ``total``: more match
    total_capped: bool = False


# Aliases for annotations; instances are made as ``CountedPage(...)`` (a slotted generic
# dataclass cannot be instantiated through its subscripted alias).
TicketHistoryPage = CountedPage[Ticket]


@dataclass(frozen=True, slots=True)
class ConversationQuery:
    """The filters and order of the conversation history (``GET /conversations``)."""

    text: str = ""
    origin: str | None = None
    inbox_id: int | None = None
    assignee_id: int | None = None
    contact_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    sort: str = "activity"
    descending: bool = True

    def params(self) -> dict[str, Any]:
        """The query parameters (``None`` values are left out by the client)."""
        return {**_history_params(self), "origin": self.origin}


def _history_params(query: TicketQuery | ConversationQuery) -> dict[str, Any]:
    """The parameters both history lists take: text, inbox, agent, contact, days, order."""
    return {
        "q": query.text.strip() or None,
        "inbox": query.inbox_id,
        "assignee": query.assignee_id,
        "contact": query.contact_id,
        "from": query.date_from.isoformat() if query.date_from else None,
        "to": query.date_to.isoformat() if query.date_to else None,
        "sort": query.sort,
        "order": "desc" if query.descending else "asc",
    }


ConversationHistoryPage = CountedPage[Conversation]


@dataclass(frozen=True, slots=True)
class MessagePage:
    """A page of a conversation's history, oldest first; ``has_more`` means older exist."""

    items: tuple[Message, ...]
    has_more: bool


@dataclass(frozen=True, slots=True)
class MessageSearchPage:
    """A page of workspace message search, newest first, with the conversations and contacts
    of its messages (``GET /search/messages``)."""

    items: tuple[Message, ...]
    conversations: tuple[Conversation, ...]
    contacts: tuple[Contact, ...]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class Counts:
    """Open tickets per navigation view."""

    mine: int = 0
    unassigned: int = 0
    all: int = 0
    snoozed: int = 0

    def for_view(self, view: View) -> int:
        """The count shown next to ``view``."""
        return {
            View.MINE: self.mine,
            View.UNASSIGNED: self.unassigned,
            View.ALL: self.all,
            View.SNOOZED: self.snoozed,
        }[view]

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Counts:
        return cls(
            mine=d.get("mine", 0),
            unassigned=d.get("unassigned", 0),
            all=d.get("all", 0),
            snoozed=d.get("snoozed", 0),
        )


@dataclass(frozen=True, slots=True)
class Label:
    """A workspace label: a name and a ``#rrggbb`` colour."""

    id: int
    name: str
    color: str

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Label:
        return cls(id=d["id"], name=d["name"], color=d["color"])


@dataclass(frozen=True, slots=True)
class TicketWoke:
    """A snoozed ticket came back (``reason``: ``time``, ``reply`` or ``agent``)."""

    ticket: Ticket
    reason: str
    snoozed_by: int | None


@dataclass(frozen=True, slots=True)
class TicketDetail:
    """``GET /tickets/{id}``: a ticket with its contact and conversation."""

    ticket: Ticket
    contact: Contact
    conversation: Conversation


@dataclass(frozen=True, slots=True)
class Bootstrap:
    """The snapshot of ``GET /bootstrap``; stream events from ``event_seq``."""

    me: Agent
    agents: tuple[Agent, ...]
    teams: tuple[Team, ...]
    inboxes: tuple[Inbox, ...]
    canned: tuple[Canned, ...]
    tickets: tuple[Ticket, ...]
    contacts: tuple[Contact, ...]
    counts: Counts
    event_seq: int
    inbox_counts: Mapping[int, Counts] = field(default_factory=dict)  # inboxes with open tickets

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Bootstrap:
        return cls(
            me=Agent.from_json(d["me"]),
            agents=tuple(Agent.from_json(a) for a in d.get("agents", ())),
            teams=tuple(Team.from_json(t) for t in d.get("teams", ())),
            inboxes=tuple(Inbox.from_json(i) for i in d.get("inboxes", ())),
            canned=tuple(Canned.from_json(c) for c in d.get("canned", ())),
            tickets=tuple(Ticket.from_json(t) for t in d.get("tickets", ())),
            contacts=tuple(Contact.from_json(c) for c in d.get("contacts", ())),
            counts=Counts.from_json(d.get("counts") or {}),
            event_seq=int(d["event_seq"]),
            inbox_counts={
                int(k): Counts.from_json(v) for k, v in (d.get("inbox_counts") or {}).items()
            },
        )


@dataclass(frozen=True, slots=True)
class ReportRow:
    """One row (an inbox, an agent, or the total) of ``GET /reports``."""

    id: int | None
    name: str
    opened: int
    closed: int
    backlog: int
    first_response_median_s: float | None
    first_response_p90_s: float | None
    resolution_median_s: float | None
    resolution_p90_s: float | None

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ReportRow:
        return cls(
            id=d.get("id"),
            name=d.get("name", ""),
            opened=d.get("opened", 0),
            closed=d.get("closed", 0),
            backlog=d.get("backlog", 0),
            first_response_median_s=d.get("first_response_median_s"),
            first_response_p90_s=d.get("first_response_p90_s"),
            resolution_median_s=d.get("resolution_median_s"),
            resolution_p90_s=d.get("resolution_p90_s"),
        )


@dataclass(frozen=True, slots=True)
class ReportDay:
    """One day of a report's trend (the total's figures of that UTC day)."""

    day: dt.date
    opened: int
    closed: int
    backlog: int
    first_response_median_s: float | None
    resolution_median_s: float | None

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ReportDay:
        return cls(
            day=dt.date.fromisoformat(d["day"]),
            opened=d.get("opened", 0),
            closed=d.get("closed", 0),
            backlog=d.get("backlog", 0),
            first_response_median_s=d.get("first_response_median_s"),
            resolution_median_s=d.get("resolution_median_s"),
        )


@dataclass(frozen=True, slots=True)
class Report:
    """``GET /reports``: rows per inbox or per agent, the total and its trend per day."""

    by: str
    rows: tuple[ReportRow, ...]
    total: ReportRow
    days: tuple[ReportDay, ...] = ()

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Report:
        return cls(
            by=d.get("by", "inbox"),
            rows=tuple(ReportRow.from_json(r) for r in d.get("rows", ())),
            total=ReportRow.from_json(d.get("total") or {}),
            days=tuple(ReportDay.from_json(x) for x in d.get("days", ())),
        )


class ConnectionState(StrEnum):
    """The live event stream's state, as the status bar shows it."""

    CONNECTED = "connected"
    CONNECTING = "connecting"
    RECONNECTING = "reconnecting"
    OFFLINE = "offline"


class WindowState(StrEnum):
    """The main window as presence sees it: minimising is not closing."""

    VISIBLE = "visible"
    MINIMIZED = "minimized"
    CLOSED_TO_TRAY = "closed_to_tray"
