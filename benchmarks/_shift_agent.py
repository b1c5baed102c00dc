"""``python -m benchmarks._shift_agent URL TOKEN SIZES_JSON [--no-trace]``: a shift's agent.

Run by ``client_shift`` in a child process that imports only the client, so its resident
memory is the app's. The app is built as ``convos_desktop.app`` builds it (``build_context``
+ ``open_window``: window, event stream, outbox, presence) over a fresh cache, signed in with
``TOKEN``. It prints ``READY`` once the event stream is connected and the agent is online,
waits for a line on stdin (the customers start then), and plays the agent's hour through the
window: takes tickets from Unassigned with the header's "Assign to me", types replies in the
composer and sends them (the outbox path), switches between its conversations and looks at
others' in All, and finalizes tickets. At a quarter of the shift (after the warm-up) and at
the end, once the window has been idle for the app's ``IDLE_MS``, it measures
(``_shift_probe``; tracemalloc on unless ``--no-trace``); the last stdout line is ``RESULT``
and the JSON.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import qasync

from benchmarks._shift_plan import RSS_SAMPLE_EVERY, SEED, ShiftSizes
from benchmarks._shift_probe import Probe
from benchmarks.client_harness import offline_context, qt_application
from convos_desktop.app import open_window, shut_down
from convos_desktop.core.types import ConnectionState, Delivery, Status, Ticket, View
from convos_desktop.models.navigation import NavTarget
from convos_desktop.platform.memory_trim import IDLE_MS
from convos_desktop.ui.context import ClientContext
from convos_desktop.ui.shell.main_window import MainWindow
from convos_desktop.ui.workspace.ticket_actions import TicketAction

log = logging.getLogger("convos.bench.shift")

CONNECT_TIMEOUT_S = 30.0
OPEN_AT_ONCE = 3  # tickets the agent works on at the same time before taking another
LOOK_ELSEWHERE = 0.2  # share of switches that look at a ticket in All instead of Mine
IDLE_MARGIN_S = 2.0  # after the app's idle delay, before the end probe
REPLY_SETTLE_S = 1.0  # the agent sees the last reply delivered before finalizing
QUOTE_EVERY = 5  # every fifth reply quotes the customer's last message
REPLIES = (
    "Buongiorno, controllo subito il suo ordine.",
    "Mi può indicare il numero d'ordine, per favore?",
    "Grazie, ho verificato: la spedizione parte oggi.",
    "Le ho inviato il link per il reso via email.",
    "C'è altro che posso fare per lei?",
)


class ShiftAgent:
    """Plays the agent's part of the shift on the running window, step by step."""

    def __init__(self, window: MainWindow, sizes: ShiftSizes, probe: Probe) -> None:
        self.window = window
        self.workspace = window.workspace
        self.sizes = sizes
        self.probe = probe
        self.rng = random.Random(SEED)
        self.done = {"take": 0, "reply": 0, "switch": 0, "close": 0}
        self.replied_at: dict[int, float] = {}  # ticket id: when the agent last replied
        self.finalized: set[int] = set()  # pressed Finalize: the agent is done with them
        self.taken: set[int] = set()  # pressed Assign to me: not to be taken twice
        self.lag_s = 0.0  # how late the last step ran: the app did not keep up when large
        self.cpu_s = 0.0  # the app's CPU time over the shift (probes excepted but the first)

    async def play(self) -> None:
        """Every step at its time; the probe at the end of the warm-up quarter and at the end
        (the agent's plan waits for the first probe: the customers do not)."""
        steps = self.sizes.agent_steps
        interval = self.sizes.seconds / steps
        started = time.monotonic()
        cpu_started = time.process_time()
        warm_up_step = steps // 4
        for step in range(steps):
            if step == warm_up_step:
                probe_started = time.monotonic()
                await self.probe.take("warm")
                started += time.monotonic() - probe_started
            elif step > warm_up_step and step % RSS_SAMPLE_EVERY == 0:
                self.probe.sample_rss()
            await asyncio.sleep(max(0.0, started + step * interval - time.monotonic()))
            self.act()
        self.lag_s = time.monotonic() - (started + (steps - 1) * interval)
        await asyncio.sleep(max(0.0, started + self.sizes.seconds - time.monotonic()))
        await self.finish_open_tickets()
        self.cpu_s = time.process_time() - cpu_started
        await asyncio.sleep(IDLE_MS / 1000 + IDLE_MARGIN_S)  # the window is idle
        await self.probe.take("end")

    def act(self) -> None:
        """One step: the kind the quotas and the open tickets call for, seeded."""
        wanted = {
            "take": self.sizes.own_tickets,
            "reply": self.sizes.replies,
            "switch": self.sizes.switches,
            "close": self.sizes.own_tickets,
        }
        left = {kind: max(0, count - self.done[kind]) for kind, count in wanted.items()}
        mine = self.my_tickets()
        if len(mine) >= OPEN_AT_ONCE:
            left["take"] = 0
        if not mine:
            left["reply"] = left["close"] = 0
        if len(mine) < OPEN_AT_ONCE and left["take"] > 0:
            left["close"] = 0
        kinds = [kind for kind, count in left.items() if count > 0]
        if not mine and left["take"] > 0:
            kinds = ["take"]  # nothing to work on: take the next customer
        if not kinds:
            return
        kind = self.rng.choices(kinds, weights=[left[kind] for kind in kinds])[0]
        getattr(self, kind)(mine)

    def my_tickets(self) -> list[Ticket]:
        """The open tickets in Mine (what the Mine list shows)."""
        me = self.workspace._context.directory.me
        if me is None:
            return []
        tickets = self.workspace._context.store.tickets(View.MINE, me.id)
        return [ticket for ticket in tickets if ticket.id not in self.finalized]

    def show(self, target: NavTarget, ticket_id: int | None = None) -> bool:
        """Go to a list and select a ticket in it (without ``ticket_id``: the one waiting
        longest that the agent did not take yet, from the last row up)."""
        if self.window.current_target is not target:
            self.window.navigate(target)
        if ticket_id is None:
            tickets = self.workspace.tickets
            waiting = (tickets.ticket_at(row) for row in reversed(range(tickets.rowCount())))
            oldest = next((t for t in waiting if t is not None and t.id not in self.taken), None)
            if oldest is None:
                return False
            ticket_id = oldest.id
        return self.workspace.select_ticket(ticket_id)

    def press(self, action: TicketAction) -> None:
        """Click a header button of the open ticket."""
        self.workspace.header.buttons[action].click()

    def take(self, _mine: list[Ticket]) -> None:
        """Assign the first ticket waiting in Unassigned to me."""
        if self.show(NavTarget.UNASSIGNED):
            self.press(TicketAction.ASSIGN)
            if self.workspace.current_ticket is not None:
                self.taken.add(self.workspace.current_ticket.id)
            self.done["take"] += 1
        else:
            self.done["switch"] += 1  # nothing waiting: the agent only looked

    def reply(self, mine: list[Ticket]) -> None:
        """Type a reply in the composer of one of my tickets and send it."""
        current = self.workspace.current_ticket
        if current is None or current.id not in {ticket.id for ticket in mine}:
            current = self.rng.choice(mine)
            self.done["switch"] += 1
            if not self.show(NavTarget.MINE, current.id):
                return  # not in the list yet: the agent only looked
        composer = self.workspace.composer
        if self.done["reply"] % QUOTE_EVERY == 0:
            thread = self.workspace.messages
            last = thread.message_at(thread.rowCount() - 1)
            if last is not None and last.id > 0:
                self.workspace.chat.replyRequested.emit(last)  # the bubble's "Reply"
        composer.edit.insertPlainText(self.rng.choice(REPLIES))
        composer.send()
        self.replied_at[current.id] = time.monotonic()
        self.done["reply"] += 1

    def switch(self, mine: list[Ticket]) -> None:
        """Open another conversation: one of mine, or now and then one in All."""
        current = self.workspace.current_ticket
        others = [ticket for ticket in mine if current is None or ticket.id != current.id]
        if others and self.rng.random() >= LOOK_ELSEWHERE:
            self.show(NavTarget.MINE, self.rng.choice(others).id)
        else:
            self.window.navigate(NavTarget.ALL)
            rows = self.workspace.tickets.rowCount()
            if rows:
                picked = self.workspace.tickets.ticket_at(self.rng.randrange(rows))
                if picked is not None:
                    self.workspace.select_ticket(picked.id)
        self.done["switch"] += 1

    def close(self, mine: list[Ticket]) -> None:
        """Finalize my oldest ticket, one that had a reply when there is one; not one whose
        last reply is under a second old or still pending (a close overtaking a send gets
        it refused as ``ticket_closed``), so then the agent switches instead."""
        outbox = self.workspace._context.outbox
        settled = [
            ticket
            for ticket in mine
            if time.monotonic() - self.replied_at.get(ticket.id, 0.0) > REPLY_SETTLE_S
            and all(i.state is not Delivery.PENDING for i in outbox.items(ticket.conversation_id))
        ]
        if not settled:
            self.switch(mine)
            return
        answered = [ticket for ticket in settled if ticket.id in self.replied_at] or settled
        if not self.show(NavTarget.MINE, answered[0].id):
            self.done["switch"] += 1  # not in the list yet: the agent only looked
            return
        self.press(TicketAction.CLOSE)
        self.finalized.add(answered[0].id)
        self.done["close"] += 1

    async def finish_open_tickets(self) -> None:
        """The shift ends: the last replies go out, then what is still mine is finalized."""
        await self.workspace._context.outbox.wait_idle()
        for ticket in self.my_tickets():
            if self.show(NavTarget.MINE, ticket.id):
                self.press(TicketAction.CLOSE)
                self.done["close"] += 1


