"""Seed a fresh demo workspace: people, inboxes, canned replies, files and 30 days of history.

History is planned in memory first (tickets with realistic first-response and resolution
times, campaign conversations, open tickets, two long conversations), then written with a few
bulk statements: the whole seed takes a couple of seconds. No events are published for it: a
client's bootstrap carries the open tickets. Deterministic for a given ``seed`` and ``now``.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import random
from dataclasses import dataclass, field

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from convos_server.db import models as m
from convos_server.db.engine import Database
from convos_server.demo import content, library
from convos_server.services import report_rollup
from convos_server.services import system_kinds as kinds
from convos_server.services.auth import hash_password, new_secret, secret_hash
from convos_server.services.messages import CONVERSATION_DIRECTIONS
from convos_server.services.system_kinds import SystemText
from convos_server.storage import FileStore

log = logging.getLogger("convos.demo")

HISTORY_DAYS = 30
NEVER = dt.datetime.min.replace(tzinfo=dt.UTC)
LONG_CONVERSATION_TICKETS = 20
LONG_CONVERSATION_MESSAGES_PER_TICKET = 100
BOT_NAME = "Convos Bot"
CLOSING_TEXT = {
    canned.language: canned.text
    for canned in content.CANNED
    if canned.shortcut in ("chiusura", "closing")
}


@dataclass(frozen=True, slots=True)
class DemoWorkspace:
    """What the seed made that the runner and the simulator need."""

    inbox_ids: tuple[int, ...]
    photo_file_id: int
    agents: int
    contacts: int
    tickets: int
    messages: int


@dataclass(slots=True)
class _Contact:
    row: m.Contact
    language: str
    busy_until: dt.datetime = NEVER


@dataclass(slots=True)
class _Message:
    conversation: m.Conversation
    ticket: m.Ticket | None
    direction: str
    sender_type: str
    sender_id: int | None
    sender_name: str
    body: str
    created_at: dt.datetime
    file_ids: list[int] = field(default_factory=list)
    reply_to: _Message | None = None
    reactions: list[tuple[int, str]] = field(default_factory=list)
    id: int = 0
    system: SystemText | None = None
    mentioned: m.Agent | None = None
    read_at: dt.datetime | None = None


@dataclass(slots=True)
class _Activity:
    contact_id: int
    what: SystemText
    agent_id: int | None
    ticket: m.Ticket
    created_at: dt.datetime


class _Planner:
    """Plans conversations, tickets and messages, then writes them in bulk."""

    def __init__(
        self,
        session: AsyncSession,
        rng: random.Random,
        now: dt.datetime,
        agents: dict[str, m.Agent],
        inboxes: dict[str, m.Inbox],
        team_members: dict[int, list[m.Agent]],
        photo_id: int,
        sticker_id: int,
    ) -> None:
        self.session = session
        self.rng = rng
        self.now = now
        self.agents = agents
        self.inboxes = inboxes
        self.team_members = team_members
        self.photo_id = photo_id
        self.sticker_id = sticker_id
        self.admin = agents["admin@convos.test"]
        self.contacts: list[_Contact] = []
        self.conversations: dict[tuple[int, int], m.Conversation] = {}
        self.tickets: list[m.Ticket] = []
        self.messages: list[_Message] = []
        self.activities: list[_Activity] = []

    # --- building blocks -----------------------------------------------------------------

    def order(self) -> str:
        return str(self.rng.randint(100_000, 999_999))

    def say(self, options: tuple[str, ...]) -> str:
        return self.rng.choice(options).format(order=self.order())

    async def conversation(
        self, contact: _Contact, inbox: m.Inbox, created_at: dt.datetime, origin: str = "chatbot"
    ) -> m.Conversation:
        key = (contact.row.id, inbox.id)
        existing = self.conversations.get(key)
        if existing is not None and origin == "chatbot":
            return existing
        conversation = m.Conversation(
            contact_id=contact.row.id, inbox_id=inbox.id, origin=origin, created_at=created_at
        )
        self.session.add(conversation)
        await self.session.flush()
        if origin == "chatbot":
            self.conversations[key] = conversation
        return conversation

    def add(
        self,
        conversation: m.Conversation,
        ticket: m.Ticket | None,
        direction: str,
        sender: m.Agent | _Contact | str,
        body: str,
        created_at: dt.datetime,
    ) -> _Message:
        if isinstance(sender, m.Agent):
            sender_type, sender_id, sender_name = "agent", sender.id, sender.name
        elif isinstance(sender, _Contact):
            sender_type, sender_id, sender_name = "contact", sender.row.id, sender.row.name
        else:
            sender_type, sender_id, sender_name = sender, None, BOT_NAME
            if sender == "system":
                sender_name = "System"
        message = _Message(
            conversation,
            ticket,
            direction,
            sender_type,
            sender_id,
            sender_name,
            body,
            created_at,
        )
        self.messages.append(message)
        return message

    def seconds(self, median: float, spread: float, low: float, high: float) -> float:
        """A log-normal duration around ``median`` seconds, clipped to ``[low, high]``."""
        return min(high, max(low, self.rng.lognormvariate(math.log(median), spread)))

    def free_contact(self, at: dt.datetime, pool: list[_Contact]) -> _Contact:
        for _ in range(20):
            contact = self.rng.choice(pool)
            if contact.busy_until < at:
                return contact
        return min(pool, key=lambda candidate: candidate.busy_until)

    # --- tickets -------------------------------------------------------------------------

    async def ticket(
        self,
        contact: _Contact,
        inbox: m.Inbox,
        opened_at: dt.datetime,
        *,
        assignee: m.Agent | None,
        answered: bool = True,
        closed: bool = True,
        exchanges: int | None = None,
    ) -> m.Ticket:
        """A bot hand-off, then (if assigned) replies, then (if ``closed``) the closing."""
        language = contact.language
        conversation = await self.conversation(contact, inbox, opened_at)
        self.add(
            conversation,
            None,
            "in",
            contact,
            "Ciao" if language == "it" else "Hi",
            opened_at - dt.timedelta(seconds=95),
        )
        self.add(
            conversation,
            None,
            "out",
            "bot",
            content.BOT_GREETING[language],
            opened_at - dt.timedelta(seconds=90),
        )
        opening = self.add(
            conversation,
            None,
            "in",
            contact,
            self.say(content.CUSTOMER_OPENINGS[language]),
            opened_at - dt.timedelta(seconds=40),
        )
        ticket = m.Ticket(
            conversation_id=conversation.id,
            inbox_id=inbox.id,
            contact_id=contact.row.id,
            status="open",
            opened_at=opened_at,
            last_message_at=opened_at,
        )
        self.tickets.append(ticket)
        self.session.add(ticket)
        await self.session.flush()
        opening.ticket = ticket
        self.add(conversation, ticket, "out", "bot", content.BOT_HANDOFF[language], opened_at)
        self.activity(contact, kinds.ticket_opened(), None, ticket, opened_at)
        clock = opened_at
        if assignee is not None:
            response_s = self.seconds(180, 0.9, 20, 3 * 3600)
            ticket.assigned_at = opened_at + dt.timedelta(
                seconds=min(response_s - 5, self.rng.uniform(2, 60))
            )
            what = kinds.ticket_assigned(assignee.id, assignee.name, None)
            self.system_line(conversation, ticket, what, ticket.assigned_at)
            self.activity(contact, what, assignee.id, ticket, ticket.assigned_at)
            clock = ticket.assigned_at
            if answered:
                clock = opened_at + dt.timedelta(seconds=response_s)
                ticket.first_response_at = clock
                first = self.add(
                    conversation,
                    ticket,
                    "out",
                    assignee,
                    self.say(content.AGENT_REPLIES[language]),
                    clock,
                )
                first.reply_to = opening if self.rng.random() < 0.3 else None
                clock = self.conversation_turns(
                    conversation, ticket, contact, assignee, clock, exchanges
                )
        if closed and assignee is not None:
            clock += dt.timedelta(seconds=self.seconds(2400, 1.0, 300, 2 * 86400))
            clock = min(clock, self.now - dt.timedelta(minutes=10))
            closing = CLOSING_TEXT[language].format(
                contact_name=contact.row.name.split()[0], agent_name=assignee.name
            )
            self.add(conversation, ticket, "out", assignee, closing, clock)
            closed_at = clock + dt.timedelta(seconds=self.rng.uniform(5, 60))
            ticket.status = "closed"
            ticket.closed_at = closed_at
            ticket.closed_by = assignee.id
            what = kinds.ticket_closed(assignee.id, assignee.name)
            self.system_line(conversation, ticket, what, closed_at)
            self.activity(contact, what, assignee.id, ticket, closed_at)
            clock = closed_at
        else:
            conversation.open_ticket_id = ticket.id
        ticket.assignee_id = assignee.id if assignee is not None else None
        contact.busy_until = clock if closed else self.now + dt.timedelta(days=365)
        return ticket

    def conversation_turns(
        self,
        conversation: m.Conversation,
        ticket: m.Ticket,
        contact: _Contact,
        agent: m.Agent,
        clock: dt.datetime,
        exchanges: int | None,
    ) -> dt.datetime:
        """Customer follow-ups and agent answers after the first response."""
        language = contact.language
        turns = exchanges if exchanges is not None else self.rng.randint(1, 4)
        for _ in range(turns):
            clock += dt.timedelta(seconds=self.seconds(90, 0.8, 10, 3600))
            follow_up = self.add(
                conversation,
                ticket,
                "in",
                contact,
                self.say(content.CUSTOMER_FOLLOW_UPS[language]),
                clock,
            )
            if self.rng.random() < 0.12:
                follow_up.file_ids.append(self.photo_id)
            if self.rng.random() < 0.15:
                follow_up.reactions.append((agent.id, self.rng.choice(("👍", "❤️", "🙏"))))
            if self.rng.random() < 0.08:
                self.add(
                    conversation,
                    ticket,
                    "note",
                    agent,
                    self.rng.choice(content.NOTES),
                    clock + dt.timedelta(seconds=5),
                )
            clock += dt.timedelta(seconds=self.seconds(120, 0.8, 10, 3600))
            answer = self.add(
                conversation, ticket, "out", agent, self.say(content.AGENT_REPLIES[language]), clock
            )
            answer.reply_to = follow_up if self.rng.random() < 0.2 else None
            if self.rng.random() < 0.05:
                answer.file_ids.append(self.sticker_id)
        return clock

    def activity(
        self,
        contact: _Contact,
        what: SystemText,
        agent_id: int | None,
        ticket: m.Ticket,
        at: dt.datetime,
    ) -> None:
        self.activities.append(_Activity(contact.row.id, what, agent_id, ticket, at))

    def system_line(
        self, conversation: m.Conversation, ticket: m.Ticket, what: SystemText, at: dt.datetime
    ) -> None:
        """A system message with its kind and params (the English text as its body)."""
        self.add(conversation, ticket, "system", "system", what.text, at).system = what

    def worker(self, inbox: m.Inbox) -> m.Agent:
        """A random non-admin member of the inbox's team."""
        members = [a for a in self.team_members[inbox.team_id or 0] if a.role != "admin"]
        return self.rng.choice(members)

    # --- the workspace's story -----------------------------------------------------------

    async def history(self, pool: list[_Contact]) -> None:
        """About five closed tickets a day over the last 30 days."""
        inboxes = list(self.inboxes.values())
        for days_ago in range(HISTORY_DAYS, 0, -1):
            day = (self.now - dt.timedelta(days=days_ago)).replace(
                hour=0, minute=0, second=0, microsecond=0
            )
            starts = sorted(
                self.rng.uniform(8 * 3600, 19 * 3600) for _ in range(self.rng.randint(3, 8))
            )
            for start in starts:
                opened_at = day + dt.timedelta(seconds=start)
                contact = self.free_contact(opened_at, pool)
                inbox = self.rng.choices(inboxes, weights=(5, 4, 2, 1))[0]
                await self.ticket(contact, inbox, opened_at, assignee=self.worker(inbox))

    async def long_conversation(self, contact: _Contact, inbox: m.Inbox, agent: m.Agent) -> None:
        """A VIP who writes every day: about 2,000 messages, the last ticket still open."""
        start = self.now - dt.timedelta(days=HISTORY_DAYS, hours=2)
        step = dt.timedelta(days=HISTORY_DAYS) / LONG_CONVERSATION_TICKETS
        turns = (LONG_CONVERSATION_MESSAGES_PER_TICKET - 8) // 2
        for index in range(LONG_CONVERSATION_TICKETS):
            last = index == LONG_CONVERSATION_TICKETS - 1
            opened_at = start + step * index
            await self.ticket(
                contact, inbox, opened_at, assignee=agent, closed=not last, exchanges=turns
            )

    async def campaigns(self, pool: list[_Contact]) -> None:
        """A mass campaign to a dozen customers and transactional messages to a few more."""
        inbox = self.inboxes["Vendite"]
        sent_at = self.now - dt.timedelta(days=12, hours=3)
        for contact in self.rng.sample(pool, 12):
            conversation = await self.conversation(contact, inbox, sent_at, "campaign_mass")
            text = content.CAMPAIGNS["campaign_mass"][contact.language]
            self.add(conversation, None, "out", self.admin, text, sent_at)
            if self.rng.random() < 0.25:
                reply = (
                    "Interessante! Vale anche online?"
                    if contact.language == "it"
                    else ("Nice! Is it valid online too?")
                )
                self.add(
                    conversation,
                    None,
                    "in",
                    contact,
                    reply,
                    sent_at + dt.timedelta(minutes=self.rng.uniform(5, 300)),
                )
        for contact in self.rng.sample(pool, 8):
            at = self.now - dt.timedelta(days=self.rng.uniform(1, 10))
            inbox = self.rng.choice((self.inboxes["Vendite"], self.inboxes["Assistenza"]))
            conversation = await self.conversation(contact, inbox, at, "campaign_transactional")
            text = content.CAMPAIGNS["campaign_transactional"][contact.language]
            self.add(conversation, None, "out", self.admin, text.format(order=self.order()), at)

    async def open_tickets(self, pool: list[_Contact]) -> None:
        """Open tickets now: some assigned (several to the demo agent), some unassigned."""
        demo = self.agents["demo@convos.test"]
        plan: list[tuple[str, m.Agent | None, bool]] = [
            ("Vendite", demo, True),
            ("Vendite", demo, False),
            ("Vendite", self.agents["marco.rossi@convos.test"], True),
            ("Vendite", self.agents["james.walker@convos.test"], True),
            ("Vendite", None, False),
            ("Vendite", None, False),
            ("Assistenza", demo, True),
            ("Assistenza", self.agents["sara.bianchi@convos.test"], True),
            ("Assistenza", self.agents["emma.clarke@convos.test"], False),
            ("Assistenza", None, False),
            ("Resi", self.agents["luca.esposito@convos.test"], True),
            ("Resi", None, False),
            ("Resi", None, False),
            ("Premium", None, False),
            ("Assistenza", demo, True),
        ]
        free = [contact for contact in pool if contact.busy_until < self.now]
        self.rng.shuffle(free)
        tickets = []
        for (inbox_name, assignee, answered), contact in zip(plan, free, strict=False):
            opened_at = self.now - dt.timedelta(seconds=self.rng.uniform(120, 5 * 3600))
            ticket = await self.ticket(
                contact,
                self.inboxes[inbox_name],
                opened_at,
                assignee=assignee,
                answered=answered,
                closed=False,
                exchanges=1,
            )
            tickets.append(ticket)
        if len(tickets) < len(plan):
            return
        # the plan's last, the demo agent's, waits in Posticipati until tomorrow morning
        snoozed = tickets[-1]
        snoozed.snoozed = True
        snoozed.snoozed_until = (self.now + dt.timedelta(days=1)).replace(
            hour=8, minute=0, second=0, microsecond=0
        )
        snoozed.snoozed_by = demo.id

    def mentions(self) -> None:
        """Notes by colleagues naming the demo agent: two unread on open tickets, one read."""
        demo = self.agents["demo@convos.test"]
        teams = {team for team, members in self.team_members.items() if demo in members}
        inboxes = {inbox.id for inbox in self.inboxes.values() if inbox.team_id in teams}
        last: dict[int, tuple[m.Ticket, _Message]] = {}
        for message in self.messages:
            if message.ticket is not None and message.direction in CONVERSATION_DIRECTIONS:
                last[message.ticket.id] = (message.ticket, message)
        colleagues = [
            (ticket, message)
            for ticket, message in last.values()
            if ticket.assignee_id not in (None, demo.id)
            and message.conversation.inbox_id in inboxes
        ]
        open_ones = [pair for pair in colleagues if pair[0].closed_at is None]
        closed = [pair for pair in colleagues if pair[0].closed_at is not None]
        picks = [*self.rng.sample(open_ones, min(2, len(open_ones))), *closed[-1:]]
        authors = {agent.id: agent for agent in self.agents.values()}
        for number, (ticket, message) in enumerate(picks):
            read = ticket.closed_at is not None
            # a closed ticket's note sits before its last message, an open one's after it
            shift = dt.timedelta(seconds=self.rng.uniform(20, 90)) * (-1 if read else 1)
            note = self.add(
                message.conversation,
                ticket,
                "note",
                authors[ticket.assignee_id or 0],
                content.MENTION_NOTES["en" if number == 1 else "it"][number].format(name=demo.name),
                min(message.created_at + shift, self.now - dt.timedelta(seconds=30)),
            )
            note.mentioned = demo
            note.read_at = note.created_at + dt.timedelta(minutes=4) if read else None

    # --- writing -------------------------------------------------------------------------

    async def write(self) -> None:
        """Insert the planned messages in time order (so ids follow time) and what hangs off."""
        self.messages.sort(key=lambda message: message.created_at)
        # Explicit ids (after any existing message) keep the insert a plain executemany,
        # much faster than RETURNING on SQLite; the demo database is always SQLite.
        first_id = (await self.session.scalar(select(func.max(m.Message.id))) or 0) + 1
        rows = []
        for offset, message in enumerate(self.messages):
            message.id = first_id + offset
            rows.append(
                {
                    "id": message.id,
                    "conversation_id": message.conversation.id,
                    "ticket_id": message.ticket.id if message.ticket is not None else None,
                    "direction": message.direction,
                    "sender_type": message.sender_type,
                    "sender_id": message.sender_id,
                    "sender_name": message.sender_name,
                    "body": message.body,
                    "created_at": message.created_at,
                    "system_kind": message.system.kind if message.system else None,
                    "system_params": message.system.params if message.system else None,
                }
            )
        await self.session.execute(insert(m.Base.metadata.tables[m.Message.__tablename__]), rows)
        await self._write_links()
        self._update_clocks()
        await self.session.execute(
            insert(m.Base.metadata.tables[m.Activity.__tablename__]),
            [
                {
                    "contact_id": activity.contact_id,
                    "kind": activity.what.kind,
                    "params": activity.what.params,
                    "text": activity.what.text,
                    "agent_id": activity.agent_id,
                    "ticket_id": activity.ticket.id,
                    "created_at": activity.created_at,
                }
                for activity in sorted(self.activities, key=lambda a: a.created_at)
            ],
        )
        await self.session.flush()

    async def _write_links(self) -> None:
        files = [
            {"message_id": message.id, "file_id": file_id, "position": position}
            for message in self.messages
            for position, file_id in enumerate(message.file_ids)
        ]
        reactions = [
            {
                "message_id": message.id,
                "agent_id": agent_id,
                "emoji": emoji,
                "created_at": message.created_at,
            }
            for message in self.messages
            for agent_id, emoji in message.reactions
        ]
        replies = [
            {"id": message.id, "reply_to": message.reply_to.id}
            for message in self.messages
            if message.reply_to is not None
        ]
        if files:
            await self.session.execute(insert(m.MessageFile), files)
        if reactions:
            await self.session.execute(insert(m.Reaction), reactions)
        if replies:
            await self.session.execute(update(m.Message), replies)
        mentions = [
            {
                "agent_id": message.mentioned.id,
                "message_id": message.id,
                "conversation_id": message.conversation.id,
                "by_agent_id": message.sender_id,
                "created_at": message.created_at,
                "read_at": message.read_at,
            }
            for message in self.messages
            if message.mentioned is not None
        ]
        if mentions:
            await self.session.execute(insert(m.Mention), mentions)

    def _update_clocks(self) -> None:
        """Conversations' and tickets' last message, from the planned messages."""
        for message in self.messages:
            if message.direction not in CONVERSATION_DIRECTIONS:
                continue
            message.conversation.last_message_at = message.created_at
            message.conversation.last_message_id = message.id
            if message.ticket is not None:
                message.ticket.last_message_at = message.created_at


