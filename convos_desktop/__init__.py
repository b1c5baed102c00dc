"""Convos Desktop: the native PySide6 client for customer-service agents.

Importing the package keeps httpx's command-line tool out of the process: ``import httpx``
loads ``httpx._main`` (click, rich, pygments: ~9 MiB resident) whenever those happen to be
installed, and the app never runs it. Marking the module absent makes httpx take its own
``ImportError`` fallback (its ``httpx.main`` then only says the CLI is not installed).
"""

import sys

__version__ = "0.1.0"

if "httpx" not in sys.modules:
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
