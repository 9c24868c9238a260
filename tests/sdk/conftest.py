"""The SDK tests use the API tests' live servers (one per engine, per module)."""

from tests.api.conftest import assets, client, server

__all__ = ["assets", "client", "server"]
