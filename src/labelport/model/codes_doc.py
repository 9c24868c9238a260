"""Render the issue-code reference page (``docs/issue-codes.md``) from the catalogue.

``python -m labelport.model.codes_doc > docs/issue-codes.md`` regenerates it; a test checks the
committed page is what this renders, so the page and the codes never drift apart.
"""

from __future__ import annotations

from labelport.model.issues import CODES


def render() -> str:
    out = [
        "# Issue codes",
        "",
        "Every problem an import finds is an issue with one of these stable codes, a severity, a location",
        "(payload file, line, JSON pointer, annotation id, data row), the offending value, a message and,",
        "where one exists, a hint. `error` stops the job from committing; `warning` is committed and",
        "reported; `info` records what a policy did. Scripts may rely on the codes; messages may improve.",
        "",
        "| code | severity | what it means |",
        "| --- | --- | --- |",
    ]
    out += [f"| [`{code}`](#{code}) | {c.severity.value} | {c.summary} |" for code, c in CODES.items()]
    for code, c in CODES.items():
        out += [
            "",
            f"## {code}",
            "",
            f"*{c.severity.value}*. {c.summary}",
            "",
            f"Example: {c.example}",
            "",
            f"Fix: {c.fix}",
        ]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(render(), end="")
