"""The collaborators a logged-in window works with, passed in (no global singletons)."""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QSettings

from convos_desktop.core.api import ApiClient
from convos_desktop.core.drafts import Drafts
from convos_desktop.core.outbox import Outbox
from convos_desktop.core.presence import PresenceDriver
from convos_desktop.core.sending import Sender
from convos_desktop.core.store import Store
from convos_desktop.core.sync import Sync
from convos_desktop.models.directory import Directory
from convos_desktop.ui.chat.thumbnails import ThumbnailCache


@dataclass(frozen=True, slots=True)
class ClientContext:
    """One login's core services plus the UI-side lookups built on them.

    ``sender`` is built from ``api`` and ``outbox``: one per login, shared by every window
    that sends, so a Finalize anywhere waits for the uploads started in any of them.
    """

    api: ApiClient
    store: Store
    sync: Sync
    outbox: Outbox
    drafts: Drafts
    presence: PresenceDriver
    directory: Directory
    thumbnails: ThumbnailCache
    settings: QSettings
    sender: Sender = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sender", Sender(self.api, self.outbox))
