"""Reading usage logs into one lazy frame in the canonical usage schema.

Each file is detected on its own (or forced with --log-format), so one command can mix canonical logs,
provider bodies, gateway exports and agent sessions; each is adapted to the same canonical columns.
"""

from __future__ import annotations

import functools
import gzip
from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import polars as pl

from aicost import interrupts, sqlscan
from aicost.errors import AicostError, InputError, UsageError
from aicost.ingest import ndjson
from aicost.ingest.canonical import (
    FILE,
    NOTE,
    PREF,
    REJECT,
    ROW,
    SKIP,
    TIMESTAMP_FORMATS,
    apply_mapping,
    clean_text,
    misspelt_columns,
    sniff_timestamp_formats,
    to_canonical,
)
from aicost.ingest.files import LogFile, expand, read_stdin
from aicost.ingest.formats import CANONICAL, FORMATS, Sniff, detect, known_formats, sniff
from aicost.ingest.formats.fields import Doc
from aicost.ingest.formats.read import text_doc
from aicost.ingest.lines import BAD, csv_header, csv_records, jsonl_records, sample_keys
from aicost.schema import COUNT_COLUMNS, USAGE_SCHEMA, late_columns

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
    "tolerant",
]

T = TypeVar("T")
# what a plan over log files can fail with once it runs: a reader refusing a line, a damaged file, a panic
READ_ERRORS = (pl.exceptions.PolarsError, pl.exceptions.PanicException, OSError)

_JSONL_INFER_ROWS = 1000
_TIMESTAMP_SAMPLE = 500  # as many timestamps as to_canonical samples for their layouts
_EXACT = (pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32, pl.String, pl.Null)
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
    # read every line-based file line by line, so a damaged line is one rejected row (see ingest.lines);
    # set when the fast readers refused something, by `tolerant`
    lenient: bool = False

    def check(self) -> None:
        """Refuse an unknown --log-format name, listing the known ones."""
        if self.log_format is not None and self.log_format not in known_formats():
            raise UsageError(f"--log-format {self.log_format}: unknown format (known: {', '.join(known_formats())})")


@dataclass(frozen=True)
class _Source:
    """What was asked for, kept so the same logs can be read again (standard input included)."""

    inputs: list[str]
    mapping: Mapping[str, str]
    options: IngestOptions
    stdin: bytes | None


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
    source: _Source | None = None
    # every file as DuckDB may group it for costing (`aicost.sqlscan`), where every file is one it may
    sql: list[sqlscan.Log] | None = None

    @property
    def lenient(self) -> bool:
        """Whether line-based files were read line by line (see `tolerant`)."""
        return self.source is not None and self.source.options.lenient

    def reread(self, inputs: list[str] | None = None) -> Ingested:
        """The same logs (or some of them) read again, line-based files line by line."""
        assert self.source is not None
        src = self.source
        return scan_logs(inputs or src.inputs, src.mapping, replace(src.options, lenient=True), stdin=src.stdin)

    def file(self, index: int) -> LogFile:
        """The file with a given index."""
        return self.files[index]

    def format_of(self, index: int) -> str:
        """The format a file was read as."""
        return self.formats[index] if index < len(self.formats) else CANONICAL


def read_raw(
    log: LogFile,
    stdin: bytes | None = None,
    mapping: Mapping[str, str] | None = None,
) -> pl.LazyFrame:
    """A lazy frame over one canonical Parquet, JSON lines or JSON file's records, as written."""
    return _read(log, stdin, mapping)[0]


