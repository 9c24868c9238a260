"""Responses in the workspace's own types, and their schemas in the OpenAPI document.

Routes return what `Workspace` returns (msgspec structs, dataclasses); they are encoded with msgspec
and documented with msgspec's JSON Schema of the same types, so the document cannot drift from
what is sent and the SDK decodes into the very types the embedded workspace returns.
"""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.responses import Response

from labelport.api.problems import MEDIA_TYPE as PROBLEM_MEDIA_TYPE

REF = "#/components/schemas/{name}"
_types: list[Any] = []


def reply(data: Any, status: int = 200) -> Response:
    return Response(msgspec.json.encode(data), status_code=status, media_type="application/json")


PROBLEM_RESPONSE = {
    "description": "A problem: the request was refused or failed",
    "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": REF.format(name="Problem")}}},
}


def returns(tp: Any, status: int = 200, description: str = "OK") -> dict[int | str, dict[str, Any]]:
    """A route's ``responses``: ``tp`` as its success body, problem documents otherwise."""
    _types.append(tp)
    index = len(_types) - 1
    return {
        status: {
            "description": description,
            "content": {"application/json": {"schema": {"x-labelport-type": index}}},
        },
        "default": PROBLEM_RESPONSE,
    }


def streams(description: str) -> dict[int | str, dict[str, Any]]:
    """A route's ``responses`` when it streams a file back."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {
        200: {
            "description": description,
            "content": {"application/octet-stream": binary, "application/zip": binary},
        },
        "default": PROBLEM_RESPONSE,
    }


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "hint": {"type": "string"},
    },
    "required": ["type", "title", "status", "detail", "code"],
}


def resolve(document: dict[str, Any]) -> dict[str, Any]:
    """Put the msgspec schemas in place of the markers ``returns`` left in the document."""
    schemas, components = msgspec.json.schema_components(_types, ref_template=REF)

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if set(node) == {"x-labelport-type"}:
                return schemas[node["x-labelport-type"]]
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    out: dict[str, Any] = walk(document)
    found = out.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in components.items():
        found.setdefault(name, schema)
    found["Problem"] = PROBLEM_SCHEMA
    return out
