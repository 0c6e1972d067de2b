"""Typed, validated access to the fields of raw log records, however the records are stored.

A record is either JSON text (one line of a JSONL file, read with `str.json_path_match`, which never
fails a scan: a missing or malformed field is simply null) or a struct column of a frame Polars parsed
from a JSON document, CSV or SQLite table. `Doc.get` reaches a field by path in either, descending into
JSON text stored inside a column (LiteLLM's `metadata`, `llm`'s `token_details`) where it meets one.

`Rows` turns fields into the canonical columns: every number is parsed in one place, and every way a
value can be unusable (not a number, negative, fractional, required but absent) becomes a per-row
rejection reason instead of a zero — so a malformed record is counted with its line, never priced as 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import polars as pl

from aicost.ingest.canonical import FILE, NOTE, PREF, REJECT, ROW, SKIP, TIMESTAMP_FORMATS, epoch_time
from aicost.ingest.lines import LINE
from aicost.schema import INTERNAL_PREFIX, TIMESTAMP_DTYPE, USAGE_SCHEMA

REC: Final = f"{INTERNAL_PREFIX}rec"  # a record as a struct
ENV: Final = f"{INTERNAL_PREFIX}env"  # fields of the objects enclosing a record (page, bucket, resource)

PathLike = str | tuple[str, ...]
_MAX_INT = 9.2e18


def keys_of(path: PathLike) -> tuple[str, ...]:
    """`"usage.prompt_tokens"` → ("usage", "prompt_tokens"); tuples pass through (for keys with dots)."""
    return path if isinstance(path, tuple) else tuple(path.split("."))


def json_path(keys: Sequence[str]) -> str:
    """A JSONPath in bracket notation, so keys may contain dots (`gen_ai.usage.input_tokens`)."""
    quoted = (k.replace("\\", "\\\\").replace("'", "\\'") for k in keys)
    return "$" + "".join(f"['{k}']" for k in quoted)


@dataclass(frozen=True)
class Field:
    """One field of every record: an expression, its type (String for JSON text) and its path for messages."""

    expr: pl.Expr
    dtype: pl.DataType
    label: str

    @property
    def absent(self) -> bool:
        """True when no record of the file can have this field (a typed frame without the column)."""
        return self.dtype == pl.Null


def _null(label: str) -> Field:
    return Field(pl.lit(None, dtype=pl.Null), pl.Null(), label)


@dataclass
class Doc:
    """One file's records as a lazy frame, with a sample of them (as dicts) for per-file decisions."""

    lf: pl.LazyFrame
    root: str | None = None  # the column holding each record; None: the frame's columns are its keys
    sample: list[dict[str, Any]] = field(default_factory=list)
    group: str | None = None  # the file column, when the frame holds several files
    bad: str | None = None  # a column saying why a line is no record at all (damaged), null where it is one
    _schema: pl.Schema | None = None
    _cached: dict[tuple[str, ...], str] = field(default_factory=dict)

    @property
    def schema(self) -> pl.Schema:
        """The frame's schema (computed once)."""
        if self._schema is None:
            self._schema = self.lf.collect_schema()
        return self._schema

    @property
    def is_text(self) -> bool:
        """Whether records are JSON text (JSONL read line by line)."""
        return self.root is not None and self.schema.get(self.root) == pl.String

    def refresh(self) -> None:
        """Forget the cached schema after columns were added to `lf`."""
        self._schema = None

    def in_file(self, expr: pl.Expr) -> pl.Expr:
        """Evaluate an order-dependent expression (forward fill, shift) within each file."""
        return expr.over(self.group) if self.group is not None else expr

    def cache(self, path: PathLike) -> None:
        """Extract a sub-object once, so fields inside it parse a short text rather than the whole line."""
        keys = keys_of(path)
        if not self.is_text or keys in self._cached:
            return
        name = f"{INTERNAL_PREFIX}sub{len(self._cached)}"
        self.lf = self.lf.with_columns(self.get(keys).expr.alias(name))
        self.refresh()
        self._cached[keys] = name

    def subset(self, keep: pl.Expr) -> Doc:
        """The records where `keep` holds, as a Doc of their own (extracted sub-objects not shared)."""
        return Doc(lf=self.lf.filter(keep), root=self.root, sample=self.sample, group=self.group, bad=self.bad)

    def get(self, path: PathLike) -> Field:
        """The field at `path` of every record (null where absent)."""
        keys = keys_of(path)
        label = ".".join(keys)
        for n in range(len(keys), 0, -1):
            column = self._cached.get(keys[:n])
            if column is not None:
                return self._walk(pl.col(column), pl.String(), keys[n:], label)
        if self.root is not None:
            return self._walk(pl.col(self.root), self.schema[self.root], keys, label)
        if keys[0] not in self.schema:
            return _null(label)
        return self._walk(pl.col(keys[0]), self.schema[keys[0]], keys[1:], label)

    def env(self, path: PathLike) -> Field:
        """A field of the enclosing objects (a bucket's `start_time`, a span's `resource`)."""
        keys = keys_of(path)
        if ENV not in self.schema:
            return _null(".".join(keys))
        return self._walk(pl.col(ENV), self.schema[ENV], keys, ".".join(keys))

    def keys(self, path: PathLike) -> list[str]:
        """Keys of the object at `path`: from the schema of a typed frame, else from the sample."""
        found = self.get(path)
        if isinstance(found.dtype, pl.Struct):
            return [f.name for f in found.dtype.fields]
        names: dict[str, None] = {}
        for record in self.sample:
            value: Any = record
            for key in keys_of(path):
                value = value.get(key) if isinstance(value, dict) else None
            if isinstance(value, dict):
                names.update(dict.fromkeys(str(k) for k in value))
        return list(names)

    def sampled(self, path: PathLike) -> list[Any]:
        """Values at `path` in the sampled records (for per-file decisions such as camelCase vs snake_case)."""
        return sampled(self.sample, path)

    @staticmethod
    def _walk(expr: pl.Expr, dtype: pl.DataType, keys: Sequence[str], label: str) -> Field:
        for i, key in enumerate(keys):
            if dtype == pl.String:
                # JSON text (a JSONL line, or JSON stored in a column): the rest of the path is inside it
                return Field(expr.str.json_path_match(json_path(keys[i:])), pl.String(), label)
            if not isinstance(dtype, pl.Struct):
                return _null(label)
            fields = {f.name: f.dtype for f in dtype.fields}
            if key not in fields:
                return _null(label)
            found = fields[key]
            expr, dtype = expr.struct.field(key), found() if isinstance(found, type) else found
        return Field(expr, dtype, label)


