"""A main window filled as an agent sees it mid-shift (issue 10's layout and small fixes).

Tickets and messages come in through the sync signals, the way the server's events do.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import QSettings

from convos_desktop.core.api import ApiClient
from convos_desktop.core.drafts import Drafts
from convos_desktop.core.outbox import Outbox
from convos_desktop.core.presence import PresenceDriver
from convos_desktop.core.store import Store, StoreBatch
from convos_desktop.core.store import _apply_batch as apply_batch
from convos_desktop.core.sync import Sync
from convos_desktop.core.types import (
    Agent,
    Direction,
    Inbox,
    MessagesChanged,
    ReplyPreview,
    Screen,
    Status,
    Ticket,
    TicketsChanged,
)
from convos_desktop.models.directory import Directory
from convos_desktop.models.navigation import NavTarget
from convos_desktop.ui.chat.thumbnails import ThumbnailCache
from convos_desktop.ui.context import ClientContext
from convos_desktop.ui.shell.main_window import MainWindow
from tests.desktop.ui.conftest import make_contact, make_message, make_ticket, protocol_json
from tests.fakes import FakeClock

LONG_CONTACT = "Maria Giuseppina Antonietta Esposito-Bianchi della Rovere"
ME = Agent(1, "Anna Rossi", "anna@convos.test", "agent", (1,), Status.ONLINE, Status.ONLINE)
OTHER = Agent(
    2,
    "Bartolomeo Massimiliano Fontanarosa",
    "bart@convos.test",
    "agent",
    (1,),
    Status.ONLINE,
    Status.ONLINE,
)
LONG_QUOTE = ReplyPreview(
    9001,
    "Buongiorno, vorrei sapere perché il mio ordine numero 44112233 risulta ancora in "
    "lavorazione dopo tre settimane, avevo chiesto la spedizione express",
    LONG_CONTACT,
    Direction.IN,
)


def populate(context: ClientContext, window: MainWindow, tickets: int = 8) -> None:
    """Me, a colleague, an inbox, ``tickets`` open tickets (the first with a long contact
    name, assigned to the colleague) and its conversation open."""
    directory = context.directory
    directory.set_me(ME)
    directory.set_agents([ME, OTHER])
    directory.set_inboxes([Inbox(1, "WhatsApp Vendite Nord-Est", "whatsapp", 1, "manual", None)])
    contacts = [make_contact(1, LONG_CONTACT)]
    contacts += [make_contact(i) for i in range(2, tickets + 1)]
    directory.upsert_contacts(contacts)
    rows = [make_ticket(1, assignee_id=OTHER.id, minutes=60, body=LONG_QUOTE.body)]
    rows += [make_ticket(i, minutes=60 - i) for i in range(2, tickets + 1)]
    window.workspace.set_effective_status(Status.ONLINE)
    context.store.write_blocking(  # the history is "fetched": no request to a server
        lambda conn: conn.executemany(
            "INSERT OR REPLACE INTO history (conversation_id, synced, has_more) VALUES (?, 1, 0)",
            [(ticket.conversation_id,) for ticket in rows],
        )
    )
    tickets_changed(context, rows)

    window.navigate(NavTarget.ALL)
    window.workspace.select_ticket(1)
    context.sync.messages_changed.emit(
        MessagesChanged(1, upserted=(make_message(1, id=9001, body=LONG_QUOTE.body),))
    )


def tickets_changed(context: ClientContext, tickets: list[Ticket]) -> None:
    """What sync does with changed tickets: write them to the cache, then tell the views (the
    ticket list keeps only their listed columns and reads a full record from the cache)."""
    batch = StoreBatch(tickets={ticket.id: protocol_json(ticket) for ticket in tickets})
    context.store.write_blocking(lambda conn: apply_batch(conn, batch))
    context.sync.tickets_changed.emit(TicketsChanged(upserted=tuple(tickets)))


def window_context(folder: Path, clock: FakeClock) -> ClientContext:
    """A window's collaborators over a real cache file in ``folder``; nothing is started."""
    api = ApiClient("http://127.0.0.1:9")
    store = Store(folder / "cache.sqlite3")
    sync = Sync(store, api)

    async def no_send(_status: Status, _screen: Screen) -> None:
        return None

    return ClientContext(
        api=api,
        store=store,
        sync=sync,
        outbox=Outbox(store, api, sync),
        drafts=Drafts(store),
        presence=PresenceDriver(no_send, clock=clock),
        directory=Directory(load_contact=store.contact),
        thumbnails=ThumbnailCache(api.file_bytes),
        settings=QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat),
    )


async def close_window(context: ClientContext, window: MainWindow) -> None:
    """Close as the app does once the requests still running (to a closed port) finished:
    drafts saved, cache closed."""
    await quiet()
    await window.workspace.shutdown()
    await context.drafts.flush()
    await quiet()
    window.close()
    window.deleteLater()
    await context.api.aclose()
    context.store.close()


async def quiet() -> None:
    """Wait until no task runs (the requests to the closed port have failed)."""
    for _ in range(100):
        if not [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]:
            return
        await asyncio.sleep(0.02)
