"""The demo's archive: 90 days of believable history for Conversazioni, Ticket and Performance.

The live part of the demo (``seed.py``) is small so the demo starts at once; the archive adds,
in one bulk transaction during start-up (before the demo serves), thousands of closed
conversations of every origin for customers of their own: chatbot hand-offs handled by the
inbox's team with log-normal first-response and resolution times (slower at night and at the
weekend, a few reopened), bot-only chats that never needed a human, weekly mass campaigns with
a name and daily transactional messages. Rows are written with explicit ids in ``executemany``
batches (no ORM flush per row), so 90 days take well under a second on SQLite.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
import random
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from convos_server.db import models as m
from convos_server.db.engine import Database
from convos_server.demo import content
from convos_server.demo.seed import BOT_NAME
from convos_server.services import report_rollup

log = logging.getLogger("convos.demo")

ARCHIVE_DAYS = 90
TICKETS_PER_WEEKDAY = (28, 46)
TICKETS_PER_WEEKEND_DAY = (8, 16)
BOT_ONLY_PER_DAY = (6, 14)
TRANSACTIONAL_PER_DAY = (5, 12)
MASS_CAMPAIGN_CONTACTS = 120
ARCHIVE_CONTACTS = 900
MASS_CAMPAIGN_NAMES = {
    "it": (
        "Saldi di primavera",
        "Black Friday anticipato",
        "Nuova collezione",
        "Spedizione gratis",
    ),
    "en": ("Spring sale", "Early Black Friday", "New collection", "Free shipping week"),
}


@dataclass
class ArchiveCounts:
    """What the archive wrote."""

    contacts: int = 0
    conversations: int = 0
    tickets: int = 0
    messages: int = 0
    seconds: float = 0.0


@dataclass
class _Rows:
    """Rows to insert, with the next id of each table."""

    next_ids: dict[str, int]
    contacts: list[dict[str, Any]] = field(default_factory=list)
    conversations: list[dict[str, Any]] = field(default_factory=list)
    tickets: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)

    def take_id(self, table: str) -> int:
        value = self.next_ids[table]
        self.next_ids[table] = value + 1
        return value


class _ArchivePlanner:
    """Plans the archive's rows day by day (pure Python, seeded: the same demo every run)."""

    def __init__(
        self,
        rng: random.Random,
        now: dt.datetime,
        rows: _Rows,
        inboxes: list[tuple[int, int | None]],
        members: dict[int | None, list[tuple[int, str]]],
        admin: tuple[int, str],
    ) -> None:
        self.rng = rng
        self.now = now
        self.rows = rows
        self.inboxes = inboxes
        self.members = members
        self.admin = admin
        self.contacts: list[tuple[int, str, str]] = []  # id, name, language

    def contacts_pool(self, count: int) -> None:
        for index in range(count):
            language = "it" if self.rng.random() < 0.7 else "en"
            first = self.rng.choice(content.SIMULATED_FIRST_NAMES[language])
            last = self.rng.choice(content.SIMULATED_SURNAMES[language])
            name = f"{first} {last}"
            contact_id = self.rows.take_id("contacts")
            created = self.now - dt.timedelta(days=ARCHIVE_DAYS + self.rng.randint(1, 700))
            prefix = 39 if language == "it" else 44
            self.rows.contacts.append(
                {
                    "id": contact_id,
                    "name": name,
                    "phone": f"+{prefix} 3{self.rng.randint(10, 99)} {contact_id:07d}",
                    "email": f"{first.lower()}.{last.lower()}.{contact_id}@example.com",
                    "external_id": f"archive-{index + 1}",
                    "custom": {},
                    "created_at": created,
                    "updated_at": created,
                }
            )
            self.contacts.append((contact_id, name, language))

    # --- one conversation ---------------------------------------------------------------

    def conversation(
        self,
        contact: tuple[int, str, str],
        inbox_id: int,
        at: dt.datetime,
        origin: str,
        campaign: str | None = None,
    ) -> dict[str, Any]:
        row = {
            "id": self.rows.take_id("conversations"),
            "contact_id": contact[0],
            "inbox_id": inbox_id,
            "origin": origin,
            "campaign": campaign,
            "created_at": at,
            "last_message_at": at,
            "last_message_id": None,
            "open_ticket_id": None,
        }
        self.rows.conversations.append(row)
        return row

    def message(
        self,
        conversation: dict[str, Any],
        ticket_id: int | None,
        direction: str,
        sender: tuple[str, int | None, str],
        body: str,
        at: dt.datetime,
    ) -> None:
        message_id = self.rows.take_id("messages")
        sender_type, sender_id, sender_name = sender
        self.rows.messages.append(
            {
                "id": message_id,
                "conversation_id": conversation["id"],
                "ticket_id": ticket_id,
                "direction": direction,
                "sender_type": sender_type,
                "sender_id": sender_id,
                "sender_name": sender_name,
                "body": body,
                "created_at": at,
            }
        )
        conversation["last_message_id"] = message_id
        conversation["last_message_at"] = at

    def say(self, options: tuple[str, ...]) -> str:
        return self.rng.choice(options).format(order=self.rng.randint(100_000, 999_999))

    def seconds(self, median: float, spread: float, low: float, high: float) -> float:
        return min(high, max(low, self.rng.lognormvariate(math.log(median), spread)))

    # --- what a day holds ---------------------------------------------------------------

    def day(self, day: dt.datetime) -> None:
        weekend = day.weekday() >= 5
        low, high = TICKETS_PER_WEEKEND_DAY if weekend else TICKETS_PER_WEEKDAY
        for _ in range(self.rng.randint(low, high)):
            self.handoff(day + dt.timedelta(seconds=self._busy_second()))
        for _ in range(self.rng.randint(*BOT_ONLY_PER_DAY)):
            self.bot_only(day + dt.timedelta(seconds=self._busy_second()))
        for _ in range(self.rng.randint(*TRANSACTIONAL_PER_DAY)):
            self.transactional(day + dt.timedelta(seconds=self.rng.uniform(6 * 3600, 22 * 3600)))
        if day.weekday() == 1:
            self.mass_campaign(day + dt.timedelta(hours=10))

    def _busy_second(self) -> float:
        """Most customers write in office hours, some in the evening, few at night."""
        hour = self.rng.choices(
            (
                self.rng.uniform(8, 13),
                self.rng.uniform(13, 19),
                self.rng.uniform(19, 24),
                self.rng.uniform(0, 8),
            ),
            weights=(45, 40, 12, 3),
        )[0]
        return hour * 3600

    def handoff(self, opened_at: dt.datetime) -> None:
        if opened_at >= self.now:
            return
        contact = self.rng.choice(self.contacts)
        language = contact[2]
        inbox_id, team_id = self.rng.choices(
            self.inboxes, weights=(5, 4, 2, 1)[: len(self.inboxes)]
        )[0]
        team = self.members.get(team_id) or [self.admin]
        agent = self.rng.choice(team)
        bot = ("bot", None, BOT_NAME)
        customer = ("contact", contact[0], contact[1])
        worker = ("agent", agent[0], agent[1])
        conversation = self.conversation(
            contact, inbox_id, opened_at - dt.timedelta(minutes=2), "chatbot"
        )
        ticket_id = self.rows.take_id("tickets")
        self.message(
            conversation,
            None,
            "in",
            customer,
            self.say(content.CUSTOMER_OPENINGS[language]),
            opened_at - dt.timedelta(minutes=2),
        )
        self.message(
            conversation,
            None,
            "out",
            bot,
            content.BOT_GREETING[language],
            opened_at - dt.timedelta(seconds=110),
        )
        self.message(conversation, ticket_id, "out", bot, content.BOT_HANDOFF[language], opened_at)
        off_hours = opened_at.hour < 8 or opened_at.hour >= 19 or opened_at.weekday() >= 5
        first_wait = self.seconds(1800 if off_hours else 170, 0.9, 15, 14 * 3600)
        first_response_at = opened_at + dt.timedelta(seconds=first_wait)
        clock = first_response_at
        self.message(
            conversation, ticket_id, "out", worker, self.say(content.AGENT_REPLIES[language]), clock
        )
        for _ in range(self.rng.randint(0, 3)):
            clock += dt.timedelta(seconds=self.seconds(240, 1.0, 20, 6 * 3600))
            self.message(
                conversation,
                ticket_id,
                "in",
                customer,
                self.say(content.CUSTOMER_FOLLOW_UPS[language]),
                clock,
            )
            clock += dt.timedelta(seconds=self.seconds(120, 0.8, 10, 3 * 3600))
            self.message(
                conversation,
                ticket_id,
                "out",
                worker,
                self.say(content.AGENT_REPLIES[language]),
                clock,
            )
        resolution = self.seconds(4200, 1.1, 300, 5 * 86400)
        closed_at = max(
            clock + dt.timedelta(minutes=1), opened_at + dt.timedelta(seconds=resolution)
        )
        if closed_at >= self.now:
            closed_at = clock + dt.timedelta(seconds=30)
        self.rows.tickets.append(
            {
                "id": ticket_id,
                "conversation_id": conversation["id"],
                "inbox_id": inbox_id,
                "contact_id": contact[0],
                "status": "closed",
                "assignee_id": agent[0],
                "opened_at": opened_at,
                "assigned_at": opened_at + dt.timedelta(seconds=first_wait * 0.6),
                "first_response_at": first_response_at,
                "closed_at": closed_at,
                "closed_by": agent[0],
                "reopen_count": 1 if self.rng.random() < 0.04 else 0,
                "last_message_at": conversation["last_message_at"],
            }
        )

    def bot_only(self, at: dt.datetime) -> None:
        """A customer the chatbot answered alone (no ticket)."""
        if at >= self.now:
            return
        contact = self.rng.choice(self.contacts)
        inbox_id = self.rng.choice(self.inboxes)[0]
        conversation = self.conversation(contact, inbox_id, at, "chatbot")
        language = contact[2]
        self.message(
            conversation,
            None,
            "in",
            ("contact", contact[0], contact[1]),
            self.say(content.CUSTOMER_OPENINGS[language]),
            at,
        )
        self.message(
            conversation,
            None,
            "out",
            ("bot", None, BOT_NAME),
            content.BOT_GREETING[language],
            at + dt.timedelta(seconds=8),
        )

    def transactional(self, at: dt.datetime) -> None:
        if at >= self.now:
            return
        contact = self.rng.choice(self.contacts)
        inbox_id = self.inboxes[0][0]
        conversation = self.conversation(
            contact, inbox_id, at, "campaign_transactional", self._transactional_name(contact[2])
        )
        text = content.CAMPAIGNS["campaign_transactional"][contact[2]]
        self.message(
            conversation,
            None,
            "out",
            ("agent", self.admin[0], self.admin[1]),
            self.say((text,)),
            at,
        )

    def _transactional_name(self, language: str) -> str:
        return "Conferma di spedizione" if language == "it" else "Shipping confirmation"

    def mass_campaign(self, at: dt.datetime) -> None:
        if at >= self.now:
            return
        week = at.isocalendar().week
        for contact in self.rng.sample(
            self.contacts, min(MASS_CAMPAIGN_CONTACTS, len(self.contacts))
        ):
            language = contact[2]
            names = MASS_CAMPAIGN_NAMES[language]
            name = f"{names[week % len(names)]} ({at:%d/%m})"
            conversation = self.conversation(contact, self.inboxes[0][0], at, "campaign_mass", name)
            text = content.CAMPAIGNS["campaign_mass"][language]
            self.message(
                conversation, None, "out", ("agent", self.admin[0], self.admin[1]), text, at
            )
            if self.rng.random() < 0.08:
                reply_at = at + dt.timedelta(minutes=self.rng.uniform(3, 600))
                if reply_at < self.now:
                    self.message(
                        conversation,
                        None,
                        "in",
                        ("contact", contact[0], contact[1]),
                        self.say(content.CUSTOMER_FOLLOW_UPS[language]),
                        reply_at,
                    )


