"""Uploaded files: streamed storage, content sniffing, sticker rules, visibility and queries.

Bytes live in the ``FileStore`` (``convos_server.storage``), named by a random storage key; the
user's file name is kept only in the database. The declared content type is never trusted: the type
is sniffed from the bytes (Pillow for images, puremagic for the rest, a UTF-8 check for plain
text) and checked against an allow-list, so executables and active content (HTML, SVG, XML,
scripts, macro documents) are refused.
"""

from __future__ import annotations

import codecs
import hashlib
import logging
import re
import unicodedata
import urllib.parse
import warnings
import zipfile
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import anyio
import puremagic
from PIL import Image, UnidentifiedImageError
from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from convos_server.db import models as m
from convos_server.errors import ApiError, invalid, not_found
from convos_server.services.visibility import Visibility
from convos_server.storage import FileStore, StorageKeyError

log = logging.getLogger("convos.files")

STICKER_SIDE = 512
STICKER_MAX_BYTES = 102_400
KINDS = ("document", "audio", "video", "image", "sticker")
_TEXT_PROBE_BYTES = 1024 * 1024


class UnsupportedTypeError(ApiError):
    """422 ``unsupported_type``: the content is not recognised, or not allowed."""

    def __init__(self, message: str) -> None:
        super().__init__(422, "unsupported_type", message)


class StickerInvalidError(ApiError):
    """422 ``sticker_invalid``: a sticker breaks ``rule`` (dimensions, transparency, weight)."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(422, "sticker_invalid", message, rule=rule)
        self.rule = rule


class TooLargeError(ApiError):
    """413 ``too_large``: an upload past the size limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            413, "too_large", f"The file is larger than the limit of {limit} bytes", limit=limit
        )
        self.limit = limit


@dataclass(frozen=True, slots=True)
class FileType:
    """An allowed content type: its MIME type, the protocol kind and its usual extensions."""

    mime: str
    kind: str
    extensions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SniffedFile:
    """What the bytes of an upload turned out to be."""

    type: FileType
    width: int | None = None
    height: int | None = None


PNG = FileType("image/png", "image", (".png",))
JPEG = FileType("image/jpeg", "image", (".jpg", ".jpeg"))
GIF = FileType("image/gif", "image", (".gif",))
WEBP = FileType("image/webp", "image", (".webp",))
PDF = FileType("application/pdf", "document", (".pdf",))
OLE_OFFICE = FileType("application/vnd.ms-office", "document", (".doc", ".xls", ".ppt"))
DOCX = FileType(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "document",
    (".docx",),
)
XLSX = FileType(
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "document", (".xlsx",)
)
PPTX = FileType(
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "document",
    (".pptx",),
)
ODT = FileType("application/vnd.oasis.opendocument.text", "document", (".odt",))
ODS = FileType("application/vnd.oasis.opendocument.spreadsheet", "document", (".ods",))
ODP = FileType("application/vnd.oasis.opendocument.presentation", "document", (".odp",))
TEXT = FileType("text/plain", "document", (".txt", ".csv", ".log", ".md"))
MP3 = FileType("audio/mpeg", "audio", (".mp3",))
OGG_AUDIO = FileType("audio/ogg", "audio", (".ogg", ".oga", ".opus"))
WAV = FileType("audio/wav", "audio", (".wav",))
M4A = FileType("audio/mp4", "audio", (".m4a",))
AAC = FileType("audio/aac", "audio", (".aac",))
FLAC = FileType("audio/flac", "audio", (".flac",))
AMR = FileType("audio/amr", "audio", (".amr",))
MP4 = FileType("video/mp4", "video", (".mp4", ".m4v"))
QUICKTIME = FileType("video/quicktime", "video", (".mov",))
WEBM = FileType("video/webm", "video", (".webm",))
MATROSKA = FileType("video/x-matroska", "video", (".mkv",))
THREE_GP = FileType("video/3gpp", "video", (".3gp",))
OGG_VIDEO = FileType("video/ogg", "video", (".ogv",))

