"""The ticket page and message lists read with Core statements give byte for byte the JSON the
ORM version gave (kept here as the oracle): last messages with files, reactions and reply
previews, system messages, labels, snoozes, closed and assigned tickets, every ``last_message``
form, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Sequence

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from convos_server.config import Settings
from convos_server.db import models as m
from convos_server.db.engine import Database
from convos_server.serialize import (
    Json,
    file_json,
    iso,
    load_messages,
    load_tickets,
    message_json,
    reply_preview_json,
    ticket_json,
)
from convos_server.services import tickets
from convos_server.services.visibility import Visibility
from tests.server.conftest import BACKENDS

T0 = dt.datetime(2026, 3, 1, 9, 30, 15, 123000, tzinfo=dt.UTC)


# --- the ORM version, as it was before the Core statements (the oracle) ---


async def orm_messages(session: AsyncSession, messages: Sequence[m.Message]) -> list[Json]:
    ids = [message.id for message in messages]
    by_message: dict[int, dict[str, list[int]]] = defaultdict(dict)
    for message_id, emoji, agent_id in await session.execute(
        select(m.Reaction.message_id, m.Reaction.emoji, m.Reaction.agent_id)
        .where(m.Reaction.message_id.in_(ids))
        .order_by(m.Reaction.message_id, m.Reaction.created_at, m.Reaction.agent_id)
    ):
        by_message[message_id].setdefault(emoji, []).append(agent_id)
    files: dict[int, list[Json]] = defaultdict(list)
    for message_id, file in await session.execute(
        select(m.MessageFile.message_id, m.File)
        .join(m.File, m.File.id == m.MessageFile.file_id)
        .where(m.MessageFile.message_id.in_(ids))
        .order_by(m.MessageFile.message_id, m.MessageFile.position)
    ):
        files[message_id].append(file_json(file))
    quoted_ids = {message.reply_to for message in messages if message.reply_to is not None}
    quoted = await session.scalars(select(m.Message).where(m.Message.id.in_(quoted_ids)))
    previews = {message.id: reply_preview_json(message) for message in quoted}
    return [
        message_json(
            message,
            [{"emoji": e, "agent_ids": a} for e, a in by_message.get(message.id, {}).items()],
            files.get(message.id, ()),
            previews.get(message.reply_to) if message.reply_to is not None else None,
        )
        for message in messages
    ]


async def orm_tickets(
    session: AsyncSession, ticket_rows: Sequence[m.Ticket], last_message: str
) -> list[Json]:
    last: dict[int, Json] = {}
    if last_message != "none":
        rows = (
            await session.execute(
                select(m.Conversation.id, m.Message)
                .join(m.Message, m.Message.id == m.Conversation.last_message_id)
                .where(m.Conversation.id.in_({t.conversation_id for t in ticket_rows}))
            )
        ).all()
        messages = [message for _id, message in rows]
        if last_message == "brief":
            loaded = [message_json(message) for message in messages]
        else:
            loaded = await orm_messages(session, messages)
        last = dict(zip([c for c, _m in rows], loaded, strict=True))
    labels: dict[int, list[int]] = {}
    for ticket_id, label_id in await session.execute(
        select(m.TicketLabel.ticket_id, m.TicketLabel.label_id).where(
            m.TicketLabel.ticket_id.in_([t.id for t in ticket_rows])
        )
    ):
        labels.setdefault(ticket_id, []).append(label_id)
    return [ticket_json(t, last.get(t.conversation_id), labels.get(t.id, ())) for t in ticket_rows]


def old_iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --- a realistic set of tickets ---


async def build(session: AsyncSession) -> None:
    """Eight tickets in two inboxes: every part of a ticket's JSON present and absent."""
    anna = m.Agent(name="Anna", email="anna@x", password_hash="-", role="agent")
    bob = m.Agent(name="Bob", email="bob@x", password_hash="-", role="admin")
    session.add_all([anna, bob])
    inboxes = [m.Inbox(name=f"In {i}", api_key_hash=f"k{i}") for i in range(2)]
    labels = [m.Label(name=f"L{i}", color="#aabbcc") for i in range(3)]
    session.add_all([*inboxes, *labels])
    await session.flush()
    files = [
        m.File(
            name=f"photo {i}.jpg",
            kind="image" if i else "file",
            mime="image/jpeg",
            size=1000 * (i + 1),
            sha256=f"{i:064d}",
            width=640 if i else None,
            height=480 if i else None,
            library=i == 2,
            storage_key=f"s{i}",
            uploaded_by=anna.id,
            created_at=T0 + dt.timedelta(seconds=i, microseconds=456789),
        )
        for i in range(3)
    ]
    session.add_all(files)
    for index in range(8):
        at = T0 + dt.timedelta(minutes=index)
        contact = m.Contact(name=f"Customer {index}", external_id=f"wa:{index}")
        session.add(contact)
        await session.flush()
        conversation = m.Conversation(
            contact_id=contact.id,
            inbox_id=inboxes[index % 2].id,
            origin="whatsapp",
            created_at=at,
            last_message_at=at,
        )
        session.add(conversation)
        await session.flush()
        ticket = m.Ticket(
            conversation_id=conversation.id,
            inbox_id=conversation.inbox_id,
            contact_id=contact.id,
            status="closed" if index == 3 else "open",
            assignee_id=anna.id if index % 3 == 0 else None,
            opened_at=at,
            assigned_at=at + dt.timedelta(seconds=5) if index % 3 == 0 else None,
            first_response_at=at + dt.timedelta(seconds=7) if index % 3 == 0 else None,
            closed_at=at + dt.timedelta(hours=1) if index == 3 else None,
            closed_by=anna.id if index == 3 else None,
            reopen_count=index % 2,
            last_message_at=at + dt.timedelta(seconds=30),
            snoozed=index == 5,
            snoozed_until=at + dt.timedelta(days=1) if index == 5 else None,
            snoozed_by=bob.id if index == 5 else None,
        )
        session.add(ticket)
        await session.flush()
        first = m.Message(
            conversation_id=conversation.id,
            ticket_id=ticket.id,
            direction="in",
            sender_type="contact",
            sender_name=f"Customer {index}",
            body="x" * 300 if index == 1 else f"hello {index} é ✓",
            created_at=at,
        )
        session.add(first)
        await session.flush()
        last = m.Message(
            conversation_id=conversation.id,
            ticket_id=ticket.id,
            direction="out" if index != 6 else "system",
            sender_type="agent" if index != 6 else "system",
            sender_id=anna.id if index != 6 else None,
            sender_name="Anna" if index != 6 else "",
            body=f"reply {index}",
            reply_to=first.id if index in (1, 2) else None,
            client_id=f"c-{index}" if index % 2 else None,
            system_kind="ticket.assigned" if index == 6 else None,
            system_params={"agent": "Anna", "n": 2} if index == 6 else None,
            created_at=at + dt.timedelta(seconds=30),
        )
        session.add(last)
        await session.flush()
        if index != 7:  # the last ticket's conversation has no last message
            conversation.last_message_id = last.id
        if index in (0, 2):
            for position, file in enumerate(files if index == 0 else files[:1]):
                session.add(
                    m.MessageFile(message_id=last.id, file_id=file.id, position=2 - position)
                )
        if index in (0, 4):
            for offset, (agent, emoji) in enumerate(
                [(anna, "👍"), (bob, "👍"), (bob, "❤️"), (anna, "❤️")]
            ):
                session.add(
                    m.Reaction(
                        message_id=last.id,
                        agent_id=agent.id,
                        emoji=emoji,
                        created_at=at + dt.timedelta(seconds=40 - offset),
                    )
                )
        for label in labels[: index % 4]:
            session.add(m.TicketLabel(ticket_id=ticket.id, label_id=label.id))


