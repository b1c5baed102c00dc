"""``python -m convos_desktop``: the same as the ``convos-desktop`` command."""

from convos_desktop.app import main

raise SystemExit(main())
