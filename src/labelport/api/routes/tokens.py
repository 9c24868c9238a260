"""API tokens, for admin tokens: issue (the secret is in this answer only), list, revoke."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from starlette.responses import Response

from labelport.api.auth import scoped
from labelport.api.context import Context, get_context
from labelport.api.params import Id
from labelport.api.responses import reply, returns
from labelport.model.tokens import ApiToken, IssuedToken, Scope

router = APIRouter()
Ctx = Annotated[Context, Depends(get_context)]
ADMIN = scoped(Scope.ADMIN)


class TokenIn(BaseModel):
    scope: Scope
    name: str | None = None


@router.get(
    "/tokens",
    operation_id="list_tokens",
    tags=["tokens"],
    openapi_extra=ADMIN,
    responses=returns(list[ApiToken]),
)
def list_tokens(ctx: Ctx) -> Response:
    return reply(ctx.ws.tokens())


@router.post(
    "/tokens",
    operation_id="create_token",
    tags=["tokens"],
    openapi_extra=ADMIN,
    status_code=201,
    responses=returns(IssuedToken, 201, "Created: keep the secret, it is not shown again"),
)
def create_token(body: TokenIn, ctx: Ctx) -> Response:
    return reply(ctx.ws.create_token(body.scope, name=body.name), 201)


@router.post(
    "/tokens/{token_id}/revoke",
    operation_id="revoke_token",
    tags=["tokens"],
    openapi_extra=ADMIN,
    responses=returns(ApiToken),
)
def revoke_token(token_id: Id, ctx: Ctx) -> Response:
    return reply(ctx.ws.revoke_token(token_id))
