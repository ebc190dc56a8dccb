"""Runtime settings, read once from the environment.

One database setting: ``GREENFIN_DATABASE_URL``. Without it greenfin uses a SQLite file in the data
directory (``GREENFIN_DATA_DIR``, default ``./var``), so the platform runs with nothing installed.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    secret_key: str
    token_ttl_hours: int
    session_max_age_seconds: int
    secure_cookies: bool

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _secret_key(data_dir: Path) -> str:
    """The signing key for session cookies: from the environment, else a key kept in the data dir.

    Persisting the generated key keeps users logged in across restarts of the embedded default.
    """
    if key := os.environ.get("GREENFIN_SECRET_KEY"):
        return key
    key_file = data_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def load_settings() -> Settings:
    data_dir = Path(os.environ.get("GREENFIN_DATA_DIR", "var")).resolve()
    default_url = f"sqlite:///{data_dir / 'greenfin.sqlite3'}"
    return Settings(
        data_dir=data_dir,
        database_url=os.environ.get("GREENFIN_DATABASE_URL", default_url),
        secret_key=_secret_key(data_dir),
        token_ttl_hours=int(os.environ.get("GREENFIN_TOKEN_TTL_HOURS", "12")),
        session_max_age_seconds=int(os.environ.get("GREENFIN_SESSION_MAX_AGE", str(8 * 3600))),
        secure_cookies=os.environ.get("GREENFIN_SECURE_COOKIES", "0") == "1",
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