async def _people(
    session: AsyncSession,
) -> tuple[dict[str, m.Agent], dict[str, m.Team], dict[int, list[m.Agent]]]:
    password_hashes = {password: hash_password(password) for password in {"admin", "demo"}}
    teams = {name: m.Team(name=name) for name in content.TEAMS}
    agents = {
        spec.email: m.Agent(
            name=spec.name,
            email=spec.email,
            password_hash=password_hashes[spec.password],
            role=spec.role,
        )
        for spec in content.AGENTS
    }
    session.add_all([*teams.values(), *agents.values()])
    await session.flush()
    members: dict[int, list[m.Agent]] = {team.id: [] for team in teams.values()}
    for spec in content.AGENTS:
        for team_name in spec.teams:
            team = teams[team_name]
            session.add(m.TeamMember(team_id=team.id, agent_id=agents[spec.email].id))
            members[team.id].append(agents[spec.email])
    return agents, teams, members


def _inboxes(session: AsyncSession, teams: dict[str, m.Team]) -> dict[str, m.Inbox]:
    inboxes = {
        spec.name: m.Inbox(
            name=spec.name,
            channel=spec.channel,
            team_id=teams[spec.team].id,
            assignment=spec.assignment,
            max_open_per_agent=spec.max_open_per_agent,
            api_key_hash=secret_hash(new_secret()),
        )
        for spec in content.INBOXES
    }
    session.add_all(inboxes.values())
    return inboxes


