"""System lines, contact activities and custom field names in the agent's language.

The server sends each system line (``Message.system``) and each activity (``Activity.kind``
and ``params``) as a kind with ids, plus an English sentence (docs/protocol.md, "System
kinds"). This module is the one place that words them: the chat delegate, the chat view's copy
action and the contact dock's activity feed ask :class:`SystemWording`. Agent names come from
the :class:`~convos_desktop.models.directory.Directory` at paint time, so a renamed agent shows
the new name; an agent the directory does not know is "an agent". The English text of the
server is shown only for a kind this client does not know.

Contact custom fields are free ``{key: value}`` pairs: :func:`field_label` words the keys the
client knows and shows any other key as it is; :func:`field_value` words values of known kinds
(yes/no, dates) and shows any other value as it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import QCoreApplication, QDate, QLocale, QObject, Signal

from convos_desktop.core.types import Activity, Direction, Message
from convos_desktop.models.directory import Directory

_PLACEHOLDER = re.compile(r"%(\d)")


def _tr(text: str) -> str:
    return QCoreApplication.translate("SystemText", text)


def fill(template: str, *values: str) -> str:
    """``%1``, ``%2``… replaced in one pass (a name containing ``%2`` stays as it is)."""
    return _PLACEHOLDER.sub(
        lambda match: (
            values[int(match.group(1)) - 1]
            if 0 < int(match.group(1)) <= len(values)
            else match.group(0)
        ),
        template,
    )


# --- contact fields ---------------------------------------------------------------------------


def _field_labels() -> dict[str, str]:
    """The custom field keys the client words (docs/protocol.md lists them)."""
    return {
        "customer_since": _tr("Customer since"),
        "tier": _tr("Tier"),
        "language": _tr("Language"),
        "company": _tr("Company"),
        "vat_number": _tr("VAT number"),
        "fiscal_code": _tr("Tax code"),
        "birthday": _tr("Birthday"),
        "notes": _tr("Notes"),
    }


def field_label(key: str) -> str:
    """The label of a custom field: a known key in the UI language, any other key as is."""
    return _field_labels().get(key, key)


_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def field_value(value: str) -> str:
    """A custom field's value in the UI language where its kind is known: a yes/no
    (``true``/``false``/``yes``/``no``) as *Sì*/*No*, an ISO date (``2021-03-15``) in the
    locale's short form; any other value as it is."""
    flag = value.strip().casefold()
    if flag in ("true", "yes"):
        return _tr("Yes")
    if flag in ("false", "no"):
        return _tr("No")
    match = _ISO_DATE.fullmatch(value.strip())
    if match:
        date = QDate(*(int(part) for part in match.groups()))
        if date.isValid():
            return QLocale().toString(date, QLocale.FormatType.ShortFormat)
    return value


def _profile_fields() -> dict[str, str]:
    """The profile parts ``contact.edited`` names."""
    return {
        "name": _tr("name"),
        "phone": _tr("phone"),
        "email": _tr("email"),
        "custom": _tr("custom fields"),
    }


def profile_field_list(fields: Sequence[str]) -> str:
    """``email and custom fields`` in the UI language (unknown parts as sent)."""
    names = _profile_fields()
    return QLocale().createSeparatedList([names.get(field, field) for field in fields])


# --- kinds ------------------------------------------------------------------------------------


class SystemWording(QObject):
    """Words system lines and activities with today's agent names.

    ``names_changed`` fires when an agent's name in the directory changed (not on presence
    changes), so views re-lay out their system rows only then.
    """

    names_changed = Signal()

    def __init__(self, directory: Directory | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._directory = directory
        self._shown: dict[int, str] = {}  # the names this wording gave out, by agent id
        if directory is not None:
            directory.changed.connect(self._on_directory_changed)
            directory.me_changed.connect(self._on_directory_changed)

    def _on_directory_changed(self) -> None:
        if any(self._lookup(agent_id) != name for agent_id, name in self._shown.items()):
            self._shown.clear()
            self.names_changed.emit()

    def _lookup(self, agent_id: int) -> str:
        found = self._directory.agent(agent_id) if self._directory is not None else None
        return found.name if found is not None and found.name else _tr("an agent")

    def agent(self, agent_id: Any) -> str:
        """An agent's current name; "an agent" for an id the directory does not know."""
        if not isinstance(agent_id, int):
            return _tr("an agent")
        name = self._lookup(agent_id)
        self._shown[agent_id] = name
        return name

    # --- what the views ask -------------------------------------------------------------------

    def message_text(self, message: Message) -> str:
        """The text of a chat row: system lines worded, other messages as written."""
        if message.direction is not Direction.SYSTEM or message.system is None:
            return message.body
        return self.text(message.system.kind, message.system.params, message.body)

    def activity_text(self, activity: Activity) -> str:
        """The line of an activity feed entry."""
        return self.text(activity.kind, activity.params, activity.text)

    def text(self, kind: str, params: Mapping[str, Any], fallback: str) -> str:
        """``kind`` worded with ``params``; ``fallback`` (the server's English) if unknown."""
        wording = {
            "ticket.opened": self._opened,
            "ticket.assigned": self._assigned,
            "ticket.unassigned": self._unassigned,
            "ticket.closed": self._closed,
            "ticket.reopened": self._reopened,
            "contact.edited": self._edited,
        }.get(kind)
        return wording(params) if wording is not None else fallback

    # --- one method per kind ------------------------------------------------------------------

    def _opened(self, params: Mapping[str, Any]) -> str:
        by = params.get("by_agent_id")
        if by is None:
            return _tr("Ticket opened: handed over by the bot")
        return fill(_tr("Ticket opened by %1"), self.agent(by))

    def _assigned(self, params: Mapping[str, Any]) -> str:
        agent_id, by = params.get("agent_id"), params.get("by_agent_id")
        if by is None:
            return fill(_tr("Ticket assigned to %1 automatically"), self.agent(agent_id))
        if by == agent_id:
            return fill(_tr("%1 took the ticket"), self.agent(agent_id))
        return fill(_tr("Ticket assigned to %1 by %2"), self.agent(agent_id), self.agent(by))

    def _unassigned(self, params: Mapping[str, Any]) -> str:
        return fill(
            _tr("Ticket put back in Unassigned by %1"), self.agent(params.get("by_agent_id"))
        )

    def _closed(self, params: Mapping[str, Any]) -> str:
        return fill(_tr("Ticket finalized by %1"), self.agent(params.get("by_agent_id")))

    def _reopened(self, params: Mapping[str, Any]) -> str:
        return fill(_tr("Ticket reactivated by %1"), self.agent(params.get("by_agent_id")))

    def _edited(self, params: Mapping[str, Any]) -> str:
        fields = params.get("fields")
        by = self.agent(params.get("by_agent_id"))
        if not isinstance(fields, list) or not fields:
            return fill(_tr("Profile edited by %1"), by)
        return fill(_tr("Profile edited by %1: %2"), by, profile_field_list(fields))
