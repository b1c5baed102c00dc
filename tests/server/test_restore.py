"""After a restore: skipped event ids, and ``reset`` for a cursor from the lost past."""

from __future__ import annotations

import re

import pytest

from convos_server.cli import main
from convos_server.db.restore import skip_event_ids
from tests.server.conftest import BACKENDS, read_events


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_cursor_in_the_skipped_ids_gets_reset_and_new_events_come_after(live_ws, settings):
    ws = live_ws
    anna = await ws.agent("Anna", online=True)
    await ws.inbox("Sales", await ws.team("A", [anna]))
    head = (await ws.call("GET", "/bootstrap", anna))["event_seq"]
    assert head > 3
    assert await skip_event_ids(settings.database_url, gap=1000) == (head, head + 1001)
    # What a client synced after the backup holds: ids the restored database never wrote.
    await ws.presence(anna, "busy")
    new_head = (await ws.call("GET", "/bootstrap", anna))["event_seq"]
    assert new_head >= head + 1001
    for lost in (head + 1, head + 500):
        received = await read_events(ws, anna, after=lost, count=1)
        assert received == [(new_head, "reset", {"event_seq": new_head})]
    # A cursor from before the backup resumes: the next event is the one after the gap.
    (event,) = await read_events(ws, anna, after=head, count=1)
    assert (event[0], event[1]) == (new_head, "presence.changed")


def test_after_restore_command_skips_ids(tmp_path, capsys):
    def cli(*args: str) -> list[int]:
        main([*args, "--data-dir", str(tmp_path)])
        return list(map(int, re.findall(r"\d+", capsys.readouterr().out)))

    cli("create-admin", "--email", "a@convos.test", "--password", "pw")
    head, following = cli("after-restore", "--gap", "50")
    assert following == head + 51
    # No event was written in between: the sequence still moves past the skipped ids.
    assert cli("after-restore", "--gap", "50") == [head, following + 50]
    with pytest.raises(SystemExit):
        cli("after-restore", "--gap", "0")
