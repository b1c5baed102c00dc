"""Qt's raster painting on the GUI thread alone: ``QT_NO_GUI_THREADPOOL=1`` before Qt paints.

Qt 6's raster paint engine (every widget on every platform paints with it into the window's
backing store) hands each fill of 96 or more spans to its GUI thread pool, one task per 64
lines, and waits for them on a semaphore: a scroll bar's groove (its whole height, redrawn as
its handle moves), the strip a table scroll exposes, a row's background. For fills that small
the hand-off costs more than the fill, and on a busy machine the GUI thread waits until the
pool's threads get a core. Measured on the history tables' scroll (issue 16,
``benchmarks.history_screens``, 2 cores shared with other work): the step's median 4.7-5.4 ms
with the pool, 3.5 without, and fewer slow steps. With the variable set Qt never builds that
pool and fills on the calling thread (``QGuiApplicationPrivate::qtGuiThreadPool`` answers
none).

Qt reads the variable once, at the first such fill: it is set before the ``QApplication`` is
built and stays set (a program the app starts inherits it; its fills stay serial too). A value
the user set is left as it is.
"""

from __future__ import annotations

import os

NO_GUI_THREADPOOL = "QT_NO_GUI_THREADPOOL"


def serial_raster_fills() -> None:
    """Qt's raster fills on the painting thread, without its GUI thread pool (see above)."""
    os.environ.setdefault(NO_GUI_THREADPOOL, "1")
