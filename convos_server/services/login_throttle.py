"""Login throttling: failed logins slow down further tries, per account and per client address.

Each key (``account:<email>``, ``address:<ip>``) keeps the times of its failed logins within a
sliding window. Past ``free`` failures the key is locked after each further failure, for a time
that doubles with every failure: ``base_s * 2 ** (failures - free - 1)``, at most ``max_s``.
A login while a key is locked gets 429 with ``Retry-After`` without its password being checked,
and does not count as a failure. Failures leave the window after ``window_s``, so nobody is
locked out for ever; a successful login clears its account's failures (not its address's: an
attacker would mix in logins of their own). Counts live in the server process (each process
counts on its own) and are bounded in number (the oldest key goes first).
"""

from __future__ import annotations

import collections
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from convos_server.errors import ApiError

log = logging.getLogger("convos.auth")


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """Free failures per account and per address, the window, the first and the longest lock.

    ``free`` at 0 disables throttling for that kind of key.
    """

    account_free: int = 5
    address_free: int = 20
    window_s: float = 900.0
    base_s: float = 1.0
    max_s: float = 300.0


class TooManyAttemptsError(ApiError):
    """429 ``too_many_attempts``: wait ``retry_after`` seconds (also the ``Retry-After`` header)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            429,
            "too_many_attempts",
            f"Too many failed logins; try again in {retry_after} s",
            retry_after=retry_after,
        )
        self.headers = {"Retry-After": str(retry_after)}


class LoginThrottle:
    """Counts failed logins per key and tells how long a key must still wait."""

    def __init__(
        self,
        policy: ThrottlePolicy,
        *,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy
        self._max_keys = max_keys
        self._clock = clock
        self._failures: collections.OrderedDict[str, collections.deque[float]] = (
            collections.OrderedDict()
        )

    def check(self, email: str, address: str | None) -> None:
        """Raise ``TooManyAttemptsError`` while the account or the address is locked."""
        wait = max((self._wait(key, free) for key, free in self._keyed(email, address)), default=0)
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            log.info("login refused for %s seconds (throttled)", retry_after)
            raise TooManyAttemptsError(retry_after)

    def failed(self, email: str | None, address: str | None) -> None:
        """Count a failed login for the account and the address (``None``: not that one).

        The login route counts the account's failure before checking the password, so
        guesses sent in parallel are throttled too, and clears it when the password is right;
        the address's failure only when it was wrong (an office behind one address logs in
        many agents at nine).
        """
        now = self._clock()
        for key, free in self._keyed(email, address):
            if free <= 0:
                continue
            times = self._failures.pop(key, None) or collections.deque()
            self._expire(times, now)
            times.append(now)
            self._failures[key] = times
        while len(self._failures) > self._max_keys:
            self._failures.popitem(last=False)

    def succeeded(self, email: str) -> None:
        """Clear the account's failures (the address keeps its own)."""
        self._failures.pop(self._account_key(email), None)

    def _keyed(self, email: str | None, address: str | None) -> list[tuple[str, int]]:
        keyed = []
        if email is not None:
            keyed.append((self._account_key(email), self.policy.account_free))
        if address:
            keyed.append((f"address:{address}", self.policy.address_free))
        return keyed

    @staticmethod
    def _account_key(email: str) -> str:
        return f"account:{email.strip().lower()}"

    def _expire(self, times: collections.deque[float], now: float) -> None:
        while times and times[0] <= now - self.policy.window_s:
            times.popleft()

    def _wait(self, key: str, free: int) -> float:
        """Seconds ``key`` must still wait (0: it may try now)."""
        times = self._failures.get(key)
        if free <= 0 or not times:
            return 0.0
        now = self._clock()
        self._expire(times, now)
        if not times:
            del self._failures[key]
            return 0.0
        over = len(times) - free
        if over <= 0:
            return 0.0
        lock = min(self.policy.max_s, math.ldexp(self.policy.base_s, min(over - 1, 60)))
        return max(0.0, times[-1] + lock - now)
