"""The PyInstaller bundle's entry point (see ``build_installer.spec``).

The bundle has no Python interpreter to run ``python -m convos_server`` with, so the embedded
demo (which starts ``sys.executable -m convos_server demo ...``) comes back here: those
arguments run the server's command line, present only in a bundle built with the demo
(``CONVOS_BUNDLE_DEMO=1``). Anything else is the app.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

SERVER_ARGUMENTS = ("-m", "convos_server")


def main(argv: Sequence[str]) -> int:
    """Run the server's CLI for ``-m convos_server ...``, else the app."""
    if tuple(argv[:2]) == SERVER_ARGUMENTS:
        try:
            from convos_server.cli import main as server_main
        except ImportError:
            print("this Convos Desktop was built without the demo server", file=sys.stderr)
            return 2
        server_main(list(argv[2:]))
        return 0
    from convos_desktop.app import main as app_main

    return app_main(list(argv))


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
