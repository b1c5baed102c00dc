"""Thumbnails are scaled by Qt's image reader off the GUI thread: the right size, the
orientation as stored (as the Pillow thumbnails were), and no Pillow loaded by them."""

from __future__ import annotations

import io
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from convos_desktop.core.types import FileInfo
from convos_desktop.ui.chat import thumbnails
from convos_desktop.ui.chat.thumbnails import THUMBNAIL_EDGE, ThumbnailCache, scaled_image

EXIF_ORIENTATION = 0x0112
ROTATED_90_CW = 6


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def test_a_photo_is_scaled_to_the_edge_with_its_aspect() -> None:
    jpeg = encoded(Image.new("RGB", (960, 640), (200, 30, 30)), "JPEG")
    image = scaled_image(jpeg, THUMBNAIL_EDGE)
    assert (image.width(), image.height()) == (480, 320)
    assert image.format() == QImage.Format.Format_RGB32
    colour = image.pixelColor(240, 160)
    assert abs(colour.red() - 200) < 8
    assert colour.green() < 40


def test_a_transparent_png_keeps_its_alpha_and_a_portrait_its_shape() -> None:
    rgba = Image.new("RGBA", (400, 800), (30, 120, 200, 255))
    rgba.putpixel((0, 0), (0, 0, 0, 0))
    image = scaled_image(encoded(rgba, "PNG"), 100)
    assert (image.width(), image.height()) == (50, 100)
    assert image.hasAlphaChannel()


def test_a_small_image_is_not_enlarged_and_an_indexed_one_is_converted() -> None:
    gif = encoded(Image.new("P", (120, 60)), "GIF")
    image = scaled_image(gif, THUMBNAIL_EDGE)
    assert (image.width(), image.height()) == (120, 60)
    assert image.format() in (QImage.Format.Format_RGB32, QImage.Format.Format_ARGB32)


def test_the_exif_orientation_is_left_as_stored() -> None:
    # The Pillow thumbnails did not apply it (no exif_transpose): the same picture here.
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = ROTATED_90_CW
    jpeg = encoded(Image.new("RGB", (960, 480), (10, 200, 10)), "JPEG", exif=exif)
    image = scaled_image(jpeg, THUMBNAIL_EDGE)
    assert (image.width(), image.height()) == (480, 240)


@pytest.mark.qt_log_ignore("Not a JPEG file")
def test_bytes_that_are_not_what_their_mime_says_are_read_by_their_content() -> None:
    png = encoded(Image.new("RGB", (800, 400), (200, 30, 30)), "PNG")
    image = scaled_image(png, 100, "image/jpeg")
    assert (image.width(), image.height()) == (100, 50)
    assert scaled_image(png, 100, "image/png").size() == image.size()


def test_bytes_that_are_not_an_image_are_a_clear_error() -> None:
    with pytest.raises(ValueError, match="not an image"):
        scaled_image(b"garbage", 64)
    with pytest.raises(ValueError, match="not an image"):
        scaled_image(b"garbage", 64, "image/png")
    with pytest.raises(ValueError, match="positive"):
        scaled_image(b"garbage", 0)


async def test_the_cache_scales_off_the_gui_thread(
    qapp: QApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[threading.Thread] = []

    def recording(data: bytes, max_edge: int, mime: str) -> QImage:
        threads.append(threading.current_thread())
        return scaled_image(data, max_edge, mime)

    monkeypatch.setattr(thumbnails, "scaled_image", recording)
    jpeg = encoded(Image.new("RGB", (960, 640), (200, 30, 30)), "JPEG")

    async def fetch(_file_id: int) -> bytes:
        return jpeg

    cache = ThumbnailCache(fetch)
    photo = FileInfo(1, "1.jpg", "image", "image/jpeg", 1, "", 960, 640, False, "")
    assert cache.image(photo) is None
    await cache.wait_idle()
    image = cache.image(photo)
    assert image is not None
    assert (image.width(), image.height()) == (480, 320)
    assert threads
    assert threads[0] is not threading.main_thread()


def test_a_session_showing_photos_loads_neither_pillow_nor_other_image_plugins(
    tmp_path: Path,
) -> None:
    # Pillow is ~3 MiB of library pages and modules (benchmarks/RESULTS.md, issue 16); the
    # mime names the format, so Qt does not load its other image plugins to probe the bytes.
    jpeg = tmp_path / "photo.jpg"
    jpeg.write_bytes(encoded(Image.new("RGB", (960, 640), (30, 120, 200)), "JPEG"))
    code = f"""
import asyncio, pathlib, sys
from convos_desktop.core.types import FileInfo
from convos_desktop.ui.chat.thumbnails import ThumbnailCache

jpeg = pathlib.Path({str(jpeg)!r}).read_bytes()

async def fetch(_file_id):
    return jpeg

async def main():
    cache = ThumbnailCache(fetch)
    photo = FileInfo(1, "1.jpg", "image", "image/jpeg", 1, "", 960, 640, False, "")
    cache.image(photo)
    await cache.wait_idle()
    image = cache.image(photo)
    maps = open("/proc/self/maps").read()
    print(image.width(), image.height(), "PIL" in sys.modules, "libqtiff" in maps)

asyncio.run(main())
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["480", "320", "False", "False"]