_PILLOW_FORMATS = {"PNG": PNG, "JPEG": JPEG, "GIF": GIF, "WEBP": WEBP}
_ZIP_CONTAINER = object()
_OGG_CONTAINER = object()
_TEXT_CANDIDATE = object()
# puremagic's extension of a match -> the allowed type (or a container to look into).
_MAGIC_EXTENSIONS: dict[str, FileType | object] = {
    ".txt": _TEXT_CANDIDATE,
    ".csv": _TEXT_CANDIDATE,
    ".pdf": PDF,
    ".doc": OLE_OFFICE,
    ".xls": OLE_OFFICE,
    ".ppt": OLE_OFFICE,
    ".docx": _ZIP_CONTAINER,
    ".xlsx": _ZIP_CONTAINER,
    ".pptx": _ZIP_CONTAINER,
    ".xlsb": _ZIP_CONTAINER,
    ".odt": _ZIP_CONTAINER,
    ".ods": _ZIP_CONTAINER,
    ".odp": _ZIP_CONTAINER,
    ".zip": _ZIP_CONTAINER,
    ".mp1": MP3,
    ".mp2": MP3,
    ".mp3": MP3,
    ".ogg": _OGG_CONTAINER,
    ".oga": _OGG_CONTAINER,
    ".ogv": _OGG_CONTAINER,
    ".opus": _OGG_CONTAINER,
    ".wav": WAV,
    ".m4a": M4A,
    ".f4a": M4A,
    ".aac": AAC,
    ".flac": FLAC,
    ".amr": AMR,
    ".mp4": MP4,
    ".m4v": MP4,
    ".mov": QUICKTIME,
    ".webm": WEBM,
    ".mkv": MATROSKA,
    ".3gp": THREE_GP,
}
# Matches that stop the search even if a weaker match would be allowed: executables and
# content a viewer could run.
_DANGEROUS_EXTENSIONS = frozenset(
    {
        ".exe", ".dll", ".drv", ".sys", ".scr", ".com", ".cpl", ".msi", ".elf", ".so",
        ".dylib", ".appimage", ".jar", ".apk", ".class", ".swf", ".html", ".htm", ".xhtml",
        ".svg", ".svgz", ".xml", ".js", ".sh", ".bat", ".cmd", ".ps1", ".vbs", ".dmg",
        ".deb", ".rpm", ".lnk", ".hta",
    }
)  # fmt: skip
_ODF_TYPES = {t.mime: t for t in (ODT, ODS, ODP)}


def sniff_file(path: Path) -> SniffedFile:
    """Tell what the file at ``path`` is from its bytes; raise ``UnsupportedTypeError`` if refused.

    Blocking (reads the file): run it in a worker thread.
    """
    if path.stat().st_size == 0:
        raise UnsupportedTypeError("The file is empty")
    image = _sniff_image(path)
    if image is not None:
        return image
    matches = _magic_matches(path)
    for match in matches:
        extension = match.extension.lower()
        if extension in _DANGEROUS_EXTENSIONS or "executable" in match.name.lower():
            raise UnsupportedTypeError(f"Files of this type are not allowed ({match.name})")
        found = _MAGIC_EXTENSIONS.get(extension)
        if found is _ZIP_CONTAINER:
            return SniffedFile(_sniff_zip(path))
        if found is _OGG_CONTAINER:
            return SniffedFile(_sniff_ogg(path))
        if found is _TEXT_CANDIDATE:
            break
        if isinstance(found, FileType):
            return SniffedFile(found)
    if _is_plain_text(path):
        return SniffedFile(TEXT)
    raise UnsupportedTypeError(
        "The file's content is not a recognised document, image, audio or video"
    )


def _sniff_image(path: Path) -> SniffedFile | None:
    """An allowed image with its size, or ``None`` when Pillow does not know the format."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(path) as image:
                file_type = _PILLOW_FORMATS.get(image.format or "")
                if file_type is None:
                    return None
                width, height = image.size
                image.verify()
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
            raise UnsupportedTypeError("The image has too many pixels") from exc
        except UnidentifiedImageError:
            return None
        except (OSError, SyntaxError, ValueError) as exc:
            raise UnsupportedTypeError("The image is damaged and cannot be read") from exc
    return SniffedFile(file_type, width, height)


def _magic_matches(path: Path) -> list[puremagic.PureMagicWithConfidence]:
    try:
        return list(puremagic.magic_file(path))
    except (puremagic.PureError, ValueError):
        return []


def _sniff_zip(path: Path) -> FileType:
    """An Office Open XML or OpenDocument file; other archives and macro documents refused."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            odf_mime = (
                archive.read("mimetype").decode("ascii", "replace").strip()
                if "mimetype" in names
                else ""
            )
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnsupportedTypeError("The archive is damaged and cannot be read") from exc
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise UnsupportedTypeError("Documents with macros are not allowed")
    if odf_mime in _ODF_TYPES:
        return _ODF_TYPES[odf_mime]
    if "[Content_Types].xml" in names:
        for prefix, office_type in (("word/", DOCX), ("xl/", XLSX), ("ppt/", PPTX)):
            if any(name.startswith(prefix) for name in names):
                return office_type
    raise UnsupportedTypeError("Archives are not allowed; only office documents")


