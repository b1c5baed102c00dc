"""Reproducible benchmarks with their targets.

Each benchmark is one module with a ``main(argv)`` entry point, run as
``python -m benchmarks.<name> [--smoke] [--runs N] [--json PATH] [...]``; it prints every figure
beside its target with PASS or MISS (``INFO`` for figures without a target). ``python -m
benchmarks`` runs every module named in ``benchmarks.__main__.BENCHMARKS``; client benchmarks
slot in by adding their module there.

Server benchmarks start the server in its own process (``python -m convos_server serve
--port 0``) and generate load from this process (wrk for plain requests, an asyncio load
generator in ``benchmarks._loadgen`` for intake and event streams). Shared pieces (statistics,
server process, workspace set-up, reporting) live in ``benchmarks._common``. The latest
figures and how they were taken are in ``benchmarks/RESULTS.md``.
"""
