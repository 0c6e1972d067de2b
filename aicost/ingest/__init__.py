"""Reading usage logs into one lazy frame in the canonical usage schema.

Each file is detected on its own (or forced with --log-format), so one command can mix canonical logs,
provider bodies, gateway exports and agent sessions; each is adapted to the same canonical columns.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field

import polars as pl

from aicost.errors import InputError, UsageError
from aicost.ingest.canonical import (
    FILE,
    NOTE,
    PREF,
    REJECT,
    ROW,
    SKIP,
    clean_text,
    has_source_column,
    to_canonical,
)
from aicost.ingest.files import LogFile, expand, read_stdin
from aicost.ingest.formats import CANONICAL, FORMATS, Sniff, detect, known_formats, sniff
from aicost.ingest.formats.fields import Doc
from aicost.ingest.formats.read import text_doc
from aicost.schema import USAGE_SCHEMA

__all__ = [
    "FILE",
    "NOTE",
    "PREF",
    "REJECT",
    "ROW",
    "SKIP",
    "IngestOptions",
    "Ingested",
    "LogFile",
    "known_formats",
    "locate_row",
    "scan_logs",
]

_JSONL_INFER_ROWS = 1000
SOURCE_FORMAT = "source_format"
PROFILE_HINT = (
    "Bedrock application inference profile ARNs name no model: price them with --model-alias ARN=MODEL_ID "
    "(or a TOML [model_aliases] file)"
)
LOGGED_MODEL = "logged_model"


@dataclass(frozen=True)
class IngestOptions:
    """How to read logs: a forced format, and model aliases (e.g. Bedrock application profile ARNs)."""

    log_format: str | None = None
    model_aliases: Mapping[str, str] = field(default_factory=dict)

    def check(self) -> None:
        """Refuse an unknown --log-format name, listing the known ones."""
        if self.log_format is not None and self.log_format not in known_formats():
            raise UsageError(f"--log-format {self.log_format}: unknown format (known: {', '.join(known_formats())})")


@dataclass
class Ingested:
    """The logs as one lazy canonical frame, the files it came from and the format each was read as."""

    frame: pl.LazyFrame
    files: list[LogFile]
    tags: list[str] = field(default_factory=list)
    formats: list[str] = field(default_factory=list)
    # some input has request ids: only then is there anything to de-duplicate
    request_ids: bool = True
    # `frame` before its text is stripped and missing models rejected: cheaper to group by (costing)
    text_as_read: pl.LazyFrame | None = None

    def file(self, index: int) -> LogFile:
        """The file with a given index."""
        return self.files[index]

    def format_of(self, index: int) -> str:
        """The format a file was read as."""
        return self.formats[index] if index < len(self.formats) else CANONICAL


def read_raw(log: LogFile, stdin: bytes | None = None) -> pl.LazyFrame:
    """A lazy frame over one canonical file's records, as written."""
    try:
        if log.kind == "parquet":
            return pl.scan_parquet(log.path)
        if log.kind == "jsonl":
            source = stdin if log.is_stdin and stdin is not None else log.path
            lf = pl.scan_ndjson(source, infer_schema_length=_JSONL_INFER_ROWS)
            # a key null on every sampled line is inferred as Null and fails on its first value: read it as
            # text (canonical columns parse text; a later service_tier or cache count is not an error)
            nulls = {c: pl.String() for c, dtype in lf.collect_schema().items() if dtype == pl.Null}
            return (
                pl.scan_ndjson(source, infer_schema_length=_JSONL_INFER_ROWS, schema_overrides=nulls) if nulls else lf
            )
        if log.kind == "csv":
            return pl.scan_csv(log.path, infer_schema_length=10_000)
        if log.kind == "json":
            return pl.read_json(log.path, infer_schema_length=_JSONL_INFER_ROWS).lazy()
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        raise InputError(f"{log.display}: cannot read as {log.kind} ({str(exc).splitlines()[0][:200]})") from None
    raise InputError(f"{log.display}: {log.kind} logs need a log-format adapter; none matches this file")


@dataclass
class _Opened:
    """One file after sniffing: the file (kind corrected), its format, and what detection sampled."""

    log: LogFile
    name: str
    sniffed: Sniff | None


def _open(log: LogFile, stdin: bytes | None, mapping: Mapping[str, str], options: IngestOptions) -> _Opened:
    forced = options.log_format
    sniffed = sniff(log, stdin) if forced != CANONICAL or log.kind == "json" else None
    log = sniffed.log if sniffed is not None else log
    name = forced or (detect(sniffed, FORMATS, mapping) if sniffed is not None else CANONICAL)
    if name != CANONICAL and log.kind not in FORMATS[name].kinds:
        kinds = ", ".join(sorted(FORMATS[name].kinds))
        raise InputError(f"{log.display}: {name} logs are {kinds} files, not {log.kind}")
    return _Opened(log=log, name=name, sniffed=sniffed)