async def write_archive(
    db: Database, *, now: dt.datetime, seed: int = 7, days: int = ARCHIVE_DAYS
) -> ArchiveCounts:
    """Add ``days`` of closed history for archive customers of their own.

    The rows are planned on a worker thread with ids counted from 1, then written in one
    transaction (on a worker thread too, so the server's loop keeps serving) after moving
    every id past the highest one in its table at that moment.
    """
    started = time.perf_counter()
    async with db.sessionmaker() as session:
        workspace = await _workspace(session)
    rows = await asyncio.to_thread(_plan, workspace, now, seed, days)
    async with db.transaction(threaded=True) as session:
        _shift_ids(rows, await _highest_ids(session))
        for table, batch in (
            (m.Contact, rows.contacts),
            (m.Conversation, rows.conversations),
            (m.Ticket, rows.tickets),
            (m.Message, rows.messages),
        ):
            if batch:
                await session.execute(insert(m.Base.metadata.tables[table.__tablename__]), batch)
        await report_rollup.rebuild(session)
    counts = ArchiveCounts(
        len(rows.contacts),
        len(rows.conversations),
        len(rows.tickets),
        len(rows.messages),
        time.perf_counter() - started,
    )
    log.info(
        "demo archive: %d days, %d conversations, %d closed tickets, %d messages in %.2f s",
        days,
        counts.conversations,
        counts.tickets,
        counts.messages,
        counts.seconds,
    )
    return counts


