"""API tokens on a workspace (mixed into `Workspace`): issued here, checked by the server."""

from __future__ import annotations

import sqlalchemy as sa

from labelport.model.tokens import ApiToken, IssuedToken, Scope
from labelport.store import tokens as store
from labelport.store.db import transaction


class TokensMixin:
    engine: sa.Engine

    def create_token(self, scope: Scope | str, *, name: str | None = None) -> IssuedToken:
        """Issue a token; its secret is in the result and nowhere else, ever again."""
        with transaction(self.engine) as conn:
            return store.create_token(conn, scope, name)

    def tokens(self) -> list[ApiToken]:
        with self.engine.connect() as conn:
            return store.list_tokens(conn)

    def revoke_token(self, token_id: int) -> ApiToken:
        """Revoke a token at once: the server refuses it from its next request on."""
        with transaction(self.engine) as conn:
            return store.revoke_token(conn, token_id)


__all__ = ["TokensMixin"]
