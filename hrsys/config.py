"""Settings read from environment variables, with safe defaults.

Every setting has an ``HRSYS_`` environment variable; nothing else is read.
"""

from __future__ import annotations

import os
from pathlib import Path

import msgspec


def _env(name: str, default: str) -> str:
    return os.environ.get(f"HRSYS_{name}", default)


class Settings(msgspec.Struct, kw_only=True):
    """Runtime configuration of one hrsys process."""

    database_url: str = "sqlite:///hrsys.db"
    """Plain URL (``sqlite:///file.db``, ``postgresql://user@host/db``); the driver is chosen here."""
    debug: bool = False
    pool_size: int = 10
    sqlite_busy_timeout_ms: int = 10_000
    secret_key: str = ""
    """Key that signs sign-in tokens. Empty means: generate one and keep it beside the SQLite file."""
    token_minutes: int = 60 * 8
    auth_cache_seconds: float = 1.0
    """How long a worker trusts its copy of a signed-in user's row (sign-out elsewhere shows within it); 0 = off."""
    demo_credentials_file: str = "demo-credentials.txt"
    echo_sql: bool = False

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        values: dict[str, object] = {
            "database_url": _env("DATABASE_URL", "sqlite:///hrsys.db"),
            "debug": _env("DEBUG", "0").lower() in {"1", "true", "yes"},
            "pool_size": int(_env("POOL_SIZE", "10")),
            "sqlite_busy_timeout_ms": int(_env("SQLITE_BUSY_TIMEOUT_MS", "10000")),
            "secret_key": _env("SECRET_KEY", ""),
            "token_minutes": int(_env("TOKEN_MINUTES", str(60 * 8))),
            "auth_cache_seconds": float(_env("AUTH_CACHE_SECONDS", "1")),
            "demo_credentials_file": _env("DEMO_CREDENTIALS_FILE", "demo-credentials.txt"),
            "echo_sql": _env("ECHO_SQL", "0").lower() in {"1", "true", "yes"},
        }
        values.update(overrides)
        return msgspec.convert(values, cls)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def resolved_secret_key(self) -> str:
        """The signing key: the configured one, else one kept in a file beside the working directory."""
        if self.secret_key:
            return self.secret_key
        path = Path(_env("SECRET_KEY_FILE", ".hrsys-secret-key"))
        if path.exists():
            return path.read_text().strip()
        import secrets

        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key