def _sniff_ogg(path: Path) -> FileType:
    """Ogg holds audio (Vorbis, Opus) or video (Theora): the first page tells."""
    with path.open("rb") as stream:
        head = stream.read(4096)
    return OGG_VIDEO if b"theora" in head else OGG_AUDIO


def _is_plain_text(path: Path) -> bool:
    """UTF-8 text without control characters that does not open like markup or a script."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    with path.open("rb") as stream:
        try:
            text = decoder.decode(stream.read(_TEXT_PROBE_BYTES), final=False)
        except UnicodeDecodeError:
            return False
    if not text.strip():
        return False
    if any(unicodedata.category(char) == "Cc" and char not in "\t\n\r\f" for char in text):
        return False
    opening = text.lstrip()
    return not opening.startswith(("<", "#!"))


def check_sticker(path: Path, sniffed: SniffedFile, size: int) -> None:
    """Apply the sticker rules in the protocol's order; raise ``StickerInvalidError``.

    Blocking (decodes the image): run it in a worker thread.
    """
    if sniffed.type not in (PNG, WEBP):
        raise UnsupportedTypeError("Stickers must be PNG or WebP images")
    if (sniffed.width, sniffed.height) != (STICKER_SIDE, STICKER_SIDE):
        raise StickerInvalidError(
            "dimensions",
            f"A sticker must be exactly {STICKER_SIDE}x{STICKER_SIDE} pixels, "
            f"not {sniffed.width}x{sniffed.height}",
        )
    if not _has_transparent_pixel(path):
        raise StickerInvalidError(
            "transparency",
            "A sticker needs a transparent background: an alpha channel with at least one "
            "fully transparent pixel",
        )
    if size >= STICKER_MAX_BYTES:
        raise StickerInvalidError(
            "weight", f"A sticker must weigh under {STICKER_MAX_BYTES} bytes, not {size}"
        )


def _has_transparent_pixel(path: Path) -> bool:
    with Image.open(path) as image:
        has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
            "transparency" in image.info
        )
        if not has_alpha:
            return False
        minimum, _ = image.convert("RGBA").getchannel("A").getextrema()
    return bool(minimum == 0)


def derive_kind(sniffed: SniffedFile, requested: str | None) -> str:
    """The stored kind: ``sticker`` when asked (rules already checked), else the type's kind."""
    if requested == "sticker":
        return "sticker"
    return sniffed.type.kind


def sanitize_name(name: str) -> str:
    """A display name safe to store and to send back: no folders, no control characters."""
    base = re.split(r"[\\/]", name)[-1]
    cleaned = "".join(
        char for char in unicodedata.normalize("NFC", base) if unicodedata.category(char)[0] != "C"
    ).strip(" .")
    if not cleaned:
        return "file"
    if len(cleaned) <= 255:
        return cleaned
    stem, dot, extension = cleaned.rpartition(".")
    if dot and stem and len(extension) <= 16:
        return f"{stem[: 254 - len(extension)]}.{extension}"
    return cleaned[:255]


def download_name(name: str, file_type_mime: str) -> str:
    """The name to save under: gets the sniffed type's extension if it has another one."""
    file_type = _type_by_mime(file_type_mime)
    if file_type is None or Path(name).suffix.lower() in file_type.extensions:
        return name
    return f"{name}{file_type.extensions[0]}"


def content_disposition(name: str, mime: str) -> str:
    """``Content-Disposition`` for a download: inline for images, attachment otherwise."""
    filename = download_name(name, mime)
    ascii_name = filename.encode("ascii", "replace").decode("ascii").replace('"', "'")
    ascii_name = ascii_name.replace("?", "_")
    disposition = "inline" if mime.startswith("image/") else "attachment"
    quoted = urllib.parse.quote(filename, safe="")
    return f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quoted}"


def _type_by_mime(mime: str) -> FileType | None:
    for file_type in _ALL_TYPES:
        if file_type.mime == mime:
            return file_type
    return None


