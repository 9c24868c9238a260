"""The workspace: labelport's Python API."""

from labelport.workspace.core import Workspace, default_url

__all__ = ["Workspace", "default_url"]
