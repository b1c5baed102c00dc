"""The customer simulator: new customers handed over by the bot, and replies to agents.

Runs as a task inside the demo server process and goes through the server's own services
(``receive_customer_message`` with ``handoff=True``), so tickets appear in Unassigned or are
assigned by the inbox's mode, with their events. ``speed`` divides every delay. Texts, names,
inboxes and delays come from one seeded generator, so a run is reproducible.

With the server's ``LiveState`` the customers type like a channel that carries typing: a
customer "types" (``conversation.typing`` from the contact) for ``typing_lead`` seconds
before each reply, and waits while an agent is typing a reply in its conversation (what a
gateway reads from ``GET /channels/{id}/typing``).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from convos_server.db import models as m
from convos_server.db.engine import Database
from convos_server.demo import content
from convos_server.demo.seed import BOT_NAME
from convos_server.services.events import EventBus
from convos_server.services.ingress import ContactRef, receive_customer_message
from convos_server.services.live import LiveState
from convos_server.services.messages import Author, append_message, publish_message

log = logging.getLogger("convos.demo")

BOT = Author("bot", None, BOT_NAME)


@dataclass(frozen=True, slots=True)
class SimulatorTiming:
    """Delays in seconds at speed 1: new customers, reply polling and the customer's typing."""

    new_customer_every: tuple[float, float] = (20.0, 60.0)
    reply_poll: float = 2.0
    reply_delay: tuple[float, float] = (4.0, 15.0)
    reply_probability: float = 0.7
    image_probability: float = 0.15
    typing_lead: float = 3.0
    typing_repeat: float = 2.5
    agent_typing_wait: float = 20.0


