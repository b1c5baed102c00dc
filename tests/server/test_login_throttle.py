"""Login throttling: wrong passwords slow down, then 429 with Retry-After; nobody for ever."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from convos_server.services.login_throttle import (
    LoginThrottle,
    ThrottlePolicy,
    TooManyAttemptsError,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def retry_after(throttle: LoginThrottle, email: str, address: str | None = "10.0.0.1") -> int:
    """0 when a login may be tried now, else the seconds the throttle asks to wait."""
    try:
        throttle.check(email, address)
    except TooManyAttemptsError as exc:
        refusal = exc
    else:
        return 0
    assert refusal.headers == {"Retry-After": str(refusal.extra["retry_after"])}
    return int(refusal.extra["retry_after"])


def test_locks_double_after_the_free_failures_up_to_the_longest():
    clock = FakeClock()
    throttle = LoginThrottle(ThrottlePolicy(account_free=3, max_s=10), clock=clock)
    waits = []
    for _ in range(8):
        waits.append(retry_after(throttle, "anna@x"))
        clock.now += waits[-1]
        throttle.failed("anna@x", "10.0.0.1")
    waits.append(retry_after(throttle, "anna@x"))
    assert waits == [0, 0, 0, 0, 1, 2, 4, 8, 10]
    assert retry_after(throttle, "ANNA@x ") == 10  # the same account however typed
    assert retry_after(throttle, "bruno@x") == 0


def test_failures_leave_the_window_and_a_success_clears_the_account():
    clock = FakeClock()
    throttle = LoginThrottle(ThrottlePolicy(account_free=2, window_s=60), clock=clock)
    for _ in range(5):
        throttle.failed("anna@x", None)
    assert retry_after(throttle, "anna@x", None) > 0
    clock.now += 60
    assert retry_after(throttle, "anna@x", None) == 0
    for _ in range(3):
        throttle.failed("anna@x", None)
    throttle.succeeded("anna@x")
    throttle.failed("anna@x", None)
    assert retry_after(throttle, "anna@x", None) == 0


def test_an_address_trying_many_accounts_is_throttled_alone():
    clock = FakeClock()
    throttle = LoginThrottle(ThrottlePolicy(address_free=4), clock=clock)
    for index in range(5):
        throttle.failed(f"user{index}@x", "10.0.0.9")
    assert retry_after(throttle, "someone@x", "10.0.0.9") == 1
    assert retry_after(throttle, "someone@x", "10.0.0.2") == 0


def test_zero_free_failures_turns_throttling_off():
    throttle = LoginThrottle(ThrottlePolicy(account_free=0, address_free=0), clock=FakeClock())
    for _ in range(50):
        throttle.failed("anna@x", "10.0.0.1")
    assert retry_after(throttle, "anna@x") == 0


# --- over HTTP ------------------------------------------------------------------------------


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"login_address_free": 8}


@pytest.fixture
async def from_address(app: FastAPI) -> AsyncIterator[Any]:
    """``from_address(ip)``: an HTTP client whose requests come from ``ip``."""
    clients: list[httpx.AsyncClient] = []

    def make(ip: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(ip, 40000))
        client = httpx.AsyncClient(transport=transport, base_url="http://test")
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


async def login(http: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await http.post("/api/v1/auth/login", json={"email": email, "password": password})


@pytest.mark.parametrize("settings_overrides", [{"login_first_lock_s": 30.0}])
async def test_thirty_wrong_passwords_get_429_with_retry_after(ws, from_address):
    await ws.agent("Anna")
    attacker = from_address("10.0.0.9")
    answers = [await login(attacker, "anna@convos.test", f"guess{i}") for i in range(30)]
    statuses = [answer.status_code for answer in answers]
    assert statuses == [401] * 6 + [429] * 24
    refused = answers[-1]
    assert refused.json()["code"] == "too_many_attempts"
    assert 1 <= refused.json()["retry_after"] <= 30
    assert refused.headers["Retry-After"] == str(refused.json()["retry_after"])
    # The owner, elsewhere, waits as well while the account is locked.
    assert (await login(from_address("10.0.0.2"), "anna@convos.test", "pw")).status_code == 429


@pytest.mark.parametrize(
    "settings_overrides", [{"login_first_lock_s": 30.0, "login_window_s": 2.0}]
)
async def test_a_lock_ends_when_the_failures_leave_the_window(ws, from_address):
    await ws.agent("Anna")
    attacker = from_address("10.0.0.9")
    for attempt in range(6):
        await login(attacker, "anna@convos.test", f"guess{attempt}")
    await asyncio.sleep(2.2)
    assert (await login(from_address("10.0.0.2"), "anna@convos.test", "pw")).status_code == 200


async def test_a_successful_login_resets_the_account(ws, from_address):
    await ws.agent("Anna")
    http = from_address("10.0.0.3")
    for _ in range(2):
        for attempt in range(4):
            assert (await login(http, "anna@convos.test", f"no{attempt}")).status_code == 401
        assert (await login(http, "anna@convos.test", "pw")).status_code == 200


async def test_many_agents_log_in_at_once_from_one_address(ws, from_address):
    emails = [f"agent{index}@convos.test" for index in range(30)]
    for email in emails:
        await ws.call("POST", "/agents", json={"name": email, "email": email, "password": "pw"})
    office = from_address("10.0.0.4")
    answers = await asyncio.gather(*(login(office, email, "pw") for email in emails))
    assert [answer.status_code for answer in answers] == [200] * 30


async def test_one_address_trying_many_accounts_is_refused(ws, from_address):
    scanner = from_address("10.0.0.7")
    statuses = [
        (await login(scanner, f"user{index}@convos.test", "x")).status_code for index in range(10)
    ]
    assert statuses[:8] == [401] * 8
    assert 429 in statuses[8:]
    assert (await login(from_address("10.0.0.8"), "user9@convos.test", "x")).status_code == 401
