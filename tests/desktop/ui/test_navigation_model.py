"""The navigation tree model: inboxes under each ticket view with their counts, precise changes,
and the location of a row (target and inbox)."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex

from convos_desktop.core.types import Counts, Inbox, View
from convos_desktop.models.navigation import NavigationModel, NavLocation, NavRole, NavTarget


def inbox(inbox_id: int, name: str) -> Inbox:
    return Inbox(inbox_id, name, "whatsapp", 1, "manual", None)


def child_names(model: NavigationModel, target: NavTarget) -> list[str]:
    parent = model.index_of(target)
    return [model.index(row, 0, parent).data() for row in range(model.rowCount(parent))]


def test_views_expand_into_inboxes_with_counts(qtmodeltester, qapp) -> None:
    model = NavigationModel()
    qtmodeltester.check(model)
    model.set_inboxes([inbox(2, "Assistenza"), inbox(1, "WhatsApp Vendite")])
    model.set_inbox_counts({1: Counts(mine=1, unassigned=2, all=4), 2: Counts(0, 1, 1)})
    qtmodeltester.check(model)
    for target in (NavTarget.MINE, NavTarget.UNASSIGNED, NavTarget.ALL):
        assert child_names(model, target) == ["Assistenza", "WhatsApp Vendite"]
    assert child_names(model, NavTarget.NEW_TICKET) == []
    sales = model.index_of(NavTarget.UNASSIGNED, 1)
    assert sales.data(NavRole.COUNT) == 2
    assert model.index_of(NavTarget.MINE, 1).data(NavRole.COUNT) == 1
    assert model.index_of(NavTarget.ALL, 2).data(NavRole.COUNT) == 1
    assert NavigationModel.location_of(sales) == NavLocation(NavTarget.UNASSIGNED, 1)
    assert NavigationModel.target_of(sales) is NavTarget.UNASSIGNED
    assert NavigationModel.target_of(sales).is_conversation_screen  # type: ignore[union-attr]
    assert NavigationModel.location_of(model.index_of(NavTarget.ALL)) == NavLocation(NavTarget.ALL)
    assert not model.index_of(NavTarget.ALL, 99).isValid()

    model.set_inbox_counts({2: Counts(1, 0, 1)})  # inbox 1 has no open ticket any more
    assert model.index_of(NavTarget.ALL, 1).data(NavRole.COUNT) == 0
    assert model.index_of(NavTarget.MINE, 2).data(NavRole.COUNT) == 1


def test_inbox_changes_are_precise(qtmodeltester, qapp) -> None:
    model = NavigationModel()
    model.set_inboxes([inbox(1, "Email"), inbox(2, "Telegram")])
    qtmodeltester.check(model)
    removed: list[tuple[int, int]] = []
    inserted: list[tuple[int, int]] = []
    resets: list[bool] = []
    model.rowsRemoved.connect(lambda _p, first, last: removed.append((first, last)))
    model.rowsInserted.connect(lambda _p, first, last: inserted.append((first, last)))
    model.modelReset.connect(lambda: resets.append(True))
    kept = model.index_of(NavTarget.UNASSIGNED, 2)
    persistent = QPersistentModelIndex(kept)
    model.set_inboxes([inbox(3, "Chat sul sito"), inbox(2, "Telegram")])
    assert child_names(model, NavTarget.UNASSIGNED) == ["Chat sul sito", "Telegram"]
    assert removed == [(0, 0)] * len(View)  # Email left each view
    assert inserted == [(0, 0)] * len(View)
    assert resets == []
    assert persistent.isValid()
    assert persistent.data(NavRole.INBOX_ID) == 2
    model.set_inboxes([inbox(3, "Chat sul sito web"), inbox(2, "Telegram")])
    assert model.index_of(NavTarget.MINE, 3).data() == "Chat sul sito web"
    qtmodeltester.check(model)
    assert model.inbox_ids(View.ALL) == [3, 2]
    assert model.rowCount(QModelIndex()) == 2  # the two groups
