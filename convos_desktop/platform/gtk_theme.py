"""Qt's GTK platform theme without GTK's OpenGL: GDK_GL=disable while the QApplication is built.

On GNOME, Xfce, Cinnamon, MATE and Unity desktops Qt loads its ``gtk3`` platform theme (the
desktop's font, palette and hints, the native save dialog), whose constructor runs
``gtk_init``. GDK then opens its own display and, on X11, initialises OpenGL to choose its
visuals: Mesa's driver is loaded into the app (under Xvfb: llvmpipe, ``libLLVM`` 43 MiB and
``swrast_dri`` 4 MiB resident; on a real GPU its own driver). Nothing GTK draws for this app
uses OpenGL (theme settings and a file dialog, drawn with cairo), so GDK is told not to:
``benchmarks.client_memory`` on xcb under Xvfb with ``XDG_CURRENT_DESKTOP=GNOME`` 169.1 ->
117.3 MiB, a one-label app 124 -> 72 MiB, the same font, palette and style hints (issue 16).

GDK reads the variable once, in ``gtk_init``: it is removed again once the application is
built, so that what the app starts later (``xdg-open`` and the program it opens) does not
inherit it. A ``GDK_GL`` the user set is left as it is.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

GDK_GL = "GDK_GL"
GDK_GL_OFF = "disable"


@contextmanager
def gtk_without_gl() -> Iterator[None]:
    """``GDK_GL=disable`` in the environment for the ``with`` block (build the QApplication
    in it), unless the user set ``GDK_GL``; removed again after."""
    if GDK_GL in os.environ:
        yield
        return
    os.environ[GDK_GL] = GDK_GL_OFF
    try:
        yield
    finally:
        os.environ.pop(GDK_GL, None)
