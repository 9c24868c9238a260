"""Classification answers resolved against the ontology, to any depth.

Names match exactly. A near miss is named in the hint and never applied. The result is the
answer with both the name and the feature id of every classification and option filled in: the
form that is stored.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from labelport.model.names import hint_for
from labelport.model.ontology import Classification, ClassificationType, Option
from labelport.model.records import Answer, Choice
from labelport.validate.geometry import Problem

Report = Callable[[str, str, str, object, str | None], None]  # code, message, pointer, value, hint


def resolve_answers(
    answers: Sequence[Answer], scope: Sequence[Classification], where: str, report: Report
) -> list[Answer] | None:
    """Resolve nested answers against the classifications allowed in ``scope``; None if any fails."""
    if not answers and not any(c.required for c in scope):
        return []  # most objects answer nothing nested: no indexes to build
    ok = True
    out: list[Answer] = []
    seen: set[str] = set()
    by_name = {c.name: c for c in scope}
    by_id = {c.feature_id: c for c in scope}
    for a in answers:
        cls = by_name.get(a.name or "") if a.name is not None else by_id.get(a.schema_id or "")
        if cls is None:
            given = a.name if a.name is not None else a.schema_id
            allowed = [c.name for c in scope]
            report(
                "unknown_attribute",
                f"{where} defines no classification {given!r}"
                + (f" (it defines {', '.join(allowed)})" if allowed else " (it defines none)"),
                a.pointer,
                given,
                hint_for(str(given), allowed),
            )
            ok = False
            continue
        if cls.name in seen:
            report(
                "duplicate_answer", f"`{cls.name}` is answered twice under {where}", a.pointer, cls.name, None
            )
            ok = False
            continue
        seen.add(cls.name)
        resolved = resolve_answer(a, cls, report)
        if resolved is None:
            ok = False
        else:
            out.append(resolved)
    for cls in scope:
        if cls.required and cls.name not in seen:
            report(
                "missing_required_classification",
                f"{where} requires an answer to `{cls.name}`",
                "",
                cls.name,
                None,
            )
            ok = False
    return out if ok else None


def resolve_answer(a: Answer, cls: Classification, report: Report) -> Answer | None:
    v = a.value
    kind = cls.type
    if a.loose and isinstance(v, str) and kind is ClassificationType.RADIO:
        v = Choice(name=v, pointer=a.pointer)
    if a.loose and isinstance(v, str) and kind is ClassificationType.CHECKLIST:
        v = [Choice(name=v, pointer=a.pointer)]
    if isinstance(v, Choice | list) and _timed(v) and kind is not ClassificationType.CHECKLIST:
        return _over_time(a, cls, v if isinstance(v, list) else [v], report)
    shape = "a string" if isinstance(v, str) else "a list" if isinstance(v, list) else "one answer"
    if kind is ClassificationType.TEXT:
        if not isinstance(v, str):
            report(
                "answer_type_mismatch",
                f"`{cls.name}` is a text classification; got {shape}",
                a.pointer,
                None,
                "give a string",
            )
            return None
        return Answer(name=cls.name, schema_id=cls.feature_id, value=v)
    if kind is ClassificationType.RADIO:
        if not isinstance(v, Choice):
            report(
                "answer_type_mismatch",
                f"`{cls.name}` is a radio classification; got {shape}",
                a.pointer,
                None,
                "give one answer object",
            )
            return None
        c = _choice(v, cls, report)
        return None if c is None else Answer(name=cls.name, schema_id=cls.feature_id, value=c)
    if not isinstance(v, list):
        report(
            "answer_type_mismatch",
            f"`{cls.name}` is a checklist; got {shape}",
            a.pointer,
            None,
            "give a list of answers",
        )
        return None
    if not v:
        report(
            "answer_type_mismatch",
            f"the checklist `{cls.name}` has an empty answer list",
            a.pointer,
            [],
            None,
        )
        return None
    choices: list[Choice] = []
    names: set[str] = set()
    ok = True
    for item in v:
        c = _choice(item, cls, report)
        if c is None:
            ok = False
        elif c.name in names:
            report(
                "duplicate_answer",
                f"the checklist `{cls.name}` names `{c.name}` twice",
                item.pointer,
                c.name,
                None,
            )
            ok = False
        else:
            names.add(c.name or "")
            choices.append(c)
    return Answer(name=cls.name, schema_id=cls.feature_id, value=choices) if ok else None


def _choice(c: Choice, cls: Classification, report: Report) -> Choice | None:
    opt: Option | None = (
        cls.option(c.name) if c.name is not None else cls.option_by_feature_id(c.schema_id or "")
    )
    if opt is None:
        given = c.name if c.name is not None else c.schema_id
        allowed = [o.value for o in cls.options]
        report(
            "attribute_value_not_allowed",
            f"{given!r} is not an allowed value of `{cls.name}` (allowed: {', '.join(allowed)})",
            c.pointer,
            given,
            hint_for(str(given), allowed),
        )
        return None
    nested = resolve_answers(
        c.classifications, opt.classifications, f"option `{cls.name}={opt.value}`", report
    )
    if nested is None:
        return None
    return Choice(name=opt.value, schema_id=opt.feature_id, classifications=nested, frames=c.frames)


# --- answers over time (video frames, audio milliseconds) --------------------------------------


def _timed(v: Choice | list[Choice]) -> bool:
    """Every chosen option (or text) holds over ranges: a radio or a text answered over time."""
    items = v if isinstance(v, list) else [v]
    return bool(items) and all(c.frames is not None for c in items)


def _over_time(a: Answer, cls: Classification, items: list[Choice], report: Report) -> Answer | None:
    """A radio or a text over time: a list of answers, each over its ranges, one at a time. The stored
    form is that list, however the payload wrote it (one object, or a list)."""
    texts = [c.text is not None for c in items]
    mixed = any(texts) and not all(texts)
    if mixed or any(texts) != (cls.type is ClassificationType.TEXT):
        got = "text values" if any(texts) else "options"
        report(
            "answer_type_mismatch",
            f"`{cls.name}` is a {cls.type.value} classification; got {got} over time",
            a.pointer,
            None,
            "give `value` items for a text, `name` items for a radio",
        )
        return None
    out: list[Choice] = []
    for c in items:
        if c.text is not None:
            nested = resolve_answers(c.classifications, (), f"the text `{cls.name}`", report)
            resolved = None if nested is None else Choice(text=c.text, frames=c.frames)
        else:
            resolved = _choice(c, cls, report)
        if resolved is None:
            return None
        out.append(resolved)
    spans = sorted((s, e, c) for c in out for s, e in c.frames or [] if s <= e)
    for (_, e1, c1), (s2, e2, c2) in itertools.pairwise(spans):
        if s2 < e1 and c1 is not c2:
            report(
                "segments_overlap",
                f"`{cls.name}` holds one answer at a time; {_said(c1)} and {_said(c2)} overlap "
                f"at {s2}-{min(e1, e2)}",
                a.pointer,
                [s2, min(e1, e2)],
                None,
            )
            return None
    return Answer(name=cls.name, schema_id=cls.feature_id, value=out)


def _said(c: Choice) -> str:
    return f"{c.text!r}" if c.text is not None else f"`{c.name}`"


def time_problems(answers: Sequence[Answer], lo: int, hi: int, clip: str, code: str) -> list[Problem]:
    """Where answers hold over time, checked against the asset: ``lo``..``hi`` inclusive, in the
    media type's units, ``clip`` naming them for messages ("the video's frames 1-48") and ``code``
    the issue for a range that leaves them. Every range starts before it ends, stays in the clip,
    does not overlap the answer's other ranges, and a nested answer's ranges lie inside its
    parent's (or the nearest ancestor's that has ranges)."""
    found = _Clip(lo, hi, clip, code)
    _walk(answers, None, found)
    return found.problems


def chosen(a: Answer) -> list[Choice]:
    """The options (or texts over time) an answer names; none for a plain text."""
    v = a.value
    return v if isinstance(v, list) else [v] if isinstance(v, Choice) else []


_Spans = list[tuple[int, int]]  # (start, end) pairs, both ends inclusive


@dataclass
class _Clip:
    lo: int
    hi: int
    name: str
    code: str
    problems: list[Problem] = field(default_factory=list)


def _walk(answers: Sequence[Answer], parent: _Spans | None, clip: _Clip) -> None:
    for a in answers:
        for c in chosen(a):
            what = f"`{a.name or a.schema_id}`" + (f" = {_said(c)}" if c.name or c.text is not None else "")
            if c.frames is not None:
                _spans(what, c.frames, parent, clip)
            _walk(c.classifications, c.frames if c.frames is not None else parent, clip)


def _spans(what: str, spans: _Spans, parent: _Spans | None, clip: _Clip) -> None:
    out = clip.problems
    before: tuple[int, int] | None = None
    held = _merged(parent) if parent is not None else None
    for s, e in sorted(spans):
        if s > e:
            out.append(("range_reversed", f"{what}: the range {s}-{e} ends before it starts", [s, e]))
            continue
        if s < clip.lo or e > clip.hi:
            out.append((clip.code, f"{what}: the range {s}-{e} leaves {clip.name}", [s, e]))
        if before is not None and s < before[1]:
            overlap = f"{what}: the ranges {before[0]}-{before[1]} and {s}-{e} overlap"
            out.append(("segments_overlap", overlap, [s, e]))
        before = (s, e)
        if held is not None and not any(ps <= s and e <= pe for ps, pe in held):
            out.append(
                (
                    "child_outside_parent",
                    f"{what}: the range {s}-{e} is not inside its parent's ranges "
                    + ", ".join(f"{ps}-{pe}" for ps, pe in held),
                    [s, e],
                )
            )


def _merged(spans: _Spans) -> _Spans:
    """Ranges joined where they touch or overlap (frames 1-3 and 4-6 hold over 1-6)."""
    out: _Spans = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out
