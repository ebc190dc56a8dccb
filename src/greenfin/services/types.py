"""Field types shared by the services' output models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator


def _utc(value: Any) -> Any:
    """SQLite hands back naive timestamps (stored in UTC): mark them as UTC, so every face
    prints an RFC 3339 date-time with its offset whatever the database."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


UtcDatetime = Annotated[datetime, BeforeValidator(_utc)]
