"""What the client benchmarks share: a filled cache file, the real window over it, paint waits.

The cache is written through ``core.store.Store`` (the same calls a bootstrap and a history
fetch make): ``tickets`` open tickets, each with its contact and last message, and two cached
conversations, the first with ``thread_messages`` messages. The window is the app's own
``MainWindow`` built by ``convos_desktop.app.build_context`` at 1280x800, on the Qt platform
chosen with ``--platform`` (``benchmarks._platforms``; offscreen by default).

Measurements run as plain callbacks on the qasync loop (``outside_task``), not inside a task,
so ``QApplication.processEvents`` may step the app's own tasks while waiting for a paint.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import logging
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, QSettings, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QWidget

from convos_desktop.app import build_context
from convos_desktop.core.api import ApiClient
from convos_desktop.core.session import Profile, Session
from convos_desktop.core.store import Store
from convos_desktop.logs import install_qt_message_filter
from convos_desktop.models.navigation import NavTarget
from convos_desktop.platform.gtk_theme import gtk_without_gl
from convos_desktop.platform.raster_threads import serial_raster_fills
from convos_desktop.ui.context import ClientContext
from convos_desktop.ui.shell.main_window import NAV_KEY, MainWindow

log = logging.getLogger("convos.bench")

R = TypeVar("R")
BASE_TIME = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
BIG_CONVERSATION = 1
SMALL_CONVERSATION = 2
SMALL_THREAD_MESSAGES = 200
LAST_MESSAGE_IDS = 10_000_000  # ids of the tickets' last messages, above every thread id
PAINT_TIMEOUT_S = 10.0
SCROLL_STEP_PX = 120  # one wheel notch
# Where an offline cache benchmark points its API client: nothing listens on the discard port.
UNREACHABLE_SERVER = "http://127.0.0.1:9"


def iso(moment: dt.datetime) -> str:
    """A protocol timestamp (UTC, milliseconds, ``Z``)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def agent_json(agent_id: int, name: str, email: str) -> dict[str, Any]:
    """An agent as the protocol sends it."""
    return {
        "id": agent_id,
        "name": name,
        "email": email,
        "role": "agent",
        "team_ids": [1],
        "status": "online",
        "chosen_status": "online",
    }


def message_json(message_id: int, conversation_id: int, minute: int, body: str) -> dict[str, Any]:
    """A customer message; every seventh one is an agent's reply."""
    inbound = message_id % 7 != 0
    return {
        "id": message_id,
        "conversation_id": conversation_id,
        "ticket_id": conversation_id,
        "client_id": None,
        "direction": "in" if inbound else "out",
        "sender_type": "contact" if inbound else "agent",
        "sender_id": conversation_id if inbound else 1,
        "sender_name": f"Cliente {conversation_id}" if inbound else "Bench Agent",
        "body": body,
        "reply_to": None,
        "reply_preview": None,
        "reactions": [],
        "files": [],
        "created_at": iso(BASE_TIME + dt.timedelta(minutes=minute)),
    }


def ticket_json(ticket_id: int, last_message: dict[str, Any]) -> dict[str, Any]:
    """An open unassigned ticket whose conversation and contact share its id."""
    return {
        "id": ticket_id,
        "conversation_id": ticket_id,
        "inbox_id": 1,
        "contact_id": ticket_id,
        "status": "open",
        "assignee_id": None,
        "opened_at": iso(BASE_TIME),
        "assigned_at": None,
        "first_response_at": None,
        "closed_at": None,
        "closed_by": None,
        "reopen_count": 0,
        "last_message": last_message,
        "last_message_at": last_message["created_at"],
    }


def contact_json(contact_id: int) -> dict[str, Any]:
    """A WhatsApp contact."""
    return {
        "id": contact_id,
        "name": f"Cliente {contact_id}",
        "phone": f"+39 333 {contact_id:07d}",
        "email": None,
        "external_id": f"wa-{contact_id}",
        "custom": {},
        "created_at": iso(BASE_TIME),
        "updated_at": iso(BASE_TIME),
    }


BODY_WORDS = (
    *("buongiorno", "ho", "un", "problema", "con", "l'ordine", "numero"),
    *("che", "non", "è", "ancora", "arrivato"),
)


def message_body(index: int) -> str:
    """Bodies of varied length, so rows have varied heights as in a real thread."""
    words = BODY_WORDS
    length = 3 + (index * 7) % 40
    return " ".join(words[(index + step) % len(words)] for step in range(length))