def sampled(records: Sequence[Mapping[str, Any]], path: PathLike) -> list[Any]:
    """Values at `path` in sampled records (absent and null values left out)."""
    out = []
    for record in records:
        value: Any = record
        for key in keys_of(path):
            value = value.get(key) if isinstance(value, dict) else None
        if value is not None:
            out.append(value)
    return out


# ------------------------------------------------------------------------------------- values


def as_text(f: Field) -> pl.Expr:
    """A field as trimmed text; empty strings are null. Objects become their JSON text."""
    if f.absent:
        return pl.lit(None, dtype=pl.String)
    text: pl.Expr
    if isinstance(f.dtype, pl.Struct):
        # a missing object is null, not the JSON of a struct of nulls
        text = pl.when(f.expr.is_not_null()).then(f.expr.struct.json_encode())
    elif f.dtype.is_nested():
        # a list as its JSON text, as it reads in a JSON line: encode it inside a struct, then unwrap
        wrapped = pl.struct(f.expr.alias("v")).struct.json_encode()
        text = pl.when(f.expr.is_not_null()).then(wrapped.str.slice(5, wrapped.str.len_chars() - 6))
    else:
        text = f.expr.cast(pl.String)
    text = text.str.strip_chars()
    return pl.when(text != "").then(text)


def _as_number(f: Field) -> tuple[pl.Expr, pl.Expr]:
    """(Float64 value, whether a present value failed to parse)."""
    if f.dtype == pl.Boolean or f.dtype.is_nested():
        return pl.lit(None, dtype=pl.Float64), f.expr.is_not_null()
    if f.dtype.is_numeric():
        return f.expr.cast(pl.Float64), pl.lit(False)
    text = as_text(f)
    number = text.cast(pl.Float64, strict=False)
    return number, text.is_not_null() & number.is_null()


def integer(f: Field) -> tuple[pl.Expr, list[pl.Expr]]:
    """A token count as Int64 (null when absent) and the reasons a present value is unusable."""
    if f.absent:
        return pl.lit(None, dtype=pl.Int64), []
    if f.dtype.is_integer():
        value = f.expr.cast(pl.Int64, strict=False)
        checks: list[pl.Expr] = [
            pl.when(f.expr.is_not_null() & value.is_null()).then(pl.lit(f"{f.label} is too large")),
            pl.when(value < 0).then(pl.lit(f"{f.label} is negative")),
        ]
        return value, checks
    number, bad = _as_number(f)
    reasons: list[pl.Expr] = [
        pl.when(bad | number.is_nan() | number.is_infinite()).then(pl.lit(f"{f.label} is not a number")),
        pl.when(number.abs() >= _MAX_INT).then(pl.lit(f"{f.label} is too large")),
        pl.when(number != number.floor()).then(pl.lit(f"{f.label} is not a whole number")),
        pl.when(number < 0).then(pl.lit(f"{f.label} is negative")),
    ]
    value = pl.when(number.abs() < _MAX_INT).then(number).cast(pl.Int64, strict=False)
    if f.dtype == pl.String:
        # integer text exactly, not through a float (which is exact only up to 2**53)
        value = pl.coalesce(as_text(f).cast(pl.Int64, strict=False), value)
    return value, reasons