def _read(
    log: LogFile, stdin: bytes | None, mapping: Mapping[str, str] | None
) -> tuple[pl.LazyFrame, ndjson.Read | None]:
    """read_raw, and how DuckDB reads the file where it does (a JSON-lines file on disk)."""
    try:
        if log.kind == "parquet":
            return pl.scan_parquet(log.path), None
        if log.kind == "jsonl":
            source = stdin if log.is_stdin and stdin is not None else log.path
            inferred = pl.scan_ndjson(source, infer_schema_length=_JSONL_INFER_ROWS).collect_schema()
            # a key null on every sampled line is inferred as Null and fails on its first value: read it as
            # text (canonical columns parse text; a later service_tier or cache count is not an error);
            # a canonical column first used after the sampled lines is read too (Polars would drop it)
            schema = {c: pl.String() if dtype == pl.Null else dtype for c, dtype in inferred.items()}
            schema |= {c: USAGE_SCHEMA[c] for c in late_columns(inferred, mapping or {})}
            # a count column inferred as a float (a 1.0 among the first records) or a wider integer (a value
            # beyond Int64) would pass every value through a float: read it as text, parsed exactly per row
            schema |= {c: pl.String() for c in COUNT_COLUMNS if c in schema and schema[c] not in _EXACT}
            if not log.is_stdin:
                iso = schema.get("timestamp") == pl.String and _iso_timestamps(pl.scan_ndjson(source, schema=schema))
                duck = ndjson.scan(log.path, schema, iso_timestamps=iso)
                if duck is not None:
                    return duck
            return pl.scan_ndjson(source, schema=schema), None
        if log.kind == "json":
            return pl.read_json(log.path, infer_schema_length=_JSONL_INFER_ROWS).lazy(), None
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        raise InputError(f"{log.display}: cannot read as {log.kind} ({str(exc).splitlines()[0][:200]})") from None
    raise InputError(f"{log.display}: {log.kind} logs need a log-format adapter; none matches this file")


def _iso_timestamps(lf: pl.LazyFrame) -> bool:
    """Whether the timestamps to_canonical would sample all have the ISO 8601 layout with an offset (the
    one the DuckDB reader parses as it reads); a sample that fails to read says no."""
    try:
        sample = lf.select(pl.col("timestamp").drop_nulls().head(_TIMESTAMP_SAMPLE)).collect()
    except READ_ERRORS:
        return False
    return not sample.is_empty() and sniff_timestamp_formats(sample.to_series().to_list()) == [TIMESTAMP_FORMATS[0]]


def _canonical(
    opened: _Opened, stdin: bytes | None, mapping: Mapping[str, str], lenient: bool
) -> tuple[pl.LazyFrame, sqlscan.Log | None]:
    """One canonical file in the usage schema.

    JSON lines are scanned by Polars' NDJSON reader, fastest on clean files; CSV is read line by line
    (Polars' scanner would fill a short row with nulls). If reading fails here (sampling the schema and
    timestamp layouts), or the whole plan fails later (see `tolerant`), the file is read leniently: line by
    line, with lines that are not UTF-8 rejected rather than failing it. A problem with the columns is an
    error either way.

    Also the file as costing may have DuckDB group it (`aicost.sqlscan`), where it is a JSON-lines file
    DuckDB reads whose columns to_canonical takes as they are: no --map renames, no misspelt names, and
    counts, reported cost and timestamps as numbers and ISO text.
    """
    log = opened.log
    # the columns the file really has (misspelt-name checks), before any added for keys first used later
    present = opened.keys[0] if opened.keys is not None else True
    canonical = functools.partial(to_canonical, log=log, mapping=mapping, strip_text=False, check_names=present)
    if log.kind not in ("jsonl", "csv"):
        return canonical(read_raw(log, stdin)), None
    fast = None if lenient else _fast(log, stdin, mapping)
    if fast is not None:
        lf, read = fast
        frame = canonical(lf, adapted=log.kind == "csv")
        return frame, _groupable(lf, read, mapping, present, log)
    if log.kind == "csv":
        return canonical(_csv(log, lenient=True), adapted=True), None
    return canonical(jsonl_records(log, stdin, mapping, opened.keys), adapted=True), None


def _groupable(
    lf: pl.LazyFrame, read: ndjson.Read | None, mapping: Mapping[str, str], present: bool | list[str], log: LogFile
) -> sqlscan.Log | None:
    """The file as DuckDB may group it for costing, if to_canonical takes its columns as they are."""
    if read is None or not (read.iso or "timestamp" not in read.columns):
        return None
    if any(read.columns.get(c, "DOUBLE") != "DOUBLE" for c in (*COUNT_COLUMNS, "reported_cost")):
        return None  # counts as text, parsed one way or another per row
    schema = lf.collect_schema()
    misspelt = misspelt_columns(schema, schema if isinstance(present, bool) else present)
    if apply_mapping(schema, mapping, log.display) or misspelt:
        return None
    return sqlscan.Log(read=read, file=log.index)


