"""The New ticket's contact search model: pages on demand, stale pages dropped, qtmodeltester."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt

from convos_desktop.models.contact_search import ContactRole, ContactSearchModel, contact_line
from tests.desktop.ui.conftest import make_contact


def test_pages_on_demand_and_stale_pages_dropped(qtmodeltester, qapp) -> None:
    # The model tester fetches more by itself on each change: it is attached once the list
    # is complete (the paging is checked by hand before).
    model = ContactSearchModel()
    wanted: list[tuple[str, str]] = []
    model.moreWanted.connect(lambda query, cursor: wanted.append((query, cursor)))
    model.set_results("cli", [make_contact(i) for i in range(1, 4)], "3")
    assert model.rowCount() == 3
    assert model.index(0).data(ContactRole.CONTACT_ID) == 1
    assert model.index(0).data() == "Cliente 1  ·  +39 333 000 0000  ·  cliente1@example.com"
    assert model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    model.fetchMore(QModelIndex())  # one request at a time
    assert wanted == [("cli", "3")]
    model.append_page("other", [make_contact(9)], None)  # a page of an older search
    assert model.rowCount() == 3
    model.append_page("cli", [make_contact(3), make_contact(4)], None)
    assert [model.index(r).data(ContactRole.CONTACT_ID) for r in range(4)] == [1, 2, 3, 4]
    assert not model.canFetchMore(QModelIndex())
    qtmodeltester.check(model)
    model.set_results("x", [], None)
    assert model.rowCount() == 0
    assert model.index(0).data(Qt.ItemDataRole.DisplayRole) is None


def test_a_failed_page_may_be_asked_again(qapp) -> None:
    model = ContactSearchModel()
    model.set_results("", [make_contact(1)], "1")
    model.fetchMore(QModelIndex())
    assert not model.canFetchMore(QModelIndex())
    model.page_failed("")
    assert model.canFetchMore(QModelIndex())


def test_a_channel_contact_is_told_apart_by_its_external_id() -> None:
    contact = make_contact(5)
    bare = type(contact)(
        5, "Mario Rossi", None, None, "wa-39333", {}, contact.created_at, contact.updated_at
    )
    assert contact_line(bare) == "Mario Rossi  ·  wa-39333"
