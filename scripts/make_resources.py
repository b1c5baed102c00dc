"""Regenerate the derived files of ``resources/``: PNG sizes, ICO and ICNS of the SVG icons
and the notification sound. Run ``python scripts/make_resources.py`` after editing an SVG; the
outputs are committed (the app and the installer never render them at build time).
"""

from __future__ import annotations

import io
import math
import struct
import sys
import wave
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parent.parent / "resources"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICNS_SIZES = (16, 32, 64, 128, 256, 512)
SAMPLE_RATE = 44100


def render(svg: Path, size: int) -> Image.Image:
    """The SVG drawn at ``size`` x ``size`` as a Pillow image (RGBA)."""
    renderer = QSvgRenderer(str(svg))
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return Image.open(io.BytesIO(bytes(data.data()))).convert("RGBA")


def make_icons(icons: Path) -> None:
    """``<name>-<size>.png`` for every SVG, plus ``app.ico`` and ``app.icns``."""
    for svg in sorted(icons.glob("*.svg")):
        for size in PNG_SIZES:
            render(svg, size).save(icons / f"{svg.stem}-{size}.png", optimize=True)
    largest = render(icons / "app.svg", 512)
    largest.save(icons / "app.ico", sizes=[(s, s) for s in ICO_SIZES])
    largest.save(icons / "app.icns", sizes=[(s, s) for s in ICNS_SIZES])


def make_sound(target: Path) -> None:
    """A soft two-note chime (0.35 s, mono 16-bit): E6 then A6, each with a quick decay."""
    frames = bytearray()
    for frequency, seconds in ((1318.5, 0.14), (1760.0, 0.21)):
        count = int(SAMPLE_RATE * seconds)
        for i in range(count):
            t = i / SAMPLE_RATE
            envelope = min(1.0, i / 220) * math.exp(-t * 14)
            value = 0.45 * envelope * math.sin(2 * math.pi * frequency * t)
            frames += struct.pack("<h", int(value * 32767))
    with wave.open(str(target), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(bytes(frames))


def main() -> int:
    """Write every derived file under ``resources/``."""
    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    make_icons(ROOT / "icons")
    make_sound(ROOT / "sounds" / "notify.wav")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
