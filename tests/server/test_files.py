"""Files: content sniffing, sticker rules, safe storage, uploads and downloads over HTTP."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from convos_server.services import files

ELF_HEADER = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56
PE_HEADER = b"MZ\x90\x00" + b"\x00" * 124


def png_bytes(size=(512, 512), mode="RGBA", transparent=True, noise=False) -> bytes:
    """A PNG: a shape on a (transparent) background, or random noise to make it heavy."""
    if noise:
        image = Image.frombytes(mode, size, os.urandom(size[0] * size[1] * len(mode)))
        if transparent:
            image.putpixel((0, 0), (0, 0, 0, 0))
    else:
        background = (0, 0, 0, 0) if transparent and mode == "RGBA" else (255, 255, 255)
        image = Image.new(mode, size, background[: len(mode)])
        image.paste(
            (200, 30, 30)[: len(mode)] + ((255,) if mode == "RGBA" else ()), (100, 100, 400, 400)
        )
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def sniff(tmp_path: Path, data: bytes, name: str = "upload") -> files.SniffedFile:
    return files.sniff_file(write(tmp_path, name, data))


def sticker_check(tmp_path: Path, data: bytes) -> None:
    path = write(tmp_path, "sticker", data)
    files.check_sticker(path, files.sniff_file(path), len(data))


# --- sniffing -------------------------------------------------------------------------------


def test_png_is_an_image_with_its_size_whatever_the_name(tmp_path):
    sniffed = sniff(tmp_path, png_bytes((300, 200)), "invoice.exe")
    assert (sniffed.type.mime, sniffed.type.kind) == ("image/png", "image")
    assert (sniffed.width, sniffed.height) == (300, 200)


@pytest.mark.parametrize("data", [ELF_HEADER, PE_HEADER], ids=["elf", "windows-exe"])
def test_executables_are_refused_even_named_as_images(tmp_path, data):
    with pytest.raises(files.UnsupportedTypeError):
        sniff(tmp_path, data, "holiday.png")


@pytest.mark.parametrize(
    "data",
    [
        b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
        b"<html><body>hi</body></html>",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b'<?xml version="1.0"?><note/>',
        b"#!/bin/sh\nrm -rf ~\n",
    ],
    ids=["html", "html-lower", "svg", "xml", "script"],
)
def test_active_content_is_refused(tmp_path, data):
    with pytest.raises(files.UnsupportedTypeError):
        sniff(tmp_path, data, "notes.txt")


def test_pdf_and_plain_text_are_documents(tmp_path):
    assert sniff(tmp_path, b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n").type == files.PDF
    text = "Ordine 1234: consegna entro venerdì.\nGrazie!\n".encode()
    assert sniff(tmp_path, text).type == files.TEXT


def test_binary_garbage_is_refused(tmp_path):
    with pytest.raises(files.UnsupportedTypeError):
        sniff(tmp_path, bytes(range(256)) * 4)


def office_zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_office_documents_are_told_apart_and_other_archives_refused(tmp_path):
    docx = office_zip({"[Content_Types].xml": b"<x/>", "word/document.xml": b"<x/>"})
    assert sniff(tmp_path, docx).type == files.DOCX
    xlsx = office_zip({"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"<x/>"})
    assert sniff(tmp_path, xlsx).type == files.XLSX
    odt = office_zip({"mimetype": b"application/vnd.oasis.opendocument.text"})
    assert sniff(tmp_path, odt).type == files.ODT
    with pytest.raises(files.UnsupportedTypeError, match="Archives"):
        sniff(tmp_path, office_zip({"payload.exe": PE_HEADER}))
    macro = office_zip(
        {"[Content_Types].xml": b"<x/>", "word/document.xml": b"", "word/vbaProject.bin": b""}
    )
    with pytest.raises(files.UnsupportedTypeError, match="macros"):
        sniff(tmp_path, macro)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\x00" * 40, files.MP3),
        (b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 40, files.WAV),
        (b"OggS\x00\x02" + b"\x00" * 20 + b"OpusHead" + b"\x00" * 40, files.OGG_AUDIO),
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 40, files.MP4),
    ],
    ids=["mp3", "wav", "opus", "mp4"],
)
def test_audio_and_video(tmp_path, data, expected):
    assert sniff(tmp_path, data).type == expected


# --- sticker rules --------------------------------------------------------------------------


def test_valid_sticker_passes(tmp_path):
    data = png_bytes()
    assert len(data) < files.STICKER_MAX_BYTES
    sticker_check(tmp_path, data)


def test_sticker_with_wrong_size_breaks_dimensions(tmp_path):
    with pytest.raises(files.StickerInvalidError) as caught:
        sticker_check(tmp_path, png_bytes((512, 500)))
    assert caught.value.rule == "dimensions"


@pytest.mark.parametrize(
    "data",
    [png_bytes(mode="RGB"), png_bytes(transparent=False)],
    ids=["no-alpha-channel", "alpha-but-opaque"],
)
def test_sticker_without_transparent_pixel_breaks_transparency(tmp_path, data):
    with pytest.raises(files.StickerInvalidError) as caught:
        sticker_check(tmp_path, data)
    assert caught.value.rule == "transparency"


def test_heavy_sticker_breaks_weight(tmp_path):
    data = png_bytes(noise=True)
    assert len(data) > files.STICKER_MAX_BYTES
    with pytest.raises(files.StickerInvalidError) as caught:
        sticker_check(tmp_path, data)
    assert caught.value.rule == "weight"


def test_sticker_must_be_png_or_webp(tmp_path):
    buffer = io.BytesIO()
    Image.new("RGB", (512, 512)).save(buffer, "JPEG")
    with pytest.raises(files.UnsupportedTypeError, match="PNG or WebP"):
        sticker_check(tmp_path, buffer.getvalue())


def test_webp_sticker_passes(tmp_path):
    image = Image.new("RGBA", (512, 512), (0, 0, 0, 0))
    image.paste((0, 120, 200, 255), (50, 50, 450, 450))
    buffer = io.BytesIO()
    image.save(buffer, "WEBP", lossless=True)
    sticker_check(tmp_path, buffer.getvalue())


# --- names and storage ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\report.pdf", "report.pdf"),
        ("bad\x00name\n.txt", "badname.txt"),
        ("...", "file"),
        ("  fattura marzo.pdf ", "fattura marzo.pdf"),
    ],
)
def test_sanitize_name(given, expected):
    assert files.sanitize_name(given) == expected


def test_sanitize_name_keeps_the_extension_of_long_names():
    name = files.sanitize_name("a" * 400 + ".pdf")
    assert len(name) == 255
    assert name.endswith(".pdf")


def test_content_disposition_encodes_names_and_fixes_extensions():
    header = files.content_disposition("fattura è 1.pdf", "application/pdf")
    assert header == (
        "attachment; filename=\"fattura _ 1.pdf\"; filename*=UTF-8''fattura%20%C3%A8%201.pdf"
    )
    assert files.content_disposition("cat.exe", "image/png").startswith(
        'inline; filename="cat.exe.png"'
    )


def test_storage_keys_stay_inside_the_root(tmp_path):
    storage = files.FileStorage(tmp_path / "files")
    key = storage.new_key()
    assert storage.path_for(key).is_relative_to((tmp_path / "files").resolve())
    for crafted in ["../../etc/passwd", "ab/../../x", "/etc/passwd", "", "AB" + key[2:]]:
        with pytest.raises(files.StorageKeyError):
            storage.path_for(crafted)


def test_storage_refuses_a_symlink_out_of_the_root(tmp_path):
    storage = files.FileStorage(tmp_path / "files")
    secret = write(tmp_path, "secret", b"top secret")
    key = storage.new_key()
    link = tmp_path / "files" / key[:2] / key[2:]
    link.parent.mkdir(parents=True)
    link.symlink_to(secret)
    with pytest.raises(files.StorageKeyError):
        storage.path_for(key)


async def test_upload_sink_hashes_and_discards_past_the_limit(tmp_path):
    storage = files.FileStorage(tmp_path / "files")
    sink = files.UploadSink(storage, limit=10)
    await sink.write(b"hello")
    await sink.finish()
    assert sink.path.read_bytes() == b"hello"
    assert sink.sha256 == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    big = files.UploadSink(storage, limit=10)
    await big.write(b"123456")
    with pytest.raises(files.TooLargeError):
        await big.write(b"7890X")
    assert not big.path.exists()
