"""What a log format is to aicost: a name, how its files are opened, and the adapter to canonical columns."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from aicost.ingest.files import Kind
from aicost.ingest.formats.fields import Doc
from aicost.ingest.formats.read import Sniff, record_doc, text_doc

Opener = Callable[[Sniff, bytes | None], Doc]
Adapter = Callable[[Doc], pl.LazyFrame]


def _no_layout(sample: list[dict[str, Any]]) -> Hashable:
    return None


def _jsonl(sniffed: Sniff) -> bool:
    return sniffed.log.kind == "jsonl" and not sniffed.log.is_stdin


def never(sniffed: Sniff) -> bool:
    """For formats whose every line or file is a whole document (usage-API pages)."""
    return False


@dataclass(frozen=True)
class Format:
    """One log format: its `--log-format` name, a description, how to open a file, and its adapter.

    `lines` says whether a file is read line by line (then files of one format and `layout` — the
    per-file choices an adapter makes from its sample, such as camelCase vs snake_case — are read
    together as one frame).
    """

    name: str
    title: str
    open: Opener
    adapt: Adapter
    kinds: frozenset[Kind] = frozenset({"jsonl", "json"})
    lines: Callable[[Sniff], bool] = _jsonl
    layout: Callable[[list[dict[str, Any]]], Hashable] = _no_layout


def records(nest: Sequence[str] = ()) -> Opener:
    """Per-record formats: JSONL is read line by line; a JSON document is exploded down `nest`."""

    def open_(sniffed: Sniff, stdin: bytes | None) -> Doc:
        if sniffed.log.kind == "jsonl":
            return text_doc(sniffed, stdin)
        return record_doc(sniffed, stdin, nest)

    return open_


def documents(nest: Sequence[str]) -> Opener:
    """Nested-document formats (usage-API pages, OTLP exports): every line or file is a document."""

    def open_(sniffed: Sniff, stdin: bytes | None) -> Doc:
        return record_doc(sniffed, stdin, nest)

    return open_