def snapshot_json(tickets: int) -> dict[str, Any]:
    """A bootstrap answer with ``tickets`` open tickets (newest last message first)."""
    ticket_list = []
    for ticket_id in range(1, tickets + 1):
        minute = 100_000 - ticket_id
        last = message_json(
            LAST_MESSAGE_IDS + ticket_id, ticket_id, minute, message_body(ticket_id)
        )
        ticket_list.append(ticket_json(ticket_id, last))
    return {
        "me": agent_json(1, "Bench Agent", "bench@convos.test"),
        "agents": [agent_json(1, "Bench Agent", "bench@convos.test")],
        "teams": [{"id": 1, "name": "Support", "agent_ids": [1]}],
        "inboxes": [
            {
                "id": 1,
                "name": "WhatsApp",
                "channel": "whatsapp",
                "team_id": 1,
                "assignment": "manual",
                "max_open_per_agent": None,
            }
        ],
        "canned": [],
        "tickets": ticket_list,
        "contacts": [contact_json(ticket_id) for ticket_id in range(1, tickets + 1)],
        "counts": {"mine": 0, "unassigned": tickets, "all": tickets},
        "event_seq": 0,
        "server_time": iso(BASE_TIME),
    }


def thread_json(conversation_id: int, count: int, first_id: int) -> list[dict[str, Any]]:
    """``count`` messages of one conversation, one a minute, ids from ``first_id``."""
    return [
        message_json(first_id + index, conversation_id, index, message_body(index))
        for index in range(count)
    ]


async def fill_cache(path: Path, tickets: int, thread_messages: int) -> None:
    """Write the benchmark cache at ``path`` through the store (histories marked synced)."""
    store = Store(path)
    try:
        await store.replace_snapshot(snapshot_json(tickets), reset=True)
        big = thread_json(BIG_CONVERSATION, thread_messages, 1)
        await store.store_history(BIG_CONVERSATION, big, newest=True, has_more=False)
        small = thread_json(SMALL_CONVERSATION, SMALL_THREAD_MESSAGES, thread_messages + 1)
        await store.store_history(SMALL_CONVERSATION, small, newest=True, has_more=False)
    finally:
        store.close()


def offline_context(
    folder: Path, cache: Path, server_url: str = UNREACHABLE_SERVER
) -> ClientContext:
    """The app's services over ``cache`` (settings in ``folder``), signed in from the cache."""
    api = ApiClient(server_url, "bench-token")
    session = Session(Profile("bench", server_url, "bench@convos.test"), api, None)
    settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue(NAV_KEY, NavTarget.UNASSIGNED.value)  # the list the tickets are in
    return build_context(session, cache, settings)


class PaintWatch(QObject):
    """Counts the paint events a widget receives (an event filter: the app is not changed)."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget)
        self.paints = 0
        # called as each paint arrives (before the widget paints: schedule what must follow)
        self.listeners: list[Callable[[], object]] = []
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.paints += 1
            for listener in self.listeners:
                listener()
        return False

    def wait_for_paint(self, app: QApplication, after: int) -> None:
        """Process events until a paint beyond the ``after``-th was handled."""
        deadline = time.perf_counter() + PAINT_TIMEOUT_S
        while self.paints <= after:
            app.processEvents()
            if time.perf_counter() > deadline:
                raise TimeoutError("the widget was not painted within 10 s")


def qt_application() -> QApplication:
    """The process's QApplication, offscreen unless a platform was chosen."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    install_qt_message_filter()
    serial_raster_fills()  # as the app's own: Qt's fills on the GUI thread, no thread pool
    with gtk_without_gl():  # as the app's own (a GTK desktop's theme without GTK's OpenGL)
        app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)
    return app


async def outside_task(work: Callable[[], R]) -> R:
    """Run ``work()`` as a plain loop callback (no task is current) and return its result.

    So ``QApplication.processEvents`` inside ``work`` may step the app's own tasks. Every
    measurement runs inside one ``run_until_complete``: qasync processes events once more
    after the loop stops, when tasks could not find their loop.
    """
    loop = asyncio.get_running_loop()
    done: asyncio.Future[R] = loop.create_future()

    def call() -> None:
        try:
            done.set_result(work())
        except BaseException as exc:  # handed to the awaiting caller
            done.set_exception(exc)

    loop.call_soon(call)
    return await done


def resident_mib() -> float:
    """This process's resident memory (VmRSS) in MiB."""
    status = Path("/proc/self/status").read_text()
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    if match is None:
        raise RuntimeError("no VmRSS line in /proc/self/status")
    return int(match.group(1)) / 1024


@dataclass(frozen=True)
class Launch:
    """Seconds of one launch: painted inbox, whole cache listed, big thread opened after."""

    inbox_s: float
    listed_s: float
    open_s: float
    window: MainWindow


@dataclass(frozen=True)
class Sizes:
    """How big the cache is."""

    tickets: int
    thread_messages: int


