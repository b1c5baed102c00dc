"""HAProxy from the project's ``deploy/haproxy.cfg`` in front of server processes.

The shipped file takes its listen address, its two ``server`` lines and ``maxconn`` from the
environment (``CONVOS_LISTEN``, ``CONVOS_SERVER1``, ``CONVOS_SERVER2``, ``CONVOS_MAXCONN``):
``HAProxy`` starts it in the foreground on a free loopback port. With one server address, both
lines point at it (one process behind the balancer). Every answer names its server in
``X-Convos-Server`` (``convos1``, ``convos2``). The scale-out benchmark and the balancer
end-to-end test use it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Sequence
from pathlib import Path

CONFIG = Path(__file__).resolve().parent.parent / "deploy" / "haproxy.cfg"
SERVER_HEADER = "x-convos-server"


def haproxy_path() -> str | None:
    """HAProxy's executable (``./run`` installs it on Debian), or None."""
    found = shutil.which("haproxy")
    if found is None and Path("/usr/sbin/haproxy").exists():
        found = "/usr/sbin/haproxy"
    return found


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class HAProxy:
    """``haproxy -db -f deploy/haproxy.cfg`` in front of ``servers`` (``host:port`` each)."""

    def __init__(self, servers: Sequence[str], log: Path, maxconn: int = 4000) -> None:
        executable = haproxy_path()
        if executable is None:
            raise RuntimeError("HAProxy is not installed")
        if not 1 <= len(servers) <= 2:
            raise ValueError("deploy/haproxy.cfg has two server lines")
        self.server_lines = {"convos1": servers[0], "convos2": servers[-1]}  # name: address
        self.address = f"127.0.0.1:{free_port()}"
        self.url = f"http://{self.address}"
        environment = {
            "CONVOS_LISTEN": self.address,
            "CONVOS_MAXCONN": str(maxconn),  # HAProxy needs ~2 open files per connection
            "CONVOS_SERVER1": servers[0],
            "CONVOS_SERVER2": servers[-1],
        }
        with log.open("a", encoding="utf-8") as out:
            self._process = subprocess.Popen(
                [executable, "-db", "-f", str(CONFIG)],
                stdout=out,
                stderr=out,
                env=dict(os.environ, **environment),
            )

    @property
    def pid(self) -> int:
        """HAProxy's process id (for its CPU time)."""
        return self._process.pid

    def close(self) -> None:
        """Stop HAProxy (SIGTERM, SIGKILL after 10 s)."""
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
