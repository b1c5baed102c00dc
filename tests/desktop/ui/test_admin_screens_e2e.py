"""Scorciatoie, Caselle di posta and the file library against a real server subprocess:
create/edit/delete, server refusals shown inline, live changes from another agent, round robin
assignment into a new inbox, key shown once and rotated, library add/remove live in the
composer's dialog; presence (these are not conversation screens)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QPalette
from PySide6.QtWidgets import QMessageBox

from convos_desktop.core.api import ApiClient
from convos_desktop.core.types import Screen, Status
from convos_desktop.models.navigation import NavTarget
from convos_desktop.ui.widgets.admin_list import FORM_MAX_WIDTH
from tests.desktop.ui.conftest import RunningUi, open_ui
from tests.e2e.conftest import ADMIN_EMAIL, PASSWORD, Workspace, wait_until

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]


async def start_as(workspace: Workspace, folder: Path, email: str | None = None) -> RunningUi:
    """The app signed in as the agent Anna (or as ``email``)."""
    if email is None:
        api = await workspace.agent_api()
    else:
        api = ApiClient(workspace.server.url)
        await api.login(email, PASSWORD, "e2e")
    token = api.token
    await api.aclose()
    assert token is not None
    return await open_ui(folder, workspace.server.url, token)


def click_yes(box: QMessageBox) -> None:
    button = box.button(QMessageBox.StandardButton.Yes)
    assert button is not None
    button.click()


async def test_shortcuts_screen_and_live_slash_completion(workspace: Workspace, tmp_path) -> None:
    ui = await start_as(workspace, tmp_path)
    window = ui.window
    try:
        window.navigate(NavTarget.SHORTCUTS)
        screen = window.shortcuts
        assert window.stack.currentWidget() is screen
        assert ui.context.presence.machine.inputs.screen is Screen.OTHER
        await wait_until(lambda: ui.context.directory.me is not None, what="me")
        assert not screen.shared_radio.isEnabled()  # agents make personal replies only

        screen.new_reply()
        screen.code_edit.setText("due parole")
        screen.text_edit.setPlainText("")
        screen.save()
        assert screen.code_error.isVisible()
        assert screen.text_error.isVisible()

        screen.code_edit.setText("/saluto")
        screen.text_edit.setPlainText("Buongiorno {contact_name}, sono {agent_name}.")
        assert screen.preview.text() == "Buongiorno Mario Rossi, sono Anna."
        screen.save()
        composer = window.workspace.composer
        await wait_until(
            lambda: "saluto" in [r.shortcut for r in composer.canned_model.replies()],
            what="the new reply in the / completion",
        )
        await wait_until(lambda: screen.current_reply() is not None, what="selected")
        assert screen.current_reply().shortcut == "saluto"  # type: ignore[union-attr]

        screen.new_reply()
        screen.code_edit.setText("SALUTO")
        screen.text_edit.setPlainText("Salve")
        screen.save()
        await wait_until(screen.code_error.isVisible, what="code taken")
        assert "/SALUTO" in screen.code_error.text()

        # another agent (the admin, over HTTP) adds a shared reply: it shows up live
        await workspace.admin.create_canned("orari", "Siamo aperti 9-18", shared=True)
        await wait_until(
            lambda: "orari" in [r.shortcut for r in composer.canned_model.replies()],
            what="a shared reply from another agent",
        )
        assert any(r.shortcut == "orari" and r.owner_id is None for r in screen.model.records())
        screen.search.setText("aperti")
        assert screen.proxy.rowCount() == 1
        screen.search.clear()

        assert screen.select(next(r.id for r in screen.model.records() if r.shortcut == "orari"))
        assert not screen.save_button.isEnabled()  # shared: only admins change it
        assert not screen.delete_button.isEnabled()

        mine = next(r for r in screen.model.records() if r.shortcut == "saluto")
        screen.select(mine.id)
        screen.text_edit.setPlainText("Ciao {contact_name}!")
        screen.save()
        await wait_until(
            lambda: any(r.text == "Ciao {contact_name}!" for r in composer.canned_model.replies()),
            what="the edit in the completion",
        )
        screen.confirm_delete()
        click_yes(screen.confirm_box)
        await wait_until(
            lambda: "saluto" not in [r.shortcut for r in composer.canned_model.replies()],
            what="deleted from the completion",
        )
        window.navigate(NavTarget.MINE)
        assert ui.context.presence.machine.inputs.screen is Screen.CONVERSATIONS
    finally:
        await ui.close()


async def test_shortcuts_screen_opens_on_its_first_reply_and_keeps_a_new_one(
    workspace: Workspace, tmp_path
) -> None:
    await workspace.admin.create_canned("ciao", "Ciao {contact_name}!", shared=True)
    ui = await start_as(workspace, tmp_path)
    window = ui.window
    try:
        window.navigate(NavTarget.SHORTCUTS)
        screen = window.shortcuts
        # the first reply, not a greyed empty form titled "New quick reply"
        await wait_until(lambda: screen.current_reply() is not None, what="the first reply")
        assert screen.form_page.isEnabled()
        assert screen.code_edit.text() == "ciao"
        assert "/ciao" in screen.form_title.text()

        screen.new_reply()
        screen.code_edit.setText("/saluto")
        await workspace.admin.create_canned("orari", "Siamo aperti 9-18", shared=True)
        await wait_until(lambda: screen.model.rowCount() == 2, what="the live reply")
        assert screen.current_reply() is None  # the reply being written keeps its form
        assert screen.code_edit.text() == "/saluto"
    finally:
        await ui.close()


async def test_inboxes_screen_round_robin_key_and_refusals(workspace: Workspace, tmp_path) -> None:
    anna = await workspace.agent_api()
    await anna.put_presence(Status.ONLINE, Screen.CONVERSATIONS)
    ui = await start_as(workspace, tmp_path, ADMIN_EMAIL)
    window = ui.window
    try:
        window.navigate(NavTarget.INBOXES)
        screen = window.inboxes
        assert ui.context.presence.machine.inputs.screen is Screen.OTHER
        await wait_until(lambda: screen.is_admin, what="admin")
        await wait_until(lambda: screen.team_combo.count() > 1, what="teams")

        screen.new_inbox()
        screen.save()
        assert screen.name_error.isVisible()  # inline: a name is needed
        name = "Assistenza clienti premium per ordini internazionali"
        screen.name_edit.setText(name)
        screen.team_combo.setCurrentIndex(screen.team_combo.findData(workspace.team_id))
        await wait_until(lambda: "Anna" in screen.team_agents.text(), what="the team's agents")
        screen.mode_combo.setCurrentIndex(screen.mode_combo.findData("round_robin"))
        screen.cap_spin.setValue(3)
        screen.hours_edit.setText("Lun-Ven 9-18")
        screen.save()
        await wait_until(lambda: bool(screen.key_edit.text()), what="the key, once")
        await wait_until(lambda: screen.model.rowCount() == 2, what="listed")
        key = screen.key_edit.text()
        screen.copy_key()
        assert QGuiApplication.clipboard().text() == key
        inbox = screen.current_inbox()
        assert inbox is not None
        assert inbox.name == name
        assert (inbox.assignment, inbox.max_open_per_agent) == ("round_robin", 3)

        async with httpx.AsyncClient(base_url=workspace.server.url + "/api/v1") as http:
            sent = await http.post(
                f"/channels/{inbox.id}/messages",
                headers={"X-Api-Key": key},
                json={
                    "contact": {"external_id": "wa-rr", "name": "Luca"},
                    "text": "Buongiorno",
                    "handoff": True,
                },
            )
            assert sent.status_code == 201, sent.text
            ticket = await workspace.admin.ticket(sent.json()["ticket_id"])
            assert ticket.ticket.assignee_id == workspace.agent_id  # the next online agent

            screen.confirm_delete()
            click_yes(screen.confirm_box)
            await wait_until(screen.form_error.isVisible, what="delete refused")
            assert "open ticket" in screen.form_error.text()
            assert "deactivate" in screen.form_error.text()

            screen.confirm_rotate()
            click_yes(screen.confirm_box)
            await wait_until(lambda: screen.key_edit.text() not in ("", key), what="new key")
            old = await http.post(
                f"/channels/{inbox.id}/messages",
                headers={"X-Api-Key": key},
                json={"contact": {"external_id": "wa-rr"}, "text": "ancora"},
            )
            assert old.status_code == 403

        # a change made elsewhere reaches the screen live
        await workspace.admin.update_inbox(inbox.id, {"business_hours": "H24"})
        await wait_until(lambda: screen.hours_edit.text() == "H24", what="live inbox change")
    finally:
        await ui.close()
        await anna.aclose()


async def test_agents_read_inboxes_only(workspace: Workspace, tmp_path) -> None:
    ui = await start_as(workspace, tmp_path)
    try:
        ui.window.navigate(NavTarget.INBOXES)
        screen = ui.window.inboxes
        await wait_until(lambda: screen.model.rowCount() == 1, what="the team's inbox")
        screen.select(workspace.inbox_id)
        assert not screen.new_button.isVisibleTo(screen)
        assert not screen.save_button.isEnabled()
        assert screen.name_edit.isReadOnly()
        # read-only reads as such: the window's background, not an input's white
        window_colour = screen.palette().color(QPalette.ColorRole.Window)
        assert screen.name_edit.palette().color(QPalette.ColorRole.Base) == window_colour
        assert screen.hours_edit.placeholderText() == "Not given"  # not an example's hours
        ui.window.resize(1920, 1080)
        await wait_until(lambda: screen.form_page.width() == FORM_MAX_WIDTH, what="a bounded form")
        assert screen.save_button.geometry().right() < FORM_MAX_WIDTH  # Save stays by its form
        assert not screen.key_edit.isVisibleTo(screen)
        assert screen.read_only_label.isVisibleTo(screen)
        assert not screen.library_panel.add_button.isVisibleTo(screen.library_panel)
        teams = screen.teams_panel
        await wait_until(lambda: teams.team_list.count() >= 1, what="the teams")
        first = teams.current_team()  # the first team is shown, not an empty form
        assert first is not None
        assert first.id == teams.team_list.item(0).data(Qt.ItemDataRole.UserRole)
        assert teams.name_edit.text() == first.name
        assert len(teams.checked_agent_ids()) == len(first.agent_ids) > 0
        teams.select(workspace.team_id)
        assert teams.read_only_label.isVisibleTo(teams)
        assert not teams.new_button.isVisibleTo(teams)
        assert teams.name_edit.isReadOnly()
        assert not teams.agent_list.item(0).flags() & Qt.ItemFlag.ItemIsUserCheckable
    finally:
        await ui.close()


async def test_admins_edit_teams_and_every_client_follows(workspace: Workspace, tmp_path) -> None:
    ui = await start_as(workspace, tmp_path, ADMIN_EMAIL)
    try:
        ui.window.navigate(NavTarget.INBOXES)
        screen = ui.window.inboxes
        teams = screen.teams_panel
        screen.tabs.setCurrentWidget(teams)
        await wait_until(lambda: teams.is_admin and teams.team_list.count() >= 1, what="teams")
        teams.new_team()
        teams.save()
        assert "name" in teams.status.text()
        teams.name_edit.setText("Vendite Nord e isole, clienti business")
        anna = next(
            row
            for row in range(teams.agent_list.count())
            if teams.agent_list.item(row).data(Qt.ItemDataRole.UserRole) == workspace.agent_id
        )
        teams.agent_list.item(anna).setCheckState(Qt.CheckState.Checked)
        teams.save()
        await wait_until(
            lambda: (t := teams.current_team()) is not None and t.name.startswith("Vendite Nord"),
            what="the new team listed and chosen",
        )
        made = teams.current_team()
        assert made is not None
        assert made.agent_ids == (workspace.agent_id,)
        await wait_until(lambda: screen.team_combo.findData(made.id) >= 0, what="in the combo")

        # another admin's change arrives as team.changed
        await workspace.admin.update_team(made.id, {"name": "Vendite Sud", "agent_ids": []})
        await wait_until(lambda: teams.name_edit.text() == "Vendite Sud", what="live rename")
        assert teams.checked_agent_ids() == []

        teams.confirm_delete()
        assert teams.confirm_box is not None
        click_yes(teams.confirm_box)
        await wait_until(lambda: not teams.select(made.id), what="deleted")
        assert screen.team_combo.findData(made.id) < 0
        names = [team.name for team in await workspace.admin.teams()]
        assert "Vendite Sud" not in names
    finally:
        await ui.close()


def image(folder: Path, name: str, size: tuple[int, int], mode: str = "RGBA") -> Path:
    path = folder / name
    Image.new(mode, size, (200, 30, 30, 0) if mode == "RGBA" else (200, 30, 30)).save(path)
    return path


async def test_library_is_filled_and_live(workspace: Workspace, tmp_path) -> None:
    ui = await start_as(workspace, tmp_path, ADMIN_EMAIL)
    anna_ui = None
    try:
        window = ui.window
        window.navigate(NavTarget.INBOXES)
        panel = window.inboxes.library_panel
        await wait_until(lambda: panel.add_button.isVisibleTo(panel), what="admin tools")
        dialog = window.workspace.composer.show_attachments_dialog()  # open while it changes

        panel.sticker_check.setChecked(True)
        panel.add_files([image(tmp_path, "grande.png", (300, 300))])
        await wait_until(lambda: "512x512" in panel.status_label.text(), what="sticker rule")
        assert window.library.files() == []

        panel.sticker_check.setChecked(False)
        panel.add_files([image(tmp_path, "logo.png", (64, 64), "RGB")])
        sticker = image(tmp_path, "ok.png", (512, 512))
        await wait_until(lambda: len(window.library.files()) == 1, what="logo in the library")
        panel.sticker_check.setChecked(True)
        panel.add_files([sticker])
        await wait_until(lambda: len(window.library.files()) == 2, what="sticker added")
        await wait_until(lambda: dialog.library_model.rowCount() == 2, what="live in the dialog")
        assert {f.kind for f in window.library.files()} == {"image", "sticker"}

        dialog.library.kind_filter.setCurrentIndex(dialog.library.kind_filter.findData("sticker"))
        assert dialog.library.proxy.rowCount() == 1
        dialog.library.search.setText("nothing like it")
        assert dialog.library.proxy.rowCount() == 0
        assert dialog.library.empty_label.isVisibleTo(dialog.library)
        dialog.reject()

        anna_ui = await start_as(workspace, tmp_path / "anna")
        await wait_until(
            lambda: len(anna_ui.window.library.files()) == 2, what="another agent's library"
        )

        browser = panel.browser
        browser.view.selectAll()
        panel.confirm_remove()
        click_yes(panel.confirm_box)
        await wait_until(lambda: window.library.files() == [], what="removed")
        await wait_until(lambda: anna_ui.window.library.files() == [], what="removed live")
    finally:
        if anna_ui is not None:
            await anna_ui.close()
        await ui.close()
