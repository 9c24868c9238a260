"""Ontologies and their flattened features."""

from __future__ import annotations

import orjson
import sqlalchemy as sa

from labelport.model.catalog import OntologyInfo
from labelport.model.errors import ConflictError, NotFoundError
from labelport.model.names import hint_for
from labelport.model.ontology import Classification, Ontology, Option, Tool, parse_ontology
from labelport.store.catalog import _aware, now
from labelport.store.schema import features, ontologies


def create_ontology(conn: sa.Connection, name: str, ontology: Ontology) -> OntologyInfo:
    if conn.execute(sa.select(ontologies.c.id).where(ontologies.c.name == name)).first():
        raise ConflictError(f"ontology {name!r} already exists", code="ontology_exists")
    spec = ontology.to_dict()
    created = now()
    pk = conn.execute(
        sa.insert(ontologies).values(name=name, spec=orjson.dumps(spec).decode(), created_at=created)
    ).inserted_primary_key
    assert pk is not None
    ont_id = int(pk[0])
    ids: dict[str, int] = {}
    for path, node, parent in ontology.walk():
        node_kind, kind = _describe(node)
        res = conn.execute(
            sa.insert(features).values(
                ontology_id=ont_id,
                feature_id=node.feature_id,
                path=path,
                node=node_kind,
                name=node.value if isinstance(node, Option) else node.name,
                kind=kind,
                parent_id=ids[parent] if parent else None,
            )
        )
        assert res.inserted_primary_key is not None
        ids[path] = int(res.inserted_primary_key[0])
    return _info(ont_id, name, created, spec)


def _describe(node: Tool | Classification | Option) -> tuple[str, str]:
    if isinstance(node, Tool):
        return "tool", node.kind.value
    if isinstance(node, Classification):
        return "classification", node.type.value
    return "option", "option"


def _info(ont_id: int, name: str, created: object, spec: dict[str, object]) -> OntologyInfo:
    tools = spec.get("tools", [])
    classes = spec.get("classifications", [])
    assert isinstance(tools, list) and isinstance(classes, list)
    return OntologyInfo(
        id=ont_id,
        name=name,
        created_at=_aware(created),  # type: ignore[arg-type]
        tool_count=len(tools),
        classification_count=len(classes),
        spec=spec,
    )


def ontology_id(conn: sa.Connection, name: str) -> int:
    found = conn.execute(sa.select(ontologies.c.id).where(ontologies.c.name == name)).scalar()
    if found is None:
        names = conn.execute(sa.select(ontologies.c.name)).scalars().all()
        raise NotFoundError(
            f"no ontology named {name!r}",
            code="ontology_not_found",
            hint=hint_for(name, names) or "create it with `labelport ontology create`",
        )
    return int(found)


def get_ontology(conn: sa.Connection, name: str) -> OntologyInfo:
    oid = ontology_id(conn, name)
    r = conn.execute(sa.select(ontologies).where(ontologies.c.id == oid)).one()
    return _info(r.id, r.name, r.created_at, orjson.loads(r.spec))


def load_ontology(conn: sa.Connection, ont_id: int) -> Ontology:
    spec = conn.execute(sa.select(ontologies.c.spec).where(ontologies.c.id == ont_id)).scalar_one()
    return parse_ontology(orjson.loads(spec))


def feature_pks(conn: sa.Connection, ont_id: int) -> dict[str, int]:
    """``path -> features.id`` for an ontology."""
    q = sa.select(features.c.path, features.c.id).where(features.c.ontology_id == ont_id)
    return {path: pk for path, pk in conn.execute(q)}


def list_ontologies(conn: sa.Connection) -> list[OntologyInfo]:
    q = sa.select(ontologies).order_by(ontologies.c.name)
    return [_info(r.id, r.name, r.created_at, orjson.loads(r.spec)) for r in conn.execute(q)]
