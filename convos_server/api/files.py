"""``POST /files`` (streamed multipart upload), ``GET /files/{id}`` and the file library.

The upload is parsed straight from the request stream: file bytes go to a staging file of the
store (``app.state.files``, a ``FileStore``) in chunks as they arrive and the request is cut
off as soon as the size limit is passed, so neither memory nor disk ever holds more than the
limit. Downloads read the bytes back through the same store.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any, BinaryIO

import anyio
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from convos_server.api.deps import (
    AdminDep,
    AgentDep,
    BusDep,
    DbDep,
    FileStoreDep,
    SettingsDep,
)
from convos_server.api.params import Id
from convos_server.api.responses import BINARY_RESPONSE, errors
from convos_server.errors import forbidden, invalid, not_found
from convos_server.serialize import file_json
from convos_server.services import files
from convos_server.services.visibility import visibility_for
from convos_server.storage import StorageKeyError

log = logging.getLogger("convos.files")
router = APIRouter(tags=["files"])

_FIELD_MAX_BYTES = 1024
# Room for the multipart framing and the small fields around the file.
_FORM_OVERHEAD_BYTES = 64 * 1024
_TRUE = {"1", "true", "yes", "on"}
LIBRARY_EVENT = "library.changed"
_FALSE = {"0", "false", "no", "off", ""}
_DOWNLOAD_CHUNK_BYTES = 64 * 1024


class _UploadForm:
    """Streaming ``multipart/form-data`` reader for one ``file`` part plus small text fields.

    The parser's callbacks only collect; ``read`` writes the collected file bytes to the sink
    after each chunk, so disk writes happen off the event loop.
    """

    def __init__(self, sink: files.UploadSink) -> None:
        self.sink = sink
        self.fields: dict[str, str] = {}
        self.filename: str | None = None
        self._pending: list[bytes] = []
        self._header_name = b""
        self._header_value = b""
        self._disposition = b""
        self._part_name = ""
        self._part_is_file = False
        self._field_value = bytearray()
        self._complete = False

    async def read(self, request: Request, boundary: bytes) -> None:
        """Consume the request body; ``ApiError`` for malformed forms or too much data."""
        parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._on_part_begin,
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._on_header_end,
                "on_headers_finished": self._on_headers_finished,
                "on_part_data": self._on_part_data,
                "on_part_end": self._on_part_end,
                "on_end": self._on_end,
            },
        )
        try:
            async for chunk in request.stream():
                parser.write(chunk)
                for data in self._pending:
                    await self.sink.write(data)
                self._pending.clear()
            parser.finalize()
        except MultipartParseError as exc:
            raise invalid(f"Malformed multipart form: {exc}", field="file") from exc
        if not self._complete:
            raise invalid("The upload was cut short: the form never ended", field="file")
        if self.filename is None:
            raise invalid("The form has no file part", field="file")

    def _on_end(self) -> None:
        """The closing boundary: the form is complete (a cut-off upload never gets here)."""
        self._complete = True

    def _on_part_begin(self) -> None:
        self._disposition = b""
        self._part_name = ""
        self._part_is_file = False
        self._field_value = bytearray()

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        if self._header_name.strip().lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name = b""
        self._header_value = b""

    def _on_headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        self._part_name = options.get(b"name", b"").decode("utf-8", "replace")
        if self._part_name == "file" and b"filename" in options:
            if self.filename is not None:
                raise invalid("Send one file per upload", field="file")
            self.filename = options[b"filename"].decode("utf-8", "replace")
            self._part_is_file = True

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._part_is_file:
            self._pending.append(data[start:end])
            return
        self._field_value += data[start:end]
        if len(self._field_value) > _FIELD_MAX_BYTES:
            raise invalid("Form field too long", field=self._part_name or None)

    def _on_part_end(self) -> None:
        if not self._part_is_file and self._part_name:
            self.fields[self._part_name] = self._field_value.decode("utf-8", "replace")


def _boundary(request: Request) -> bytes:
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise invalid("Send the file as multipart/form-data", field="file")
    return boundary


def _requested_kind(fields: dict[str, str]) -> str | None:
    kind = fields.get("kind", "").strip()
    if not kind:
        return None
    if kind not in files.KINDS:
        raise invalid(f"Unknown file kind {kind!r}", field="kind")
    return kind


def _library_flag(fields: dict[str, str]) -> bool:
    value = fields.get("library", "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise invalid("library must be 1 or 0", field="library")


@router.post("/files", status_code=201, responses=errors(403, 413, 422))
async def upload_file(
    request: Request,
    agent: AgentDep,
    db: DbDep,
    settings: SettingsDep,
    bus: BusDep,
    storage: FileStoreDep,
) -> dict[str, Any]:
    """Store one uploaded file; 413 ``too_large``, 422 ``unsupported_type``/``sticker_invalid``."""
    limit = settings.max_upload_bytes
    declared_length = request.headers.get("content-length", "")
    if declared_length.isdigit() and int(declared_length) > limit + _FORM_OVERHEAD_BYTES:
        raise files.TooLargeError(limit)
    boundary = _boundary(request)
    sink = files.UploadSink(storage, limit)
    form = _UploadForm(sink)
    try:
        await form.read(request, boundary)
        await sink.finish()
        kind = _requested_kind(form.fields)
        library = _library_flag(form.fields)
        if library and agent.role != "admin":
            raise forbidden("Only admins may add files to the library")
    except BaseException:
        with anyio.CancelScope(shield=True):
            await sink.discard()
        raise
    sniffed = await files.inspect_upload(sink, kind)
    async with db.transaction() as session:
        file = await files.record_upload(
            session,
            storage,
            sink,
            sniffed,
            name=form.filename or "",
            requested_kind=kind,
            library=library,
            uploader_id=agent.id,
        )
        data = file_json(file)
        if library:
            await bus.publish(session, LIBRARY_EVENT, {"file": data})
    if library:
        bus.wake()
    return data


@router.get("/files")
async def list_files(
    agent: AgentDep, db: DbDep, library: Annotated[str | None, Query()] = None
) -> list[dict[str, Any]]:
    """``GET /files?library=1``: the file library, visible to every agent."""
    if library != "1":
        raise invalid("Only the library can be listed: use library=1", field="library")
    async with db.sessionmaker() as session:
        library_files = await files.list_library_files(session)
    log.debug("agent %d listed %d library files", agent.id, len(library_files))
    return [file_json(file) for file in library_files]


@router.delete("/files/{file_id}/library", status_code=204)
async def remove_library_file(
    file_id: Id, _admin: AdminDep, db: DbDep, bus: BusDep, storage: FileStoreDep
) -> Response:
    """Take a file out of the library (admins); bytes deleted unless a message carries it."""
    async with db.transaction() as session:
        key = await files.remove_from_library(session, file_id)
        await bus.publish(session, LIBRARY_EVENT, {"deleted_id": file_id})
    bus.wake()
    if key is not None:
        await files.delete_stored_bytes(storage, key)
    return Response(status_code=204)


@router.get("/files/{file_id}", response_class=StreamingResponse, responses=BINARY_RESPONSE)
async def download_file(
    file_id: Id, agent: AgentDep, db: DbDep, storage: FileStoreDep
) -> StreamingResponse:
    """The bytes with the sniffed type; 404 when missing or not visible to the agent."""
    async with db.sessionmaker() as session:
        visibility = await visibility_for(session, agent)
        file = await files.visible_file(session, visibility, file_id)
    try:
        stream = await anyio.to_thread.run_sync(storage.open, file.storage_key)
    except StorageKeyError:
        log.error("file %d has a storage key outside the store; refusing it", file.id)
        raise not_found("file") from None
    except (FileNotFoundError, IsADirectoryError):
        log.error("the bytes of file %d are missing from the store", file.id)
        raise not_found("file") from None
    return StreamingResponse(
        _chunks(stream),
        media_type=file.mime,
        headers={
            "Content-Length": str(file.size),
            "Content-Disposition": files.content_disposition(file.name, file.mime),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'",
            "Cache-Control": "private, max-age=3600",
        },
    )


async def _chunks(stream: BinaryIO) -> AsyncIterator[bytes]:
    """Read an opened stored file in chunks off the event loop; closed at the end or on error."""
    try:
        while chunk := await anyio.to_thread.run_sync(stream.read, _DOWNLOAD_CHUNK_BYTES):
            yield chunk
    finally:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(stream.close)