def real(f: Field) -> tuple[pl.Expr, list[pl.Expr]]:
    """A money amount as Float64 and the reasons a present value is unusable."""
    if f.absent:
        return pl.lit(None, dtype=pl.Float64), []
    number, bad = _as_number(f)
    checks: list[pl.Expr] = [
        pl.when(bad | number.is_nan() | number.is_infinite()).then(pl.lit(f"{f.label} is not a number"))
    ]
    return number, checks


# RFC 1123, as in HTTP Date headers (boto3's ResponseMetadata.HTTPHeaders.date)
_TIME_FORMATS = (*TIMESTAMP_FORMATS, "%a, %d %b %Y %H:%M:%S GMT")


def instant(f: Field) -> tuple[pl.Expr, list[pl.Expr]]:
    """A time as Datetime(µs, UTC) from epoch numbers (s, ms, µs or ns, by magnitude) or ISO/RFC text."""
    if f.absent:
        return pl.lit(None, dtype=TIMESTAMP_DTYPE), []
    if isinstance(f.dtype, pl.Datetime):
        ts = f.expr.dt.convert_time_zone("UTC") if f.dtype.time_zone else f.expr.dt.replace_time_zone("UTC")
        return ts.cast(TIMESTAMP_DTYPE), []
    number, _ = _as_number(f)
    from_epoch = epoch_time(number)
    text = as_text(f)
    parsed = [text.str.to_datetime(fmt, time_zone="UTC", strict=False, time_unit="us") for fmt in _TIME_FORMATS]
    ts = pl.coalesce([from_epoch, *parsed])
    return ts, [pl.when(text.is_not_null() & ts.is_null()).then(pl.lit(f"{f.label} is not a time"))]


def flag(f: Field) -> pl.Expr:
    """A boolean from true/false, "True"/"False", 1/0 (null otherwise)."""
    if f.absent:
        return pl.lit(None, dtype=pl.Boolean)
    if f.dtype == pl.Boolean:
        return f.expr
    text = as_text(f).str.to_lowercase()
    return pl.when(text.is_in(["true", "1", "yes"])).then(True).when(text.is_in(["false", "0", "no"])).then(False)


# OpenAI's own model families: a body or trace naming one is OpenAI traffic, whoever logged it
_OPENAI_MODELS = r"^(?:openai/)?(?:gpt-|o\d|chatgpt-|codex-|text-embedding-|davinci|babbage|whisper-|tts-|dall-e|omni-)"


def openai_or_inferred(model: pl.Expr) -> pl.Expr:
    """`openai` for OpenAI's own model ids, else null so the pricing layer infers the provider.

    OpenAI-shaped bodies are also written by Azure, xAI, DeepSeek, Groq…, so the shape alone does not
    name the provider; an OpenAI model id does, and it settles ids several hosts offer (embeddings).
    """
    return pl.when(model.str.to_lowercase().str.contains(_OPENAI_MODELS)).then(pl.lit("openai"))


def zero(expr: pl.Expr) -> pl.Expr:
    """An optional count: absent is 0."""
    return expr.fill_null(0)


# ------------------------------------------------------------------------------------- builder


