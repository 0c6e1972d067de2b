"""Errors in aicost's TOML files (price tables, scenarios, alias files, configuration) said the way a person
editing the file thinks: the file, the line or key, and what was expected there.
"""

from __future__ import annotations

import re
import tomllib
from typing import Any

import msgspec

_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_PATH = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_UNKNOWN = re.compile(r"^Object contains unknown field `(?P<name>[^`]+)`")
_STEP = re.compile(r"\.([^.\[]+)|\[(\d+)\]")


def syntax_error(where: str, exc: tomllib.TOMLDecodeError) -> str:
    """`FILE: line N, column M: invalid TOML: what` (the position first, where editors look for it)."""
    text = str(exc)
    found = _AT.search(text)
    if found is None:
        return f"{where}: invalid TOML: {text}"
    return f"{where}: line {found[1]}, column {found[2]}: invalid TOML: {text[: found.start()]}"


def schema_error(where: str, exc: msgspec.ValidationError, root: type) -> str:
    """`FILE: key a.b[0].c: what`, with the keys allowed there when the problem is an unknown key."""
    text = str(exc)
    found = _PATH.search(text)
    path = found["path"] if found else ""
    message = text[: found.start()] if found else text
    key = f"key {path.lstrip('.')}" if path else "the top level"
    unknown = _UNKNOWN.match(message)
    if unknown is not None:
        allowed = _fields_at(root, path)
        hint = f" (expected one of: {', '.join(allowed)})" if allowed else ""
        return f"{where}: {key}: unknown key {unknown['name']!r}{hint}"
    return f"{where}: {key}: {message}"


def _fields_at(root: type, path: str) -> list[str]:
    """The keys a table at `path` (msgspec's `.a[0].b`) may hold, from the type it is decoded into."""
    info: Any = _struct(msgspec.inspect.type_info(root))
    for name, index in _STEP.findall(path):
        if info is None:
            return []
        if name:
            fields = {f.encode_name: f.type for f in info.fields}
            info = _struct(fields.get(name))
        elif index:
            info = _struct(info)
    return [f.encode_name for f in info.fields] if info is not None else []


def _struct(info: Any) -> Any:
    """The struct type inside a field type (through optional, list and dict values), or None."""
    if isinstance(info, msgspec.inspect.StructType):
        return info
    if isinstance(info, msgspec.inspect.UnionType):
        for member in info.types:
            found = _struct(member)
            if found is not None:
                return found
        return None
    if isinstance(info, msgspec.inspect.ListType | msgspec.inspect.VarTupleType | msgspec.inspect.SetType):
        return _struct(info.item_type)
    if isinstance(info, msgspec.inspect.DictType):
        return _struct(info.value_type)
    return None
