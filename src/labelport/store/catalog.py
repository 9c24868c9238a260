"""Datasets and data rows. Functions take a connection and never commit: the caller's
transaction decides what becomes visible, so an ingest is all-or-nothing."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
import sqlalchemy as sa

from labelport.model.catalog import DataRow, Dataset
from labelport.model.errors import ConflictError, NotFoundError
from labelport.model.media import MediaType
from labelport.model.names import hint_for
from labelport.store.schema import data_rows, datasets


def now() -> datetime:
    return datetime.now(UTC)


def create_dataset(conn: sa.Connection, name: str) -> Dataset:
    if conn.execute(sa.select(datasets.c.id).where(datasets.c.name == name)).first():
        raise ConflictError(f"dataset {name!r} already exists", code="dataset_exists")
    created = now()
    new_id = conn.execute(sa.insert(datasets).values(name=name, created_at=created)).inserted_primary_key
    assert new_id is not None
    return Dataset(id=new_id[0], name=name, created_at=created)


def dataset_id(conn: sa.Connection, name: str) -> int:
    found = conn.execute(sa.select(datasets.c.id).where(datasets.c.name == name)).scalar()
    if found is None:
        names = conn.execute(sa.select(datasets.c.name)).scalars().all()
        raise NotFoundError(
            f"no dataset named {name!r}",
            code="dataset_not_found",
            hint=hint_for(name, names) or "create it with `labelport dataset create`",
        )
    return int(found)


def list_datasets(conn: sa.Connection) -> list[Dataset]:
    counts = (
        sa.select(data_rows.c.dataset_id, sa.func.count().label("n"))
        .group_by(data_rows.c.dataset_id)
        .subquery()
    )
    q = (
        sa.select(datasets, sa.func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.dataset_id == datasets.c.id)
        .order_by(datasets.c.name)
    )
    return [
        Dataset(id=r.id, name=r.name, created_at=_aware(r.created_at), row_count=r[-1])
        for r in conn.execute(q)
    ]


def rows_by_key(conn: sa.Connection, keys: Sequence[str]) -> dict[str, tuple[str, str, int]]:
    """``global_key -> (uid, uri, dataset_id)`` for the keys that exist."""
    out: dict[str, tuple[str, str, int]] = {}
    for i in range(0, len(keys), 900):  # stay under SQLite's bound-parameter limit
        chunk = keys[i : i + 900]
        q = sa.select(data_rows.c.global_key, data_rows.c.uid, data_rows.c.uri, data_rows.c.dataset_id).where(
            data_rows.c.global_key.in_(chunk)
        )
        for key, uid, uri, ds in conn.execute(q):
            out[key] = (uid, uri, ds)
    return out


def uids_taken(conn: sa.Connection, uids: Sequence[str]) -> set[str]:
    out: set[str] = set()
    for i in range(0, len(uids), 900):
        q = sa.select(data_rows.c.uid).where(data_rows.c.uid.in_(uids[i : i + 900]))
        out.update(conn.execute(q).scalars())
    return out


def insert_rows(conn: sa.Connection, rows: Iterable[dict[str, Any]]) -> None:
    batch = [
        {**r, "metadata": orjson.dumps(r["metadata"]).decode(), "tags": orjson.dumps(r["tags"]).decode()}
        for r in rows
    ]
    if batch:
        conn.execute(sa.insert(data_rows), batch)


_ROW_COLUMNS = (
    data_rows.c.uid,
    data_rows.c.global_key,
    datasets.c.name,
    data_rows.c.media_type,
    data_rows.c.uri,
    data_rows.c.parent_path,
    data_rows.c.filename,
    data_rows.c.external_id,
    data_rows.c.metadata,
    data_rows.c.tags,
)


def row_from_record(r: Any) -> DataRow:
    return DataRow(
        id=r.uid,
        global_key=r.global_key,
        dataset=r.name,
        media_type=MediaType(r.media_type),
        uri=r.uri,
        parent_path=r.parent_path,
        filename=r.filename,
        external_id=r.external_id,
        metadata=orjson.loads(r.metadata),
        tags=orjson.loads(r.tags),
    )


def list_rows(
    conn: sa.Connection,
    *,
    dataset: str | None = None,
    prefix: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[DataRow]:
    q = sa.select(*_ROW_COLUMNS).join(datasets, datasets.c.id == data_rows.c.dataset_id)
    if dataset is not None:
        q = q.where(data_rows.c.dataset_id == dataset_id(conn, dataset))
    if prefix is not None:
        q = q.where(data_rows.c.global_key.startswith(prefix, autoescape=True))
    q = q.order_by(data_rows.c.global_key).offset(offset)
    if limit is not None:
        q = q.limit(limit)
    return [row_from_record(r) for r in conn.execute(q)]


def rows_for_keys(conn: sa.Connection, keys: Sequence[str]) -> list[DataRow]:
    out: list[DataRow] = []
    for i in range(0, len(keys), 900):
        q = (
            sa.select(*_ROW_COLUMNS)
            .join(datasets, datasets.c.id == data_rows.c.dataset_id)
            .where(data_rows.c.global_key.in_(keys[i : i + 900]))
        )
        out.extend(row_from_record(r) for r in conn.execute(q))
    return out


def _aware(ts: datetime) -> datetime:
    """SQLite hands timestamps back naive; they were written in UTC."""
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)
