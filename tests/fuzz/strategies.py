"""Hypothesis strategies for provider payloads: recorded payloads (tests/payloads/) with
some fields changed.

Two alphabets: `CLEAN` text has no NUL and no lone surrogate; `NASTY` text has both
(issue #10 rows 3 and 4: stored sanitised, never a 500). A property runs on each.

`well_formed` keeps a payload's structure and types and changes only what a shopper or
operator may type (texts, names) and the ids; `mangled` also deletes keys and puts
values of the wrong type anywhere: huge integers, floats, nulls, lists, objects.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

PAYLOADS = Path(__file__).resolve().parents[1] / "payloads"

CLEAN = "clean"
NASTY = "nul-and-surrogates"
ALPHABETS = (CLEAN, NASTY)

# Characters that found bugs elsewhere: control characters, RTL and zero-width marks,
# emoji outside the BMP, HTML and Slack markup.
_TRICKY = "\t\n\r\x1b\u200b\u202e\ufeff😀𝄞<>&*_~`'\"\\"


def recorded(name: str) -> dict[str, Any]:
    """A recorded payload (`telegram/text`, `twilio/inbound_text`, `slack/command`…)."""
    data: dict[str, Any] = json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))
    return data


def texts(alphabet: str, *, min_size: int = 0, max_size: int = 60) -> st.SearchStrategy[str]:
    """What a person may type; with `NASTY`, NUL and lone surrogates too."""
    nasty = alphabet == NASTY
    characters = st.characters(
        codec=None if nasty else "utf-8",
        exclude_categories=() if nasty else ("Cs",),
        exclude_characters=None if nasty else "\x00",
    )
    pieces = st.one_of(characters, st.sampled_from(_TRICKY + ("\x00\ud800\udfff" if nasty
                                                              else "")))
    # Now and then one character many times: longer than the columns text goes to
    # (16 for a locale, 200 for a name), which only PostgreSQL enforces.
    repeated = st.tuples(pieces, st.integers(17, 400)).map(lambda t: t[0] * t[1])
    return st.one_of(st.lists(pieces, min_size=min_size, max_size=max_size).map("".join),
                     repeated.filter(lambda text: len(text) >= min_size))


def huge_integers() -> st.SearchStrategy[int]:
    return st.one_of(st.integers(), st.sampled_from([2**63, -(2**63) - 1, 2**64, 10**400]))


def wrong_values(alphabet: str) -> st.SearchStrategy[Any]:
    """Any JSON value, of any type, including the ones providers never send."""
    scalars = st.one_of(
        st.none(), st.booleans(), huge_integers(),
        st.floats(allow_nan=False, allow_infinity=False), texts(alphabet),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3),
            st.dictionaries(texts(alphabet, max_size=8), inner, max_size=3),
        ),
        max_leaves=6,
    )


Path_ = tuple[str | int, ...]


def _paths(value: Any, prefix: Path_ = ()) -> list[Path_]:
    """Every key path in a JSON value, parents before children."""
    found: list[Path_] = []
    children: Sequence[tuple[str | int, Any]] = ()
    if isinstance(value, dict):
        children = list(value.items())
    elif isinstance(value, list):
        children = list(enumerate(value))
    for key, child in children:
        found.append((*prefix, key))
        found.extend(_paths(child, (*prefix, key)))
    return found


def _get(value: Any, path: Path_) -> Any:
    for key in path:
        value = value[key]
    return value


def _set(value: Any, path: Path_, new: Any) -> None:
    _get(value, path[:-1])[path[-1]] = new


def _delete(value: Any, path: Path_) -> None:
    parent = _get(value, path[:-1])
    if isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = None  # a list keeps its length, so later paths stay valid


@st.composite
def mangled(draw: st.DrawFn, template: dict[str, Any], alphabet: str) -> dict[str, Any]:
    """`template` with a few fields deleted or replaced by values of any type."""
    payload = copy.deepcopy(template)
    paths = _paths(payload)
    chosen = draw(st.lists(st.sampled_from(paths), min_size=1, max_size=4, unique=True))
    for path in sorted(chosen, key=len, reverse=True):  # children before their parents
        action = draw(st.sampled_from(("delete", "replace", "text")))
        if action == "delete":
            _delete(payload, path)
        elif action == "replace":
            _set(payload, path, draw(wrong_values(alphabet)))
        else:
            _set(payload, path, draw(texts(alphabet)))
    return payload


def well_formed(
    draw: st.DrawFn, template: dict[str, Any], typed: Sequence[Path_], alphabet: str
) -> dict[str, Any]:
    """`template` with the text at each of `typed` paths (that it has) drawn anew."""
    payload = copy.deepcopy(template)
    for path in typed:
        try:
            _get(payload, path)
        except (KeyError, IndexError, TypeError):
            continue
        _set(payload, path, draw(texts(alphabet)))
    return payload
