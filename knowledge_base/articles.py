"""Knowledge-base articles as YAML files: load, validate, dump, export.

One article per file, named `<intent>.yml`:

    intent: shipping_times
    topic: shipping
    tags: [shipping, delivery]
    status: published
    title: {en: ..., es: ...}
    questions: {en: [...], es: [...]}
    answer: {en: ..., es: ...}

Errors are `ArticleError`s that name the file (and the line, for YAML syntax
errors) so an editor can fix content without reading a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DEMO_CONTENT_DIR = Path(__file__).parent / "content"

STATUSES = ("draft", "in_review", "published", "archived")
TOPICS = (
    "product",
    "shipping",
    "returns",
    "orders",
    "payments",
    "account",
    "store",
    "smalltalk",
    "handoff",
)
FIELDS = ("intent", "topic", "tags", "status", "title", "questions", "answer")
REQUIRED_FIELDS = ("intent", "topic", "status", "title", "questions", "answer")

_INTENT_RE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
_LOCALE_RE = re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")
_TAG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class ArticleError(ValueError):
    """An article file that cannot be loaded; the message names the file (and line)."""

    def __init__(self, source: str | Path | None, problem: str, line: int | None = None) -> None:
        where = str(source) if source is not None else "<article>"
        if line is not None:
            where = f"{where}:{line}"
        super().__init__(f"{where}: {problem}")
        self.source = None if source is None else Path(source)
        self.problem = problem
        self.line = line


@dataclass(frozen=True, slots=True)
class Article:
    """One answer for one intent, in every locale it is written in."""

    intent: str
    topic: str
    tags: tuple[str, ...]
    status: str
    title: Mapping[str, str]
    questions: Mapping[str, tuple[str, ...]]
    answer: Mapping[str, str]
    source: Path | None = field(default=None, compare=False)

    def __hash__(self) -> int:
        # The locale maps are dicts; hash the scalar fields (equal articles still hash equal).
        return hash((self.intent, self.topic, self.tags, self.status))

    @property
    def locales(self) -> tuple[str, ...]:
        return tuple(sorted(self.answer))

    @property
    def is_published(self) -> bool:
        return self.status == "published"


# --- YAML dialect -------------------------------------------------------------------


class _ArticleLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """YAML 1.2-ish booleans: only true/false are booleans; `yes`, `no`, `on`, `off`
    stay strings (a shopper question "no" or a Norwegian locale `no` must survive).
    Duplicate mapping keys are errors instead of silently overwriting."""


_ArticleLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_ArticleLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def _construct_mapping_no_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode) -> Any:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, str | int | float | bool) and key in seen:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                f"found duplicate key {key!r}",
                key_node.start_mark,
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


_ArticleLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping_no_duplicates
)


def _parse_yaml(text: str, source: str | Path | None) -> Any:
    try:
        return yaml.load(text, Loader=_ArticleLoader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        line = mark.line + 1 if mark is not None else None
        raise ArticleError(source, f"YAML syntax error: {problem}", line=line) from exc
    except yaml.YAMLError as exc:
        raise ArticleError(source, f"YAML syntax error: {exc}") from exc


# --- validation ---------------------------------------------------------------------


def _text(value: Any, what: str, source: str | Path | None) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ArticleError(source, f"{what} must be a non-empty string, got {value!r}")
    return value.strip()


def _locale_map(value: Any, what: str, source: str | Path | None) -> dict[str, Any]:
    if not isinstance(value, dict) or not value:
        raise ArticleError(source, f"'{what}' must map locales (e.g. en, es) to content")
    for locale in value:
        if not isinstance(locale, str) or not _LOCALE_RE.match(locale):
            raise ArticleError(source, f"'{what}' has an invalid locale {locale!r}")
    return value


def article_from_mapping(data: Any, source: str | Path | None = None) -> Article:
    """Validate one parsed article document and build the `Article`."""
    if not isinstance(data, dict):
        raise ArticleError(source, "an article must be a YAML mapping of fields")
    unknown = sorted(str(k) for k in data if k not in FIELDS)
    if unknown:
        raise ArticleError(source, f"unknown field(s): {', '.join(unknown)}")
    missing = [name for name in REQUIRED_FIELDS if data.get(name) is None]
    if missing:
        raise ArticleError(source, f"missing field(s): {', '.join(missing)}")

    intent = _text(data["intent"], "'intent'", source)
    if not _INTENT_RE.match(intent):
        raise ArticleError(source, f"intent {intent!r} must be lower snake_case")
    topic = _text(data["topic"], "'topic'", source)
    if topic not in TOPICS:
        raise ArticleError(source, f"unknown topic {topic!r}; expected one of {', '.join(TOPICS)}")
    status = _text(data["status"], "'status'", source)
    if status not in STATUSES:
        raise ArticleError(
            source, f"unknown status {status!r}; expected one of {', '.join(STATUSES)}"
        )

    tags = _tags(data.get("tags") or [], source)
    title = {
        locale: _text(value, f"title.{locale}", source)
        for locale, value in _locale_map(data["title"], "title", source).items()
    }
    answer = {
        locale: _text(value, f"answer.{locale}", source)
        for locale, value in _locale_map(data["answer"], "answer", source).items()
    }
    questions = _questions(data["questions"], source)
    for locale in sorted(set(questions) - set(answer)):
        raise ArticleError(source, f"locale {locale!r} has questions but no answer")
    for locale in sorted(set(answer) - set(questions)):
        raise ArticleError(source, f"locale {locale!r} has an answer but no questions")
    for locale in sorted(set(answer) - set(title)):
        raise ArticleError(source, f"locale {locale!r} has an answer but no title")

    return Article(
        intent=intent,
        topic=topic,
        tags=tags,
        status=status,
        title=title,
        questions=questions,
        answer=answer,
        source=Path(source) if source is not None else None,
    )


def _tags(raw: Any, source: str | Path | None) -> tuple[str, ...]:
    if not isinstance(raw, list):
        raise ArticleError(source, "'tags' must be a list")
    tags = tuple(_text(t, "a tag", source) for t in raw)
    for tag in tags:
        if not _TAG_RE.match(tag):
            raise ArticleError(source, f"tag {tag!r} must be lower case, digits, '-' or '_'")
    return tags


def _questions(raw: Any, source: str | Path | None) -> dict[str, tuple[str, ...]]:
    questions: dict[str, tuple[str, ...]] = {}
    for locale, variants in _locale_map(raw, "questions", source).items():
        if variants is None or (isinstance(variants, list) and not variants):
            raise ArticleError(source, f"questions.{locale} is empty")
        if not isinstance(variants, list):
            raise ArticleError(source, f"questions.{locale} must be a list of questions")
        cleaned = tuple(_text(q, f"a question in questions.{locale}", source) for q in variants)
        seen: set[str] = set()
        for question in cleaned:
            key = normalise_text(question)
            if key in seen:
                raise ArticleError(source, f"questions.{locale} repeats {question!r}")
            seen.add(key)
        questions[locale] = cleaned
    return questions


def normalise_text(text: str) -> str:
    """The comparison key for question texts: lower case, single spaces."""
    return " ".join(text.lower().split())


# --- loading ------------------------------------------------------------------------


def load_article_text(text: str, source: str | Path | None = None) -> Article:
    return article_from_mapping(_parse_yaml(text, source), source)


def load_article(path: str | Path) -> Article:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ArticleError(path, f"cannot read file: {exc}") from exc
    return load_article_text(text, path)


def article_files(path: str | Path) -> list[Path]:
    root = Path(path)
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise ArticleError(root, "no such file or directory")
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".yml", ".yaml"))


def load_dir(path: str | Path) -> list[Article]:
    """Every article under `path` (recursive), sorted by intent; intents are unique."""
    articles: list[Article] = []
    defined_in: dict[str, Path | None] = {}
    for file in article_files(path):
        article = load_article(file)
        if article.intent in defined_in:
            raise ArticleError(
                file,
                f"intent {article.intent!r} is defined twice "
                f"(also in {defined_in[article.intent]})",
            )
        defined_in[article.intent] = file
        articles.append(article)
    return sorted(articles, key=lambda a: a.intent)


# --- dumping ------------------------------------------------------------------------


class _FlowList(list[str]):
    pass


class _ArticleDumper(yaml.SafeDumper):  # type: ignore[misc,unused-ignore]
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent list items under their key ("  en:\n    - ..."), as authors write them.
        super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_flow_list(dumper: yaml.SafeDumper, value: _FlowList) -> yaml.SequenceNode:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)


_ArticleDumper.add_representer(str, _represent_str)
_ArticleDumper.add_representer(_FlowList, _represent_flow_list)


def article_to_mapping(article: Article) -> dict[str, Any]:
    return {
        "intent": article.intent,
        "topic": article.topic,
        "tags": _FlowList(article.tags),
        "status": article.status,
        "title": dict(article.title),
        "questions": {locale: list(qs) for locale, qs in article.questions.items()},
        # A trailing newline makes the emitter choose a plain `|` block, as authors write.
        "answer": {locale: text + "\n" for locale, text in article.answer.items()},
    }


def dump_article(article: Article) -> str:
    return str(
        yaml.dump(
            article_to_mapping(article),
            Dumper=_ArticleDumper,
            sort_keys=False,
            allow_unicode=True,
            default_flow_style=False,
            width=10_000,  # never fold a question or title onto two lines
            indent=2,
        )
    )


def export_dir(articles: Iterable[Article], out_dir: str | Path) -> list[Path]:
    """Write one `<intent>.yml` per article into `out_dir`; returns the paths written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for article in articles:
        target = out / f"{article.intent}.yml"
        if target in written:
            raise ArticleError(target, f"intent {article.intent!r} is exported twice")
        target.write_text(dump_article(article), encoding="utf-8")
        written.append(target)
    return written