_ALL_TYPES = (
    PNG, JPEG, GIF, WEBP, PDF, OLE_OFFICE, DOCX, XLSX, PPTX, ODT, ODS, ODP, TEXT, MP3, OGG_AUDIO,
    WAV, M4A, AAC, FLAC, AMR, MP4, QUICKTIME, WEBM, MATROSKA, THREE_GP, OGG_VIDEO,
)  # fmt: skip


class UploadSink:
    """Receives one upload's bytes in chunks: size limit, SHA-256, temp file gone on failure."""

    def __init__(self, storage: FileStore, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self.path = storage.staging_path()
        self._digest = hashlib.sha256()
        self._stream: IO[bytes] | None = None

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the bytes received so far."""
        return self._digest.hexdigest()

    async def write(self, data: bytes) -> None:
        """Append ``data``; raise ``TooLargeError`` (and discard) once the limit is passed."""
        self.size += len(data)
        if self.size > self.limit:
            await self.discard()
            raise TooLargeError(self.limit)
        self._digest.update(data)
        if self._stream is None:
            self._stream = await anyio.to_thread.run_sync(self.path.open, "xb")
        await anyio.to_thread.run_sync(self._stream.write, data)

    async def finish(self) -> None:
        """Flush and close the file (an empty upload still leaves an empty file)."""
        if self._stream is None:
            self._stream = await anyio.to_thread.run_sync(self.path.open, "xb")
        await anyio.to_thread.run_sync(self._stream.close)

    async def discard(self) -> None:
        """Close and delete whatever was received."""
        if self._stream is not None:
            await anyio.to_thread.run_sync(self._stream.close)
        await anyio.to_thread.run_sync(lambda: self.path.unlink(missing_ok=True))


async def inspect_upload(sink: UploadSink, requested_kind: str | None) -> SniffedFile:
    """Sniff a finished upload and apply the sticker rules if asked; ``ApiError`` if refused.

    A refused upload's bytes are deleted before the error goes up.
    """
    try:
        sniffed = await anyio.to_thread.run_sync(sniff_file, sink.path)
        if requested_kind == "sticker":
            await anyio.to_thread.run_sync(check_sticker, sink.path, sniffed, sink.size)
    except ApiError as refusal:
        log.info("upload refused (%s): %s", refusal.code, refusal.message)
        await sink.discard()
        raise
    return sniffed


async def record_upload(
    session: AsyncSession,
    storage: FileStore,
    sink: UploadSink,
    sniffed: SniffedFile,
    *,
    name: str,
    requested_kind: str | None,
    library: bool,
    uploader_id: int,
) -> m.File:
    """Move an inspected upload into the store and record it (bytes removed if that fails)."""
    key = await anyio.to_thread.run_sync(storage.put, sink.path)
    file = m.File(
        name=sanitize_name(name),
        kind=derive_kind(sniffed, requested_kind),
        mime=sniffed.type.mime,
        size=sink.size,
        sha256=sink.sha256,
        width=sniffed.width,
        height=sniffed.height,
        library=library,
        storage_key=key,
        uploaded_by=uploader_id,
    )
    session.add(file)
    try:
        await session.flush()
    except BaseException:
        await delete_stored_bytes(storage, key)
        raise
    log.info(
        "stored file %d (%s, %d bytes) from agent %d", file.id, file.mime, file.size, uploader_id
    )
    return file


async def visible_file(session: AsyncSession, visibility: Visibility, file_id: int) -> m.File:
    """The file if the agent may download it, else 404 (hidden files look missing).

    Visible: library files, the agent's own uploads, everything for admins, and files in a
    conversation of an inbox the agent sees.
    """
    file = await session.get(m.File, file_id)
    if file is None:
        raise not_found("file")
    if file.library or visibility.everything or file.uploaded_by == visibility.agent_id:
        return file
    in_visible_conversation = await session.scalar(
        select(m.MessageFile.file_id)
        .join(m.Message, m.Message.id == m.MessageFile.message_id)
        .join(m.Conversation, m.Conversation.id == m.Message.conversation_id)
        .where(
            m.MessageFile.file_id == file_id,
            visibility.inbox_filter(m.Conversation.inbox_id.expression),
        )
        .limit(1)
    )
    if in_visible_conversation is None:
        raise not_found("file")
    return file


# One answer for a missing file and a file the sender may not attach: ids reveal nothing.
NOT_ATTACHABLE = "No such file, or not a file you may attach"


async def _attached_ids(session: AsyncSession, file_ids: Sequence[int]) -> set[int]:
    """Which of ``file_ids`` are attached to some message."""
    rows = await session.scalars(
        select(m.MessageFile.file_id).where(m.MessageFile.file_id.in_(file_ids)).distinct()
    )
    return set(rows)


async def _ids_in_conversations(
    session: AsyncSession, file_ids: Sequence[int], where: ColumnElement[bool]
) -> set[int]:
    """Which of ``file_ids`` are attached in a conversation matching ``where``."""
    rows = await session.scalars(
        select(m.MessageFile.file_id)
        .join(m.Message, m.Message.id == m.MessageFile.message_id)
        .join(m.Conversation, m.Conversation.id == m.Message.conversation_id)
        .where(m.MessageFile.file_id.in_(file_ids), where)
        .distinct()
    )
    return set(rows)


async def require_attachable(
    session: AsyncSession,
    file_ids: Sequence[int],
    *,
    owners: Collection[int | None],
    already_in: ColumnElement[bool],
) -> None:
    """422 ``invalid`` (field ``file_ids``) unless every file may go into the message.

    Allowed: library files; files already attached in a conversation matching
    ``already_in``; files not attached anywhere yet whose uploader is in ``owners`` (``None``:
    uploaded by no agent). Anything else, like a missing id, gets ``NOT_ATTACHABLE``:
    attaching would show the file to whoever sees the conversation.
    """
    if not file_ids:
        return
    rows = await session.execute(
        select(m.File.id, m.File.library, m.File.uploaded_by).where(m.File.id.in_(file_ids))
    )
    found = {file_id: (library, uploaded_by) for file_id, library, uploaded_by in rows}
    pending = [i for i in file_ids if i in found and not found[i][0]]
    if pending:
        in_place = await _ids_in_conversations(session, pending, already_in)
        pending = [i for i in pending if i not in in_place]
    if pending:
        attached = await _attached_ids(session, pending)
        pending = [i for i in pending if i in attached or found[i][1] not in owners]
    if pending or len(found) != len(set(file_ids)):
        log.info("refused to attach files %s", sorted(file_ids))
        raise invalid(NOT_ATTACHABLE, "file_ids")


async def channel_file_owners(session: AsyncSession) -> set[int | None]:
    """Whose unattached uploads a channel may attach: nobody's, and the admins' (a gateway
    uploads its customers' files with an admin's token: only admins configure channels)."""
    admins = await session.scalars(select(m.Agent.id).where(m.Agent.role == "admin"))
    return {None, *admins}


async def list_library_files(session: AsyncSession) -> Sequence[m.File]:
    """Every library file, by name."""
    rows = await session.scalars(
        select(m.File).where(m.File.library.is_(True)).order_by(m.File.name, m.File.id)
    )
    return rows.all()


async def remove_from_library(session: AsyncSession, file_id: int) -> str | None:
    """Take a file out of the library (404 when not there).

    A file no message carries is deleted: its row goes and the storage key of its bytes is
    returned, for the caller to delete once the transaction has committed. Messages that carry
    the file keep it (the row stays, out of the library, and ``None`` is returned)."""
    file = await session.get(m.File, file_id)
    if file is None or not file.library:
        raise not_found("library file")
    if await _attached_ids(session, [file.id]):
        file.library = False
        await session.flush()
        return None
    key = file.storage_key
    await session.delete(file)
    await session.flush()
    return key


async def delete_stored_bytes(storage: FileStore, key: str) -> None:
    """Delete the bytes under ``key`` (already gone: nothing; a malformed key: logged)."""
    try:
        await anyio.to_thread.run_sync(storage.delete, key)
    except StorageKeyError:
        log.error("a removed file had a storage key outside the store; bytes left alone")


async def list_contact_files(
    session: AsyncSession, contact_id: int, visibility: Visibility
) -> Sequence[m.File]:
    """Files exchanged with a contact in the conversations the agent sees, newest first."""
    attached = (
        select(m.MessageFile.file_id)
        .join(m.Message, m.Message.id == m.MessageFile.message_id)
        .join(m.Conversation, m.Conversation.id == m.Message.conversation_id)
        .where(
            m.Conversation.contact_id == contact_id,
            visibility.inbox_filter(m.Conversation.inbox_id.expression),
        )
    )
    rows = await session.scalars(
        select(m.File).where(m.File.id.in_(attached)).order_by(m.File.id.desc())
    )
    return rows.all()