def _adapted(name: str, doc: Doc, log: LogFile) -> pl.LazyFrame:
    adapted = FORMATS[name].adapt(doc).with_columns(pl.lit(name).alias(SOURCE_FORMAT))
    return to_canonical(adapted, log, {}, adapted=True, strip_text=False)


def _frames(opened: list[_Opened], stdin: bytes | None, mapping: Mapping[str, str]) -> list[pl.LazyFrame]:
    """One canonical frame per file, except that line-based files of one format (and layout) share one
    frame: a folder of thousands of Claude Code sessions is one plan, not thousands."""
    groups: dict[tuple[str, Hashable], list[_Opened]] = {}
    slots: list[_Opened | tuple[str, Hashable]] = []
    for item in opened:
        fmt = FORMATS.get(item.name)
        if fmt is not None and item.sniffed is not None and fmt.lines(item.sniffed):
            key = (item.name, fmt.layout(item.sniffed.records))
            if key not in groups:
                groups[key] = []
                slots.append(key)
            groups[key].append(item)
        else:
            slots.append(item)
    frames = []
    for slot in slots:
        if isinstance(slot, _Opened):
            if slot.name == CANONICAL:
                frames.append(to_canonical(read_raw(slot.log, stdin), slot.log, mapping, strip_text=False))
            else:
                assert slot.sniffed is not None
                frames.append(_adapted(slot.name, FORMATS[slot.name].open(slot.sniffed, stdin), slot.log))
        else:
            members = groups[slot]
            sniffs = [m.sniffed for m in members if m.sniffed is not None]
            frames.append(_adapted(slot[0], text_doc(sniffs, stdin), members[0].log))
    return frames


def scan_logs(
    inputs: list[str], mapping: Mapping[str, str] | None = None, options: IngestOptions | None = None
) -> Ingested:
    """Expand LOGS arguments and return their canonical usage as one lazy frame."""
    options = options or IngestOptions()
    options.check()
    files = expand(inputs)
    stdin = read_stdin() if any(f.is_stdin for f in files) else None
    if stdin is not None and not stdin.strip():
        raise InputError("<stdin>: no input; pipe JSONL usage records into `-`")
    opened = [_open(log, stdin, mapping or {}, options) for log in files]
    frames = _frames(opened, stdin, mapping or {})
    # text as read (unstripped, missing models not yet rejected): costing does both once per cell
    frame = frames[0] if len(frames) == 1 else pl.concat(frames, how="diagonal_relaxed")
    schemas = [f.collect_schema() for f in frames]
    tags = list(dict.fromkeys(c for s in schemas for c in s if c not in USAGE_SCHEMA and not c.startswith("_aicost_")))
    logs = [o.log for o in opened]
    formats = [o.name for o in opened]
    if options.model_aliases:
        # price what the alias names; keep the id as logged, as a tag (pitfall 18)
        aliases = dict(options.model_aliases)
        model = pl.col("model").str.strip_chars()
        frame = frame.with_columns(model.alias(LOGGED_MODEL), model.replace(aliases).alias("model"))
        if LOGGED_MODEL not in tags:
            tags.append(LOGGED_MODEL)
    if {"bedrock-log", "bedrock-converse", "litellm"} & set(formats):
        frame = _profile_hint(frame, has_note=any(NOTE in s for s in schemas))
    # is_first_distinct is stateful: de-duplicate only where some input can carry request ids
    request_ids = any(
        o.name != CANONICAL or has_source_column(read_raw(o.log, stdin), mapping or {}, "request_id")
        for o in opened
        if o.log.kind in ("parquet", "jsonl", "csv", "json") or o.name != CANONICAL
    )
    return Ingested(
        frame=clean_text(frame),
        files=logs,
        tags=tags,
        formats=formats,
        request_ids=request_ids,
        text_as_read=frame,
    )


def _profile_hint(frame: pl.LazyFrame, has_note: bool) -> pl.LazyFrame:
    """Say how to price a Bedrock application inference profile: its ARN names no model (§7)."""
    opaque = pl.col("model").str.contains(":application-inference-profile/", literal=True).fill_null(False)
    hint = pl.when(opaque).then(pl.lit(PROFILE_HINT))
    note = pl.coalesce(pl.col(NOTE), hint) if has_note else hint
    return frame.with_columns(note.alias(NOTE))


def locate_row(log: LogFile, row: int) -> str:
    """How an error names a row: "line N" for text formats, "row N" for Parquet."""
    if log.kind == "csv":
        return f"line {row + 2}"
    if log.kind == "jsonl":
        return f"line {_jsonl_line(log, row)}"
    return f"row {row + 1}"


def _jsonl_line(log: LogFile, row: int) -> int:
    """The 1-based line of the row-th record, skipping blank lines (read only when reporting an error)."""
    if log.is_stdin or log.path.endswith((".gz", ".zst", ".zstd")):
        return row + 1
    try:
        with open(log.path, "rb") as fh:
            seen = -1
            for number, line in enumerate(fh, start=1):
                if line.strip():
                    seen += 1
                    if seen == row:
                        return number
    except OSError:
        pass
    return row + 1