class CustomerSimulator:
    """Plays the customers of the demo workspace until cancelled."""

    def __init__(
        self,
        db: Database,
        bus: EventBus,
        inbox_ids: Sequence[int],
        photo_file_id: int | None,
        *,
        speed: float = 1.0,
        seed: int = 1,
        timing: SimulatorTiming | None = None,
        live: LiveState | None = None,
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.db = db
        self.bus = bus
        self.inbox_ids = tuple(inbox_ids)
        self.photo_file_id = photo_file_id
        self.speed = speed
        self.timing = timing or SimulatorTiming()
        self.live = live
        self.rng = random.Random(seed)
        self.customers_created = 0
        self.replies_sent = 0
        self._last_seen_message_id = 0

    async def run(self) -> None:
        """Both loops, until cancelled (cancellation is clean: no half-written message)."""
        async with self.db.sessionmaker() as session:
            self._last_seen_message_id = await session.scalar(select(func.max(m.Message.id))) or 0
        log.info("customer simulator started (speed %.2f)", self.speed)
        try:
            async with asyncio.TaskGroup() as tasks:
                tasks.create_task(self._new_customers_forever())
                tasks.create_task(self._replies_forever())
        finally:
            log.info("customer simulator stopped")

    async def _sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds / self.speed)

    async def _new_customers_forever(self) -> None:
        while True:
            await self._sleep(self.rng.uniform(*self.timing.new_customer_every))
            try:
                await self.hand_over_new_customer()
            except Exception:
                log.exception("the simulator could not hand over a new customer")

    async def _replies_forever(self) -> None:
        async with asyncio.TaskGroup() as replies:
            while True:
                await self._sleep(self.timing.reply_poll)
                try:
                    for conversation_id, inbox_id in await self._conversations_to_answer():
                        if self.rng.random() < self.timing.reply_probability:
                            delay = self.rng.uniform(*self.timing.reply_delay)
                            replies.create_task(self._reply_later(conversation_id, inbox_id, delay))
                except Exception:
                    log.exception("the simulator could not read agents' replies")

    async def hand_over_new_customer(self) -> int | None:
        """A new customer greets the bot, asks a question and is handed over; the ticket id."""
        language = self.rng.choice(("it", "en"))
        name = (
            f"{self.rng.choice(content.SIMULATED_FIRST_NAMES[language])} "
            f"{self.rng.choice(content.SIMULATED_SURNAMES[language])}"
        )
        self.customers_created += 1
        prefix = 39 if language == "it" else 44
        ref = ContactRef(
            external_id=f"sim-{self.customers_created}-{self.rng.getrandbits(32):08x}",
            name=name,
            phone=f"+{prefix} 3{self.rng.randint(100_000_000, 999_999_999)}",
        )
        inbox_id = self.rng.choice(self.inbox_ids)
        question = self.rng.choice(content.CUSTOMER_OPENINGS[language]).format(
            order=self.rng.randint(100_000, 999_999)
        )
        async with self.db.transaction() as session:
            inbox = await session.get(m.Inbox, inbox_id)
            if inbox is None:
                log.warning("simulator inbox %d is gone", inbox_id)
                return None
            greeting = "Ciao" if language == "it" else "Hi"
            first = await receive_customer_message(session, self.bus, inbox, ref, greeting)
            await self._bot_says(
                session, first.conversation_id, inbox_id, content.BOT_GREETING[language]
            )
            result = await receive_customer_message(
                session, self.bus, inbox, ref, question, handoff=True
            )
            await self._bot_says(
                session, result.conversation_id, inbox_id, content.BOT_HANDOFF[language]
            )
        self.bus.wake()
        log.info("simulated customer %s handed over (ticket %s)", name, result.ticket_id)
        return result.ticket_id

    async def _bot_says(
        self, session: AsyncSession, conversation_id: int, inbox_id: int, text: str
    ) -> None:
        conversation = await session.get(m.Conversation, conversation_id)
        assert conversation is not None
        message = await append_message(session, conversation, BOT, "out", text)
        await publish_message(session, self.bus, message, inbox_id)

    async def _conversations_to_answer(self) -> list[tuple[int, int]]:
        """Conversations with an open ticket where an agent wrote since the last look."""
        async with self.db.sessionmaker() as session:
            rows = (
                await session.execute(
                    select(m.Message.id, m.Conversation.id, m.Conversation.inbox_id)
                    .join(m.Conversation, m.Conversation.id == m.Message.conversation_id)
                    .where(
                        m.Message.id > self._last_seen_message_id,
                        m.Message.direction == "out",
                        m.Message.sender_type == "agent",
                        m.Conversation.open_ticket_id.is_not(None),
                    )
                    .order_by(m.Message.id)
                )
            ).all()
        if rows:
            self._last_seen_message_id = rows[-1][0]
        seen: dict[int, int] = {}
        for _message_id, conversation_id, inbox_id in rows:
            seen[conversation_id] = inbox_id
        return list(seen.items())

    async def _reply_later(self, conversation_id: int, inbox_id: int, delay: float) -> None:
        await self._sleep(delay)
        try:
            await self.type_before_reply(conversation_id, inbox_id)
            await self.reply(conversation_id, inbox_id)
        except Exception:
            log.exception("the simulator could not reply in conversation %d", conversation_id)

    async def type_before_reply(self, conversation_id: int, inbox_id: int) -> None:
        """Wait while an agent types a reply here, then show the customer typing a while."""
        live = self.live
        if live is None:
            return
        waited = 0.0
        while waited < self.timing.agent_typing_wait and live.agents_typing_text({conversation_id}):
            await self._sleep(1.0)
            waited += 1.0
        typed = 0.0
        while typed < self.timing.typing_lead:
            live.contact_typing(conversation_id, inbox_id)
            step = min(self.timing.typing_repeat, self.timing.typing_lead - typed)
            await self._sleep(step)
            typed += step

    async def reply(self, conversation_id: int, inbox_id: int) -> None:
        """The customer of the conversation answers (now and then with a photo)."""
        async with self.db.transaction() as session:
            conversation = await session.get(m.Conversation, conversation_id)
            inbox = await session.get(m.Inbox, inbox_id)
            if conversation is None or inbox is None or conversation.open_ticket_id is None:
                return
            contact = await session.get(m.Contact, conversation.contact_id)
            if contact is None or contact.external_id is None:
                return
            language = "en" if contact.phone and contact.phone.startswith("+44") else "it"
            text = self.rng.choice(content.CUSTOMER_FOLLOW_UPS[language]).format(
                order=self.rng.randint(100_000, 999_999)
            )
            with_photo = (
                self.photo_file_id is not None and self.rng.random() < self.timing.image_probability
            )
            file_ids = [self.photo_file_id] if with_photo and self.photo_file_id else []
            await receive_customer_message(
                session, self.bus, inbox, ContactRef(contact.external_id), text, file_ids
            )
        self.bus.wake()
        self.replies_sent += 1
