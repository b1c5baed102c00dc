"""The demo's 90-day archive: believable volume of every origin, consistent rows, real reports."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import func, select

from convos_server.db import models as m
from convos_server.db.engine import Database
from convos_server.demo.archive import write_archive
from convos_server.services.reports import build_report
from convos_server.services.visibility import Visibility
from tests.server.test_demo import NOW, seed


async def test_ninety_days_of_every_origin_written_after_the_live_demo(settings):
    await seed(settings)
    db = Database(settings.database_url)
    try:
        counts = await write_archive(db, now=NOW)
        assert counts.conversations > 4_000
        assert counts.tickets > 2_000
        async with db.sessionmaker() as session:
            origins = Counter(
                dict((await session.execute(
                    select(m.Conversation.origin, func.count()).group_by(m.Conversation.origin)
                )).all())
            )  # fmt: skip
            assert set(origins) == {"chatbot", "campaign_mass", "campaign_transactional"}
            assert min(origins.values()) > 500
            named = await session.scalar(
                select(func.count()).where(
                    m.Conversation.origin == "campaign_mass", m.Conversation.campaign.is_not(None)
                )
            )
            assert (named or 0) >= 1_000
            first_day = await session.scalar(select(func.min(m.Ticket.opened_at)))
            assert first_day is not None
            assert NOW - first_day >= dt.timedelta(days=89)
            # every archive conversation's last message is one of its own, the newest
            broken = await session.scalar(
                select(func.count())
                .select_from(m.Conversation)
                .join(m.Message, m.Message.id == m.Conversation.last_message_id)
                .where(m.Message.conversation_id != m.Conversation.id)
            )
            assert broken == 0
            open_archive = await session.scalar(
                select(func.count())
                .select_from(m.Ticket)
                .join(m.Contact, m.Contact.id == m.Ticket.contact_id)
                .where(m.Ticket.status == "open", m.Contact.external_id.like("archive-%"))
            )
            assert open_archive == 0  # the archive adds closed tickets only
            report = await build_report(
                session,
                Visibility(0, True, frozenset()),
                (NOW - dt.timedelta(days=89)).date(),
                NOW.date(),
                "inbox",
            )
    finally:
        await db.dispose()
    total = report["total"]
    assert total["closed"] > 2_000
    assert 60 < total["first_response_median_s"] < 900  # minutes, not hours or seconds
    assert total["resolution_p90_s"] > total["resolution_median_s"] > 600
    weekdays = [
        d["opened"] for d in report["days"] if dt.date.fromisoformat(d["day"]).weekday() < 5
    ]
    weekends = [
        d["opened"] for d in report["days"] if dt.date.fromisoformat(d["day"]).weekday() >= 5
    ]
    assert sum(weekdays) / len(weekdays) > 2 * sum(weekends) / len(weekends)