class Rows:
    """Collects one adapter's columns and rejection reasons, and builds its frame for `to_canonical`."""

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self.reasons: list[pl.Expr] = []
        # a truncated or garbled line: named as such rather than by the first field it lacks, and rejected
        # even where the adapter would skip it (its kind reads as null when it is no JSON at all)
        self.broken: pl.Expr | None = pl.col(doc.bad) if doc.bad is not None else None
        if self.broken is None and doc.is_text and doc.root is not None:
            line = pl.col(doc.root).str.strip_chars()
            self.reject(~(line.str.starts_with("{") & line.str.ends_with("}")), "not a JSON object (malformed line)")

    def int(self, *paths: PathLike, required: bool = False) -> pl.Expr:
        """The first present of `paths` as Int64; a present but unusable value rejects the row."""
        return self.ints([self.doc.get(p) for p in paths], required=required)

    def ints(self, fields: Sequence[Field], *, required: bool = False) -> pl.Expr:
        """Like `int`, for fields obtained elsewhere (enclosing objects, OTLP attributes)."""
        values = []
        for f in fields:
            value, reasons = integer(f)
            self.reasons += reasons
            values.append(value)
        out = _first(values, pl.Int64)
        if required:
            names = " or ".join(f.label for f in fields)
            self.reject(out.is_null(), f"missing {names}")
        return out

    def float(self, *paths: PathLike) -> pl.Expr:
        """The first present of `paths` as Float64 (money); a present non-number rejects the row."""
        values = []
        for p in paths:
            value, reasons = real(self.doc.get(p))
            self.reasons += reasons
            values.append(value)
        return _first(values, pl.Float64)

    def time(self, *paths: PathLike) -> pl.Expr:
        """The first present of `paths` as a UTC instant (epoch numbers or ISO text)."""
        return self.times([self.doc.get(p) for p in paths])

    def times(self, fields: Sequence[Field]) -> pl.Expr:
        """Like `time`, for fields obtained elsewhere."""
        values = []
        for f in fields:
            value, reasons = instant(f)
            self.reasons += reasons
            values.append(value)
        return _first(values, pl.Datetime)

    def text(self, *paths: PathLike) -> pl.Expr:
        """The first present of `paths` as trimmed text."""
        return _first([as_text(self.doc.get(p)) for p in paths], pl.String)

    def flag(self, *paths: PathLike) -> pl.Expr:
        """The first present of `paths` as a boolean."""
        return _first([flag(self.doc.get(p)) for p in paths], pl.Boolean)

    def reject(self, when: pl.Expr, reason: str | pl.Expr) -> None:
        """Reject rows where `when` holds (reasons are reported in the order they were added)."""
        self.reasons.append(pl.when(when).then(pl.lit(reason) if isinstance(reason, str) else reason))

    def frame(
        self,
        columns: Mapping[str, pl.Expr],
        *,
        tags: Mapping[str, pl.Expr] | None = None,
        skip: pl.Expr | None = None,
        pref: pl.Expr | None = None,
        note: pl.Expr | None = None,
    ) -> pl.LazyFrame:
        """The adapter's frame: canonical columns (absent ones null), tags, and row bookkeeping.

        Skipped rows are never also rejected: a Claude Code `user` line has no model, and that is fine.
        """
        unknown = set(columns) - set(USAGE_SCHEMA)
        if unknown:
            raise ValueError(f"not canonical columns: {sorted(unknown)}")
        exprs = [columns.get(name, pl.lit(None, dtype=dtype)).alias(name) for name, dtype in USAGE_SCHEMA.items()]
        exprs += [expr.cast(pl.String).alias(name) for name, expr in (tags or {}).items()]
        skip = skip if skip is not None else pl.lit(None, dtype=pl.String)
        reasons = pl.coalesce(self.reasons) if self.reasons else pl.lit(None, dtype=pl.String)
        reject = pl.when(skip.is_null()).then(reasons).otherwise(None).cast(pl.String)
        if self.broken is not None:
            reject = pl.coalesce(self.broken.cast(pl.String), reject)
            skip = pl.when(self.broken.is_null()).then(skip)
        exprs += [
            reject.alias(REJECT),
            skip.cast(pl.String).alias(SKIP),
            pl.col(ROW).cast(pl.Int64),
        ]
        if FILE in self.doc.schema:
            exprs.append(pl.col(FILE).cast(pl.Int64))
        if pref is not None:
            exprs.append(pref.cast(pl.Int64).alias(PREF))
        if note is not None:
            exprs.append(note.cast(pl.String).alias(NOTE))
        return self.doc.lf.select(exprs)


def _first(values: Sequence[pl.Expr], dtype: type[pl.DataType]) -> pl.Expr:
    if not values:
        return pl.lit(None, dtype=dtype)
    return values[0] if len(values) == 1 else pl.coalesce(values)


def first_reason(*cases: tuple[pl.Expr, str | pl.Expr]) -> pl.Expr:
    """The first (condition, reason) that holds, as a String expression (null if none): for skip reasons."""
    out: Any = None
    for when, reason in reversed(cases):
        value = pl.lit(reason) if isinstance(reason, str) else reason
        out = pl.when(when).then(value).otherwise(out if out is not None else pl.lit(None, dtype=pl.String))
    return out if out is not None else pl.lit(None, dtype=pl.String)


__all__ = [
    "ENV",
    "FILE",
    "LINE",
    "NOTE",
    "PREF",
    "REC",
    "Doc",
    "Field",
    "Rows",
    "as_text",
    "first_reason",
    "flag",
    "instant",
    "integer",
    "json_path",
    "keys_of",
    "openai_or_inferred",
    "real",
    "sampled",
    "zero",
]
