"""Classification answers resolved against the ontology, to any depth.

Names match exactly. A near miss is named in the hint and never applied. The result is the
answer with both the name and the feature id of every classification and option filled in: the
form that is stored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from labelport.model.names import hint_for
from labelport.model.ontology import Classification, ClassificationType, Option
from labelport.model.records import Answer, Choice

Report = Callable[[str, str, str, object, str | None], None]  # code, message, pointer, value, hint


def resolve_answers(
    answers: Sequence[Answer], scope: Sequence[Classification], where: str, report: Report
) -> list[Answer] | None:
    """Resolve nested answers against the classifications allowed in ``scope``; None if any fails."""
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
