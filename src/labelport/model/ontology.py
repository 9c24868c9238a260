"""Ontologies: the classes a project may use.

The document shape is the one the Labelbox SDK exports (``{"tools": [...], "classifications": [...]}``)
so that an exported ontology loads unchanged; AIMMO task types are accepted as tool kinds, and AIMMO
"attributes" are nested classifications. Parsing checks the whole document and raises an
:class:`OntologyError` carrying the JSON pointer of the first fault, because an ontology is small and
hand-written: one clear fault at a time is what a person fixes best.

Every node (tool, classification, option) gets a feature id. One present in the document
(``featureSchemaId``) is kept, so payloads that name classes by schema id keep working; otherwise it
is derived from the node's path, so re-creating the same ontology yields the same ids and exported
payloads that carry them import into a fresh project.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from enum import StrEnum
from typing import Any

import msgspec

from labelport.model.errors import OntologyError


class ToolKind(StrEnum):
    RECTANGLE = "rectangle"
    POLYGON = "polygon"
    LINE = "line"
    POINT = "point"
    SKELETON = "skeleton"  # keypoints with named points and edges (COCO keypoints, YOLO pose)
    ELLIPSE = "ellipse"
    RASTER_SEGMENTATION = "raster-segmentation"
    POLY_SEG = "poly_seg"  # AIMMO polygon segmentation
    CUBOID = "cuboid"
    NAMED_ENTITY = "named-entity"
    EDGE = "edge"  # relationship between two annotations


TOOL_ALIASES: dict[str, ToolKind] = {
    "box": ToolKind.RECTANGLE,
    "bbox": ToolKind.RECTANGLE,
    "polyline": ToolKind.LINE,
    "keypoint": ToolKind.POINT,
    "superpixel": ToolKind.RASTER_SEGMENTATION,
    "segmentation": ToolKind.RASTER_SEGMENTATION,
    "relationship": ToolKind.EDGE,
    "entity": ToolKind.NAMED_ENTITY,
}


class ClassificationType(StrEnum):
    RADIO = "radio"
    CHECKLIST = "checklist"
    TEXT = "text"


class Option(msgspec.Struct, frozen=True):
    value: str
    label: str
    feature_id: str
    classifications: tuple[Classification, ...] = ()


class Classification(msgspec.Struct, frozen=True):
    name: str
    type: ClassificationType
    feature_id: str
    required: bool = False
    options: tuple[Option, ...] = ()
    scope: str = "global"  # "index": frame / temporal scope (video, audio)

    def option(self, value: str) -> Option | None:
        for opt in self.options:
            if opt.value == value:
                return opt
        return None

    def option_by_feature_id(self, feature_id: str) -> Option | None:
        for opt in self.options:
            if opt.feature_id == feature_id:
                return opt
        return None


class Tool(msgspec.Struct, frozen=True):
    name: str
    kind: ToolKind
    feature_id: str
    color: str | None = None
    required: bool = False
    classifications: tuple[Classification, ...] = ()
    keypoints: tuple[str, ...] = ()  # skeleton: point names, in order
    edges: tuple[tuple[int, int], ...] = ()  # skeleton: 1-based pairs, as COCO writes them


Feature = Tool | Classification


class Ontology(msgspec.Struct, frozen=True):
    tools: tuple[Tool, ...] = ()
    classifications: tuple[Classification, ...] = ()

    def top_level(self) -> Iterator[Feature]:
        yield from self.tools
        yield from self.classifications

    def by_name(self, name: str) -> Feature | None:
        for node in self.top_level():
            if node.name == name:
                return node
        return None

    def walk(self) -> Iterator[tuple[str, Tool | Classification | Option, str | None]]:
        """Every node as ``(path, node, parent_path)``, parents before children."""
        for tool in self.tools:
            path = f"tool:{tool.name}"
            yield path, tool, None
            yield from _walk_classifications(tool.classifications, path)
        yield from _walk_classifications(self.classifications, None)

    def to_dict(self) -> dict[str, Any]:
        """The normalised document, feature ids included; parsing it again gives the same ontology."""
        return {
            "tools": [_tool_dict(t) for t in self.tools],
            "classifications": [_cls_dict(c) for c in self.classifications],
        }


def _walk_classifications(
    classifications: tuple[Classification, ...], parent: str | None
) -> Iterator[tuple[str, Tool | Classification | Option, str | None]]:
    for cls in classifications:
        path = f"{parent}/{cls.name}" if parent else f"cls:{cls.name}"
        yield path, cls, parent
        for opt in cls.options:
            opath = f"{path}={opt.value}"
            yield opath, opt, path
            yield from _walk_classifications(opt.classifications, opath)


def _tool_dict(t: Tool) -> dict[str, Any]:
    d: dict[str, Any] = {
        "name": t.name,
        "tool": t.kind.value,
        "featureSchemaId": t.feature_id,
        "required": t.required,
    }
    if t.color is not None:
        d["color"] = t.color
    if t.keypoints:
        d["keypoints"] = list(t.keypoints)
        d["edges"] = [list(e) for e in t.edges]
    d["classifications"] = [_cls_dict(c) for c in t.classifications]
    return d


def _cls_dict(c: Classification) -> dict[str, Any]:
    d: dict[str, Any] = {
        "name": c.name,
        "type": c.type.value,
        "featureSchemaId": c.feature_id,
        "required": c.required,
        "scope": c.scope,
    }
    d["options"] = [
        {
            "value": o.value,
            "label": o.label,
            "featureSchemaId": o.feature_id,
            "options": [_cls_dict(x) for x in o.classifications],
        }
        for o in c.options
    ]
    return d


def derived_feature_id(path: str) -> str:
    """A cuid-shaped id (``c`` + 24 base-36 digits) that depends only on the node's path."""
    n = int.from_bytes(hashlib.sha256(f"labelport:{path}".encode()).digest()[:16], "big")
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = []
    for _ in range(24):
        n, r = divmod(n, 36)
        out.append(digits[r])
    return "c" + "".join(out)


