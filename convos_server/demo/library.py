"""Demo files made at seed time (no binaries in the repository) and stored like uploads.

Each file goes through the same path as ``POST /files``: streamed into the store, sniffed,
and for the sticker checked against the sticker rules, so the demo proves they pass.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw
from sqlalchemy.ext.asyncio import AsyncSession

from convos_server.db import models as m
from convos_server.services import files
from convos_server.storage import FileStore


def sticker_png() -> bytes:
    """A 512x512 smiling face on a transparent background, well under 100 KB."""
    image = Image.new("RGBA", (files.STICKER_SIDE, files.STICKER_SIDE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((40, 40, 472, 472), fill=(255, 204, 51, 255), outline=(120, 80, 0, 255), width=12)
    draw.ellipse((160, 170, 210, 240), fill=(60, 40, 0, 255))
    draw.ellipse((302, 170, 352, 240), fill=(60, 40, 0, 255))
    draw.arc((140, 220, 372, 390), start=20, end=160, fill=(60, 40, 0, 255), width=16)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def photo_jpeg(title_colour: tuple[int, int, int], size: tuple[int, int] = (960, 640)) -> bytes:
    """A simple picture: a sky gradient, a ground and a parcel-like box."""
    width, height = size
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    for y in range(height):
        shade = int(180 - 100 * y / height)
        draw.line((0, y, width, y), fill=(shade, shade + 40, 230))
    draw.rectangle((0, height * 2 // 3, width, height), fill=(90, 140, 70))
    box = (width // 3, height // 3, width * 2 // 3, height * 5 // 6)
    draw.rectangle(box, fill=(196, 150, 100), outline=(90, 60, 30), width=6)
    draw.line((box[0], box[1] + 40, box[2], box[1] + 40), fill=title_colour, width=14)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def catalogue_pdf(title: str, lines: list[str]) -> bytes:
    """A small valid one-page PDF with a title and some lines of text (Helvetica)."""

    def escape(text: str) -> str:
        latin = text.encode("latin-1", "replace").decode("latin-1")
        return latin.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    text_ops = [f"BT /F1 22 Tf 60 770 Td ({escape(title)}) Tj ET"]
    for index, line in enumerate(lines):
        text_ops.append(f"BT /F1 12 Tf 60 {730 - 20 * index} Td ({escape(line)}) Tj ET")
    stream = "\n".join(text_ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref_at,
    )
    return bytes(out)


async def store_demo_file(
    session: AsyncSession,
    storage: FileStore,
    name: str,
    data: bytes,
    *,
    uploader_id: int,
    library: bool,
    kind: str | None = None,
) -> m.File:
    """Store ``data`` as an upload of ``uploader_id`` would be stored."""
    sink = files.UploadSink(storage, limit=len(data))
    await sink.write(data)
    await sink.finish()
    sniffed = await files.inspect_upload(sink, kind)
    return await files.record_upload(
        session,
        storage,
        sink,
        sniffed,
        name=name,
        requested_kind=kind,
        library=library,
        uploader_id=uploader_id,
    )
