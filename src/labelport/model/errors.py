"""Exceptions: the "cannot continue" channel.

Data problems found in a payload are *issues* (`labelport.model.issues`), collected and reported
all at once. Exceptions are for requests that cannot be carried out at all, and every one carries
a stable ``code`` so the CLI, the API and scripts can tell them apart without parsing text::

    LabelportError                     code, message, hint
     ├── NotFoundError                 a named object does not exist      (CLI exit 1, HTTP 404)
     ├── ConflictError                 clashes with what is stored        (CLI exit 1, HTTP 409)
     ├── InvalidInputError             the request or a file is malformed (CLI exit 1, HTTP 422)
     │    └── OntologyError            an ontology document is invalid (carries a JSON pointer)
     ├── SchemaError                   the workspace schema is missing or behind (CLI exit 1)
     └── StorageError                  what was to be stored could not be (disk full, a writer
                                       process died)                      (CLI exit 1, HTTP 507)
"""

from __future__ import annotations


class LabelportError(Exception):
    """Base of every error labelport raises on purpose."""

    code: str = "error"

    def __init__(self, message: str, *, code: str | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.hint = hint

    def __str__(self) -> str:
        return self.message if self.hint is None else f"{self.message} ({self.hint})"

    def to_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "message": self.message, "hint": self.hint}


class NotFoundError(LabelportError):
    code = "not_found"


class ConflictError(LabelportError):
    code = "conflict"


class InvalidInputError(LabelportError):
    code = "invalid_input"


class OntologyError(InvalidInputError):
    """An ontology document is malformed; ``pointer`` is the JSON pointer of the fault."""

    code = "invalid_ontology"

    def __init__(self, message: str, *, pointer: str, hint: str | None = None) -> None:
        super().__init__(f"{pointer or '/'}: {message}", hint=hint)
        self.pointer = pointer


class SchemaError(LabelportError):
    code = "schema_outdated"


class StorageError(LabelportError):
    code = "storage_failed"
