"""Tray: badge, menu, close-to-tray with presence grace, quit for real, no tray = quit."""

from __future__ import annotations

from PySide6.QtGui import QColor

from convos_desktop.core.types import Status, WindowState
from convos_desktop.ui.shell.tray import Tray, badge_text, tray_icon_image
from tests.desktop.app.conftest import RecordingTrayIcon

BADGE_PIXEL = (48, 4)  # inside the badge's top-right area


def test_badge_text() -> None:
    assert badge_text(0) == ""
    assert badge_text(7) == "7"
    assert badge_text(100) == "99+"


def test_the_badge_is_drawn_only_with_unread(qapp) -> None:
    plain = tray_icon_image(0).toImage()
    badged = tray_icon_image(3).toImage()
    assert plain.pixelColor(*BADGE_PIXEL) != QColor("#d93025")
    assert badged.pixelColor(*BADGE_PIXEL).red() > 200
    assert badged.pixelColor(*BADGE_PIXEL).green() < 80


def test_menu_entries_emit(qtbot) -> None:
    tray = Tray(RecordingTrayIcon())
    with qtbot.waitSignal(tray.openRequested):
        tray.open_action.trigger()
    with qtbot.waitSignal(tray.statusChosen) as chosen:
        tray.status_actions[Status.BUSY].trigger()
    assert chosen.args == [Status.BUSY]
    with qtbot.waitSignal(tray.quitRequested):
        tray.quit_action.trigger()
    tray.set_unread(2)
    assert "2" in tray.icon.toolTip()


def test_a_click_on_a_notification_opens_its_ticket(qtbot) -> None:
    icon = RecordingTrayIcon()
    tray = Tray(icon)
    tray.show_message("Message from Giulia", "Il pacco è rotto", 42)
    with qtbot.waitSignal(tray.ticketRequested) as asked:
        icon.messageClicked.emit()
    assert asked.args == [42]
    tray.show_message("New tickets", "3 new tickets are waiting in Unassigned.")
    with qtbot.waitSignal(tray.openRequested):  # about several: the window
        icon.messageClicked.emit()
    tray.show_message("Ticket back", "…", 7)
    tray.tell_keeps_running()
    with qtbot.waitSignal(tray.openRequested):  # the last balloon is about no ticket
        icon.messageClicked.emit()


def test_closing_hides_to_the_tray_and_the_grace_applies(window, context, clock, qtbot) -> None:
    icon = RecordingTrayIcon()
    window.attach_tray(Tray(icon, window))
    assert icon.shown
    presence = context.presence
    assert presence.effective is Status.ONLINE
    window.close()
    assert not window.isVisible()
    assert presence.machine.inputs.window is WindowState.CLOSED_TO_TRAY
    assert len(icon.messages) == 1  # "Convos keeps running", once
    clock.advance(119)
    assert presence.effective is Status.ONLINE
    clock.advance(2)
    assert presence.effective is Status.UNAVAILABLE
    window.tray.openRequested.emit()
    assert window.isVisible()
    assert presence.machine.inputs.window is WindowState.VISIBLE
    assert presence.effective is Status.ONLINE
    window.close()
    assert len(icon.messages) == 1


def test_minimising_is_not_closing(window, context, qtbot) -> None:
    window.attach_tray(Tray(RecordingTrayIcon(), window))
    window.showMinimized()
    qtbot.wait(50)
    assert context.presence.machine.inputs.window is not WindowState.CLOSED_TO_TRAY


def test_quit_from_the_tray_closes_for_real(window, qtbot) -> None:
    icon = RecordingTrayIcon()
    window.attach_tray(Tray(icon, window))
    with qtbot.waitSignal(window.closed):
        window.tray.quit_action.trigger()
    assert not icon.shown


def test_without_a_tray_closing_quits(window, qtbot) -> None:
    with qtbot.waitSignal(window.closed):
        window.close()


def test_tray_status_goes_to_the_header_and_presence(window, context) -> None:
    window.attach_tray(Tray(RecordingTrayIcon(), window))
    window.tray.status_actions[Status.BUSY].trigger()
    assert window.header.chosen_status() is Status.BUSY
    assert context.presence.machine.inputs.chosen is Status.BUSY
    window.header.statusChosen.emit(Status.ONLINE)
    assert window.tray.status_actions[Status.ONLINE].isChecked()
