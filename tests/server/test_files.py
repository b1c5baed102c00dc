"""Files: content sniffing, sticker rules, safe storage, uploads and downloads over HTTP."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from sqlalchemy import update

from convos_server.db import models as m
from convos_server.db.engine import Database
from convos_server.services import files
from convos_server.services.auth import hash_password
from convos_server.services.visibility import visibility_for
from convos_server.storage import FilesystemStore

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


def test_empty_file_is_refused(tmp_path):
    with pytest.raises(files.UnsupportedTypeError, match="empty"):
        sniff(tmp_path, b"")


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


async def test_upload_sink_hashes_and_discards_past_the_limit(tmp_path):
    storage = FilesystemStore(tmp_path / "files")
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


# --- over HTTP: a real server on a loopback port ---------------------------------------------

UPLOAD_LIMIT = 2 * 1024 * 1024


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"max_upload_bytes": UPLOAD_LIMIT}


@dataclass
class People:
    """Who is who in the seeded workspace, with their auth headers."""

    headers: dict[str, dict[str, str]]
    ids: dict[str, int]
    conversation_b: int


async def seed_people(settings, base_url: str) -> People:
    """admin; ag1 in team T1 (inbox A); ag2 in team T2 (inbox B) with a conversation in B."""
    db = Database(settings.database_url)
    try:
        async with db.transaction() as session:
            password = hash_password("pw")
            agents = {
                name: m.Agent(
                    name=name, email=f"{name}@convos.test", password_hash=password, role=role
                )
                for name, role in (("admin", "admin"), ("ag1", "agent"), ("ag2", "agent"))
            }
            teams = {name: m.Team(name=name) for name in ("T1", "T2")}
            contact = m.Contact(name="Anna Verdi")
            session.add_all([*agents.values(), *teams.values(), contact])
            await session.flush()
            session.add_all(
                [
                    m.TeamMember(team_id=teams["T1"].id, agent_id=agents["ag1"].id),
                    m.TeamMember(team_id=teams["T2"].id, agent_id=agents["ag2"].id),
                ]
            )
            inboxes = [
                m.Inbox(name=name, team_id=teams[team].id, api_key_hash=f"key-{name}")
                for name, team in (("A", "T1"), ("B", "T2"))
            ]
            session.add_all(inboxes)
            await session.flush()
            conversation = m.Conversation(
                contact_id=contact.id, inbox_id=inboxes[1].id, origin="chatbot"
            )
            session.add(conversation)
            await session.flush()
            ids = {name: agent.id for name, agent in agents.items()} | {"contact": contact.id}
            conversation_b = conversation.id
    finally:
        await db.dispose()
    headers = {}
    async with httpx.AsyncClient(base_url=base_url) as http:
        for name in ("admin", "ag1", "ag2"):
            login = await http.post(
                "/api/v1/auth/login", json={"email": f"{name}@convos.test", "password": "pw"}
            )
            assert login.status_code == 200, login.text
            headers[name] = {"Authorization": f"Bearer {login.json()['token']}"}
    return People(headers, ids, conversation_b)


async def attach(settings, conversation_id: int, file_id: int) -> None:
    """Attach a file to a new customer message of the conversation, straight in the database."""
    db = Database(settings.database_url)
    try:
        async with db.transaction() as session:
            message = m.Message(
                conversation_id=conversation_id, direction="in", sender_type="contact", body=""
            )
            session.add(message)
            await session.flush()
            session.add(m.MessageFile(message_id=message.id, file_id=file_id))
    finally:
        await db.dispose()


def stored_files(settings) -> list[Path]:
    root = settings.data_dir / "files"
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


@pytest.fixture
async def http(live_server) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live_server, timeout=30) as client:
        yield client


@pytest.fixture
async def people(settings, live_server) -> People:
    return await seed_people(settings, live_server)


async def upload(http, headers, name, data, content_type="application/octet-stream", **fields):
    return await http.post(
        "/api/v1/files",
        headers=headers,
        files={"file": (name, data, content_type)},
        data=fields,
    )


async def test_sticker_upload_and_download(http, people, settings):
    data = png_bytes()
    response = await upload(
        http, people.headers["ag1"], "smile.png", data, "image/png", kind="sticker"
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["kind"] == "sticker"
    assert (body["mime"], body["width"], body["height"]) == ("image/png", 512, 512)
    assert body["size"] == len(data)
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert body["library"] is False
    assert body["url"] == f"/api/v1/files/{body['id']}"
    [stored] = stored_files(settings)
    assert "smile" not in str(stored)
    download = await http.get(body["url"], headers=people.headers["ag1"])
    assert download.status_code == 200
    assert download.content == data
    assert download.headers["content-type"] == "image/png"
    assert download.headers["content-disposition"].startswith('inline; filename="smile.png"')
    assert download.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("data", "rule"),
    [
        (png_bytes((256, 256)), "dimensions"),
        (png_bytes(mode="RGB"), "transparency"),
        (png_bytes(noise=True), "weight"),
    ],
    ids=["dimensions", "transparency", "weight"],
)
async def test_sticker_rules_over_http_leave_nothing_behind(http, people, settings, data, rule):
    response = await upload(http, people.headers["ag1"], "s.png", data, "image/png", kind="sticker")
    assert response.status_code == 422
    assert response.json()["code"] == "sticker_invalid"
    assert response.json()["rule"] == rule
    assert response.json()["message"]
    assert stored_files(settings) == []


async def test_the_same_image_without_kind_is_an_image(http, people):
    response = await upload(http, people.headers["ag1"], "photo.png", png_bytes((256, 256)))
    assert response.status_code == 201
    assert response.json()["kind"] == "image"


async def test_declared_type_and_name_are_ignored(http, people, settings):
    response = await upload(
        http, people.headers["ag1"], "setup.exe", png_bytes((64, 64)), "application/x-msdownload"
    )
    assert response.status_code == 201
    assert (response.json()["mime"], response.json()["kind"]) == ("image/png", "image")
    assert response.json()["name"] == "setup.exe"
    download = await http.get(response.json()["url"], headers=people.headers["ag1"])
    assert 'filename="setup.exe.png"' in download.headers["content-disposition"]
    refused = await upload(http, people.headers["ag1"], "cat.png", ELF_HEADER, "image/png")
    assert refused.status_code == 422
    assert refused.json()["code"] == "unsupported_type"
    assert len(stored_files(settings)) == 1


async def test_oversized_upload_is_413_and_leaves_no_file(http, people, settings):
    data = b"%PDF-1.4\n" + os.urandom(UPLOAD_LIMIT + 1024 * 1024)
    response = await upload(http, people.headers["ag1"], "big.pdf", data)
    assert response.status_code == 413
    assert response.json() == {
        "code": "too_large",
        "message": f"The file is larger than the limit of {UPLOAD_LIMIT} bytes",
        "limit": UPLOAD_LIMIT,
    }
    assert stored_files(settings) == []


async def test_streamed_upload_is_cut_off_at_the_limit(http, people, settings):
    """No Content-Length (chunked): the server counts while streaming and stops at the limit."""
    boundary = "convos-test-boundary"
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="big.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\n'
        ).encode()
        for _ in range(3 * UPLOAD_LIMIT // 65536):
            sent += 65536
            yield os.urandom(65536)
        yield f"\r\n--{boundary}--\r\n".encode()

    headers = people.headers["ag1"] | {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    try:
        response = await http.post("/api/v1/files", headers=headers, content=body())
    except httpx.TransportError:
        # The server may close the connection while the client is still sending.
        assert sent < 3 * UPLOAD_LIMIT
    else:
        assert response.status_code == 413
        assert response.json()["code"] == "too_large"
    assert stored_files(settings) == []
    assert not any((settings.data_dir / "files" / "incoming").iterdir())


async def test_download_visibility(http, people, settings):
    uploaded = await upload(http, people.headers["ag1"], "bill.pdf", b"%PDF-1.4\n%%EOF\n")
    assert uploaded.status_code == 201
    url = uploaded.json()["url"]
    assert (await http.get(url, headers=people.headers["ag1"])).status_code == 200
    assert (await http.get(url, headers=people.headers["admin"])).status_code == 200
    hidden = await http.get(url, headers=people.headers["ag2"])
    assert hidden.status_code == 404
    assert hidden.json()["code"] == "not_found"
    await attach(settings, people.conversation_b, uploaded.json()["id"])
    seen = await http.get(url, headers=people.headers["ag2"])
    assert seen.status_code == 200
    assert (
        seen.headers["content-disposition"]
        == "attachment; filename=\"bill.pdf\"; filename*=UTF-8''bill.pdf"
    )
    assert (await http.get(url)).status_code == 401


async def test_library_is_for_admins_to_fill_and_for_everyone_to_use(http, people, settings):
    refused = await upload(http, people.headers["ag1"], "menu.pdf", b"%PDF-1.4\n", library="1")
    assert refused.status_code == 403
    assert stored_files(settings) == []
    added = await upload(http, people.headers["admin"], "menu.pdf", b"%PDF-1.4\n", library="1")
    assert added.status_code == 201
    assert added.json()["library"] is True
    await upload(http, people.headers["admin"], "private.pdf", b"%PDF-1.4\n")
    listed = await http.get("/api/v1/files", params={"library": "1"}, headers=people.headers["ag2"])
    assert [file["name"] for file in listed.json()] == ["menu.pdf"]
    download = await http.get(added.json()["url"], headers=people.headers["ag2"])
    assert download.status_code == 200
    unlisted = await http.get("/api/v1/files", headers=people.headers["ag2"])
    assert unlisted.status_code == 422
    assert unlisted.json()["field"] == "library"


async def test_removing_a_library_file_deletes_its_bytes_unless_a_message_carries_it(
    http, people, settings
):
    admin = people.headers["admin"]
    added = (await upload(http, admin, "menu.pdf", b"%PDF-1.4\nmenu", library="1")).json()
    kept = (await upload(http, admin, "terms.pdf", b"%PDF-1.4\nterms", library="1")).json()
    await attach(settings, people.conversation_b, kept["id"])
    assert len(stored_files(settings)) == 2
    url = f"/api/v1/files/{added['id']}/library"
    refused = await http.delete(url, headers=people.headers["ag1"])
    assert refused.status_code == 403
    removed = await http.delete(f"/api/v1/files/{added['id']}/library", headers=admin)
    assert removed.status_code == 204
    assert [path.read_bytes() for path in stored_files(settings)] == [b"%PDF-1.4\nterms"]
    assert (await http.get(added["url"], headers=admin)).status_code == 404
    again = await http.delete(f"/api/v1/files/{added['id']}/library", headers=admin)
    assert again.status_code == 404
    out = await http.delete(f"/api/v1/files/{kept['id']}/library", headers=admin)
    assert out.status_code == 204
    assert len(stored_files(settings)) == 1
    assert (await http.get(kept["url"], headers=people.headers["ag2"])).status_code == 200
    listed = await http.get("/api/v1/files", params={"library": "1"}, headers=admin)
    assert listed.json() == []


async def test_bad_forms_are_422(http, people, settings):
    no_file = await http.post(
        "/api/v1/files",
        headers=people.headers["ag1"],
        data={"kind": "sticker"},
        files={"x": ("a", b"1")},
    )
    assert no_file.status_code == 422
    assert no_file.json()["field"] == "file"
    not_multipart = await http.post("/api/v1/files", headers=people.headers["ag1"], json={})
    assert not_multipart.status_code == 422
    bad_kind = await upload(http, people.headers["ag1"], "a.pdf", b"%PDF-1.4\n", kind="virus")
    assert bad_kind.status_code == 422
    assert bad_kind.json()["field"] == "kind"
    assert stored_files(settings) == []


async def test_downloads_never_leave_the_store(http, people, settings):
    uploaded = await upload(http, people.headers["admin"], "a.pdf", b"%PDF-1.4\n")
    file_id = uploaded.json()["id"]
    outside = settings.data_dir / "secret.txt"
    outside.write_text("top secret")
    for path in ["/api/v1/files/..%2Fsecret.txt", "/api/v1/files/..%2F..%2Fconvos.db"]:
        response = await http.get(path, headers=people.headers["admin"])
        assert response.status_code in (404, 422)
        assert b"top secret" not in response.content
    db = Database(settings.database_url)
    try:
        for crafted in ["../secret.txt", "../../secret.txt", str(outside)]:
            async with db.transaction() as session:
                await session.execute(
                    update(m.File).where(m.File.id == file_id).values(storage_key=crafted)
                )
            response = await http.get(f"/api/v1/files/{file_id}", headers=people.headers["admin"])
            assert response.status_code == 404
            assert b"top secret" not in response.content
    finally:
        await db.dispose()


async def test_contact_files_follow_visibility(http, people, settings):
    uploaded = await upload(http, people.headers["ag2"], "receipt.pdf", b"%PDF-1.4\n")
    await attach(settings, people.conversation_b, uploaded.json()["id"])
    db = Database(settings.database_url)
    try:
        async with db.sessionmaker() as session:
            for name, expected in (("ag2", [uploaded.json()["id"]]), ("ag1", [])):
                agent = await session.get(m.Agent, people.ids[name])
                assert agent is not None
                visibility = await visibility_for(session, agent)
                found = await files.list_contact_files(session, people.ids["contact"], visibility)
                assert [file.id for file in found] == expected
    finally:
        await db.dispose()


@pytest.mark.parametrize("cut", ["no closing boundary", "mid file", "mid closing boundary"])
async def test_a_truncated_upload_is_refused_and_nothing_is_kept(http, people, settings, cut):
    boundary = "convos-test-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="bill.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
    ).encode()
    content = b"%PDF-1.4\n" + b"x" * 5000 + b"\n%%EOF\n"
    body = {
        "no closing boundary": head + content,
        "mid file": head + content[:2000],
        "mid closing boundary": head + content + f"\r\n--{boundary[:6]}".encode(),
    }[cut]
    headers = people.headers["ag1"] | {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    response = await http.post("/api/v1/files", headers=headers, content=body)
    assert response.status_code == 422, response.text
    assert response.json() == {
        "code": "invalid",
        "message": "The upload was cut short: the form never ended",
        "field": "file",
    }
    assert stored_files(settings) == []
    assert not any((settings.data_dir / "files" / "incoming").iterdir())
