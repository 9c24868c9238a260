"""API tokens as the workspace, the CLI's ``--json`` and the REST API return them.

A token's secret is shown once, when it is issued; afterwards only its id, scope and dates exist,
because the store keeps nothing but a hash of the secret.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import msgspec


class Scope(StrEnum):
    """What a token may do; each scope includes the ones before it (read < import < admin)."""

    READ = "read"  # look at everything, export
    IMPORT = "import"  # also change the workspace: rows, ontologies, projects, imports, undo
    ADMIN = "admin"  # also issue and revoke tokens

    @property
    def rank(self) -> int:
        return list(Scope).index(self)

    def allows(self, needed: Scope) -> bool:
        return self.rank >= needed.rank


class ApiToken(msgspec.Struct, kw_only=True):
    id: int
    scope: Scope
    name: str | None
    prefix: str  # the secret's first characters, to tell tokens apart in a list
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class IssuedToken(msgspec.Struct, kw_only=True):
    """A new token: ``token`` is the secret, returned this once and never stored."""

    token: str
    info: ApiToken
