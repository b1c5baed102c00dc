"""Pillow helpers: sticker rules and file kinds; heavy work runs in an executor.

The chat's thumbnails are scaled by Qt's image reader (``ui.chat.thumbnails``), not here:
a session that only shows photos does not load Pillow.

The sticker rules are the server's, checked in the same order so the client names the same
failing rule before uploading: PNG or WebP (``format``), exactly 512x512 px (``dimensions``),
an alpha channel with at least one fully transparent pixel (``transparency``), under
102,400 bytes (``weight``).
"""

from __future__ import annotations

import asyncio
import io
import logging
import mimetypes
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

# Pillow is imported by the (blocking, executor-run) helpers that use it, not with this
# module: the client's import footprint stays ~3 MiB smaller until a file is handled.

log = logging.getLogger("convos.media")

STICKER_SIDE = 512
STICKER_MAX_BYTES = 102_400
STICKER_FORMATS = frozenset({"PNG", "WEBP"})


class StickerRule(StrEnum):
    """A sticker rule; the values match the server's ``rule`` field (plus ``format``)."""

    FORMAT = "format"
    DIMENSIONS = "dimensions"
    TRANSPARENCY = "transparency"
    WEIGHT = "weight"


class FileKind(StrEnum):
    """What a local file is, as the attachment picker sorts it."""

    IMAGE = "image"
    AUDIO = "audio"
    VIDEO = "video"
    DOCUMENT = "document"
    STICKER = "sticker"  # an image that passes every sticker rule


@dataclass(frozen=True, slots=True)
class StickerCheck:
    """The outcome of :func:`check_sticker`: ``rule`` is ``None`` when every rule passes."""

    rule: StickerRule | None
    message: str

    @property
    def ok(self) -> bool:
        """Whether the file can be sent as a sticker."""
        return self.rule is None


def check_sticker(data: bytes) -> StickerCheck:
    """Apply the sticker rules to image bytes (blocking: use :func:`check_sticker_async`)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in STICKER_FORMATS:
                return StickerCheck(StickerRule.FORMAT, "A sticker must be a PNG or WebP image")
            if image.size != (STICKER_SIDE, STICKER_SIDE):
                width, height = image.size
                return StickerCheck(
                    StickerRule.DIMENSIONS,
                    f"A sticker must be exactly {STICKER_SIDE}x{STICKER_SIDE} pixels, "
                    f"not {width}x{height}",
                )
            if not _has_transparent_pixel(image):
                return StickerCheck(
                    StickerRule.TRANSPARENCY,
                    "A sticker needs a transparent background: an alpha channel with at "
                    "least one fully transparent pixel",
                )
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        return StickerCheck(StickerRule.FORMAT, "A sticker must be a PNG or WebP image")
    if len(data) >= STICKER_MAX_BYTES:
        return StickerCheck(
            StickerRule.WEIGHT,
            f"A sticker must weigh under {STICKER_MAX_BYTES} bytes, not {len(data)}",
        )
    return StickerCheck(None, "")


def _has_transparent_pixel(image: Image.Image) -> bool:
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    if not has_alpha:
        return False
    minimum, _ = image.convert("RGBA").getchannel("A").getextrema()
    return bool(minimum == 0)


def detect_kind(path: Path) -> FileKind:
    """Sort a local file: sticker candidate, image, audio, video or document (blocking)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        pass
    else:
        if check_sticker(path.read_bytes()).ok:
            return FileKind.STICKER
        return FileKind.IMAGE
    mime, _ = mimetypes.guess_type(path.name)
    if mime is not None:
        major = mime.split("/", 1)[0]
        if major == "audio":
            return FileKind.AUDIO
        if major == "video":
            return FileKind.VIDEO
    return FileKind.DOCUMENT


async def check_sticker_async(data: bytes) -> StickerCheck:
    """:func:`check_sticker` in the default executor."""
    return await asyncio.get_running_loop().run_in_executor(None, check_sticker, data)


async def detect_kind_async(path: Path) -> FileKind:
    """:func:`detect_kind` in the default executor."""
    return await asyncio.get_running_loop().run_in_executor(None, detect_kind, path)