def _csv(log: LogFile, *, lenient: bool) -> pl.LazyFrame:
    lf, _ = csv_records(log, lenient=lenient)
    return lf.rename({BAD: REJECT}).with_columns(pl.lit(None, dtype=pl.String).alias(SKIP))


def _fast(
    log: LogFile, stdin: bytes | None, mapping: Mapping[str, str]
) -> tuple[pl.LazyFrame, ndjson.Read | None] | None:
    """The fast reader's frame (and how DuckDB reads it, where it does), if it reads what to_canonical
    samples (schema, timestamp layouts)."""
    try:
        lf, read = (_csv(log, lenient=False), None) if log.kind == "csv" else _read(log, stdin, mapping)
        schema = lf.collect_schema()
        if any(name.startswith("\ufeff") for name in schema):
            return None  # a byte-order mark read into the first key's name
        if schema.get("timestamp") == pl.String:
            lf.select(pl.col("timestamp").drop_nulls().head(_TIMESTAMP_SAMPLE)).collect()
    except (InputError, *READ_ERRORS):
        return None  # read line by line: the same error if it is about the file, else one rejected line
    return lf, read


@dataclass
class _Opened:
    """One file after sniffing: the file (kind corrected), its format, and what detection sampled."""

    log: LogFile
    name: str
    sniffed: Sniff | None
    # a canonical JSON-lines file's sampled top-level keys and those holding objects (`sample_keys`)
    keys: tuple[list[str], set[str]] | None = None


def _open(log: LogFile, stdin: bytes | None, mapping: Mapping[str, str], options: IngestOptions) -> _Opened:
    forced = options.log_format
    sniffed = sniff(log, stdin) if forced != CANONICAL or log.kind == "json" else None
    if sniffed is not None:
        sniffed.lenient = options.lenient
    log = sniffed.log if sniffed is not None else log
    name = forced or (detect(sniffed, FORMATS, mapping) if sniffed is not None else CANONICAL)
    if name != CANONICAL and log.kind not in FORMATS[name].kinds:
        kinds = ", ".join(sorted(FORMATS[name].kinds))
        raise InputError(f"{log.display}: {name} logs are {kinds} files, not {log.kind}")
    keys = sample_keys(log, stdin) if name == CANONICAL and log.kind == "jsonl" else None
    return _Opened(log=log, name=name, sniffed=sniffed, keys=keys)


def _adapted(name: str, doc: Doc, log: LogFile) -> pl.LazyFrame:
    adapted = FORMATS[name].adapt(doc).with_columns(pl.lit(name).alias(SOURCE_FORMAT))
    return to_canonical(adapted, log, {}, adapted=True, strip_text=False)


def _frames(
    opened: list[_Opened], stdin: bytes | None, mapping: Mapping[str, str], lenient: bool
) -> tuple[list[pl.LazyFrame], list[sqlscan.Log] | None]:
    """One canonical frame per file, except that line-based files of one format (and layout) share one
    frame: a folder of thousands of Claude Code sessions is one plan, not thousands. Also every file as
    DuckDB may group it for costing, if every file is one it may (`_canonical`)."""
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
    grouped: list[sqlscan.Log | None] = []
    for slot in slots:
        if isinstance(slot, _Opened):
            if slot.name == CANONICAL:
                frame, sql = _canonical(slot, stdin, mapping, lenient)
                frames.append(frame)
                grouped.append(sql)
            else:
                grouped.append(None)
                assert slot.sniffed is not None
                frames.append(_adapted(slot.name, FORMATS[slot.name].open(slot.sniffed, stdin), slot.log))
        else:
            members = groups[slot]
            sniffs = [m.sniffed for m in members if m.sniffed is not None]
            frames.append(_adapted(slot[0], text_doc(sniffs, stdin), members[0].log))
            grouped.append(None)
    logs = [g for g in grouped if g is not None]
    return frames, logs if len(logs) == len(grouped) else None


