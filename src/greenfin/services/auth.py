"""Log-in, passwords and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from greenfin import ledger
from greenfin.identity.principal import Principal
from greenfin.identity.roles import OrgKind, Role
from greenfin.services.errors import Unauthenticated
from greenfin.store.models import ApiToken, Membership, User

# Argon2id with argon2-cffi's defaults (RFC 9106 "low memory" profile: t=3, m=64 MiB, p=4).
_hasher = PasswordHasher()
# Verified against when the user does not exist, so timing does not reveal valid usernames.
_DUMMY_HASH = _hasher.hash("greenfin-timing-equaliser")
MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def principal_of(user: User) -> Principal:
    membership = user.membership
    if membership is None:
        raise Unauthenticated("user has no role in any organisation")
    return Principal(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=Role(membership.role),
        organisation_id=membership.organisation_id,
        organisation_kind=OrgKind(membership.organisation.kind),
        organisation_name=membership.organisation.name_zh,
    )


def _load_user(session: Session, **where: object) -> User | None:
    stmt = (
        select(User)
        .options(joinedload(User.membership).joinedload(Membership.organisation))
        .filter_by(**where)
    )
    return session.execute(stmt).unique().scalar_one_or_none()


def authenticate(session: Session, username: str, password: str) -> Principal:
    """Check a username and password; raise Unauthenticated with one message for every failure."""
    user = _load_user(session, username=username.strip())
    if user is None:
        _password_matches(_DUMMY_HASH, password)
        raise Unauthenticated("wrong username or password")
    if not user.is_active or not _password_matches(user.password_hash, password):
        raise Unauthenticated("wrong username or password")
    return principal_of(user)


def principal_by_id(session: Session, user_id: int) -> Principal | None:
    user = _load_user(session, id=user_id)
    if user is None or not user.is_active or user.membership is None:
        return None
    return principal_of(user)


def record_web_login(session: Session, principal: Principal) -> None:
    ledger.append(session, principal, "auth.web_login", "user", principal.user_id)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, principal: Principal, ttl_hours: int) -> tuple[str, datetime]:
    """Create a bearer token; only its SHA-256 digest is stored."""
    token = secrets.token_urlsafe(32)
    expires_at = datetime.now(UTC) + timedelta(hours=ttl_hours)
    row = ApiToken(user_id=principal.user_id, token_sha256=_digest(token), expires_at=expires_at)
    session.add(row)
    session.flush()
    ledger.append(
        session, principal, "auth.token_issued", "api_token", row.id, {"expires_at": expires_at}
    )
    return token, expires_at


def principal_for_token(session: Session, token: str) -> Principal:
    row = session.execute(
        select(ApiToken).where(ApiToken.token_sha256 == _digest(token))
    ).scalar_one_or_none()
    now = datetime.now(UTC)
    if row is None or row.revoked_at is not None or _aware(row.expires_at) <= now:
        raise Unauthenticated("invalid or expired token")
    principal = principal_by_id(session, row.user_id)
    if principal is None:
        raise Unauthenticated("invalid or expired token")
    return principal


def revoke_token(session: Session, principal: Principal, token: str) -> None:
    row = session.execute(
        select(ApiToken).where(ApiToken.token_sha256 == _digest(token))
    ).scalar_one_or_none()
    if row is None or row.user_id != principal.user_id:
        raise Unauthenticated("invalid or expired token")
    row.revoked_at = datetime.now(UTC)
    ledger.append(session, principal, "auth.token_revoked", "api_token", row.id)


def _aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
