"""The 1-hour shift of ``client_shift``: its sizes, and the customers' seeded schedule.

Standard library only: both the benchmark (server side) and the app's child process (client
only) read it. A busy agent's hour, compressed into ``seconds``: ``own_tickets`` tickets the
agent under test takes and closes, ``other_tickets`` that other agents of the team take and
close (they move in the All list), ``customer_messages`` customer messages into the
workspace (every ``PHOTO_EVERY``-th one with a photo), ``replies`` sent from the app's
composer and ``switches`` between conversations.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from typing import Any

SEED = 20260302
PHOTO_EVERY = 30
CUSTOMER_MESSAGES_ALIVE_S = 0.15  # of the shift: how long a customer keeps writing
RSS_SAMPLE_EVERY = 50  # agent steps between two resident memory samples after the warm-up


@dataclass(frozen=True)
class ShiftSizes:
    """How much happens in the shift and how long the compressed hour lasts."""

    seconds: float
    own_tickets: int
    other_tickets: int
    customer_messages: int
    replies: int
    switches: int
    photos: int

    @classmethod
    def hour(cls, seconds: float) -> ShiftSizes:
        """A busy agent's hour (40 tickets, 1,500 customer messages, 300 replies, 500
        switches), played in ``seconds``."""
        return cls(seconds, 40, 40, 1500, 300, 500, 1500 // PHOTO_EVERY)

    @classmethod
    def smoke(cls) -> ShiftSizes:
        """A few seconds: every kind of step happens, nothing is measured seriously."""
        return cls(15.0, 3, 2, 60, 12, 20, 2)

    @property
    def tickets(self) -> int:
        """Every ticket opened in the shift."""
        return self.own_tickets + self.other_tickets

    @property
    def agent_steps(self) -> int:
        """How many things the agent under test does (take, reply, switch, close)."""
        return 2 * self.own_tickets + self.replies + self.switches

    def as_json(self) -> dict[str, Any]:
        """The sizes as plain JSON values (handed to the app's child process)."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class CustomerStep:
    """At ``at`` seconds into the shift, customer ``customer`` writes (``opens``: the first
    message, a bot hand-off that opens the ticket; ``photo``: index of the photo it carries)."""

    at: float
    customer: int
    opens: bool
    photo: int | None


def customer_schedule(sizes: ShiftSizes, seed: int = SEED) -> list[CustomerStep]:
    """Every customer message of the shift in time order, the same for the same seed.

    Customers arrive evenly through the shift; each message goes to one of the customers
    who arrived in the last ``CUSTOMER_MESSAGES_ALIVE_S`` of the shift (the latest one when
    none did).
    """
    rng = random.Random(seed)
    arrivals = [index * sizes.seconds / sizes.tickets for index in range(sizes.tickets)]
    steps = [CustomerStep(at, customer, True, None) for customer, at in enumerate(arrivals)]
    follow_ups = max(0, sizes.customer_messages - sizes.tickets)
    alive_s = CUSTOMER_MESSAGES_ALIVE_S * sizes.seconds
    for index in range(follow_ups):
        at = (index + 0.5) * sizes.seconds / follow_ups
        arrived = [c for c, when in enumerate(arrivals) if at - alive_s <= when <= at]
        customer = (
            rng.choice(arrived)
            if arrived
            else max(c for c, when in enumerate(arrivals) if when <= at)
        )
        photo = None
        if (index + 1) % PHOTO_EVERY == 0 and sizes.photos:
            photo = (index // PHOTO_EVERY) % sizes.photos
        steps.append(CustomerStep(at, customer, False, photo))
    steps.sort(key=lambda step: (step.at, not step.opens))
    return steps


def is_other_agents(sizes: ShiftSizes, customer: int) -> bool:
    """Whether the customer's ticket goes to another agent (``other_tickets`` of the
    ``tickets`` customers, spread evenly)."""
    return (customer + 1) * sizes.other_tickets // sizes.tickets > (
        customer * sizes.other_tickets // sizes.tickets
    )
