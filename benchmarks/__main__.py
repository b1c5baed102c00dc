"""``python -m benchmarks``: every benchmark in turn with the shared options.

``BENCHMARKS`` lists the modules in the order they run; a new benchmark (the client ones
too) is one more module name here. ``CACHE_BENCHMARKS`` follow them: they start no server,
so ``--database-url`` is not passed to them; ``POSTGRES_BENCHMARKS`` run only with
``--database-url`` (several server processes need PostgreSQL). Options specific to one
benchmark are given by running that module alone.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

from benchmarks._common import option_parser

BENCHMARKS = [
    "benchmarks.server_requests",
    "benchmarks.server_intake",
    "benchmarks.server_fanout",
    "benchmarks.server_floor",
    "benchmarks.client_live",
    "benchmarks.client_shift",
    "benchmarks.history_screens",
]
CACHE_BENCHMARKS = ["benchmarks.client_cache"]
# Several server processes: PostgreSQL only, run when --database-url is given.
POSTGRES_BENCHMARKS = ["benchmarks.scale_out"]


def shared_arguments(argv: Sequence[str] | None) -> list[str]:
    """The shared options as given, checked, ready to pass to each benchmark."""
    options = option_parser("benchmarks", __doc__ or "").parse_args(argv)
    if options.profile is not None:
        raise SystemExit("--profile records one benchmark: run that module alone")
    arguments = ["--smoke"] if options.smoke else []
    if options.runs is not None:
        arguments += ["--runs", str(options.runs)]
    if options.database_url:
        arguments += ["--database-url", options.database_url]
    if options.json is not None:
        arguments += ["--json", str(options.json)]
    return arguments


def main(argv: Sequence[str] | None = None) -> int:
    """Run every benchmark; the exit status is the first non-zero one (0 when all ran)."""
    arguments = shared_arguments(argv)
    status = 0
    for name in BENCHMARKS:
        module = importlib.import_module(name)
        status = status or module.main(arguments)
    if "--database-url" in arguments:
        for name in POSTGRES_BENCHMARKS:
            module = importlib.import_module(name)
            status = status or module.main(arguments)
    without_database = without_database_url(arguments)
    for name in CACHE_BENCHMARKS:
        module = importlib.import_module(name)
        status = status or module.main(without_database)
    return status


def without_database_url(arguments: list[str]) -> list[str]:
    """``arguments`` without ``--database-url`` and its value."""
    if "--database-url" not in arguments:
        return arguments
    at = arguments.index("--database-url")
    return arguments[:at] + arguments[at + 2 :]


if __name__ == "__main__":
    raise SystemExit(main())
