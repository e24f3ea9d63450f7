"""An article's content as a revision stores it, its validation with the field to blame,
and the per-field diff between two revisions.

`content` is the YAML article's fields but intent and status: `{"topic", "tags",
"title": {loc: str}, "questions": {loc: [str]}, "answer": {loc: str}}`. Validation is
`articles.article_from_mapping`, the very rules of a YAML import; its problem sentence
is mapped to the dotted field an editor must fix (`questions.es`, `answer.en`, `tags`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from relevo.knowledge_base.articles import Article, ArticleError, article_from_mapping

CONTENT_FIELDS = ("topic", "tags", "title", "questions", "answer")
LOCALE_FIELDS = ("title", "questions", "answer")

# A check of an answer's formatting (`bot.formatting.problems`): what it refuses.
AnswerCheck = Callable[[str], list[str]]


@dataclass(frozen=True, slots=True)
class Invalid:
    """Why a content was refused: the dotted field and the reason."""

    field: str
    reason: str


def content_of(article: Article) -> dict[str, Any]:
    return {
        "topic": article.topic,
        "tags": list(article.tags),
        "title": dict(sorted(article.title.items())),
        "questions": {loc: list(qs) for loc, qs in sorted(article.questions.items())},
        "answer": dict(sorted(article.answer.items())),
    }


def article_of(intent: str, status: str, content: Mapping[str, Any]) -> Article:
    return Article(
        intent=intent,
        topic=str(content["topic"]),
        tags=tuple(content.get("tags") or ()),
        status=status,
        title=dict(content["title"]),
        questions={loc: tuple(qs) for loc, qs in content["questions"].items()},
        answer=dict(content["answer"]),
    )


def validate(data: Mapping[str, Any], check: AnswerCheck | None = None) -> Article | Invalid:
    """The article `data` (content plus `intent`) describes, or what is wrong with it."""
    try:
        article = article_from_mapping({**data, "status": "draft"})
    except ArticleError as exc:
        return Invalid(field_of(exc.problem), exc.problem)
    for locale, text in sorted(article.answer.items()):
        for problem in (check(text) if check is not None else []):
            prefix = f"answer.{locale}:"
            return Invalid(f"answer.{locale}", problem.removeprefix(prefix).strip())
    return article


# Problem sentences of `article_from_mapping` → the field they are about.
_LOCALE_PROBLEMS = (
    (re.compile(r"locale '([^']+)' has questions but no answer"), "answer.{0}"),
    (re.compile(r"locale '([^']+)' has an answer but no questions"), "questions.{0}"),
    (re.compile(r"locale '([^']+)' has an answer but no title"), "title.{0}"),
    (re.compile(r"\b((?:title|answer|questions)\.[A-Za-z0-9_-]+)"), "{0}"),
    (re.compile(r"(?:unknown|missing) field\(s\): ([a-z_]+)"), "{0}"),
    (re.compile(r"'(title|answer|questions|intent|topic|tags)'"), "{0}"),
    (re.compile(r"^(intent|tag|topic)\b"), "{0}"),
    (re.compile(r"^unknown (topic)\b"), "{0}"),
    (re.compile(r"^a (tag)\b"), "{0}"),
)


def field_of(problem: str) -> str:
    for pattern, template in _LOCALE_PROBLEMS:
        found = pattern.search(problem)
        if found:
            field = template.format(found.group(1))
            return "tags" if field == "tag" else field
    return "article"


# --- diff --------------------------------------------------------------------------------

FieldValue = str | list[str] | None


def _fields(content: Mapping[str, Any]) -> dict[str, FieldValue]:
    flat: dict[str, FieldValue] = {"topic": content.get("topic"),
                                   "tags": list(content.get("tags") or [])}
    for name in LOCALE_FIELDS:
        for locale, value in (content.get(name) or {}).items():
            flat[f"{name}.{locale}"] = list(value) if isinstance(value, list) else value
    return flat


def _lines(value: FieldValue) -> list[str]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else value.splitlines()


def _order(field: str) -> tuple[int, str]:
    head = field.split(".", 1)[0]
    return (CONTENT_FIELDS.index(head) if head in CONTENT_FIELDS else 99, field)


def diff(
    before: Mapping[str, Any], after: Mapping[str, Any], from_label: str, to_label: str
) -> list[dict[str, Any]]:
    """Every field that differs: its two values and a unified diff of their lines."""
    old, new = _fields(before), _fields(after)
    changes = []
    for field in sorted(old.keys() | new.keys(), key=_order):
        if old.get(field) == new.get(field):
            continue
        lines = difflib.unified_diff(
            _lines(old.get(field)), _lines(new.get(field)),
            fromfile=f"{from_label} {field}", tofile=f"{to_label} {field}", lineterm="")
        changes.append({"field": field, "before": old.get(field), "after": new.get(field),
                        "diff": list(lines)})
    return changes
