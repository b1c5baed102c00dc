"""Starting coroutines from Qt slots: tracked tasks, errors logged and turned into text."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QCoreApplication

from convos_desktop.core.api import ApiError, ServerUnreachableError
from convos_desktop.ui.errors import error_sentence

log = logging.getLogger("convos.ui")


def describe_error(exc: BaseException) -> str:
    """A sentence for the agent about why something failed."""
    tr = QCoreApplication.translate
    if isinstance(exc, ServerUnreachableError):
        return tr("Errors", "The server cannot be reached. Check the connection and try again.")
    if isinstance(exc, ApiError):
        return error_sentence(exc.code, exc.message)
    return str(exc) or type(exc).__name__


class TaskRunner:
    """Runs coroutines on the app's loop and keeps them referenced until they finish."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def run(
        self,
        coroutine: Coroutine[Any, Any, Any],
        *,
        on_error: Callable[[str], None] | None = None,
    ) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)

        def finished(done: asyncio.Task[Any]) -> None:
            self._tasks.discard(done)
            if done.cancelled():
                return
            exc = done.exception()
            if exc is None:
                return
            if isinstance(exc, ApiError):
                log.info("action failed: %s", exc)
            else:
                log.error("action failed", exc_info=exc)
            if on_error is not None:
                on_error(describe_error(exc))

        task.add_done_callback(finished)
        return task

    async def wait_idle(self) -> None:
        while pending := [t for t in self._tasks if not t.done()]:
            await asyncio.gather(*pending, return_exceptions=True)

    def cancel_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()
