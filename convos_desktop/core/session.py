"""Login, logout and server profiles; the token lives only in the OS keyring.

A :class:`Profile` is ``{name, server_url, email}``; the list is a small JSON file in the
config dir (no secrets). The bearer token is stored with ``keyring`` (service
``convos-desktop``, user ``<server-url>|<email>``); keyring calls run in an executor because
they can block (D-Bus, a locked wallet); ``keyring`` itself (~4 MiB with its backends) is
imported by those calls, on the executor thread, not with this module.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TypeVar

from convos_desktop.core.api import ApiClient, AuthError, ServerUnreachableError
from convos_desktop.core.folders import user_config_dir
from convos_desktop.core.store import default_cache_path, profile_key
from convos_desktop.core.types import Agent

log = logging.getLogger("convos.session")

KEYRING_SERVICE = "convos-desktop"
APP_NAME = "convos-desktop"

R = TypeVar("R")


class ProfileError(ValueError):
    """A profile is malformed (empty name, bad URL, ...)."""


@dataclass(frozen=True, slots=True)
class Profile:
    """A server account the app knows: where, and who (never the password or token)."""

    name: str
    server_url: str
    email: str

    @property
    def key(self) -> str:
        """File-name-safe key of this login (its cache folder)."""
        return profile_key(self.server_url, self.email)

    @property
    def keyring_user(self) -> str:
        """The keyring user name of this login's token."""
        return f"{self.server_url.rstrip('/')}|{self.email}"

    def cache_path(self) -> Path:
        """The default SQLite cache file of this profile."""
        return default_cache_path(self.key)


def validate_profile(profile: Profile) -> Profile:
    """Return ``profile`` with a normalised URL, or raise :class:`ProfileError`."""
    url = profile.server_url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")) or len(url.split("://", 1)[1]) == 0:
        raise ProfileError(f"server address must start with http:// or https://: {url!r}")
    if "@" not in profile.email:
        raise ProfileError(f"not an e-mail address: {profile.email!r}")
    name = profile.name.strip() or url.split("://", 1)[1]
    return Profile(name, url, profile.email.strip())


class ProfileList:
    """The JSON file of known profiles (``<config dir>/profiles.json`` by default)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or Path(user_config_dir(APP_NAME)) / "profiles.json"

    def load(self) -> list[Profile]:
        """The saved profiles (an unreadable file is logged and treated as empty)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return [Profile(p["name"], p["server_url"], p["email"]) for p in data["profiles"]]
        except FileNotFoundError:
            return []
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("ignoring unreadable profile list %s: %r", self.path, exc)
            return []

    def save(self, profiles: list[Profile]) -> None:
        """Write the list atomically."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(
            json.dumps({"profiles": [asdict(p) for p in profiles]}, indent=2), encoding="utf-8"
        )
        tmp.replace(self.path)

    def add(self, profile: Profile) -> list[Profile]:
        """Add or replace (same server and email) a profile; return the new list."""
        profile = validate_profile(profile)
        profiles = [p for p in self.load() if p.key != profile.key] + [profile]
        self.save(profiles)
        return profiles

    def remove(self, profile: Profile) -> list[Profile]:
        """Remove a profile; return the new list."""
        profiles = [p for p in self.load() if p.key != profile.key]
        self.save(profiles)
        return profiles


async def _in_executor(call: Callable[[], R]) -> R:
    return await asyncio.get_running_loop().run_in_executor(None, call)


def keyring_available() -> bool:
    """Whether the system has a keyring to keep the token in (blocking: it may ask D-Bus).

    ``keyring`` falls back to a backend of priority 0 or less ("fail", "null") when there
    is none: a login then cannot be remembered.
    """
    import keyring.errors

    try:
        backend = keyring.get_keyring()
    except keyring.errors.KeyringError as exc:
        log.info("no keyring: %s", exc)
        return False
    return float(getattr(backend, "priority", 0)) > 0


async def has_keyring() -> bool:
    """:func:`keyring_available`, off the GUI thread."""
    return await _in_executor(keyring_available)


async def load_token(profile: Profile) -> str | None:
    """The saved token of a profile, if any (``None`` too when the system has no keyring)."""

    def load() -> str | None:
        import keyring.errors

        try:
            return keyring.get_password(KEYRING_SERVICE, profile.keyring_user)
        except keyring.errors.KeyringError as exc:
            log.warning("no usable keyring, no saved login: %s", exc)
            return None

    return await _in_executor(load)


async def save_token(profile: Profile, token: str) -> bool:
    """Save a profile's token in the keyring; ``False`` when the system has no usable keyring.

    Without a keyring the token lives only in memory: never in a file or QSettings.
    """

    def save() -> bool:
        import keyring.errors

        try:
            keyring.set_password(KEYRING_SERVICE, profile.keyring_user, token)
        except keyring.errors.KeyringError as exc:
            log.warning("no usable keyring, the login is not remembered: %s", exc)
            return False
        return True

    return await _in_executor(save)


async def delete_token(profile: Profile) -> None:
    """Forget a profile's token (no error if there is none, or no keyring)."""

    def delete() -> None:
        import keyring.errors

        with contextlib.suppress(keyring.errors.KeyringError):
            keyring.delete_password(KEYRING_SERVICE, profile.keyring_user)

    await _in_executor(delete)


@dataclass
class Session:
    """A logged-in profile: its API client and the agent."""

    profile: Profile
    api: ApiClient
    me: Agent | None
    remembered: bool = False  # the token is in the keyring for the next start

    async def close(self) -> None:
        """Close the connection pool (the token stays saved)."""
        await self.api.aclose()


async def login(
    profile: Profile, password: str, device: str | None = None, *, remember: bool = True
) -> Session:
    """Log in with a password; with ``remember``, save the token in the keyring.

    Raises ApiError subclasses. ``Session.remembered`` tells whether the token was saved (a
    system without a usable keyring still logs in, for this run only).
    """
    profile = validate_profile(profile)
    api = ApiClient(profile.server_url)
    try:
        me = await api.login(profile.email, password, device)
        assert api.token is not None
        remembered = remember and await save_token(profile, api.token)
    except BaseException:
        await api.aclose()
        raise
    log.info("logged in to %s as %s", profile.server_url, profile.email)
    return Session(profile, api, me, remembered)


async def resume(profile: Profile) -> Session | None:
    """Start with the saved token; ``None`` if there is none or the server refused it.

    An unreachable server still gives a session (``me`` is ``None``): the app works
    offline from the cache and the event stream keeps trying.
    """
    token = await load_token(profile)
    if not token:
        return None
    api = ApiClient(profile.server_url, token)
    try:
        me = await api.me()
    except AuthError:
        log.info("saved token for %s was refused", profile.keyring_user)
        await delete_token(profile)
        await api.aclose()
        return None
    except ServerUnreachableError:
        return Session(profile, api, None, remembered=True)
    return Session(profile, api, me, remembered=True)


async def logout(session: Session) -> None:
    """Revoke the token on the server (when reachable) and delete it from the keyring."""
    try:
        await session.api.logout()
    except (AuthError, ServerUnreachableError) as exc:
        log.info("logout could not reach the server (%s); the token is forgotten", exc.code)
    finally:
        await delete_token(session.profile)
        await session.api.aclose()
