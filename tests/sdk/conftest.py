"""The SDK tests share the API tests' live servers (one per engine for the session)."""

from tests.api.conftest import _servers, client, server

__all__ = ["_servers", "client", "server"]
