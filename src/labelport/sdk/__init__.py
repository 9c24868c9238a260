"""The SDK against a labelport server: `Client` has the embedded `Workspace`'s methods."""

from labelport.sdk.client import Client
from labelport.sdk.http import AuthError
from labelport.sdk.jobs import JobHandle
from labelport.sdk.types import ClassMapSuggestion, ExportSummary

__all__ = ["AuthError", "ClassMapSuggestion", "Client", "ExportSummary", "JobHandle"]
