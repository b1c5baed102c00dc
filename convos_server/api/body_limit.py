"""A request body size limit for every route, answered as JSON ``413 too_large``.

A declared ``Content-Length`` above the limit is refused before the app runs; a body that
grows past the limit while it streams in (chunked, or a lying length) is cut off by the
``receive`` wrapper, whose ``HTTPException`` the app's error handlers turn into the same
answer. ``POST /files`` is exempt: the upload has its own, larger limit and streams to disk.
"""

from __future__ import annotations

import json
from collections.abc import Collection

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# No route reads a body of these; their requests skip the counting wrapper.
_NO_BODY = frozenset({"GET", "HEAD"})


def too_large_message(max_bytes: int) -> str:
    """The message of the 413 answer."""
    return f"The request body is larger than {max_bytes} bytes"


class BodyLimitMiddleware:
    """Refuses request bodies over ``max_bytes`` except on the ``exempt`` (method, path)s."""

    def __init__(
        self, app: ASGIApp, *, max_bytes: int, exempt: Collection[tuple[str, str]] = ()
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.exempt = frozenset(exempt)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app with a counting ``receive``, or answer 413 at once."""
        if (
            scope["type"] != "http"
            or scope["method"] in _NO_BODY
            or (scope["method"], scope["path"]) in self.exempt
        ):
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise HTTPException(413, too_large_message(self.max_bytes))
            return message

        await self.app(scope, counting_receive, send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps({"code": "too_large", "message": too_large_message(self.max_bytes)})
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body.encode()})