@pytest.mark.parametrize("backend", BACKENDS)
async def test_core_reads_give_the_bytes_of_the_orm_version(settings: Settings) -> None:
    db = Database(settings.database_url)
    try:
        async with db.transaction() as session:
            await build(session)
        everyone = Visibility(0, True, frozenset())
        agent = m.Agent(id=0, role="admin")
        flt = tickets.TicketFilter(view="all")
        for last_message in ("full", "brief", "none"):
            async with db.read() as session:
                rows, _cursor = await tickets.list_tickets(session, agent, everyone, flt, None, 50)
                new = await load_tickets(session, rows, last_message=last_message)  # type: ignore[arg-type]
            async with db.read() as session:
                models = list(
                    await session.scalars(
                        select(m.Ticket).order_by(
                            m.Ticket.last_message_at.desc(), m.Ticket.id.desc()
                        )
                    )
                )
                old = await orm_tickets(session, models, last_message)
            assert len(new) == 8
            assert json.dumps(new).encode() == json.dumps(old).encode(), last_message
        async with db.read() as session:
            messages = list(await session.scalars(select(m.Message).order_by(m.Message.id)))
            assert json.dumps(await load_messages(session, messages)) == json.dumps(
                await orm_messages(session, messages)
            )
    finally:
        await db.dispose()


def test_iso_is_the_old_format() -> None:
    for value in (
        T0,
        T0.replace(microsecond=999999),
        T0.astimezone(dt.timezone(dt.timedelta(hours=-5, minutes=-30))),
        T0.replace(tzinfo=dt.timezone.utc),  # noqa: UP017 - another UTC object than dt.UTC
        None,
    ):
        assert iso(value) == old_iso(value)
