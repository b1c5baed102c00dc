"""Reacting to a message: toggle an emoji, or pick one from the emoji picker."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtWidgets import QWidget

from convos_desktop.core.api import ApiClient
from convos_desktop.core.types import Message, Status
from convos_desktop.ui.tasks import TaskRunner
from convos_desktop.ui.workspace.ticket_actions import reaction_block_reason


class Reactions(QObject):
    """Adds or removes this agent's reaction through the server; the change comes back as an
    event (the model is never patched here). ``failed(str)`` says why one was refused; the
    online rule is checked before asking (the server checks it too)."""

    failed = Signal(str)

    def __init__(
        self,
        api: ApiClient,
        settings: QSettings,
        me_id: Callable[[], int | None],
        picker_parent: QWidget,
    ) -> None:
        super().__init__(picker_parent)
        self._api = api
        self._settings = settings
        self._me_id = me_id
        self._parent = picker_parent
        self._status = Status.UNAVAILABLE
        self._picking_for: Message | None = None
        self._tasks = TaskRunner()

    def set_status(self, status: Status) -> None:
        self._status = status

    def toggle(self, message: Message, emoji: str) -> None:
        """Add ``emoji`` to ``message``, or take it back when it is already this agent's."""
        blocked = reaction_block_reason(self._status)
        if blocked:
            self.failed.emit(blocked)
            return
        me_id = self._me_id()
        mine = any(r.emoji == emoji and me_id in r.agent_ids for r in message.reactions)
        call = self._api.remove_reaction if mine else self._api.add_reaction
        self._tasks.run(call(message.id, emoji), on_error=self.failed.emit)

    def pick(self, message: Message) -> None:
        """Open the emoji picker; the chosen emoji toggles on ``message``."""
        self._picking_for = message
        from convos_desktop.ui.chat.emoji_picker import EmojiPicker  # when first picked

        picker = EmojiPicker(self._settings, self._parent)
        picker.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        picker.emojiChosen.connect(self._on_picked)
        picker.show()

    def _on_picked(self, emoji: str) -> None:
        if self._picking_for is not None:
            self.toggle(self._picking_for, emoji)

    async def shutdown(self) -> None:
        self._tasks.cancel_all()
        await self._tasks.wait_idle()