def _contacts(session: AsyncSession, rng: random.Random, now: dt.datetime) -> list[_Contact]:
    contacts = []
    names = [(name, "it") for name in content.ITALIAN_CONTACTS] + [
        (name, "en") for name in content.ENGLISH_CONTACTS
    ]
    for index, (name, language) in enumerate(names):
        prefix = 39 if language == "it" else 44
        slug = "".join(char for char in name.lower() if char.isalnum())[:20]
        created_at = now - dt.timedelta(days=HISTORY_DAYS + rng.randint(1, 400))
        row = m.Contact(
            name=name,
            phone=f"+{prefix} 3{rng.randint(10, 99)} {rng.randint(1_000_000, 9_999_999)}",
            email=f"{slug}@example.{'it' if language == 'it' else 'co.uk'}",
            external_id=f"demo-{index + 1}",
            custom={"customer_since": str(created_at.year), "tier": rng.choice(("base", "gold"))},
            created_at=created_at,
            updated_at=created_at,
        )
        contacts.append(_Contact(row, language))
    session.add_all(contact.row for contact in contacts)
    return contacts


def _canned(session: AsyncSession) -> None:
    session.add_all(
        m.CannedReply(shortcut=canned.shortcut, text=canned.text, language=canned.language)
        for canned in content.CANNED
    )


