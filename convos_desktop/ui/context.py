"""The collaborators a logged-in window works with, passed in (no global singletons)."""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QSettings

from convos_desktop.core.api import ApiClient
from convos_desktop.core.drafts import Drafts
from convos_desktop.core.live import Live
from convos_desktop.core.mentions import Mentions
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
    that sends, so a Finalize anywhere waits for the uploads started in any of them. ``live``
    (who else views or types in the open conversation) and ``mentions`` (the agent's
    ``@name`` mentions) follow ``sync``'s events.
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
    live: Live = field(init=False)
    mentions: Mentions = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sender", Sender(self.api, self.outbox))
        live = Live.for_api(self.api, lambda: self.sync.me_id)
        mentions = Mentions(self.api)
        object.__setattr__(self, "live", live)
        object.__setattr__(self, "mentions", mentions)
        self.sync.ephemeral.connect(live.receive)
        mentions.follow(self.sync)
        self.sync.messages_changed.connect(live.on_messages_changed)
        self.sync.connection_state_changed.connect(live.on_connection_state)
