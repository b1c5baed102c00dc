"""Fixtures of the UI tests: record factories and one qasync loop on the Qt thread."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import enum
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from convos_desktop.app import build_context, open_window, shut_down
from convos_desktop.core.api import ApiClient
from convos_desktop.core.session import Profile, Session
from convos_desktop.core.types import (
    Agent,
    Contact,
    Direction,
    FileInfo,
    Inbox,
    Message,
    Reaction,
    ReplyPreview,
    Status,
    Ticket,
)
from convos_desktop.models.directory import Directory
from convos_desktop.models.thread import HistoryPage
from convos_desktop.ui.context import ClientContext
from convos_desktop.ui.shell.main_window import MainWindow
from tests.e2e.conftest import AGENT_EMAIL, server, workspace  # noqa: F401 (fixtures)

BASE_TIME = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
ME = Agent(1, "Anna Rossi", "anna@convos.test", "agent", (1,), Status.ONLINE, Status.ONLINE)
OTHER = Agent(2, "Marco Bianchi", "marco@convos.test", "agent", (1,), Status.ONLINE, Status.ONLINE)


def _qasync_loop() -> asyncio.AbstractEventLoop:
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)  # as app.main does: closing is not quitting
    return qasync.QEventLoop(app, already_running=False)


def pytest_asyncio_loop_factories(config: Any, item: pytest.Item) -> Mapping[str, Any] | None:
    """Async UI tests run on a qasync loop, so Qt events flow while they await."""
    if "desktop/ui" not in str(item.path).replace("\\", "/"):
        return None
    return {"qasync": _qasync_loop}


_ids = itertools.count(1000)


def make_message(
    conversation_id: int = 1,
    *,
    id: int | None = None,
    body: str = "Buongiorno, ho un problema con l'ordine",
    direction: Direction = Direction.IN,
    minutes: float = 0,
    sender_name: str = "Giulia Verdi",
    client_id: str | None = None,
    reply_preview: ReplyPreview | None = None,
    reactions: tuple[Reaction, ...] = (),
    files: tuple[FileInfo, ...] = (),
    **extra: Any,
) -> Message:
    """A message record; ``minutes`` after a fixed base time."""
    message_id = next(_ids) if id is None else id
    return Message(
        id=message_id,
        conversation_id=conversation_id,
        ticket_id=extra.pop("ticket_id", 1),
        client_id=client_id,
        direction=direction,
        sender_type="contact" if direction is Direction.IN else "agent",
        sender_id=None if direction is Direction.IN else ME.id,
        sender_name=sender_name,
        body=body,
        reply_to=reply_preview.id if reply_preview else None,
        reply_preview=reply_preview,
        reactions=reactions,
        files=files,
        created_at=BASE_TIME + dt.timedelta(minutes=minutes),
        **extra,
    )


def make_ticket(
    ticket_id: int,
    *,
    assignee_id: int | None = None,
    minutes: float = 0,
    status: str = "open",
    contact_id: int | None = None,
    body: str = "Salve",
) -> Ticket:
    """An open ticket whose last message came ``minutes`` after the base time."""
    when = BASE_TIME + dt.timedelta(minutes=minutes)
    return Ticket(
        id=ticket_id,
        conversation_id=ticket_id,
        inbox_id=1,
        contact_id=contact_id or ticket_id,
        status=status,
        assignee_id=assignee_id,
        opened_at=BASE_TIME,
        assigned_at=when if assignee_id else None,
        first_response_at=None,
        closed_at=None,
        closed_by=None,
        reopen_count=0,
        last_message_at=when,
        last_message=make_message(ticket_id, body=body, minutes=minutes),
    )


def protocol_json(value: Any) -> Any:
    """A core dataclass (``Ticket``, ``Message``...) as the protocol's JSON its ``from_json``
    reads: fields by name, times in ISO 8601, enums by value."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: protocol_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (tuple, list)):
        return [protocol_json(item) for item in value]
    return value


def make_contact(contact_id: int, name: str | None = None) -> Contact:
    return Contact(
        id=contact_id,
        name=name or f"Cliente {contact_id}",
        phone="+39 333 000 0000",
        email=f"cliente{contact_id}@example.com",
        external_id=f"wa-{contact_id}",
        custom={},
        created_at=BASE_TIME,
        updated_at=BASE_TIME,
    )


@pytest.fixture
def directory(qapp: QApplication) -> Directory:
    """A directory with two agents (the first is me), one inbox and contacts 1..20."""
    directory = Directory()
    directory.set_me(ME)
    directory.set_agents([ME, OTHER])
    directory.set_inboxes([Inbox(1, "WhatsApp Vendite", "whatsapp", 1, "manual", None)])
    directory.upsert_contacts(make_contact(i) for i in range(1, 21))
    return directory


@pytest.fixture
def message_factory() -> Callable[..., Message]:
    return make_message


class ListHistory:
    """A HistorySource over a list of messages (oldest first), paging like the server does."""

    def __init__(self, messages: list[Message], delay: float = 0.0) -> None:
        self.messages = messages
        self.delay = delay
        self.calls: list[int | None] = []
        self.newer_calls: list[int] = []

    async def older_messages(
        self, conversation_id: int, before_id: int | None, limit: int
    ) -> HistoryPage:
        self.calls.append(before_id)
        await asyncio.sleep(self.delay)
        end = len(self.messages)
        if before_id is not None:
            end = sum(1 for m in self.messages if m.id < before_id)  # ids grow with time
        start = max(0, end - limit)
        return HistoryPage(tuple(self.messages[start:end]), has_more=start > 0)

    async def newer_messages(self, conversation_id: int, after_id: int, limit: int) -> HistoryPage:
        self.newer_calls.append(after_id)
        await asyncio.sleep(self.delay)
        start = sum(1 for m in self.messages if m.id <= after_id)
        end = min(len(self.messages), start + limit)
        return HistoryPage(tuple(self.messages[start:end]), has_more=end < len(self.messages))

    def latest(self, limit: int = 50) -> tuple[list[Message], bool]:
        return self.messages[-limit:], len(self.messages) > limit


async def next_emission(signal: Any, seconds: float = 10.0) -> tuple[Any, ...]:
    """Await the next emission of a Qt signal on the qasync loop (never a nested Qt loop:
    ``qtbot.waitSignal`` would block the coroutine that has to make the signal fire)."""
    future: asyncio.Future[tuple[Any, ...]] = asyncio.get_running_loop().create_future()

    def on_emit(*args: Any) -> None:
        if not future.done():
            future.set_result(args)

    signal.connect(on_emit)
    try:
        async with asyncio.timeout(seconds):
            return await future
    finally:
        signal.disconnect(on_emit)


# --- the real app against a real server (tests/e2e's server subprocess fixtures) ------------


@dataclass
class RunningUi:
    """The app's window and core over one cache file, as ``convos_desktop.app`` wires them."""

    context: ClientContext
    window: MainWindow

    async def close(self) -> None:
        self.window.close()
        await shut_down(self.context, self.window)
        await self.context.api.aclose()


async def open_ui(folder: Path, server_url: str, token: str) -> RunningUi:
    """Sign in with ``token`` and open the main window (cache and settings in ``folder``)."""
    api = ApiClient(server_url, token)
    session = Session(Profile("test", server_url, AGENT_EMAIL), api, await api.me())
    settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    context = build_context(session, folder / "cache.sqlite3", settings)
    return RunningUi(context, open_window(context, "en"))