class CacheBench:
    """One filled cache and the windows built over it, measured on the qasync loop."""

    def __init__(self, folder: Path, sizes: Sizes, app: QApplication) -> None:
        self.folder = folder
        self.cache = folder / "cache.sqlite3"
        self.sizes = sizes
        self.app = app

    async def launch(self) -> Launch:
        """One launch: to the painted inbox, to the whole cache listed, to the big thread."""
        started = time.perf_counter()
        window = await self.launch_to_inbox()
        inbox_s = time.perf_counter() - started
        await window.workspace._context.sync.flush()  # the rest of the cache, off the GUI thread
        listed_s = time.perf_counter() - started
        open_s = await self.open_conversation(window, BIG_CONVERSATION)
        return Launch(inbox_s, listed_s, open_s, window)

    async def launch_to_inbox(self) -> MainWindow:
        """Open the cache, build and show the window, emit the cached state: to its paint."""

        def to_inbox() -> MainWindow:
            context = offline_context(self.folder, self.cache)
            window = MainWindow(context)
            watch = PaintWatch(window.workspace.ticket_view.viewport())
            window.show()
            context.sync.emit_cached()
            watch.wait_for_paint(self.app, 0)
            return window

        return await outside_task(to_inbox)

    async def open_conversation(self, window: MainWindow, ticket_id: int) -> float:
        """Seconds from selecting ``ticket_id`` in the list to its painted thread."""
        workspace = window.workspace

        def select() -> float:
            watch = PaintWatch(workspace.chat.viewport())
            started = time.perf_counter()
            if not workspace.select_ticket(ticket_id):
                raise RuntimeError(f"ticket {ticket_id} is not in the list")
            watch.wait_for_paint(self.app, 0)
            elapsed = time.perf_counter() - started
            watch.deleteLater()
            return elapsed

        return await outside_task(select)

    async def scroll_repaints(self, window: MainWindow, steps: int) -> list[float]:
        """Seconds per wheel step up the whole thread (loaded into the model first)."""
        workspace = window.workspace
        store = workspace._context.store
        everything = store.messages_page(BIG_CONVERSATION, limit=self.sizes.thread_messages)

        def scroll() -> list[float]:
            watch = PaintWatch(workspace.chat.viewport())
            workspace.messages.open(BIG_CONVERSATION, everything, False)
            watch.wait_for_paint(self.app, watch.paints)
            bar = workspace.chat.verticalScrollBar()
            bar.setValue(bar.maximum())
            self.app.processEvents()
            samples = []
            for _ in range(steps):
                started = time.perf_counter()
                bar.setValue(max(bar.minimum(), bar.value() - SCROLL_STEP_PX))
                workspace.chat.viewport().repaint()
                samples.append(time.perf_counter() - started)
                if bar.value() == bar.minimum():
                    bar.setValue(bar.maximum())
                    self.app.processEvents()
            return samples

        return await outside_task(scroll)

    async def scroll_through(self, window: MainWindow) -> int:
        """Scroll the open thread from the bottom to its first message and back, a view at a
        time, as the app pages it from the cache; return the most rows the model held."""
        chat = window.workspace.chat
        model = window.workspace.messages

        def scroll() -> int:
            bar = chat.verticalScrollBar()
            most = model.rowCount()
            for top in (True, False):
                deadline = time.perf_counter() + 120
                while (model.has_older if top else model.has_newer) or model.is_loading:
                    step = -bar.pageStep() if top else bar.pageStep()
                    bar.setValue(max(bar.minimum(), min(bar.maximum(), bar.value() + step)))
                    self.app.processEvents()
                    most = max(most, model.rowCount())
                    if time.perf_counter() > deadline:
                        raise TimeoutError("the thread was not scrolled through within 120 s")
                bar.setValue(bar.minimum() if top else bar.maximum())
                self.app.processEvents()
            return most

        return await outside_task(scroll)

    async def wheel_scrolls(self, window: MainWindow, steps: int) -> list[float]:
        """Seconds per real wheel notch up the thread, from the event to the exposed strip painted.

        A ``QWheelEvent`` goes to the chat view's viewport the way a mouse delivers it; Qt
        scrolls (blitting what stays visible) and paints the uncovered rows on the next pass
        of the event loop. Older pages load from the cache as the top is reached; at the top
        the view goes back to the bottom (not timed).
        """
        chat = window.workspace.chat

        def scroll() -> list[float]:
            viewport = chat.viewport()
            watch = PaintWatch(viewport)
            bar = chat.verticalScrollBar()
            bar.setValue(bar.maximum())
            self.app.processEvents()
            where = QPointF(viewport.width() / 2, viewport.height() / 2)
            samples = []
            for _ in range(steps):
                if bar.value() == bar.minimum():
                    bar.setValue(bar.maximum())
                    self.app.processEvents()
                painted = watch.paints
                started = time.perf_counter()
                wheel = QWheelEvent(
                    where,
                    viewport.mapToGlobal(where),
                    QPoint(0, 0),
                    QPoint(0, SCROLL_STEP_PX),
                    Qt.MouseButton.NoButton,
                    Qt.KeyboardModifier.NoModifier,
                    Qt.ScrollPhase.NoScrollPhase,
                    False,
                )
                QApplication.sendEvent(viewport, wheel)
                watch.wait_for_paint(self.app, painted)
                samples.append(time.perf_counter() - started)
            watch.deleteLater()
            return samples

        return await outside_task(scroll)

    async def close(self, window: MainWindow) -> None:
        """Close a window and its services (no network: nothing was started)."""
        context = window.workspace._context
        window.hide()
        await window.workspace.shutdown()
        await context.drafts.flush()
        await context.sync.flush()
        window.deleteLater()
        await outside_task(self.app.processEvents)
        context.store.close()
        await context.api.aclose()
        gc.collect()
