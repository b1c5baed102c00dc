"""Image and sticker thumbnails for the chat: fetched, scaled off the GUI thread, cached."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, QSize, Qt, Signal
from PySide6.QtGui import QImage, QImageReader

from convos_desktop.core.types import FileInfo

log = logging.getLogger("convos.ui")

FetchBytes = Callable[[int], Awaitable[bytes]]
THUMBNAIL_EDGE = 480
# What the images may take: 9 to 13 thumbnails of 480 px, several screens of photos (a chat
# view shows three at most). The least recently painted go first; one scrolled back into
# view is fetched and scaled again (tens of milliseconds, off the GUI thread).
THUMBNAIL_BUDGET_BYTES = 8 * 1024 * 1024
# What a painted thumbnail is kept as: the formats the reader gives for JPEG and PNG photos;
# others (an indexed GIF, a 1-bit image) are converted as Pillow's path used to.
_PAINTED_FORMATS = frozenset(
    {
        QImage.Format.Format_RGB32,
        QImage.Format.Format_ARGB32,
        QImage.Format.Format_ARGB32_Premultiplied,
        QImage.Format.Format_Grayscale8,
    }
)


def scaled_image(data: bytes, max_edge: int, mime: str = "") -> QImage:
    """The image in ``data`` no larger than ``max_edge`` on its longer side (never enlarged).

    Blocking: run it in an executor. Qt's own reader (thread-safe, no Pillow: ~3 MiB of
    library pages and modules a session that only shows photos does not load) decodes
    straight to the scaled size where the format can (JPEG decodes at 1/2, 1/4, 1/8 scale).
    ``mime`` (``image/jpeg``) names the format, so Qt does not load every image plugin to
    probe the bytes; bytes that are not what it says are read again by their content. The
    EXIF orientation is not applied, as with the Pillow thumbnails before. Raises
    ``ValueError`` for bytes that are not an image.
    """
    if max_edge < 1:
        raise ValueError("max_edge must be positive")
    hint = mime.removeprefix("image/").lower() if mime.startswith("image/") else ""
    image, error = _read_scaled(data, max_edge, hint)
    if image.isNull() and hint:
        image, error = _read_scaled(data, max_edge, "")
    if image.isNull():
        raise ValueError(f"not an image: {error}")
    if max(image.width(), image.height()) > max_edge:  # the reader could not tell the size
        image = image.scaled(
            _fitted(image.size(), max_edge),
            Qt.AspectRatioMode.IgnoreAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
    if image.format() not in _PAINTED_FORMATS:
        alpha = image.hasAlphaChannel()
        image = image.convertToFormat(
            QImage.Format.Format_ARGB32 if alpha else QImage.Format.Format_RGB32
        )
    return image


def _read_scaled(data: bytes, max_edge: int, image_format: str) -> tuple[QImage, str]:
    """``data`` read at the size that fits ``max_edge`` where the reader can tell the size
    before decoding; the image (null on failure) and the reader's error."""
    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer, image_format.encode())
    reader.setAutoTransform(False)
    size = reader.size()
    if size.isValid() and max(size.width(), size.height()) > max_edge:
        reader.setScaledSize(_fitted(size, max_edge))
    return reader.read(), reader.errorString()


def _fitted(size: QSize, max_edge: int) -> QSize:
    """``size`` scaled so its longer side is ``max_edge``, the aspect kept (at least 1 px)."""
    scale = max_edge / max(size.width(), size.height())
    return QSize(max(1, round(size.width() * scale)), max(1, round(size.height() * scale)))


class ThumbnailCache(QObject):
    """Thumbnails by file id. ``image`` answers at once (or ``None``) and starts a load.

    The bytes come from ``fetch`` (the API), Qt's image reader decodes and scales them in
    the default executor (:func:`scaled_image`); the GUI thread only keeps the result.
    ``ready(file_id)`` tells the views to repaint. A file that fails is not retried until
    :meth:`forget` is called. The images stay within ``budget_bytes`` (the least recently
    asked for are dropped), so a day of customers' photos does not pile up.
    """

    ready = Signal(int)

    def __init__(
        self,
        fetch: FetchBytes,
        parent: QObject | None = None,
        *,
        budget_bytes: int = THUMBNAIL_BUDGET_BYTES,
    ) -> None:
        super().__init__(parent)
        self._fetch = fetch
        self._budget_bytes = budget_bytes
        self._held_bytes = 0
        self._images: OrderedDict[int, QImage] = OrderedDict()
        self._loading: dict[int, asyncio.Task[None]] = {}
        self._failed: set[int] = set()

    def image(self, file: FileInfo) -> QImage | None:
        image = self._images.get(file.id)
        if image is not None:
            self._images.move_to_end(file.id)
            return image
        if file.id in self._loading or file.id in self._failed:
            return None
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # painting outside the app's loop (a screenshot): no loading
            return None
        task = loop.create_task(self._load(file))
        self._loading[file.id] = task
        task.add_done_callback(lambda _t: self._loading.pop(file.id, None))
        return None

    @property
    def cached_count(self) -> int:
        """How many thumbnails are held."""
        return len(self._images)

    @property
    def held_bytes(self) -> int:
        """What the held thumbnails take."""
        return self._held_bytes

    def has_failed(self, file_id: int) -> bool:
        return file_id in self._failed

    def forget(self, file_id: int) -> None:
        image = self._images.pop(file_id, None)
        if image is not None:
            self._held_bytes -= image.sizeInBytes()
        self._failed.discard(file_id)

    def keep_only(self, file_ids: Collection[int]) -> None:
        """Drop every held thumbnail but those of ``file_ids`` (an idle window keeps what
        its open conversations show): another is fetched and scaled again when painted."""
        for file_id in [file_id for file_id in self._images if file_id not in file_ids]:
            self._held_bytes -= self._images.pop(file_id).sizeInBytes()

    async def wait_idle(self) -> None:
        """Wait for the loads in flight (tests, quit)."""
        while pending := list(self._loading.values()):
            await asyncio.gather(*pending, return_exceptions=True)

    async def _load(self, file: FileInfo) -> None:
        try:
            data = await self._fetch(file.id)
            loop = asyncio.get_running_loop()
            image = await loop.run_in_executor(None, scaled_image, data, THUMBNAIL_EDGE, file.mime)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # network or decoding: show the file as a plain row
            log.info("no thumbnail for file %s: %s", file.id, exc)
            self._failed.add(file.id)
            self.ready.emit(file.id)
            return
        self._keep(file.id, image)
        self.ready.emit(file.id)

    def _keep(self, file_id: int, image: QImage) -> None:
        """Hold ``image``, dropping the least recently asked for beyond the budget (the
        newest is always kept)."""
        self.forget(file_id)
        self._images[file_id] = image
        self._held_bytes += image.sizeInBytes()
        while self._held_bytes > self._budget_bytes and len(self._images) > 1:
            _oldest_id, oldest = self._images.popitem(last=False)
            self._held_bytes -= oldest.sizeInBytes()
