"""Reading usage logs into one lazy frame in the canonical usage schema."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import polars as pl

from aicost.errors import InputError
from aicost.ingest.canonical import FILE, REJECT, ROW, SKIP, clean_text, has_source_column, to_canonical
from aicost.ingest.files import LogFile, expand, read_stdin
from aicost.schema import USAGE_SCHEMA

__all__ = ["FILE", "REJECT", "ROW", "SKIP", "Ingested", "LogFile", "locate_row", "scan_logs"]

_JSONL_INFER_ROWS = 1000


@dataclass
class Ingested:
    """The logs as one lazy canonical frame, and the files it came from."""

    frame: pl.LazyFrame
    files: list[LogFile]
    tags: list[str] = field(default_factory=list)
    # some input has a request_id column: only then is there anything to de-duplicate
    request_ids: bool = True
    # `frame` before its text is stripped and missing models rejected: cheaper to group by (costing)
    text_as_read: pl.LazyFrame | None = None

    def file(self, index: int) -> LogFile:
        """The file with a given index."""
        return self.files[index]


def read_raw(log: LogFile, stdin: bytes | None = None) -> pl.LazyFrame:
    """A lazy frame over one file's records, as written."""
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


def scan_logs(inputs: list[str], mapping: Mapping[str, str] | None = None) -> Ingested:
    """Expand LOGS arguments and return their canonical usage as one lazy frame."""
    files = expand(inputs)
    stdin = read_stdin() if any(f.is_stdin for f in files) else None
    if stdin is not None and not stdin.strip():
        raise InputError("<stdin>: no input; pipe JSONL usage records into `-`")
    raws = [read_raw(f, stdin) for f in files]
    frames = [to_canonical(raw, f, mapping or {}, strip_text=False) for raw, f in zip(raws, files, strict=True)]
    as_read = frames[0] if len(frames) == 1 else pl.concat(frames, how="diagonal_relaxed")
    tags = list(
        dict.fromkeys(
            c for f in frames for c in f.collect_schema() if c not in USAGE_SCHEMA and not c.startswith("_aicost_")
        )
    )
    request_ids = any(has_source_column(raw, mapping or {}, "request_id") for raw in raws)
    return Ingested(frame=clean_text(as_read), files=files, tags=tags, request_ids=request_ids, text_as_read=as_read)


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
