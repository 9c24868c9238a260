"""API tokens, stored as the SHA-256 of their secret.

The secret is 32 random bytes, so a plain hash is enough: there is nothing to brute-force, and a
stolen database yields no usable token. Functions take a connection and never commit.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

import sqlalchemy as sa

from labelport.model.errors import ConflictError, InvalidInputError, NotFoundError
from labelport.model.tokens import ApiToken, IssuedToken, Scope
from labelport.store.schema import TS, metadata

PREFIX = "lpt_"
SHOWN = len(PREFIX) + 8  # how much of a secret a listing shows

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("secret_sha256", sa.Text, nullable=False, unique=True),
    sa.Column("prefix", sa.Text, nullable=False),
    sa.Column("scope", sa.Text, nullable=False),  # read | import | admin
    sa.Column("name", sa.Text),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("last_used_at", TS),
    sa.Column("revoked_at", TS),
)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; every stored time is UTC
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _info(row: sa.Row[tuple[object, ...]]) -> ApiToken:
    created = _aware(row.created_at)
    assert created is not None
    return ApiToken(
        id=row.id,
        scope=Scope(row.scope),
        name=row.name,
        prefix=row.prefix,
        created_at=created,
        last_used_at=_aware(row.last_used_at),
        revoked_at=_aware(row.revoked_at),
    )


def parse_scope(scope: Scope | str) -> Scope:
    try:
        return Scope(scope)
    except ValueError:
        raise InvalidInputError(
            f"unknown scope {scope!r}; expected one of {', '.join(s.value for s in Scope)}",
            code="invalid_scope",
        ) from None


def create_token(conn: sa.Connection, scope: Scope | str, name: str | None = None) -> IssuedToken:
    level = parse_scope(scope)
    secret = PREFIX + secrets.token_urlsafe(32)
    created = _now()
    new_id = conn.execute(
        sa.insert(api_tokens).values(
            secret_sha256=_hash(secret),
            prefix=secret[:SHOWN],
            scope=level.value,
            name=name,
            created_at=created,
        )
    ).inserted_primary_key
    assert new_id is not None
    info = ApiToken(id=new_id[0], scope=level, name=name, prefix=secret[:SHOWN], created_at=created)
    return IssuedToken(token=secret, info=info)


def list_tokens(conn: sa.Connection) -> list[ApiToken]:
    return [_info(r) for r in conn.execute(sa.select(api_tokens).order_by(api_tokens.c.id))]


def get_token(conn: sa.Connection, token_id: int) -> ApiToken:
    row = conn.execute(sa.select(api_tokens).where(api_tokens.c.id == token_id)).first()
    if row is None:
        raise NotFoundError(f"no API token with id {token_id}", code="token_not_found")
    return _info(row)


def revoke_token(conn: sa.Connection, token_id: int) -> ApiToken:
    token = get_token(conn, token_id)
    if token.revoked_at is not None:
        raise ConflictError(f"API token {token_id} is already revoked", code="token_revoked")
    conn.execute(sa.update(api_tokens).where(api_tokens.c.id == token_id).values(revoked_at=_now()))
    return get_token(conn, token_id)


def authenticate(conn: sa.Connection, secret: str) -> ApiToken | None:
    """The live token whose secret this is, or None (unknown, malformed or revoked)."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    row = conn.execute(
        sa.select(api_tokens).where(
            api_tokens.c.secret_sha256 == _hash(secret), api_tokens.c.revoked_at.is_(None)
        )
    ).first()
    return None if row is None else _info(row)


def mark_used(conn: sa.Connection, token_id: int, when: datetime | None = None) -> None:
    conn.execute(sa.update(api_tokens).where(api_tokens.c.id == token_id).values(last_used_at=when or _now()))