async def _library(
    session: AsyncSession, storage: FileStore, admin: m.Agent
) -> tuple[m.File, m.File]:
    """The library (sticker, catalogue, shop picture) and a customer's parcel photo."""
    sticker = await library.store_demo_file(
        session,
        storage,
        "Sorriso.png",
        library.sticker_png(),
        uploader_id=admin.id,
        library=True,
        kind="sticker",
    )
    await library.store_demo_file(
        session,
        storage,
        "Catalogo primavera.pdf",
        library.catalogue_pdf(
            "Convos Shop - Catalogo primavera",
            [
                "Giacche, scarpe e accessori",
                "Spedizione gratuita sopra 50 EUR",
                "Resi gratuiti entro 30 giorni",
            ],
        ),
        uploader_id=admin.id,
        library=True,
    )
    await library.store_demo_file(
        session,
        storage,
        "Negozio Milano.jpg",
        library.photo_jpeg((30, 60, 160)),
        uploader_id=admin.id,
        library=True,
    )
    photo = await library.store_demo_file(
        session,
        storage,
        "foto pacco.jpg",
        library.photo_jpeg((200, 40, 40), (640, 480)),
        uploader_id=admin.id,
        library=False,
    )
    return sticker, photo


async def seed_workspace(
    db: Database, storage: FileStore, *, now: dt.datetime, seed: int = 7
) -> DemoWorkspace:
    """Write the whole demo workspace into an empty database (one transaction)."""
    rng = random.Random(seed)
    async with db.transaction() as session:
        agents, teams, members = await _people(session)
        inboxes = _inboxes(session, teams)
        contacts = _contacts(session, rng, now)
        _canned(session)
        await session.flush()
        sticker, photo = await _library(session, storage, agents["admin@convos.test"])
        planner = _Planner(session, rng, now, agents, inboxes, members, photo.id, sticker.id)
        vip, pool = contacts[0], contacts[1:]
        await planner.long_conversation(vip, inboxes["Premium"], agents["demo@convos.test"])
        long_english = pool[-3]
        await planner.ticket(
            long_english,
            inboxes["Assistenza"],
            now - dt.timedelta(days=HISTORY_DAYS - 1),
            assignee=agents["emma.clarke@convos.test"],
            exchanges=150,
        )
        await planner.history(pool)
        await planner.campaigns(pool)
        await planner.open_tickets(pool)
        planner.mentions()
        await planner.write()
        await report_rollup.rebuild(session)
        workspace = DemoWorkspace(
            inbox_ids=tuple(inbox.id for inbox in inboxes.values()),
            photo_file_id=photo.id,
            agents=len(agents),
            contacts=len(contacts),
            tickets=len(planner.tickets),
            messages=len(planner.messages),
        )
    log.info(
        "demo workspace seeded: %d agents, %d contacts, %d tickets, %d messages",
        workspace.agents,
        workspace.contacts,
        workspace.tickets,
        workspace.messages,
    )
    return workspace