Workspace = tuple[
    list[tuple[int, int | None]], dict[int | None, list[tuple[int, str]]], tuple[int, str]
]


def _plan(workspace: Workspace, now: dt.datetime, seed: int, days: int) -> _Rows:
    rows = _Rows({"contacts": 1, "conversations": 1, "tickets": 1, "messages": 1})
    planner = _ArchivePlanner(random.Random(seed * 7919 + 1), now, rows, *workspace)
    planner.contacts_pool(ARCHIVE_CONTACTS)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    for days_ago in range(days, 0, -1):
        planner.day(today - dt.timedelta(days=days_ago))
    rows.messages.sort(key=lambda row: (row["created_at"], row["id"]))
    return rows


def _shift_ids(rows: _Rows, highest: dict[str, int]) -> None:
    """Move the planned ids (from 1) past ``highest`` of each table; messages in time order."""
    contact, conversation, ticket, message = (
        highest[name] for name in ("contacts", "conversations", "tickets", "messages")
    )
    for row in rows.contacts:
        row["id"] += contact
    for row in rows.conversations:
        row["id"] += conversation
        row["contact_id"] += contact
    for row in rows.tickets:
        row["id"] += ticket
        row["conversation_id"] += conversation
        row["contact_id"] += contact
    new_message_ids: dict[int, int] = {}
    for index, row in enumerate(rows.messages, start=1):
        new_message_ids[row["id"]] = message + index
        row["id"] = message + index
        row["conversation_id"] += conversation
        if row["ticket_id"] is not None:
            row["ticket_id"] += ticket
    for row in rows.conversations:
        if row["last_message_id"] is not None:
            row["last_message_id"] = new_message_ids[row["last_message_id"]]