async def connected_and_online(context: ClientContext, window: MainWindow) -> None:
    """Wait for the event stream and for the agent to be online on the conversations screen."""
    ready = asyncio.Event()

    def check(*_args: object) -> None:
        if (
            context.sync.connection_state is ConnectionState.CONNECTED
            and context.presence.effective is Status.ONLINE
            and context.directory.me is not None
        ):
            ready.set()

    signals = (
        context.sync.connection_state_changed,
        context.presence.effective_changed,
        context.directory.me_changed,
    )
    for signal in signals:
        signal.connect(check)
    check()
    async with asyncio.timeout(CONNECT_TIMEOUT_S):
        await ready.wait()
    for signal in signals:
        signal.disconnect(check)
    await context.presence.wait_sent()


async def wait_for_go() -> None:
    """Say ``READY`` and wait for the benchmark's line on stdin (the shift starts)."""
    print("READY", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)


async def run_shift(folder: Path, url: str, token: str, sizes: ShiftSizes) -> dict[str, Any]:
    """Open the app, play the shift, quit as the app does; what was done and measured."""
    context = offline_context(folder, folder / "cache.sqlite3", url)
    context.api.token = token
    window = open_window(context, "en")
    probe = Probe(window, context)
    await connected_and_online(context, window)
    window.navigate(NavTarget.MINE)
    await probe.mark_start()
    await wait_for_go()
    agent = ShiftAgent(window, sizes, probe)
    await agent.play()
    await context.outbox.wait_idle()
    failed = Counter(
        item.error or "" for item in context.outbox.items() if item.state is Delivery.FAILED
    )
    window.quit()
    await shut_down(context, window)
    await context.api.aclose()
    window.deleteLater()
    return {
        "done": agent.done,
        "lag_s": agent.lag_s,
        "cpu_s": agent.cpu_s,
        "failed_sends": dict(failed),
        "probes": probe.results,
        "rss_samples": probe.rss_samples,
        "start_rss_mib": probe.start_rss_mib,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Play one shift; a usage error for wrong arguments."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    traced = "--no-trace" not in arguments
    arguments = [argument for argument in arguments if argument != "--no-trace"]
    if len(arguments) != 3:
        raise SystemExit(
            "usage: python -m benchmarks._shift_agent URL TOKEN SIZES_JSON [--no-trace]"
        )
    url, token, sizes_json = arguments
    sizes = ShiftSizes(**json.loads(sizes_json))
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    if traced:
        Probe.start_tracing()
    app = qt_application()
    loop = qasync.QEventLoop(app, already_running=False)
    with tempfile.TemporaryDirectory(prefix="convos-client-shift-") as folder:
        result = loop.run_until_complete(run_shift(Path(folder), url, token, sizes))
    loop.close()
    print("RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
