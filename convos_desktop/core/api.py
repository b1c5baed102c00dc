"""Typed HTTP calls of docs/protocol.md over one shared ``httpx.AsyncClient`` per session.

Every call returns the records of :mod:`convos_desktop.core.types`; every error answer becomes
an :class:`ApiError` subclass carrying the server's ``code`` and ``message`` (and its extra
fields), and a network failure becomes :class:`ServerUnreachableError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any

import httpx

from convos_desktop.core.transport import async_client
from convos_desktop.core.types import (
    Activity,
    Agent,
    Bootstrap,
    Canned,
    Contact,
    Conversation,
    ConversationHistoryPage,
    ConversationQuery,
    CountedPage,
    FileInfo,
    Inbox,
    Label,
    Message,
    MessagePage,
    MessageSearchPage,
    Page,
    Report,
    Screen,
    Status,
    Team,
    Ticket,
    TicketDetail,
    TicketHistoryPage,
    TicketQuery,
    View,
)

log = logging.getLogger("convos.api")

API_PREFIX = "/api/v1"
DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
UPLOAD_TIMEOUT = httpx.Timeout(120.0, connect=5.0)
CLOSE_WAIT_S = 2.0  # how long closing waits for the requests still in flight


class ApiError(Exception):
    """An error answer of the server: HTTP ``status``, protocol ``code``, human ``message``."""

    def __init__(
        self, status: int, code: str, message: str, extra: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.extra: dict[str, Any] = dict(extra or {})


class AuthError(ApiError):
    """401: bad credentials at login, or a missing, bad or revoked token."""


class ForbiddenError(ApiError):
    """403: not allowed (not admin, inbox not visible, ...)."""


class NotFoundError(ApiError):
    """404: no such object, or not visible to this agent."""


class ConflictError(ApiError):
    """409: a conflict; ``extra`` holds its fields (``ticket_id`` of ``open_ticket_exists``)."""

    @property
    def ticket_id(self) -> int | None:
        """The open ticket that blocked the request, for ``open_ticket_exists``."""
        value = self.extra.get("ticket_id")
        return int(value) if value is not None else None

    @property
    def assignee_id(self) -> int | None:
        """Who holds that ticket (``open_ticket_exists``, ``already_assigned``)."""
        value = self.extra.get("assignee_id")
        return int(value) if value is not None else None

    @property
    def contact_id(self) -> int | None:
        """The existing contact with the same phone or e-mail, for ``contact_exists``."""
        value = self.extra.get("contact_id")
        return int(value) if value is not None else None


class NotOnlineError(ConflictError):
    """409 ``agent_not_online``: the action needs the agent to be online."""


class TicketClosedError(ConflictError):
    """409 ``ticket_closed``: the conversation's ticket is closed."""


class TooLargeError(ApiError):
    """413: the upload passes the server's limit (``limit`` bytes)."""

    @property
    def limit(self) -> int | None:
        """The server's upload limit in bytes."""
        value = self.extra.get("limit")
        return int(value) if value is not None else None


class InvalidError(ApiError):
    """422 ``invalid`` or ``unsupported_type``; ``field`` names the culprit when known."""

    @property
    def field(self) -> str | None:
        """The request field to blame, if the server named one."""
        value = self.extra.get("field")
        return str(value) if value is not None else None


class StickerInvalidError(InvalidError):
    """422 ``sticker_invalid``: ``rule`` is ``dimensions``, ``transparency`` or ``weight``."""

    @property
    def rule(self) -> str | None:
        """Which sticker rule the file broke."""
        value = self.extra.get("rule")
        return str(value) if value is not None else None


class TooManyAttemptsError(ApiError):
    """429 ``too_many_attempts``: logins throttled; wait ``retry_after_s`` seconds."""

    @property
    def retry_after_s(self) -> int | None:
        """How long the server asks to wait, in seconds."""
        value = self.extra.get("retry_after")
        try:
            return max(1, int(value)) if value is not None else None
        except (TypeError, ValueError):
            return None