def scan_logs(
    inputs: list[str],
    mapping: Mapping[str, str] | None = None,
    options: IngestOptions | None = None,
    *,
    stdin: bytes | None = None,
) -> Ingested:
    """Expand LOGS arguments and return their canonical usage as one lazy frame.

    `stdin` is standard input already read (by an earlier scan of the same logs).
    """
    options = options or IngestOptions()
    options.check()
    files = expand(inputs)
    if stdin is None and any(f.is_stdin for f in files):
        stdin = read_stdin()
    if stdin is not None and not stdin.strip():
        raise InputError("<stdin>: no input; pipe JSONL usage records into `-`")
    files = [replace(f, data=stdin) if f.is_stdin else f for f in files]
    opened = [_open(log, stdin, mapping or {}, options) for log in files]
    frames, grouped = _frames(opened, stdin, mapping or {}, options.lenient)
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
    source = _Source(inputs=list(inputs), mapping=dict(mapping or {}), options=options, stdin=stdin)
    return Ingested(
        frame=clean_text(frame),
        files=logs,
        tags=tags,
        formats=formats,
        # is_first_distinct is stateful: de-duplicate only where some input can carry request ids
        request_ids=any(_has_request_ids(o, stdin, mapping or {}) for o in opened),
        # text as read (unstripped, missing models not yet rejected): costing does both once per cell
        text_as_read=frame,
        source=source,
        # model aliases rewrite the model column: DuckDB would group the ids as logged
        sql=None if options.model_aliases else grouped,
    )


def _has_request_ids(opened: _Opened, stdin: bytes | None, mapping: Mapping[str, str]) -> bool:
    """Whether a file can carry request ids (adapters may; a canonical file if its sample has the column:
    ids first used later are counted by costing, which then de-duplicates after all)."""
    if opened.name != CANONICAL:
        return True
    try:
        if opened.log.kind == "csv":
            columns = csv_header(opened.log)
        elif opened.keys is not None:
            columns = opened.keys[0]
        else:
            columns = read_raw(opened.log, stdin).collect_schema().names()
    except (InputError, *READ_ERRORS):
        return True  # cannot tell cheaply: de-duplicate to be safe
    return "request_id" in columns or mapping.get("request_id") in columns


def tolerant(ingested: Ingested, run: Callable[[Ingested], T]) -> tuple[T, Ingested]:
    """Run a plan over the logs (`run` collects it); if reading fails, read line by line and run it again.

    The fast readers fail a whole plan on one damaged line, which they only meet as the plan runs; read
    line by line, that line is one rejected row. If the plan still fails, the file at fault is named.
    Returns the result and the logs as finally read.
    """
    try:
        return run(ingested), ingested
    except READ_ERRORS as exc:
        if interrupts.stopping():
            raise KeyboardInterrupt from exc  # Ctrl-C broke the plan: stop, do not read it all again
        if ingested.lenient or ingested.source is None:
            raise blame(ingested, run, exc) from None
    # outside the except block, so a Ctrl-C during the second run is not taken for the first one's echo
    again = ingested.reread()
    try:
        return run(again), again
    except READ_ERRORS as exc:
        raise blame(again, run, exc) from None


def blame(ingested: Ingested, run: Callable[[Ingested], object], exc: BaseException) -> AicostError:
    """The error for a plan that failed: the first file that fails it alone, named (checked only on failure)."""
    if ingested.source is not None and len(ingested.files) > 1:
        for log in ingested.files:
            try:
                run(ingested.reread([log.path]))
            except AicostError as own:
                return own
            except READ_ERRORS as own:
                return InputError(f"{log.display}: cannot read as {log.kind} ({_first_line(own)})")
    if len(ingested.files) == 1:
        log = ingested.files[0]
        return InputError(f"{log.display}: cannot read as {log.kind} ({_first_line(exc)})")
    return InputError(f"{_display(ingested.files)}: cannot read these logs ({_first_line(exc)})")


def _display(files: list[LogFile]) -> str:
    return files[0].display if len(files) == 1 else f"{files[0].display} and {len(files) - 1} more"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


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
    try:
        for number, line in enumerate(_raw_lines(log), start=1):
            if line.removeprefix(b"\xef\xbb\xbf").strip():
                row -= 1
                if row < 0:
                    return number
    except (OSError, EOFError):
        pass
    return row + 1


def _raw_lines(log: LogFile) -> Iterator[bytes]:
    if log.is_stdin:
        yield from (log.data or b"").split(b"\n")
    elif log.path.endswith((".zst", ".zstd")):
        return  # no zstd reader in the standard library: fall back to the record number
    else:
        opener: Any = gzip.open if log.path.endswith(".gz") else open
        with opener(log.path, "rb") as fh:
            yield from fh
