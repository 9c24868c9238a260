"""Schemathesis fuzzes every operation of the live server's OpenAPI document: whatever it sends,
the answer is never a 5xx and matches the document (status, content type, body schema)."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.server import Server

EXAMPLES = 6  # per operation; about 200 requests in all keeps the run well under a minute
# Not positive_data_acceptance: the document says "a string" where the workspace also wants a
# known format or a well-formed ontology, and refuses the rest with a 422 problem, on purpose.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


def test_fuzzing_finds_no_server_errors(fresh_server: Server) -> None:
    server = fresh_server  # its own: what the fuzzer creates, undoes or cancels touches no other test
    schema = schemathesis.openapi.from_url(server.url + "/openapi.json")
    headers = {"Authorization": f"Bearer {server.tokens['admin']}"}
    tried: list[str] = []
    for result in schema.get_all_operations():
        op = result.ok()
        if op.definition.raw.get("operationId") == "revoke_token":
            continue  # a revoked admin token would turn the rest of the run into 401s
        tried.append(op.label)

        @given(case=op.as_strategy())
        @settings(
            max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        check()
    assert len(tried) >= 30
