"""SQLAlchemy 2 declarative tables of the Convos server.

One module for all tables keeps the schema readable in one place; Alembic migrations in
``migrations/versions`` are the history of this file.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """The current time, timezone-aware UTC, millisecond precision."""
    now = dt.datetime.now(dt.UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp that is always timezone-aware UTC in Python, on SQLite and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to UTCDateTime")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so migrations name constraints stably."""

    metadata = MetaData(naming_convention=NAMING)


class Agent(Base):
    """A person who logs in: role ``admin`` or ``agent``; presence lives here too."""

    __tablename__ = "agents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16), default="agent")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    chosen_status: Mapped[str] = mapped_column(String(16), default="unavailable")
    screen: Mapped[str] = mapped_column(String(16), default="other")
    status: Mapped[str] = mapped_column(String(16), default="unavailable")  # effective
    last_heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AuthToken(Base):
    """A login session: only the SHA-256 of the bearer token is stored."""

    __tablename__ = "auth_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    device: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Team(Base):
    """A group of agents responsible for one or more inboxes."""

    __tablename__ = "teams"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)


class TeamMember(Base):
    """Membership of an agent in a team."""

    __tablename__ = "team_members"
    team_id: Mapped[int] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    agent_id: Mapped[int] = mapped_column(
        ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Inbox(Base):
    """Classifies conversations; its team handles them; its mode assigns new tickets."""

    __tablename__ = "inboxes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(32), default="whatsapp")
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    assignment: Mapped[str] = mapped_column(String(16), default="manual")
    max_open_per_agent: Mapped[int | None] = mapped_column(Integer)
    api_key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Round-robin pointer: the agent id that got the last automatic assignment.
    last_assigned_agent_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Free text shown to agents ("Mon-Fri 9-18"); an inactive inbox refuses new customer messages.
    business_hours: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Contact(Base):
    """A customer. ``external_id`` is the channel's id, unique within an inbox's channel."""

    __tablename__ = "contacts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(64), index=True)
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    custom: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Conversation(Base):
    """The whole thread between one contact and the company in one inbox (channel)."""

    __tablename__ = "conversations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    inbox_id: Mapped[int] = mapped_column(ForeignKey("inboxes.id"), index=True)
    origin: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_message_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_message_id: Mapped[int | None] = mapped_column(Integer)
    open_ticket_id: Mapped[int | None] = mapped_column(Integer)
    campaign: Mapped[str | None] = mapped_column(String(120))
    # A new value, never used before, with every write of the conversation's row, its
    # messages, their reactions and files, and those files: the parts of its tickets' list
    # items that are the conversation's (the last message, the quoted one). Given by the
    # database's triggers (migration 0011), read by the ticket page with ``Ticket.revision``.
    revision: Mapped[int] = mapped_column(BigInteger, server_default="0")
    __table_args__ = (
        Index("ix_conversations_inbox_last", "inbox_id", "last_message_at"),
        # the history's default order (newest activity) without a sort of every conversation
        Index("ix_conversations_last", "last_message_at"),
    )


class Ticket(Base):
    """One episode of human service inside a conversation."""

    __tablename__ = "tickets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    inbox_id: Mapped[int] = mapped_column(ForeignKey("inboxes.id"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    assigned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    first_response_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    last_message_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Snoozed: out of the views until ``snoozed_until`` (null: until the customer replies).
    snoozed: Mapped[bool] = mapped_column(Boolean, default=False)
    snoozed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    snoozed_by: Mapped[int | None] = mapped_column(Integer)
    # A new value, never used before, with every write of the ticket's own parts of its list
    # item (its row, its labels): given by the database's triggers (migration 0010), read by
    # the ticket page with its conversation's ``revision`` (the item's other parts).
    revision: Mapped[int] = mapped_column(BigInteger, server_default="0")
    __table_args__ = (
        Index("ix_tickets_status_inbox", "status", "inbox_id", "last_message_at"),
        Index("ix_tickets_assignee_status", "assignee_id", "status"),
        Index("ix_tickets_opened", "opened_at"),
        Index("ix_tickets_closed", "closed_at"),
        # the history's default orders within a status, without a sort of every ticket
        Index("ix_tickets_status_opened", "status", "opened_at"),
        Index("ix_tickets_status_closed", "status", "closed_at"),
        # the ticket page's order (newest activity first), for All and for Mine/Unassigned
        Index("ix_tickets_last", "last_message_at", "id"),
        Index("ix_tickets_assignee_last", "assignee_id", "last_message_at", "id"),
    )


class ReportDay(Base):
    """Per UTC day, inbox and assignee (0: none): the tickets' flow and sorted durations.

    Maintained by ``services.report_rollup`` with every ticket change; ``GET /reports`` reads it.
    """

    __tablename__ = "report_days"
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    inbox_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    opened: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[int] = mapped_column(Integer, default=0)
    # float64 seconds, sorted, little-endian (report_rollup.pack)
    first_responses: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    resolutions: Mapped[bytes] = mapped_column(LargeBinary, default=b"")


class Label(Base):
    """A workspace label: a name and a ``#rrggbb`` colour, put on tickets."""

    __tablename__ = "labels"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    color: Mapped[str] = mapped_column(String(7))


class TicketLabel(Base):
    """A label on a ticket."""

    __tablename__ = "ticket_labels"
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    label_id: Mapped[int] = mapped_column(
        ForeignKey("labels.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class File(Base):
    """An uploaded file; bytes live under the data dir at ``storage_key``."""

    __tablename__ = "files"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))
    mime: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    library: Mapped[bool] = mapped_column(Boolean, default=False)
    storage_key: Mapped[str] = mapped_column(String(128), unique=True)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Message(Base):
    """A message in a conversation: ``in`` (customer), ``out`` (agent/bot), ``note``, ``system``."""

    __tablename__ = "messages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    # No index (migration 0013): messages are read by conversation or by id, never by ticket.
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    direction: Mapped[str] = mapped_column(String(8))
    sender_type: Mapped[str] = mapped_column(String(8))
    sender_id: Mapped[int | None] = mapped_column(Integer)
    sender_name: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    reply_to: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    client_id: Mapped[str | None] = mapped_column(String(64))
    # System lines only: what happened (services.system_kinds), ``body`` is its English text.
    system_kind: Mapped[str | None] = mapped_column(String(32))
    system_params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    __table_args__ = (
        Index("ix_messages_conversation_id", "conversation_id", "id"),
        UniqueConstraint("sender_type", "sender_id", "client_id", name="uq_messages_client"),
    )


class MessageFile(Base):
    """A file attached to a message, in order."""

    __tablename__ = "message_files"
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Reaction(Base):
    """One agent's emoji on one message."""

    __tablename__ = "reactions"
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), primary_key=True)
    emoji: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CannedReply(Base):
    """A quick reply: ``/shortcut`` expands to ``text``; ``owner_id`` null means shared."""

    __tablename__ = "canned_replies"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shortcut: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Activity(Base):
    """An entry of a contact's activity feed (ticket opened, profile edited, ...)."""

    __tablename__ = "activities"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    kind: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # see services.system_kinds
    text: Mapped[str] = mapped_column(Text)  # English, for clients that do not know ``kind``
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    __table_args__ = (Index("ix_activities_contact", "contact_id", "id"),)


class Event(Base):
    """The event log behind ``GET /events``: ``id`` is the global monotonic sequence.

    Visibility: ``inbox_id`` null and ``agent_id`` null -> everyone; ``inbox_id`` set -> agents
    of that inbox's team and admins; ``agent_id`` set -> only that agent.
    """

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    data: Mapped[str] = mapped_column(Text)  # JSON text, sent as is
    inbox_id: Mapped[int | None] = mapped_column(Integer)
    agent_id: Mapped[int | None] = mapped_column(Integer)
    # No index (migration 0013): the prune deletes the events before the first one it keeps,
    # by id.
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # No AUTOINCREMENT on SQLite (migration 0013; its ``sqlite_sequence`` row was a page more
    # with every event): an id is one past the largest in the table, which is never deleted
    # (the prune keeps the newest event; ``db.restore`` holds a skipped range's end with an
    # internal ``events.skipped`` row), so ids are never reused.


class Mention(Base):
    """A colleague named with ``@name`` in a note; ``read_at`` set when that agent read it."""

    __tablename__ = "mentions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    by_agent_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    __table_args__ = (
        Index("ix_mentions_agent", "agent_id", "id"),
        UniqueConstraint("agent_id", "message_id", name="uq_mentions_agent_message"),
    )
