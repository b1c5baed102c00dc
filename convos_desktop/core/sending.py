"""Sending a message with files: upload what is local, then hand the message to the outbox.

The outbox keeps a send until the server has it; the uploads before it are not in the outbox
yet. :class:`Sender` tracks both, so "are all replies of this conversation delivered?" (asked
before Finalize or Unassign) counts a send whose files are still uploading.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from convos_desktop.core.api import ApiClient
from convos_desktop.core.media import FileKind
from convos_desktop.core.outbox import Outbox

log = logging.getLogger("convos.sending")

DELIVERY_WAIT_S = 10.0  # how long "delivered?" waits for sends still on their way


class Attachment(Protocol):
    """A file to send: a library or earlier upload (``file_id``) or a local ``path``."""

    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> FileKind: ...
    @property
    def path(self) -> Path | None: ...
    @property
    def file_id(self) -> int | None: ...


class Sender:
    """Sends of one profile, from the composer (or any window with one) to the outbox."""

    def __init__(
        self, api: ApiClient, outbox: Outbox, *, delivery_wait_s: float = DELIVERY_WAIT_S
    ) -> None:
        self._api = api
        self._outbox = outbox
        self._delivery_wait_s = delivery_wait_s
        # Sends still uploading their files, per conversation (not yet in the outbox).
        self._preparing: dict[int, set[asyncio.Task[Any]]] = {}

    async def send(
        self,
        conversation_id: int,
        text: str,
        *,
        is_note: bool = False,
        reply_to: int | None = None,
        attachments: Sequence[Attachment] = (),
        seen_message_id: int | None = None,
    ) -> None:
        """Upload the local files (read off the GUI thread), then queue the message.

        Raises when an upload fails: nothing reached the outbox then, the caller gives the
        text back to the agent.
        """
        task = asyncio.current_task()
        assert task is not None
        preparing = self._preparing.setdefault(conversation_id, set())
        preparing.add(task)
        try:
            file_ids = [await self._file_id(attachment) for attachment in attachments]
            await self._outbox.send(
                conversation_id,
                text,
                kind="note" if is_note else "text",
                reply_to=reply_to,
                file_ids=file_ids,
                seen_message_id=seen_message_id,
            )
        finally:
            preparing.discard(task)
            if not preparing:
                self._preparing.pop(conversation_id, None)

    async def _file_id(self, attachment: Attachment) -> int:
        if attachment.file_id is not None:
            return attachment.file_id
        if attachment.path is None:
            raise ValueError(f"attachment {attachment.name!r} has neither a file nor a path")
        data = await asyncio.get_running_loop().run_in_executor(None, attachment.path.read_bytes)
        uploaded = await self._api.upload_file(
            attachment.name, data, sticker=attachment.kind == FileKind.STICKER
        )
        return uploaded.id

    async def delivered(self, conversation_id: int) -> bool:
        """Whether every send of the conversation reached the server (waits a little)."""
        try:
            async with asyncio.timeout(self._delivery_wait_s):
                preparing = set(self._preparing.get(conversation_id, ()))
                if preparing:  # uploads still running: the outbox does not have them yet
                    await asyncio.wait(preparing)
                return await self._outbox.wait_delivered(conversation_id)
        except TimeoutError:
            return False
