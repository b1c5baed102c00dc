"""Convos Desktop entry point: QApplication + one qasync loop, command line, wiring only.

``convos-desktop`` signs in with the saved profile (or shows the login dialog);
``convos-desktop --demo`` starts the embedded demo server on a free loopback port, signs in
as its demo agent and opens the workspace; ``--server URL`` pre-fills the login.

Quitting (the tray's Quit, closing the window without a tray, SIGINT or SIGTERM) always goes
the same way: drafts flushed, ``unavailable`` reported when the server answers, the core
stopped, the demo server stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, cast

import qasync
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QMessageBox, QSystemTrayIcon

from convos_desktop.core.drafts import Drafts
from convos_desktop.core.outbox import Outbox
from convos_desktop.core.presence import PresenceDriver
from convos_desktop.core.session import (
    Profile,
    ProfileList,
    Session,
    has_keyring,
    login,
    resume,
)
from convos_desktop.core.store import Store
from convos_desktop.core.sync import Sync
from convos_desktop.core.types import Screen
from convos_desktop.embedded_demo import DemoServer, start_demo_server
from convos_desktop.logs import ExceptionHook, install_qt_message_filter, setup_logging
from convos_desktop.models.directory import Directory
from convos_desktop.models.navigation import NavTarget
from convos_desktop.platform.gtk_theme import gtk_without_gl
from convos_desktop.platform.memory_trim import (
    fix_mmap_threshold,
    release_source_lines,
)
from convos_desktop.platform.power_events import PowerWatcher
from convos_desktop.platform.quit_signals import QuitSignals
from convos_desktop.platform.raster_threads import serial_raster_fills
from convos_desktop.platform.session_watcher import SessionWatcher
from convos_desktop.product import (
    add_product_arguments,
    apply_saved_preferences,
    bring_forward,
    claim_instance,
    open_named_ticket,
    show_uncaught,
)
from convos_desktop.ui.chat.thumbnails import ThumbnailCache
from convos_desktop.ui.context import ClientContext
from convos_desktop.ui.i18n import install_translators
from convos_desktop.ui.shell.main_window import MainWindow
from convos_desktop.ui.shell.tray import Tray
from convos_desktop.ui.theme import apply_theme

# Screens whose requests may still run at quit (built only once opened: see MainWindow.screen_of;
# named by their place, so their modules are imported only when one is built).
SCREENS_WITH_REQUESTS = frozenset(
    {
        NavTarget.NEW_TICKET,
        NavTarget.PERFORMANCE,
        NavTarget.TICKETS,
        NavTarget.CONVERSATIONS,
        NavTarget.MENTIONS,
    }
)

log = logging.getLogger("convos.app")


class ScreenWithRequests(Protocol):
    """A screen of ``SCREENS_WITH_REQUESTS``: its requests in flight end at quit."""

    async def shutdown(self) -> None: ...


DEMO_DEVICE = "Convos Desktop demo"
SHUTDOWN_WAIT_S = 5.0  # how long quitting waits for the screens' requests in flight
LEAVING_WAIT_S = 5.0  # how long quitting waits to tell the server the agent left (a busy
# machine answered in more than 2 s once; the server's TTL covers a failure anyway)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="convos-desktop", description=__doc__)
    parser.add_argument("--demo", action="store_true", help="start and use the demo server")
    parser.add_argument("--server", help="server address to sign in to")
    parser.add_argument("--lang", choices=("it", "en"), help="UI language (default: system)")
    parser.add_argument("--verbose", "-v", action="store_true", help="debug logging")
    add_product_arguments(parser)
    return parser.parse_args(list(argv))


async def show_error(text: str) -> None:
    """A modeless error box awaited on the loop (never ``exec()`` inside a coroutine)."""
    box = QMessageBox(QMessageBox.Icon.Critical, "Convos", text)
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def finished(_code: int) -> None:
        if not done.done():
            done.set_result(None)

    box.finished.connect(finished)
    box.open()
    await done


class Application:
    """One run of the app: sign in, build the core and the window, tear down on close."""

    def __init__(self, args: argparse.Namespace, settings: QSettings, language: str) -> None:
        self._args = args
        self._settings = settings
        self._language = language
        self._demo: DemoServer | None = None
        self._temp: tempfile.TemporaryDirectory[str] | None = None
        self._task: asyncio.Task[Any] | None = None
        self._quit_requested = False
        self.window: MainWindow | None = None

    async def run(self) -> int:
        self._task = asyncio.current_task()
        try:
            return await self._run()
        except asyncio.CancelledError:
            if not self._quit_requested or self._task is None:
                raise
            self._task.uncancel()
            log.info("quit before the workspace opened")
            return 0
        finally:
            await self._stop_demo()

    def request_quit(self) -> None:
        """Quit for real (a signal, the tray's Quit): through the window when there is one."""
        if self._quit_requested:
            return
        self._quit_requested = True
        if self.window is not None:
            self.window.quit()
        elif self._task is not None:
            self._task.cancel()

    async def _run(self) -> int:
        try:
            signed_in = await self._sign_in()
        except Exception as exc:  # a demo that cannot start: say it and stop
            log.exception("could not start")
            await show_error(str(exc))
            return 1
        if signed_in is None:
            return 0
        return await self._run_session(signed_in)

    async def _sign_in(self) -> Session | None:
        if self._args.demo:
            from convos_desktop.ui.shell.demo_splash import DemoStartingWindow

            starting = DemoStartingWindow()  # at once: the server takes seconds to start
            starting.show()
            log.info("demo: starting window shown")
            try:
                self._temp = tempfile.TemporaryDirectory(prefix="convos-demo-")
                self._demo = await start_demo_server(Path(self._temp.name) / "server")
                credentials = self._demo.credentials
                demo = Profile("Demo", self._demo.url, credentials.email)
                return await login(demo, credentials.password, DEMO_DEVICE, remember=False)
            finally:
                starting.close()
                starting.deleteLater()
        profiles = ProfileList().load()
        wanted = self._args.server
        profile = next(
            (p for p in reversed(profiles) if not wanted or p.server_url == wanted.rstrip("/")),
            None,
        )
        if profile is not None:
            session = await resume(profile)
            if session is not None:
                return session
        return await self._ask_login(profile, wanted)

    async def _ask_login(self, profile: Profile | None, server: str | None) -> Session | None:
        from convos_desktop.ui.shell.login_dialog import LoginDialog

        result: asyncio.Future[Session | None] = asyncio.get_running_loop().create_future()
        dialog = LoginDialog(profile)
        if server and profile is None:
            dialog.server.setText(server)
        dialog.set_keyring_available(await has_keyring())

        def logged_in(session: Session, remember: bool) -> None:
            if remember:
                ProfileList().add(session.profile)
            if not result.done():
                result.set_result(session)

        dialog.loggedIn.connect(logged_in)

        def cancelled() -> None:
            if not result.done():
                result.set_result(None)

        dialog.rejected.connect(cancelled)
        dialog.open()
        return await result

    async def _run_session(self, session: Session) -> int:
        cache = (
            Path(self._temp.name) / "cache.sqlite3"
            if self._temp is not None
            else session.profile.cache_path()
        )
        context = build_context(session, cache, self._settings)
        window = open_window(context, self._language)
        if self._demo is not None:
            from convos_desktop.ui.shell.demo_splash import demo_window_title

            window.setWindowTitle(demo_window_title(window.windowTitle()))
        self.window = window
        open_named_ticket(window, self._args)
        closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def on_closed() -> None:
            if not closed.done():
                closed.set_result(None)

        window.closed.connect(on_closed)
        log.info("workspace open on %s", session.profile.server_url)
        await closed
        await shut_down(context, window)
        await session.close()
        return 0

    async def _stop_demo(self) -> None:
        if self._demo is not None:
            await self._demo.stop()
            self._demo = None
        if self._temp is not None:
            self._temp.cleanup()
            self._temp = None


def build_context(session: Session, cache: Path, settings: QSettings) -> ClientContext:
    """The core services of one signed-in session, over the cache file ``cache``."""
    release_source_lines()  # the app is imported: the sources its import read are not needed
    fix_mmap_threshold()  # also in main, before Qt allocates; here for embedders and benchmarks
    api = session.api
    store = Store(cache)
    sync = Sync(store, api)
    directory = Directory(load_contact=store.contact)
    me = session.me or store.me()
    if me is not None:
        directory.set_me(me)
    return ClientContext(
        api=api,
        store=store,
        sync=sync,
        outbox=Outbox(store, api, sync),
        drafts=Drafts(store),
        presence=PresenceDriver(api.put_presence),
        directory=directory,
        thumbnails=ThumbnailCache(api.file_bytes),
        settings=settings,
    )


def open_window(context: ClientContext, language: str) -> MainWindow:
    """Show the main window over the cache (with a tray icon when the system has a tray),
    then connect: stream, outbox, presence; freed C heap goes back to the system each minute."""
    window = MainWindow(context)
    if QSystemTrayIcon.isSystemTrayAvailable():
        window.attach_tray(Tray(QSystemTrayIcon(window), window))
    else:
        log.info("no system tray: closing the window quits")
    window.workspace.composer.set_language(language)
    window.set_new_ticket_language(language)
    window.popouts.set_language(language)
    context.sync.auth_failed.connect(window.quit)
    window.show()
    window.popouts.restore()  # the conversations in their own windows at the last quit
    context.sync.start()
    context.outbox.start()
    context.presence.start()
    SessionWatcher(context.presence, window).start()
    PowerWatcher(context.presence, window).start(window)
    window.memory.start()
    return window


async def shut_down(context: ClientContext, window: MainWindow) -> None:
    """Save drafts, tell the server the agent left, stop the core and close the cache."""
    await window.stop_memory_work()  # the idle release reads the cache: not from now on
    await window.popouts.shutdown()  # remembered for the next start, closed now
    await window.workspace.shutdown()
    await window.files.shutdown()
    window.library.stop()
    try:  # requests still in flight end (cancelled ones behind a proxy can hang anyio under qasync)
        async with asyncio.timeout(SHUTDOWN_WAIT_S):
            await window.library.wait_idle()
            # the screens opened in this session
            for screen in window.built_screens(SCREENS_WITH_REQUESTS):
                await cast(ScreenWithRequests, screen).shutdown()
            await window.commands.shutdown()
    except TimeoutError:
        log.warning("requests of the screens still running at quit: left behind")
    context.presence.stop()
    try:
        async with asyncio.timeout(LEAVING_WAIT_S):
            await context.api.put_presence(context.presence.machine.inputs.chosen, Screen.OTHER)
        log.info("reported leaving (unavailable)")
    except Exception as exc:  # best effort: the server's TTL covers a failure
        log.info("could not report leaving: %r", exc)
    await context.drafts.flush()
    await context.live.stop()
    await context.outbox.stop()
    await context.sync.stop()
    context.store.close()


def qt_application(argv: list[str]) -> QApplication:
    """The process's QApplication: glibc's mmap threshold fixed before Qt allocates, Qt's
    raster fills on the GUI thread (see ``raster_threads``), Qt's GTK platform theme (GNOME,
    Xfce...) loaded without GTK's OpenGL (see ``gtk_theme``)."""
    fix_mmap_threshold()
    serial_raster_fills()
    with gtk_without_gl():
        app = QApplication.instance() or QApplication(argv)
    assert isinstance(app, QApplication)
    return app


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.self_check:
        from convos_desktop.self_check import self_check

        return self_check()
    log_file = setup_logging(args.verbose)
    install_qt_message_filter()
    app = qt_application(sys.argv[:1])
    app.setOrganizationName("Convos")
    app.setApplicationName("Convos Desktop")
    app.setQuitOnLastWindowClosed(False)
    ExceptionHook(show_uncaught, log_file).install()
    apply_saved_preferences(args, QSettings())
    language = install_translators(app, args.lang)
    apply_theme(app)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    instance = claim_instance(args, app)
    if instance is None:
        return 0
    application = Application(args, QSettings(), language)
    instance.activated.connect(lambda ticket: bring_forward(application.window, ticket))
    quit_signals = QuitSignals()
    quit_signals.received.connect(lambda _number: application.request_quit())
    try:
        with loop:
            code: int = loop.run_until_complete(application.run())
    finally:
        quit_signals.close()
    return code
