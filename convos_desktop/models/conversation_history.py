"""The conversation history as a table: compact rows over ``PagedTableModel``.

Every conversation with a customer, whatever started it (chatbot, agent, mass or
transactional campaign); filters, order and paging are the server's.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any, NamedTuple

from PySide6.QtCore import QCoreApplication, QObject, Qt

from convos_desktop.core.types import Conversation, ConversationQuery
from convos_desktop.models.directory import Directory
from convos_desktop.models.paged_table import PagedTableModel, PageFetcher, Runner, moment_text

PREVIEW_CHARS = 120


class ConversationColumn(IntEnum):
    """The conversation history's columns, in order."""

    STARTED = 0
    CONTACT = 1
    INBOX = 2
    ORIGIN = 3
    LAST_ACTIVITY = 4
    LAST_MESSAGE = 5


SORT_KEYS = {
    ConversationColumn.STARTED: "created",
    ConversationColumn.CONTACT: "contact",
    ConversationColumn.INBOX: "inbox",
    ConversationColumn.ORIGIN: "origin",
    ConversationColumn.LAST_ACTIVITY: "activity",
}


class ConversationRow(NamedTuple):
    """What one row keeps: ids, origin, times (epoch seconds) and a short preview."""

    id: int
    contact_id: int
    inbox_id: int
    origin: str
    campaign: str | None
    created_at: float
    last_message_at: float
    open_ticket_id: int | None
    preview: str

    @classmethod
    def of(cls, conversation: Conversation) -> ConversationRow:
        last = conversation.last_message
        preview = " ".join(last.body.split())[:PREVIEW_CHARS] if last is not None else ""
        return cls(
            conversation.id,
            conversation.contact_id,
            conversation.inbox_id,
            conversation.origin,
            conversation.campaign,
            conversation.created_at.timestamp(),
            conversation.last_message_at.timestamp(),
            conversation.open_ticket_id,
            preview,
        )


def origin_names() -> dict[str, str]:
    """Who started a conversation, in the UI language."""
    tr = QCoreApplication.translate
    return {
        "chatbot": tr("ConversationHistory", "Chatbot"),
        "agent": tr("ConversationHistory", "Agent"),
        "campaign_mass": tr("ConversationHistory", "Mass campaign"),
        "campaign_transactional": tr("ConversationHistory", "Transactional campaign"),
    }


def origin_text(origin: str, campaign: str | None) -> str:
    """The origin as the history shows it: a campaign's name follows its kind."""
    name = origin_names().get(origin, origin)
    return f"{name}: {campaign}" if campaign else name


def column_titles() -> list[str]:
    tr = QCoreApplication.translate
    return [
        tr("ConversationHistory", "Started"),
        tr("ConversationHistory", "Contact"),
        tr("ConversationHistory", "Inbox"),
        tr("ConversationHistory", "Started by"),
        tr("ConversationHistory", "Last activity"),
        tr("ConversationHistory", "Last message"),
    ]


class ConversationHistoryModel(PagedTableModel):
    """See the module docstring."""

    def __init__(
        self,
        fetch: PageFetcher,
        run: Runner,
        directory: Directory,
        page_size: int = 100,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(
            fetch,
            run,
            ConversationQuery(),
            directory,
            column_titles(),
            {int(c): key for c, key in SORT_KEYS.items()},
            page_size,
            parent,
        )

    def make_row(self, item: Any) -> ConversationRow:
        assert isinstance(item, Conversation)
        return ConversationRow.of(item)

    def cell(self, row: Any, column: int, role: int) -> object:
        assert isinstance(row, ConversationRow)
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        return self.texts(row)[column]

    def row_texts(self, row: Any) -> tuple[str, ...]:
        assert isinstance(row, ConversationRow)
        return (
            moment_text(row.created_at),  # STARTED
            self.contact_name(row.contact_id),  # CONTACT
            self._directory.inbox_name(row.inbox_id),  # INBOX
            origin_text(row.origin, row.campaign),  # ORIGIN
            moment_text(row.last_message_at),  # LAST_ACTIVITY
            row.preview,  # LAST_MESSAGE
        )
