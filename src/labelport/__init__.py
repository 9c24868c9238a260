"""labelport: ground-truth import for machine-learning labeling.

The public API, in one place::

    from labelport import Workspace
    ws = Workspace("labelport.db", create=True)
    ws.create_dataset("streets")
    ws.add_rows("streets", ["photos/"])

Errors raised on purpose derive from :class:`LabelportError` (see ``labelport.model.errors``
for the tree); problems inside a payload are reported as issues, never raised.

The names below are imported when first used, not with the package: a process that needs one
layer (a job's reader process imports the formats alone) does not pay for the workspace, the
SDK and their dependencies.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from labelport.model.errors import (
        ConflictError as ConflictError,
    )
    from labelport.model.errors import (
        InvalidInputError as InvalidInputError,
    )
    from labelport.model.errors import (
        LabelportError as LabelportError,
    )
    from labelport.model.errors import (
        NotFoundError as NotFoundError,
    )
    from labelport.model.errors import (
        OntologyError as OntologyError,
    )
    from labelport.model.errors import (
        SchemaError as SchemaError,
    )
    from labelport.model.errors import (
        StorageError as StorageError,
    )
    from labelport.model.media import MediaType as MediaType
    from labelport.sdk import Client as Client
    from labelport.workspace import Workspace as Workspace

_WHERE = {
    "Client": "labelport.sdk",
    "ConflictError": "labelport.model.errors",
    "InvalidInputError": "labelport.model.errors",
    "LabelportError": "labelport.model.errors",
    "MediaType": "labelport.model.media",
    "NotFoundError": "labelport.model.errors",
    "OntologyError": "labelport.model.errors",
    "SchemaError": "labelport.model.errors",
    "StorageError": "labelport.model.errors",
    "Workspace": "labelport.workspace",
}
__all__ = sorted(_WHERE)
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'labelport' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # once: later lookups do not come here
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
