"""Convos Desktop: the native PySide6 client for customer-service agents.

Importing the package keeps httpx's command-line tool out of the process: ``import httpx``
loads ``httpx._main`` (click, rich, pygments: ~9 MiB resident) whenever those happen to be
installed, and the app never runs it. Marking the module absent makes httpx take its own
``ImportError`` fallback (its ``httpx.main`` then only says the CLI is not installed).

It also changes how PySide6 learns whether a module uses it: PySide6's ``__feature__`` hook
(``shibokensupport.feature._mod_uses_pyside``) runs ``inspect.getsource`` on every module
imported after PySide6, and ``linecache`` keeps every line it read (~124,000 lines). Emptying
``linecache`` later gives the strings back to Python but not the heap they fragmented: the
client imported at 81.4 MiB that way and at 72.4 MiB when the same test ("PySide6" in the
module's text) reads the file without caching it (``benchmarks.client_memory``, issue 16).
"""

import sys
from types import ModuleType

__version__ = "0.1.0"

if "httpx" not in sys.modules:
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]


def _read_sources_uncached() -> None:
    """Replace PySide6's source test by one that reads the file without ``linecache``;
    nothing changes when PySide6 has no such hook (another version)."""
    import PySide6  # noqa: F401  (sets up shibokensupport)

    feature = sys.modules.get("shibokensupport.feature")
    original = getattr(feature, "_mod_uses_pyside", None)
    if feature is None or original is None or getattr(original, "convos_uncached", False):
        return

    def uses_pyside(module: ModuleType) -> bool:
        path = getattr(module, "__file__", None)
        if not (isinstance(path, str) and path.endswith(".py")):
            return bool(original(module))
        try:
            with open(path, encoding="utf-8") as source:
                return "PySide6" in source.read()
        except (OSError, UnicodeDecodeError):  # as inspect.getsource's failures: no
            return False

    uses_pyside.convos_uncached = True  # type: ignore[attr-defined]
    feature._mod_uses_pyside = uses_pyside  # type: ignore[attr-defined]


_read_sources_uncached()
