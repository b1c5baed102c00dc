"""``python -m convos_server`` is ``convos-server``."""

from convos_server.cli import main

main()