async def _highest_ids(session: AsyncSession) -> dict[str, int]:
    ids = {}
    for table in (m.Contact, m.Conversation, m.Ticket, m.Message):
        ids[table.__tablename__] = int(await session.scalar(select(func.max(table.id))) or 0)
    return ids


async def _workspace(session: AsyncSession) -> Workspace:
    """The inboxes (id, team), each team's agents (id, name) and an admin (id, name)."""
    inboxes = [
        (row.id, row.team_id)
        for row in await session.execute(select(m.Inbox.id, m.Inbox.team_id).order_by(m.Inbox.id))
    ]
    members: dict[int | None, list[tuple[int, str]]] = {}
    rows = await session.execute(
        select(m.TeamMember.team_id, m.Agent.id, m.Agent.name, m.Agent.role)
        .join(m.Agent, m.Agent.id == m.TeamMember.agent_id)
        .where(m.Agent.active.is_(True))
    )
    for team_id, agent_id, name, role in rows:
        if role != "admin":
            members.setdefault(team_id, []).append((agent_id, name))
    admin_row = (
        await session.execute(
            select(m.Agent.id, m.Agent.name).where(m.Agent.role == "admin").order_by(m.Agent.id)
        )
    ).first()
    admin = (admin_row[0], admin_row[1]) if admin_row else (0, "Admin")
    if not inboxes:
        raise RuntimeError("the archive needs the demo's inboxes")
    return inboxes, members, admin
