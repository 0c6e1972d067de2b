"""Match clauses: the rules that decide which model ids a price-table entry answers to.

A clause is one of `{equals = s}`, `{starts_with = s}`, `{ends_with = s}`, `{contains = s}` (all four
case-insensitive), `{regex = r}` (Python `re.search` on the lower-cased id), or `{or = [...]}` /
`{and = [...]}` of clauses: the genai-prices semantics, so its rules keep their meaning.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any, Final

Matcher = Callable[[str], bool]

STRING_OPS: Final = ("equals", "starts_with", "ends_with", "contains", "regex")
COMBINATORS: Final = ("or", "and")


class ClauseError(ValueError):
    """A match clause is malformed; the message names the offending key path."""


def validate(clause: Any, path: str = "match") -> None:
    """Raise ClauseError naming `path` if `clause` is not a well-formed match clause."""
    if not isinstance(clause, Mapping) or len(clause) != 1:
        raise ClauseError(f"{path}: expected a table with exactly one of {', '.join(STRING_OPS + COMBINATORS)}")
    ((op, value),) = clause.items()
    if op in STRING_OPS:
        if not isinstance(value, str):
            raise ClauseError(f"{path}.{op}: expected a string")
        if op == "regex":
            try:
                re.compile(value)
            except re.error as exc:
                raise ClauseError(f"{path}.regex: invalid regular expression ({exc})") from None
        return
    if op in COMBINATORS:
        if not isinstance(value, Sequence) or isinstance(value, str) or not value:
            raise ClauseError(f"{path}.{op}: expected a non-empty list of clauses")
        for i, sub in enumerate(value):
            validate(sub, f"{path}.{op}[{i}]")
        return
    raise ClauseError(f"{path}: unknown clause {op!r} (expected one of {', '.join(STRING_OPS + COMBINATORS)})")


def compile_clause(clause: Mapping[str, Any]) -> Matcher:
    """Turn a validated clause into a predicate on a lower-cased model id."""
    ((op, value),) = clause.items()
    if op == "equals":
        text = value.lower()
        return lambda ref: ref == text
    if op == "starts_with":
        text = value.lower()
        return lambda ref: ref.startswith(text)
    if op == "ends_with":
        text = value.lower()
        return lambda ref: ref.endswith(text)
    if op == "contains":
        text = value.lower()
        return lambda ref: text in ref
    if op == "regex":
        pattern = _regex(value)
        return lambda ref: pattern.search(ref) is not None
    subs = [compile_clause(sub) for sub in value]
    if op == "or":
        return lambda ref: any(sub(ref) for sub in subs)
    return lambda ref: all(sub(ref) for sub in subs)


@lru_cache(maxsize=4096)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def literals(clause: Mapping[str, Any]) -> list[str]:
    """Every literal id a clause names (for suggestions and listings)."""
    ((op, value),) = clause.items()
    if op in COMBINATORS:
        return [text for sub in value for text in literals(sub)]
    if op in ("equals", "starts_with"):
        return [value.lower()]
    return []