# --------------------------------------------------------------------------------------------
# parsing


def parse_ontology(doc: Any) -> Ontology:
    """Check and normalise an ontology document; raise :class:`OntologyError` at the first fault."""
    if not isinstance(doc, Mapping):
        raise OntologyError("an ontology is a JSON object with `tools` and `classifications`", pointer="")
    unknown = set(doc) - _ROOT_KEYS
    tools_doc = _list(doc, "tools", "")
    cls_doc = _list(doc, "classifications", "")
    if not tools_doc and not cls_doc and unknown:
        raise OntologyError(f"no `tools` or `classifications`; found {sorted(unknown)}", pointer="")
    tools = tuple(_parse_tool(t, f"/tools/{i}") for i, t in enumerate(tools_doc))
    classifications = tuple(
        _parse_classification(c, f"/classifications/{i}", None) for i, c in enumerate(cls_doc)
    )
    seen: dict[str, str] = {}
    for ptr, node in [(f"/tools/{i}", t) for i, t in enumerate(tools)] + [
        (f"/classifications/{i}", c) for i, c in enumerate(classifications)
    ]:
        _unique(node.name, ptr, seen)
    return Ontology(tools=tools, classifications=classifications)


_ROOT_KEYS = {
    "tools",
    "classifications",
    "name",
    "ontologyId",
    "id",
    "createdAt",
    "updatedAt",
    "normalized",
    "description",
    "mediaType",
}


def _list(doc: Mapping[str, Any], key: str, ptr: str) -> list[Any]:
    value = doc.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise OntologyError(f"`{key}` must be a list, got {type(value).__name__}", pointer=f"{ptr}/{key}")
    return value


def _name(doc: Mapping[str, Any], ptr: str, key: str = "name") -> str:
    name = doc.get(key)
    if not isinstance(name, str) or not name:
        raise OntologyError(f"`{key}` must be a non-empty string", pointer=f"{ptr}/{key}")
    return name


def _bool(doc: Mapping[str, Any], key: str, ptr: str) -> bool:
    value = doc.get(key, False)
    if not isinstance(value, bool):
        raise OntologyError(f"`{key}` must be true or false", pointer=f"{ptr}/{key}")
    return value


def _unique(name: str, ptr: str, seen: dict[str, str]) -> None:
    if name in seen:
        raise OntologyError(
            f"duplicate name {name!r} (also at {seen[name]})",
            pointer=ptr,
            hint="names must be unique among siblings; case and spacing count",
        )
    seen[name] = ptr


def _feature_id(doc: Mapping[str, Any], path: str, ptr: str) -> str:
    given = doc.get("featureSchemaId")
    if given is None:
        return derived_feature_id(path)
    if not isinstance(given, str) or not given:
        raise OntologyError("`featureSchemaId` must be a non-empty string", pointer=f"{ptr}/featureSchemaId")
    return given


def _parse_tool(doc: Any, ptr: str) -> Tool:
    if not isinstance(doc, Mapping):
        raise OntologyError("a tool is a JSON object", pointer=ptr)
    name = _name(doc, ptr)
    raw_kind = doc.get("tool")
    if not isinstance(raw_kind, str):
        raise OntologyError("`tool` must be a string naming the tool kind", pointer=f"{ptr}/tool")
    kind = TOOL_ALIASES.get(raw_kind) or _tool_kind(raw_kind, f"{ptr}/tool")
    color = doc.get("color")
    if color is not None and not isinstance(color, str):
        raise OntologyError("`color` must be a string such as `#ff0000`", pointer=f"{ptr}/color")
    path = f"tool:{name}"
    classifications = _parse_children(doc, ptr, path)
    keypoints: tuple[str, ...] = ()
    edges: tuple[tuple[int, int], ...] = ()
    if kind is ToolKind.SKELETON:
        keypoints, edges = _parse_skeleton(doc, ptr)
    return Tool(
        name=name,
        kind=kind,
        feature_id=_feature_id(doc, path, ptr),
        color=color,
        required=_bool(doc, "required", ptr),
        classifications=classifications,
        keypoints=keypoints,
        edges=edges,
    )


