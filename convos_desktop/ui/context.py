"""The collaborators a logged-in window works with, passed in (no global singletons)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSettings

from convos_desktop.core.api import ApiClient
from convos_desktop.core.drafts import Drafts
from convos_desktop.core.outbox import Outbox
from convos_desktop.core.presence import PresenceDriver
from convos_desktop.core.store import Store
from convos_desktop.core.sync import Sync
from convos_desktop.models.directory import Directory
from convos_desktop.ui.thumbnails import ThumbnailCache


@dataclass(frozen=True, slots=True)
class ClientContext:
    """One login's core services plus the UI-side lookups built on them."""

    api: ApiClient
    store: Store
    sync: Sync
    outbox: Outbox
    drafts: Drafts
    presence: PresenceDriver
    directory: Directory
    thumbnails: ThumbnailCache
    settings: QSettings
