"""An accepted annotation in the form it is stored in, made once by validation.

Between validation and the commit a million of these cross a pipe to the spool's writer and are
bound as parameters (``store.spool``, ``store.spool_writer``). Made in their stored form where
they are accepted, they need no conversion on the way: the JSON columns are the bytes of their
JSON text already (``null`` for none), and where an annotation sits in its asset (frame, frame
end, page, message, track), which is nothing for nearly every annotation, is one JSON array, or
empty. The writer binds ``int``, ``str`` and bytes alone, the sqlite3 module's fastest kinds.

An accepted annotation belongs to its ``owner``. For a data row that has no label yet, that is
the id of the label the commit will make, taken while validating: the annotation is written
straight to ``annotations`` then and stays out of sight until that label exists. For a row whose
label exists, it is the data row's pk: the annotation waits in the spool, since what it replaces
is still live until the commit supersedes it (``store.spool``).

The JSON encoder is msgspec's: compact, exact for integers of any size, and the one the fast
lane already runs over a geometry for its derived id, so that text is reused as the stored one.
"""

from __future__ import annotations

from typing import Any

import msgspec

json = msgspec.json.encode
EMPTY_LIST = b"[]"
NOWHERE = b""  # the place of an annotation that sits nowhere in particular
PLACE = ("frame", "frame_end", "page", "message_id", "track_id")  # a place's array, in order


class Accepted(msgspec.Struct, array_like=True, gc=False):
    """One annotation ready to store (array-like: it travels as a short msgpack array)."""

    owner: int  # the new label's id, or the data row's pk (see the module)
    uid: str
    feature_pk: int
    kind: str
    geometry: bytes  # JSON text
    classifications: bytes  # JSON text: nested answers, or the answer itself
    extra: bytes  # JSON text
    place: bytes  # NOWHERE, or the JSON array of PLACE


def place(
    frame: int | None, frame_end: int | None, page: int | None, message_id: str | None, track_id: str | None
) -> bytes:
    if frame is None and frame_end is None and page is None and message_id is None and track_id is None:
        return NOWHERE
    return json([frame, frame_end, page, message_id, track_id])


def accepted(
    owner: int,
    uid: str,
    feature_pk: int,
    kind: str,
    geometry: Any,
    classifications: Any,
    frame: int | None,
    frame_end: int | None,
    page: int | None,
    message_id: str | None,
    track_id: str | None,
    extra: Any,
) -> Accepted:
    """An annotation's stored form from its values (the fast lane, which has some of the JSON
    text already, builds :class:`Accepted` itself)."""
    return Accepted(
        owner,
        uid,
        feature_pk,
        kind,
        json(geometry),
        EMPTY_LIST if classifications == [] else json(classifications),
        json(extra),
        place(frame, frame_end, page, message_id, track_id),
    )


__all__ = ["EMPTY_LIST", "NOWHERE", "PLACE", "Accepted", "accepted", "json", "place"]
