"""The REST API: FastAPI over `labelport.Workspace`, served by ``labelport serve``.

``create_app(url)`` builds the app for one workspace. Every route but ``/health`` needs a bearer
token of sufficient scope; errors are problem documents carrying the CLI's error codes.
"""

from labelport.api.app import app_from_env, create_app

__all__ = ["app_from_env", "create_app"]
