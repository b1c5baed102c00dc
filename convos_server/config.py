"""Server settings: one frozen record, built from the environment plus explicit overrides."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir

MIB = 1024 * 1024


def default_data_dir() -> Path:
    """Where the server keeps its SQLite file and uploads when nothing else is configured."""
    return Path(user_data_dir("convos-server"))


def sqlite_url(data_dir: Path) -> str:
    """The default database URL: ``convos.db`` inside the data dir."""
    return f"sqlite+aiosqlite:///{data_dir / 'convos.db'}"


@dataclass(frozen=True)
class Settings:
    """Everything the server process is configured with.

    ``presence_sweep_s`` at 0 (the default) is derived from the TTL: ``ttl / 12``, at least
    0.2 s, so a heartbeat that stops is noticed within about 8 % of the TTL.
    """

    database_url: str
    data_dir: Path
    presence_ttl_s: float = 120.0
    presence_sweep_s: float = 0.0
    event_retention_days: float = 7.0
    keepalive_s: float = 15.0
    max_upload_bytes: int = 25 * MIB
    # Login throttling (services/login_throttle.py); 0 free failures turns a kind off.
    login_account_free: int = 5
    login_address_free: int = 20
    login_window_s: float = 900.0
    login_first_lock_s: float = 1.0
    login_max_lock_s: float = 300.0
    max_body_bytes: int = MIB
    max_streams_per_agent: int = 10
    # How often the snooze waker looks for due tickets other processes snoozed (seconds).
    snooze_check_s: float = 5.0

    def __post_init__(self) -> None:
        if self.presence_ttl_s <= 0:
            raise ValueError("presence TTL must be positive")
        if self.presence_sweep_s <= 0:
            object.__setattr__(self, "presence_sweep_s", max(0.2, self.presence_ttl_s / 12))

    @property
    def files_dir(self) -> Path:
        """The root of the filesystem file store: ``files`` in the data dir (share it)."""
        return self.data_dir / "files"

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Settings from ``CONVOS_*`` variables; keyword overrides (not ``None``) win."""
        env = os.environ
        given = {key: value for key, value in overrides.items() if value is not None}
        data_dir = Path(
            given.pop("data_dir", None) or env.get("CONVOS_DATA_DIR") or default_data_dir()
        )
        values: dict[str, Any] = {
            "data_dir": data_dir,
            "database_url": env.get("CONVOS_DATABASE_URL") or sqlite_url(data_dir),
        }
        numeric = {
            "presence_ttl_s": ("CONVOS_PRESENCE_TTL", float),
            "event_retention_days": ("CONVOS_EVENT_RETENTION_DAYS", float),
            "keepalive_s": ("CONVOS_KEEPALIVE", float),
            "max_upload_bytes": ("CONVOS_MAX_UPLOAD", int),
            "login_account_free": ("CONVOS_LOGIN_ACCOUNT_FREE", int),
            "login_address_free": ("CONVOS_LOGIN_ADDRESS_FREE", int),
            "login_window_s": ("CONVOS_LOGIN_WINDOW", float),
            "login_first_lock_s": ("CONVOS_LOGIN_FIRST_LOCK", float),
            "login_max_lock_s": ("CONVOS_LOGIN_MAX_LOCK", float),
            "max_body_bytes": ("CONVOS_MAX_BODY", int),
            "max_streams_per_agent": ("CONVOS_MAX_STREAMS_PER_AGENT", int),
            "snooze_check_s": ("CONVOS_SNOOZE_CHECK", float),
        }
        for field_name, (variable, convert) in numeric.items():
            raw = env.get(variable)
            if raw:
                try:
                    values[field_name] = convert(raw)
                except ValueError:
                    raise ValueError(f"{variable} must be a number, got {raw!r}") from None
        values.update(given)
        return cls(**values)