def _tool_kind(raw: str, ptr: str) -> ToolKind:
    try:
        return ToolKind(raw)
    except ValueError:
        allowed = sorted({k.value for k in ToolKind} | set(TOOL_ALIASES))
        raise OntologyError(
            f"unknown tool kind {raw!r}", pointer=ptr, hint="one of " + ", ".join(allowed)
        ) from None


def _parse_skeleton(doc: Mapping[str, Any], ptr: str) -> tuple[tuple[str, ...], tuple[tuple[int, int], ...]]:
    kps = doc.get("keypoints")
    if not isinstance(kps, list) or not kps or not all(isinstance(k, str) and k for k in kps):
        raise OntologyError(
            "a skeleton needs `keypoints`, a non-empty list of names", pointer=f"{ptr}/keypoints"
        )
    seen: dict[str, str] = {}
    for i, k in enumerate(kps):
        _unique(k, f"{ptr}/keypoints/{i}", seen)
    edges_doc = doc.get("edges", [])
    if not isinstance(edges_doc, list):
        raise OntologyError("`edges` must be a list of [a, b] pairs", pointer=f"{ptr}/edges")
    edges = []
    for i, e in enumerate(edges_doc):
        ok = (
            isinstance(e, list)
            and len(e) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= len(kps) for v in e)
        )
        if not ok:
            raise OntologyError(
                f"an edge is a pair of 1-based keypoint numbers up to {len(kps)}", pointer=f"{ptr}/edges/{i}"
            )
        edges.append((e[0], e[1]))
    return tuple(kps), tuple(edges)


def _parse_children(doc: Mapping[str, Any], ptr: str, path: str) -> tuple[Classification, ...]:
    items = _list(doc, "classifications", ptr)
    out = []
    seen: dict[str, str] = {}
    for i, c in enumerate(items):
        cptr = f"{ptr}/classifications/{i}"
        cls = _parse_classification(c, cptr, path)
        _unique(cls.name, cptr, seen)
        out.append(cls)
    return tuple(out)


def _parse_classification(doc: Any, ptr: str, parent: str | None) -> Classification:
    if not isinstance(doc, Mapping):
        raise OntologyError("a classification is a JSON object", pointer=ptr)
    name = _name(doc, ptr) if "name" in doc else _name(doc, ptr, "instructions")
    raw_type = doc.get("type")
    try:
        ctype = ClassificationType(raw_type) if isinstance(raw_type, str) else None
    except ValueError:
        ctype = None
    if ctype is None:
        raise OntologyError(
            f"unknown classification type {raw_type!r}",
            pointer=f"{ptr}/type",
            hint="one of radio, checklist, text",
        )
    path = f"{parent}/{name}" if parent else f"cls:{name}"
    options_doc = _list(doc, "options", ptr)
    if ctype is ClassificationType.TEXT:
        if options_doc:
            raise OntologyError("a text classification takes no options", pointer=f"{ptr}/options")
        options: tuple[Option, ...] = ()
    else:
        if not options_doc:
            raise OntologyError(
                f"a {ctype.value} classification needs at least one option", pointer=f"{ptr}/options"
            )
        seen: dict[str, str] = {}
        opts = []
        for i, o in enumerate(options_doc):
            optr = f"{ptr}/options/{i}"
            opt = _parse_option(o, optr, path)
            _unique(opt.value, optr, seen)
            opts.append(opt)
        options = tuple(opts)
    scope = doc.get("scope", "global")
    if scope not in ("global", "index"):
        raise OntologyError("`scope` must be `global` or `index`", pointer=f"{ptr}/scope")
    return Classification(
        name=name,
        type=ctype,
        feature_id=_feature_id(doc, path, ptr),
        required=_bool(doc, "required", ptr),
        options=options,
        scope=scope,
    )


def _parse_option(doc: Any, ptr: str, parent: str) -> Option:
    if isinstance(doc, str) and doc:
        doc = {"value": doc}
    if not isinstance(doc, Mapping):
        raise OntologyError("an option is a JSON object with a `value`", pointer=ptr)
    value = _name(doc, ptr, "value") if "value" in doc else _name(doc, ptr, "label")
    label = doc.get("label", value)
    if not isinstance(label, str):
        raise OntologyError("`label` must be a string", pointer=f"{ptr}/label")
    path = f"{parent}={value}"
    children_doc = _list(doc, "options", ptr)
    children = []
    seen: dict[str, str] = {}
    for i, c in enumerate(children_doc):
        cptr = f"{ptr}/options/{i}"
        cls = _parse_classification(c, cptr, path)
        _unique(cls.name, cptr, seen)
        children.append(cls)
    return Option(
        value=value, label=label, feature_id=_feature_id(doc, path, ptr), classifications=tuple(children)
    )
