"""labelport: ground-truth import for machine-learning labeling.

The public API, in one place::

    from labelport import Workspace
    ws = Workspace("labelport.db", create=True)
    ws.create_dataset("streets")
    ws.add_rows("streets", ["photos/"])

Errors raised on purpose derive from :class:`LabelportError` (see ``labelport.model.errors``
for the tree); problems inside a payload are reported as issues, never raised.
"""

from labelport.model.errors import (
    ConflictError,
    InvalidInputError,
    LabelportError,
    NotFoundError,
    OntologyError,
    SchemaError,
    StorageError,
)
from labelport.model.media import MediaType
from labelport.sdk import Client
from labelport.workspace import Workspace

__all__ = [
    "Client",
    "ConflictError",
    "InvalidInputError",
    "LabelportError",
    "MediaType",
    "NotFoundError",
    "OntologyError",
    "SchemaError",
    "StorageError",
    "Workspace",
]
__version__ = "0.1.0"