class ServerUnreachableError(ApiError):
    """The server could not be reached or did not answer in time (no HTTP answer at all)."""

    def __init__(self, message: str) -> None:
        super().__init__(0, "unreachable", message)


class ServerError(ApiError):
    """5xx or an answer that is not the protocol's JSON: worth retrying later."""


_BY_CODE: dict[str, type[ApiError]] = {
    "agent_not_online": NotOnlineError,
    "ticket_closed": TicketClosedError,
    "sticker_invalid": StickerInvalidError,
}
_BY_STATUS: dict[int, type[ApiError]] = {
    401: AuthError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    413: TooLargeError,
    422: InvalidError,
    429: TooManyAttemptsError,
}


def error_from_response(response: httpx.Response) -> ApiError:
    """Map an error answer to the matching :class:`ApiError` subclass."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or "code" not in body:
        text = response.text[:200] if response.content else response.reason_phrase
        return ServerError(response.status_code, "http_error", text or "server error")
    code = str(body["code"])
    message = str(body.get("message", code))
    extra = {k: v for k, v in body.items() if k not in ("code", "message")}
    if "retry_after" not in extra and response.headers.get("Retry-After", "").isdecimal():
        extra["retry_after"] = int(response.headers["Retry-After"])
    cls = _BY_CODE.get(code) or _BY_STATUS.get(response.status_code) or ServerError
    return cls(response.status_code, code, message, extra)


def _drop_none(params: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if v is not None}


class ApiClient:
    """The Convos REST API of one server, for one login (one shared ``httpx.AsyncClient``)."""

    def __init__(
        self,
        server_url: str,
        token: str | None = None,
        *,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.server_url = server_url.rstrip("/")
        self._token = token
        # Plain http never does TLS: skip loading the certificate store (50-120 ms at launch).
        plain = self.server_url.startswith("http://")
        base_url = self.server_url + API_PREFIX
        # The app's own HTTP/1.1 transport (core.transport: no httpcore, no anyio, 2.5 MiB
        # less resident); a given one (tests) is used as it is.
        self.http = (
            async_client(base_url=base_url, timeout=timeout, verify=not plain)
            if transport is None
            else httpx.AsyncClient(base_url=base_url, timeout=timeout, transport=transport)
        )
        self._in_flight = 0
        self._settled = asyncio.Event()
        self._settled.set()

    @property
    def token(self) -> str | None:
        """The bearer token in use (``None`` before login)."""
        return self._token

    @token.setter
    def token(self, value: str | None) -> None:
        self._token = value

    def auth_headers(self) -> dict[str, str]:
        """The ``Authorization`` header for this session (empty before login)."""
        return {"Authorization": f"Bearer {self._token}"} if self._token else {}

    @contextlib.asynccontextmanager
    async def in_flight(self) -> AsyncIterator[None]:
        """Count a request while it runs, so that :meth:`aclose` can wait for it."""
        self._in_flight += 1
        self._settled.clear()
        try:
            yield
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                self._settled.set()

    async def aclose(self) -> None:
        """Close the connection pool once the requests in flight are done (``CLOSE_WAIT_S``).

        httpx closes only the connections its pool holds: one still being opened for a
        request when the pool closes would be opened afterwards and never closed.
        """
        if self._in_flight:
            try:
                async with asyncio.timeout(CLOSE_WAIT_S):
                    await self._settled.wait()
            except TimeoutError:
                log.info("closing with %d requests still in flight", self._in_flight)
        await self.http.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        files: Any = None,
        data: Mapping[str, str] | None = None,
        request_timeout: httpx.Timeout | None = None,
    ) -> Any:
        """Send one request; return the decoded JSON (``None`` for 204) or raise ApiError."""
        try:
            async with self.in_flight():
                response = await self.http.request(
                    method,
                    path,
                    params=_drop_none(params or {}),
                    json=json,
                    files=files,
                    data=data,
                    headers=self.auth_headers(),
                    timeout=request_timeout
                    if request_timeout is not None
                    else httpx.USE_CLIENT_DEFAULT,
                )
        except (httpx.TransportError, httpx.TimeoutException) as exc:
            log.info("%s %s: server unreachable: %r", method, path, exc)
            raise ServerUnreachableError(str(exc) or type(exc).__name__) from exc
        if response.status_code >= 400:
            error = error_from_response(response)
            log.info("%s %s -> %s %s", method, path, response.status_code, error.code)
            raise error
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    # --- auth -------------------------------------------------------------------------------

    async def login(self, email: str, password: str, device: str | None = None) -> Agent:
        """Log in; keep the token for the next calls and return the agent."""
        body = await self.request(
            "POST",
            "/auth/login",
            json=_drop_none({"email": email, "password": password, "device": device}),
        )
        self._token = body["token"]
        return Agent.from_json(body["agent"])

    async def logout(self) -> None:
        """Revoke the token in use on the server and forget it."""
        try:
            await self.request("POST", "/auth/logout")
        finally:
            self._token = None

    async def me(self) -> Agent:
        """The logged-in agent."""
        return Agent.from_json(await self.request("GET", "/me"))

    async def bootstrap(self) -> Bootstrap:
        """The snapshot to start from (see :class:`Bootstrap`)."""
        return Bootstrap.from_json(await self.bootstrap_json())

    async def bootstrap_json(self) -> dict[str, Any]:
        """The raw bootstrap answer (what the cache stores)."""
        body: dict[str, Any] = await self.request("GET", "/bootstrap")
        return body

    async def put_presence(self, status: Status, screen: Screen) -> Agent:
        """Send the presence heartbeat."""
        body = await self.request(
            "PUT", "/presence", json={"status": status.value, "screen": screen.value}
        )
        return Agent.from_json(body)

    # --- tickets ----------------------------------------------------------------------------

    async def tickets(
        self,
        view: View | None = None,
        *,
        status: str | None = None,
        inbox_id: int | None = None,
        query: str | None = None,
        assignee_id: int | None = None,
        contact_id: int | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        cursor: str | None = None,
        limit: int | None = None,
    ) -> Page[Ticket]:
        """A page of tickets, newest activity first."""
        body = await self.request(
            "GET",
            "/tickets",
            params={
                "view": view.value if view else None,
                "status": status,
                "inbox": inbox_id,
                "q": query,
                "assignee": assignee_id,
                "contact": contact_id,
                "from": date_from,
                "to": date_to,
                "cursor": cursor,
                "limit": limit,
            },
        )
        return Page(tuple(Ticket.from_json(t) for t in body["items"]), body.get("next_cursor"))

    async def ticket_history(
        self, query: TicketQuery, cursor: str | None = None, limit: int = 100
    ) -> TicketHistoryPage:
        """A page of the ticket history; the first page (no cursor) also counts the matches."""
        params = {
            **query.params(),
            "view": "all",
            "cursor": cursor,
            "limit": limit,
            "count": "true" if cursor is None else None,
            "include": "contacts",
            # the history shows no last message: the server need not load one per ticket
            "last_message": "none",
        }
        body = await self.request("GET", "/tickets", params=params)
        return CountedPage(
            tuple(Ticket.from_json(t) for t in body["items"]),
            tuple(Contact.from_json(c) for c in body.get("contacts", ())),
            body.get("next_cursor"),
            body.get("total"),
            bool(body.get("total_capped")),
        )

    async def export_tickets(
        self, query: TicketQuery, write: Callable[[bytes], Awaitable[None]]
    ) -> int:
        """Stream the history's CSV export into ``write`` chunk by chunk; the bytes written."""
        written = 0
        try:
            async with (
                self.in_flight(),
                self.http.stream(
                    "GET",
                    "/tickets/export",
                    params=_drop_none(query.params()),
                    headers=self.auth_headers(),
                    timeout=UPLOAD_TIMEOUT,
                ) as response,
            ):
                if response.status_code >= 400:
                    await response.aread()
                    raise error_from_response(response)
                async for chunk in response.aiter_bytes():
                    await write(chunk)
                    written += len(chunk)
        except (httpx.TransportError, httpx.TimeoutException) as exc:
            raise ServerUnreachableError(str(exc) or type(exc).__name__) from exc
        return written

    async def ticket(self, ticket_id: int) -> TicketDetail:
        """A ticket with its contact and conversation."""
        body = await self.request("GET", f"/tickets/{ticket_id}")
        return TicketDetail(
            Ticket.from_json(body["ticket"]),
            Contact.from_json(body["contact"]),
            Conversation.from_json(body["conversation"]),
        )

    async def create_ticket(
        self,
        contact_id: int,
        inbox_id: int,
        body: str,
        *,
        file_ids: Sequence[int] = (),
        client_id: str | None = None,
    ) -> tuple[Ticket, Message]:
        """Start a ticket (assigned to me, in a new conversation of origin ``agent``) with its
        first message; the same ``client_id`` again answers what the first call made."""
        payload: dict[str, Any] = {"contact_id": contact_id, "inbox_id": inbox_id, "body": body}
        if file_ids:
            payload["file_ids"] = list(file_ids)
        if client_id is not None:
            payload["client_id"] = client_id
        answer = await self.request("POST", "/tickets", json=payload)
        return Ticket.from_json(answer["ticket"]), Message.from_json(answer["message"])

    async def assign(
        self, ticket_id: int, agent_id: int | None = None, *, force: bool = False
    ) -> Ticket:
        """Take a ticket (or give it to ``agent_id``, admins only)."""
        payload: dict[str, Any] = _drop_none({"agent_id": agent_id})
        if force:
            payload["force"] = True
        return Ticket.from_json(
            await self.request("POST", f"/tickets/{ticket_id}/assign", json=payload)
        )

    async def snooze(self, ticket_id: int, until: dt.datetime | None) -> Ticket:
        """Snooze a ticket until ``until`` (aware) or, with ``None``, the customer's reply."""
        body = {"until": until.isoformat() if until is not None else None}
        return Ticket.from_json(
            await self.request("POST", f"/tickets/{ticket_id}/snooze", json=body)
        )

    async def unsnooze(self, ticket_id: int) -> Ticket:
        """Wake a snoozed ticket now."""
        return Ticket.from_json(await self.request("POST", f"/tickets/{ticket_id}/unsnooze"))

    async def labels(self) -> list[Label]:
        """The workspace's labels, by name."""
        return [Label.from_json(d) for d in await self.request("GET", "/labels")]

    async def create_label(self, name: str, color: str) -> Label:
        """A new label (admins)."""
        body = {"name": name, "color": color}
        return Label.from_json(await self.request("POST", "/labels", json=body))

    async def update_label(self, label_id: int, changes: dict[str, Any]) -> Label:
        """Rename or recolour a label (admins)."""
        return Label.from_json(await self.request("PATCH", f"/labels/{label_id}", json=changes))

    async def delete_label(self, label_id: int) -> None:
        """Delete a label (admins)."""
        await self.request("DELETE", f"/labels/{label_id}")

    async def set_ticket_label(self, ticket_id: int, label_id: int, on: bool) -> Ticket:
        """Put a label on a ticket (``on``) or take it off."""
        method = "PUT" if on else "DELETE"
        path = f"/tickets/{ticket_id}/labels/{label_id}"
        return Ticket.from_json(await self.request(method, path))

    async def unassign(self, ticket_id: int) -> Ticket:
        """Put a ticket back in Unassigned."""
        return Ticket.from_json(await self.request("POST", f"/tickets/{ticket_id}/unassign"))

    async def close_ticket(self, ticket_id: int) -> Ticket:
        """Finalize (close) a ticket."""
        return Ticket.from_json(await self.request("POST", f"/tickets/{ticket_id}/close"))

    async def reopen_ticket(self, ticket_id: int) -> Ticket:
        """Reactivate a closed ticket (assigned to me)."""
        return Ticket.from_json(await self.request("POST", f"/tickets/{ticket_id}/reopen"))

    # --- conversations and messages ---------------------------------------------------------

    async def conversations(
        self,
        *,
        query: str | None = None,
        origin: str | None = None,
        inbox_id: int | None = None,
        contact_id: int | None = None,
        cursor: str | None = None,
        limit: int | None = None,
    ) -> Page[Conversation]:
        """A page of conversations (full history, any origin)."""
        body = await self.request(
            "GET",
            "/conversations",
            params={
                "q": query,
                "origin": origin,
                "inbox": inbox_id,
                "contact": contact_id,
                "cursor": cursor,
                "limit": limit,
            },
        )
        return Page(
            tuple(Conversation.from_json(c) for c in body["items"]), body.get("next_cursor")
        )

    async def conversation_history(
        self, query: ConversationQuery, cursor: str | None = None, limit: int = 100
    ) -> ConversationHistoryPage:
        """A page of the conversation history; the first page also counts the matches."""
        params = {
            **query.params(),
            "cursor": cursor,
            "limit": limit,
            "count": "true" if cursor is None else None,
            "include": "contacts",
            # the preview is the last message's text: no reactions and files to load
            "last_message": "brief",
        }
        body = await self.request("GET", "/conversations", params=params)
        return CountedPage(
            tuple(Conversation.from_json(c) for c in body["items"]),
            tuple(Contact.from_json(c) for c in body.get("contacts", ())),
            body.get("next_cursor"),
            body.get("total"),
            bool(body.get("total_capped")),
        )

    async def conversation(self, conversation_id: int) -> Conversation:
        """One conversation."""
        return Conversation.from_json(
            await self.request("GET", f"/conversations/{conversation_id}")
        )

    async def messages(
        self,
        conversation_id: int,
        *,
        before: int | None = None,
        after: int | None = None,
        limit: int = 50,
    ) -> MessagePage:
        """The newest ``limit`` messages before ``before`` (or after ``after``), oldest first."""
        body = await self.messages_json(conversation_id, before=before, after=after, limit=limit)
        return MessagePage(
            tuple(Message.from_json(m) for m in body["items"]), bool(body.get("has_more"))
        )

    async def messages_json(
        self,
        conversation_id: int,
        *,
        before: int | None = None,
        after: int | None = None,
        limit: int = 50,
    ) -> dict[str, Any]:
        """The raw page answer ``{items, has_more}`` (what the cache stores)."""
        body: dict[str, Any] = await self.request(
            "GET",
            f"/conversations/{conversation_id}/messages",
            params={"before": before, "after": after, "limit": limit},
        )
        return body

    async def search_messages(
        self, text: str, cursor: str | None = None, limit: int = 50
    ) -> MessageSearchPage:
        """Messages of the workspace containing ``text`` (what the agent may see), newest first."""
        body = await self.request(
            "GET",
            "/search/messages",
            params={"q": text, "cursor": cursor, "limit": limit},
        )
        return MessageSearchPage(
            tuple(Message.from_json(m) for m in body["items"]),
            tuple(Conversation.from_json(c) for c in body["conversations"]),
            tuple(Contact.from_json(c) for c in body["contacts"]),
            body.get("next_cursor"),
        )

    async def send_message_json(
        self,
        conversation_id: int,
        *,
        client_id: str,
        body: str,
        kind: str = "text",
        reply_to: int | None = None,
        file_ids: Sequence[int] = (),
        seen_message_id: int | None = None,
        force: bool = False,
    ) -> dict[str, Any]:
        """Send a message; the raw message (what the cache stores). With ``seen_message_id``
        a colleague's message since is 409 ``conversation.changed`` unless ``force``."""
        payload: dict[str, Any] = {"client_id": client_id, "kind": kind, "body": body}
        if seen_message_id is not None:
            payload["seen_message_id"] = seen_message_id
        if force:
            payload["force"] = True
        if reply_to is not None:
            payload["reply_to"] = reply_to
        if file_ids:
            payload["file_ids"] = list(file_ids)
        answer: dict[str, Any] = await self.request(
            "POST", f"/conversations/{conversation_id}/messages", json=payload
        )
        return answer

    async def mentions(self, *, unread: bool = False, limit: int = 50) -> dict[str, Any]:
        """``{items: [Mention json] newest first, unread, has_more}``."""
        params = {"limit": limit, "unread": "true" if unread else None}
        answer: dict[str, Any] = await self.request("GET", "/mentions", params=params)
        return answer

    async def read_mention(self, mention_id: int) -> dict[str, Any]:
        """Mark a mention read; the Mention json."""
        answer: dict[str, Any] = await self.request("POST", f"/mentions/{mention_id}/read")
        return answer

    async def add_reaction(self, message_id: int, emoji: str) -> Message:
        """Add my ``emoji`` reaction to a message (idempotent)."""
        return Message.from_json(
            await self.request("PUT", f"/messages/{message_id}/reactions/{emoji}")
        )

    async def remove_reaction(self, message_id: int, emoji: str) -> Message:
        """Remove my ``emoji`` reaction from a message (idempotent)."""
        return Message.from_json(
            await self.request("DELETE", f"/messages/{message_id}/reactions/{emoji}")
        )

    # --- files ------------------------------------------------------------------------------

    async def upload_file(
        self, name: str, data: bytes, *, sticker: bool = False, library: bool = False
    ) -> FileInfo:
        """Upload a file (``sticker`` asks the server to apply the sticker rules)."""
        form: dict[str, str] = {}
        if sticker:
            form["kind"] = "sticker"
        if library:
            form["library"] = "1"
        body = await self.request(
            "POST",
            "/files",
            files={"file": (name, data, "application/octet-stream")},
            data=form,
            request_timeout=UPLOAD_TIMEOUT,
        )
        return FileInfo.from_json(body)

    async def file_bytes(self, file_id: int) -> bytes:
        """The bytes of a file."""
        try:
            async with self.in_flight():
                response = await self.http.get(
                    f"/files/{file_id}", headers=self.auth_headers(), timeout=UPLOAD_TIMEOUT
                )
        except (httpx.TransportError, httpx.TimeoutException) as exc:
            raise ServerUnreachableError(str(exc) or type(exc).__name__) from exc
        if response.status_code >= 400:
            raise error_from_response(response)
        return response.content

    async def library_files(self) -> list[FileInfo]:
        """The library of pre-uploaded files."""
        body = await self.request("GET", "/files", params={"library": 1})
        return [FileInfo.from_json(f) for f in body]

    async def remove_library_file(self, file_id: int) -> None:
        """Take a file out of the library (admin); messages that carry it keep it."""
        await self.request("DELETE", f"/files/{file_id}/library")

    # --- contacts ---------------------------------------------------------------------------

    async def contacts(
        self, query: str | None = None, *, cursor: str | None = None, limit: int | None = None
    ) -> Page[Contact]:
        """A page of contacts matching ``query``."""
        body = await self.request(
            "GET", "/contacts", params={"q": query, "cursor": cursor, "limit": limit}
        )
        return Page(tuple(Contact.from_json(c) for c in body["items"]), body.get("next_cursor"))

    async def contact(self, contact_id: int) -> Contact:
        """One contact."""
        return Contact.from_json(await self.request("GET", f"/contacts/{contact_id}"))

    async def create_contact(
        self,
        name: str,
        *,
        phone: str | None = None,
        email: str | None = None,
        custom: Mapping[str, str] | None = None,
    ) -> Contact:
        """Create a contact."""
        payload = _drop_none({"name": name, "phone": phone, "email": email})
        if custom:
            payload["custom"] = dict(custom)
        return Contact.from_json(await self.request("POST", "/contacts", json=payload))

    async def update_contact(self, contact_id: int, changes: Mapping[str, Any]) -> Contact:
        """Edit any of ``name``, ``phone``, ``email``, ``custom``."""
        return Contact.from_json(await self.update_contact_json(contact_id, changes))

    async def update_contact_json(
        self, contact_id: int, changes: Mapping[str, Any]
    ) -> dict[str, Any]:
        """:meth:`update_contact`, the raw answer (what the cache stores)."""
        body: dict[str, Any] = await self.request(
            "PATCH", f"/contacts/{contact_id}", json=dict(changes)
        )
        return body

    async def contact_files(self, contact_id: int) -> list[FileInfo]:
        """Files exchanged with a contact."""
        body = await self.request("GET", f"/contacts/{contact_id}/files")
        return [FileInfo.from_json(f) for f in body]

    async def contact_activities(self, contact_id: int, limit: int = 50) -> list[Activity]:
        """A contact's activity feed, newest first."""
        body = await self.request(
            "GET", f"/contacts/{contact_id}/activities", params={"limit": limit}
        )
        return [Activity.from_json(a) for a in body]

    # --- canned replies, directory ----------------------------------------------------------

    async def canned(self) -> list[Canned]:
        """Quick replies visible to me."""
        return [Canned.from_json(c) for c in await self.request("GET", "/canned")]

    async def create_canned(
        self, shortcut: str, text: str, *, language: str | None = None, shared: bool = False
    ) -> Canned:
        """Create a quick reply (personal, or shared for admins)."""
        payload: dict[str, Any] = {"shortcut": shortcut, "text": text, "language": language}
        if shared:
            payload["shared"] = True
        return Canned.from_json(await self.request("POST", "/canned", json=payload))

    async def update_canned(self, canned_id: int, changes: Mapping[str, Any]) -> Canned:
        """Edit a quick reply."""
        return Canned.from_json(
            await self.request("PATCH", f"/canned/{canned_id}", json=dict(changes))
        )

    async def delete_canned(self, canned_id: int) -> None:
        """Delete a quick reply."""
        await self.request("DELETE", f"/canned/{canned_id}")

    async def inboxes(self) -> list[Inbox]:
        """Inboxes visible to me."""
        return [Inbox.from_json(i) for i in await self.request("GET", "/inboxes")]

    async def create_inbox(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Create an inbox (admin); the raw answer carries the new ``api_key``."""
        body: dict[str, Any] = await self.request("POST", "/inboxes", json=dict(fields))
        return body

    async def update_inbox(self, inbox_id: int, changes: Mapping[str, Any]) -> Inbox:
        """Edit an inbox (admin)."""
        return Inbox.from_json(
            await self.request("PATCH", f"/inboxes/{inbox_id}", json=dict(changes))
        )

    async def delete_inbox(self, inbox_id: int) -> None:
        """Delete an inbox (admin)."""
        await self.request("DELETE", f"/inboxes/{inbox_id}")

    async def rotate_inbox_key(self, inbox_id: int) -> str:
        """A new ingress key for an inbox (admin); the old one stops working. The new key."""
        body = await self.request("POST", f"/inboxes/{inbox_id}/rotate-key")
        return str(body["api_key"])

    async def teams(self) -> list[Team]:
        """All teams."""
        return [Team.from_json(t) for t in await self.request("GET", "/teams")]

    async def create_team(self, name: str, agent_ids: Sequence[int] = ()) -> Team:
        """Create a team (admin)."""
        return Team.from_json(
            await self.request("POST", "/teams", json={"name": name, "agent_ids": list(agent_ids)})
        )

    async def update_team(self, team_id: int, changes: Mapping[str, Any]) -> Team:
        """Rename a team and/or set its members (``agent_ids``) (admin)."""
        return Team.from_json(await self.request("PATCH", f"/teams/{team_id}", json=dict(changes)))

    async def delete_team(self, team_id: int) -> None:
        """Delete a team (admin); its inboxes lose their team."""
        await self.request("DELETE", f"/teams/{team_id}")

    async def agents(self) -> list[Agent]:
        """All agents."""
        return [Agent.from_json(a) for a in await self.request("GET", "/agents")]

    async def report(self, date_from: str, date_to: str, by: str = "inbox") -> Report:
        """Performance per inbox or per agent over inclusive UTC days ``YYYY-MM-DD``."""
        body = await self.request(
            "GET", "/reports", params={"from": date_from, "to": date_to, "by": by}
        )
        return Report.from_json(body)
