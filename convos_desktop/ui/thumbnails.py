"""Image and sticker thumbnails for the chat: fetched, scaled off the GUI thread, cached."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from convos_desktop.core import media
from convos_desktop.core.types import FileInfo

log = logging.getLogger("convos.ui")

FetchBytes = Callable[[int], Awaitable[bytes]]
THUMBNAIL_EDGE = 480


class ThumbnailCache(QObject):
    """Thumbnails by file id. ``image`` answers at once (or ``None``) and starts a load.

    The bytes come from ``fetch`` (the API), Pillow scales them in the default executor
    (``core.media.thumbnail_async``); only the small PNG result is turned into a ``QImage``
    here. ``ready(file_id)`` tells the views to repaint. A file that fails is not retried
    until :meth:`forget` is called.
    """

    ready = Signal(int)

    def __init__(self, fetch: FetchBytes, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._fetch = fetch
        self._images: dict[int, QImage] = {}
        self._loading: dict[int, asyncio.Task[None]] = {}
        self._failed: set[int] = set()

    def image(self, file: FileInfo) -> QImage | None:
        image = self._images.get(file.id)
        if image is not None or file.id in self._loading or file.id in self._failed:
            return image
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # painting outside the app's loop (a screenshot): no loading
            return None
        task = loop.create_task(self._load(file))
        self._loading[file.id] = task
        task.add_done_callback(lambda _t: self._loading.pop(file.id, None))
        return None

    def has_failed(self, file_id: int) -> bool:
        return file_id in self._failed

    def forget(self, file_id: int) -> None:
        self._images.pop(file_id, None)
        self._failed.discard(file_id)

    async def wait_idle(self) -> None:
        """Wait for the loads in flight (tests, quit)."""
        while pending := list(self._loading.values()):
            await asyncio.gather(*pending, return_exceptions=True)

    async def _load(self, file: FileInfo) -> None:
        try:
            data = await self._fetch(file.id)
            png = await media.thumbnail_async(data, THUMBNAIL_EDGE)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # network or decoding: show the file as a plain row
            log.info("no thumbnail for file %s: %s", file.id, exc)
            self._failed.add(file.id)
            self.ready.emit(file.id)
            return
        image = QImage.fromData(png)
        if image.isNull():
            self._failed.add(file.id)
        else:
            self._images[file.id] = image
        self.ready.emit(file.id)
