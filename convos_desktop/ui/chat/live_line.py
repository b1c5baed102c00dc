"""The chat header's collision line: which colleagues view the conversation, who types.

:func:`live_sentence` words a :class:`~convos_desktop.core.live.Presence` in the agent's
language ("Anna is viewing · Bruno is typing a note… · The customer is typing…");
:class:`LiveLine` keeps a header's line in step with ``core.live`` for the open conversation
(and clears the customer's typing when it times out).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QObject, QTimer

from convos_desktop.core.live import Live, Presence


def _tr(text: str) -> str:
    return QCoreApplication.translate("LiveLine", text)


def live_sentence(presence: Presence, name_of: Callable[[int], str], now: float) -> str:
    """One line about the others in the conversation; empty when nobody is there."""
    parts = []
    for agent_id in sorted(presence.typing):
        name = name_of(agent_id)
        if presence.typing[agent_id] == "note":
            parts.append(_tr("{name} is typing a note…").format(name=name))
        else:
            parts.append(_tr("{name} is typing a reply…").format(name=name))
    watching = sorted(name_of(a) for a in presence.viewers if a not in presence.typing)
    if len(watching) == 1:
        parts.append(_tr("{name} is viewing").format(name=watching[0]))
    elif watching:
        parts.append(_tr("{names} are viewing").format(names=", ".join(watching)))
    if presence.contact_typing(now):
        parts.append(_tr("The customer is typing…"))
    return "  ·  ".join(parts)


class LiveLine(QObject):
    """Shows ``live``'s state of ``conversation_id()`` with ``show(text)``."""

    def __init__(
        self,
        live: Live,
        conversation_id: Callable[[], int | None],
        name_of: Callable[[int], str],
        show: Callable[[str], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._live = live
        self._conversation_id = conversation_id
        self._name_of = name_of
        self._show = show
        self._expiry = QTimer(self)
        self._expiry.setSingleShot(True)
        self._expiry.timeout.connect(self.refresh)
        live.changed.connect(self._on_changed)

    def _on_changed(self, conversation_id: int) -> None:
        if conversation_id == self._conversation_id():
            self.refresh()

    def refresh(self) -> None:
        """Word the open conversation's state again."""
        conversation_id = self._conversation_id()
        if conversation_id is None:
            self._show("")
            return
        presence = self._live.presence(conversation_id)
        now = time.monotonic()
        self._show(live_sentence(presence, self._name_of, now))
        if presence.contact_typing(now):
            self._expiry.start(int((presence.contact_typing_until - now) * 1000) + 50)
