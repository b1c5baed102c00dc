"""Protocol JSON objects (docs/protocol.md shapes) for core unit tests."""

from typing import Any

T0 = "2026-03-02T09:00:00.000Z"


def agent(agent_id: int = 1, name: str = "Anna", status: str = "online") -> dict[str, Any]:
    return {
        "id": agent_id,
        "name": name,
        "email": f"{name.lower()}@example.com",
        "role": "agent",
        "team_ids": [1],
        "status": status,
        "chosen_status": status,
    }


def contact(contact_id: int = 1, name: str = "Mario Rossi") -> dict[str, Any]:
    return {
        "id": contact_id,
        "name": name,
        "phone": "+39 333 000 0000",
        "email": None,
        "external_id": f"wa-{contact_id}",
        "custom": {},
        "created_at": T0,
        "updated_at": T0,
    }


def message(
    message_id: int,
    conversation_id: int = 10,
    body: str = "Buongiorno",
    client_id: str | None = None,
    direction: str = "in",
    created_at: str = T0,
) -> dict[str, Any]:
    return {
        "id": message_id,
        "conversation_id": conversation_id,
        "ticket_id": 100,
        "client_id": client_id,
        "direction": direction,
        "sender_type": "contact" if direction == "in" else "agent",
        "sender_id": 1,
        "sender_name": "Mario Rossi",
        "body": body,
        "reply_to": None,
        "reply_preview": None,
        "reactions": [],
        "files": [],
        "created_at": created_at,
    }


def ticket(
    ticket_id: int = 100,
    conversation_id: int = 10,
    assignee_id: int | None = None,
    status: str = "open",
    last_message: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "id": ticket_id,
        "conversation_id": conversation_id,
        "inbox_id": 1,
        "contact_id": 1,
        "status": status,
        "assignee_id": assignee_id,
        "opened_at": T0,
        "assigned_at": None,
        "first_response_at": None,
        "closed_at": None,
        "closed_by": None,
        "reopen_count": 0,
        "last_message": last_message,
        "last_message_at": (last_message or {}).get("created_at", T0),
    }


def snapshot(tickets: list[dict[str, Any]], event_seq: int = 0) -> dict[str, Any]:
    return {
        "me": agent(),
        "agents": [agent(), agent(2, "Bruno")],
        "teams": [{"id": 1, "name": "Support", "agent_ids": [1, 2]}],
        "inboxes": [
            {
                "id": 1,
                "name": "WhatsApp",
                "channel": "whatsapp",
                "team_id": 1,
                "assignment": "manual",
                "max_open_per_agent": None,
            }
        ],
        "canned": [],
        "tickets": tickets,
        "contacts": [contact()],
        "counts": {"mine": 0, "unassigned": len(tickets), "all": len(tickets)},
        "event_seq": event_seq,
        "server_time": T0,
    }
