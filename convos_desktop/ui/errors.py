"""Sentences for the agent about why the server refused something, from protocol error codes.

``error_sentence`` says why an action failed; ``failed_send_sentence`` why a message was not
sent (the bubble and its context menu). Unknown codes fall back to the server's own message,
and to a generic sentence when there is none.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication


def _tr(text: str) -> str:
    return QCoreApplication.translate("Errors", text)


def error_sentence(code: str, server_message: str) -> str:
    """Why an action with the protocol error ``code`` failed."""
    known = {
        "agent_not_online": _tr("You are not Online: set your status to Online."),
        "ticket_closed": _tr("The ticket is closed: reactivate it first."),
        "already_assigned": _tr("Another agent has already taken this ticket."),
        "at_capacity": _tr("You have reached the maximum of open tickets."),
        "open_ticket_exists": _tr("This contact already has an open ticket."),
        "bad_credentials": _tr("Wrong e-mail or password."),
        "too_large": _tr("The file is too large for the server."),
        "sticker_invalid": _tr("The server refused the sticker: {message}"),
        "forbidden": _tr("You are not allowed to do this."),
        "inbox_inactive": _tr(
            "This inbox is deactivated and takes no new tickets: choose another inbox, "
            "or ask an administrator to activate it in Caselle di posta."
        ),
        "contact_exists": _tr("Another contact already has this phone or e-mail."),
    }
    text = known.get(code)
    return text.format(message=server_message) if text else server_message


def failed_send_sentence(error: str | None) -> str:
    """Why a send failed, from a failed message's ``error``.

    ``error`` is a protocol code (``ticket_closed``), ``"code: server message"``, or the
    server's message alone; ``None`` or empty gives a generic sentence.
    """
    known = {
        "ticket_closed": _tr("Not sent: the ticket is closed"),
        "agent_not_online": _tr("Not sent: you are not Online"),
        "forbidden": _tr("Not sent: the ticket is assigned to another agent"),
        "not_found": _tr("Not sent: the conversation is no longer visible to you"),
        "too_large": _tr("Not sent: an attachment is too large"),
        "unsupported_type": _tr("Not sent: an attachment's type is not allowed"),
        "sticker_invalid": _tr("Not sent: the sticker breaks the sticker rules"),
        "invalid": _tr("Not sent: the server found the message invalid"),
    }
    text = (error or "").strip()
    code, _sep, detail = text.partition(": ")
    if code == "conversation.changed":
        return _tr("Not sent: {name} wrote meanwhile").format(name=detail or _tr("a colleague"))
    if code in known:
        return known[code]
    if text:
        return _tr("Not sent: {message}").format(message=text)
    return _tr("Not sent: the server refused it")
