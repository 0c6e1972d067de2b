"""Reading one file's raw records: a sample for detection, then the whole file as a lazy `Doc`.

JSONL is read line by line as text (`scan_lines`), so one malformed line is one rejected row, not an
unreadable file; so is CSV (see `ingest.lines`). JSON documents (usage-API pages, OTLP exports, API list
responses) are parsed by Polars and their nested record lists exploded with Polars, keeping the enclosing
objects' fields (a bucket's `start_time`, a span's `resource`) beside each record.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import itertools
import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from aicost.errors import InputError
from aicost.ingest.canonical import FILE, ROW
from aicost.ingest.files import LogFile
from aicost.ingest.formats.fields import ENV, LINE, REC, Doc
from aicost.ingest.lines import (
    BAD,
    MALFORMED_JSON,
    NUM,
    UTF16,
    csv_header,
    csv_records,
    head_lines,
    json_object_check,
    nonblank,
    physical_lines,
)

_PATH = "_aicost_path"
SAMPLE_RECORDS = 64  # per file: enough to vote on a format, cheap across thousands of session files
_NESTED_SAMPLE = 50


@dataclass
class Sniff:
    """What detection saw of a file: its top-level records, and nested ones (results, spans) too."""

    log: LogFile
    records: list[dict[str, Any]] = field(default_factory=list)
    nested: list[dict[str, Any]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)  # CSV header, Parquet or SQLite columns
    tables: dict[str, list[str]] = field(default_factory=dict)  # SQLite: table → columns
    document: Any = None  # a parsed JSON document (a .json file that is not JSON lines)
    lenient: bool = False  # read line by line even where Polars' faster readers would do (see ingest.lines)


def _error(log: LogFile, exc: BaseException) -> InputError:
    text = str(exc).strip().splitlines()
    return InputError(f"{log.display}: cannot read as {log.kind} ({text[0][:200] if text else type(exc).__name__})")


def _read_bytes(log: LogFile, stdin: bytes | None) -> bytes:
    if log.is_stdin:
        return stdin or b""
    try:
        if log.path.endswith(".gz"):
            with gzip.open(log.path, "rb") as fh:
                return fh.read()
        if log.path.endswith((".zst", ".zstd")):
            # Polars decompresses zstd line files natively; rejoin the lines into one document
            return "\n".join(pl.scan_lines(log.path, glob=False).collect().to_series().to_list()).encode()
        with open(log.path, "rb") as fh:
            return fh.read()
    except (OSError, EOFError, pl.exceptions.PolarsError) as exc:
        raise _error(log, exc) from None


def sniff(log: LogFile, stdin: bytes | None = None) -> Sniff:
    """Sample a file for format detection (a few hundred records; whole JSON documents are parsed)."""
    out = Sniff(log=log)
    if log.kind == "parquet":
        try:
            out.columns = list(pl.read_parquet_schema(log.path))
        except (OSError, pl.exceptions.PolarsError) as exc:
            raise _error(log, exc) from None
        return out
    if log.kind == "csv":
        out.columns = csv_header(log)
        for line in itertools.islice(head_lines(log, None), 1, SAMPLE_RECORDS * 2):
            try:
                row = next(csv.reader([line.rstrip("\r")]), [])
            except csv.Error:
                continue  # a damaged line: the reader rejects it, counted, with its line number
            if len(row) == len(out.columns):
                out.records.append({k: v or None for k, v in zip(out.columns, row, strict=True)})
        out.records = out.records[:SAMPLE_RECORDS]
        return out
    if log.kind == "sqlite":
        out.tables = sqlite_tables(log)
        return out
    if log.kind == "json":
        data = _read_bytes(log, stdin)
        try:
            out.document = json.loads(data)
        except json.JSONDecodeError as exc:
            if not exc.msg.startswith("Extra data"):
                raise InputError(f"{log.display}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
            # JSON lines under a .json name (Bedrock's S3 logs are *.json.gz with one record per line)
            out.log = LogFile(path=log.path, kind="jsonl", index=log.index, data=log.data)
        except (ValueError, RecursionError) as exc:  # nested thousands deep, a number of 5,000 digits
            raise InputError(f"{log.display}: not a JSON document aicost can read ({exc})") from None
        else:
            top = out.document if isinstance(out.document, list) else [out.document]
            out.records = [r for r in top[:SAMPLE_RECORDS] if isinstance(r, dict)]
            out.nested = list(_nested(out.records))
            return out
    lines = 0
    for line in _head(out.log, stdin):
        line = line.removeprefix("\ufeff")
        if not line or not line.strip():
            continue
        lines += 1
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            continue  # a damaged line: the reader rejects it, with its line number
        if isinstance(record, dict):
            out.records.append(record)
        if len(out.records) >= SAMPLE_RECORDS:
            break
    if not out.records:
        raise InputError(f"{log.display}: {_why_no_records(out.log, stdin, lines)}")
    out.nested = list(_nested(out.records))
    return out


def _why_no_records(log: LogFile, stdin: bytes | None, lines: int) -> str:
    """Why a JSON-lines file gave no record to sample: empty, binary, or text that is not JSON objects."""
    if lines == 0:
        return "empty file (no records)"
    head = b"".join(itertools.islice(_raw_head(log, stdin), 1))
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return UTF16
    if b"\x00" in head or head.decode("utf-8", "replace").count("\ufffd") > len(head) // 100:
        return "binary data, not JSON lines"
    return f"no JSON object in its first {lines} lines (not JSON lines, or every line damaged)"


def _raw_head(log: LogFile, stdin: bytes | None) -> Iterator[bytes]:
    if log.is_stdin:
        yield (stdin or b"")[:65536]
        return
    if log.path.endswith((".zst", ".zstd")):
        yield b""
        return
    opener: Any = gzip.open if log.path.endswith(".gz") else open
    try:
        with opener(log.path, "rb") as fh:
            yield fh.read(65536)
    except (OSError, EOFError):
        yield b""


def _head(log: LogFile, stdin: bytes | None) -> list[str]:
    """The first few hundred lines of a line-based file (decompressed), for sniffing."""
    limit = SAMPLE_RECORDS * 4
    try:
        if log.is_stdin:
            return (stdin or b"").decode("utf-8", "replace").splitlines()[:limit]
        if log.path.endswith((".zst", ".zstd")):
            lines = pl.scan_lines(log.path, glob=False).head(limit).collect().to_series()
            return [str(x) for x in lines.to_list()]
        opener = gzip.open if log.path.endswith(".gz") else open
        out = []
        with opener(log.path, "rt", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                out.append(line)
                if len(out) >= limit:
                    break
        return out
    except (OSError, EOFError, pl.exceptions.PolarsError) as exc:
        raise _error(log, exc) from None


def _nested(records: Sequence[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Records inside documents: `data[]`, `data[].results[]`, OTLP spans (a few of each, for detection)."""
    for record in records[:_NESTED_SAMPLE]:
        data = record.get("data")
        items = data if isinstance(data, list) else [data] if isinstance(data, dict) else []
        for item in items[:_NESTED_SAMPLE]:
            if isinstance(item, dict):
                yield item
                results = item.get("results")
                if isinstance(results, list):
                    yield from (r for r in results[:_NESTED_SAMPLE] if isinstance(r, dict))
        results = record.get("results")
        if isinstance(results, list):
            yield from (r for r in results[:_NESTED_SAMPLE] if isinstance(r, dict))
        for resource in _list(record.get("resourceSpans"))[:_NESTED_SAMPLE]:
            for scope in _list(resource.get("scopeSpans") if isinstance(resource, dict) else None):
                yield from (
                    s for s in _list(scope.get("spans") if isinstance(scope, dict) else None) if isinstance(s, dict)
                )


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


# ------------------------------------------------------------------------------------- whole files


def text_doc(sniffed: Sniff | Sequence[Sniff], stdin: bytes | None) -> Doc:
    """JSONL files as one JSON-text record per non-blank line (row N = the N-th non-blank line of its file).

    Several files of one format are read as one frame (each line tagged with its file), so a folder of
    thousands of agent sessions is one plan, not thousands.
    """
    sniffs = [sniffed] if isinstance(sniffed, Sniff) else list(sniffed)
    sample = [r for s in sniffs for r in s.records][: SAMPLE_RECORDS * 8]
    # the exact check (not the braces alone): a damaged line is rejected as such, never skipped as a
    # record of another kind because the fields that say its kind read as null
    malformed = pl.coalesce(pl.col(BAD), pl.when(~json_object_check(pl.col(LINE))).then(pl.lit(MALFORMED_JSON)))
    if len(sniffs) == 1 or any(s.lenient for s in sniffs):
        frames = [
            physical_lines(s.log, stdin, lenient=s.lenient)
            .filter(nonblank(pl.col(LINE)))
            .drop(NUM)
            .with_row_index(ROW)
            .with_columns(pl.lit(s.log.index, dtype=pl.Int64).alias(FILE))
            for s in sniffs
        ]
        lf = frames[0] if len(frames) == 1 else pl.concat(frames)
        group = None if len(frames) == 1 else FILE
        return Doc(lf=_blank_damaged(lf, malformed), root=LINE, sample=sample, group=group, bad=BAD)
    # one scan over every file (a source per file costs more than the parsing), lines tagged by path
    index = {s.log.path: s.log.index for s in sniffs}
    lf = (
        pl.scan_lines(list(index), name=LINE, glob=False, include_file_paths=_PATH)
        .filter(nonblank(pl.col(LINE)))
        .with_columns(pl.col(_PATH).replace_strict(index, return_dtype=pl.Int64).alias(FILE))
        .with_columns(pl.int_range(pl.len(), dtype=pl.UInt32).over(FILE).alias(ROW))
        .drop(_PATH)
        .with_columns(pl.lit(None, dtype=pl.String).alias(BAD))
    )
    return Doc(lf=_blank_damaged(lf, malformed), root=LINE, sample=sample, group=FILE, bad=BAD)


def _blank_damaged(lf: pl.LazyFrame, bad: pl.Expr) -> pl.LazyFrame:
    """Mark damaged lines and empty them, so no field of theirs (read leniently, a line that is not UTF-8
    may still parse) can take part in what adapters compute across lines: the last event of a stream, a
    forward-filled session id."""
    lf = lf.with_columns(bad.alias(BAD))
    return lf.with_columns(pl.when(pl.col(BAD).is_null()).then(pl.col(LINE)).otherwise(pl.lit("")).alias(LINE))


def record_doc(sniffed: Sniff, stdin: bytes | None, nest: Sequence[str] = ()) -> Doc:
    """A JSON document (or JSON lines of documents) exploded down `nest` to one struct per record."""
    log = sniffed.log
    try:
        if log.kind == "jsonl":
            source: Any = stdin if log.is_stdin else log.path
            frame = pl.read_ndjson(source, infer_schema_length=None)
        else:
            document = sniffed.document
            top = document if isinstance(document, list) else [document]
            if not any(isinstance(r, dict) and r for r in top):
                return Doc(lf=pl.LazyFrame({ROW: []}, schema={ROW: pl.UInt32}), root=None, sample=[])
            frame = pl.read_json(_read_bytes(log, stdin), infer_schema_length=None)
    except (OSError, pl.exceptions.PolarsError, ValueError) as exc:
        raise _error(log, exc) from None
    frame = descend(frame, nest)
    return Doc(lf=frame.lazy().with_row_index(ROW), root=REC, sample=sniffed.nested or sniffed.records)


def descend(frame: pl.DataFrame, nest: Sequence[str]) -> pl.DataFrame:
    """One row per record: follow each name in `nest` that is present (lists are exploded, objects entered).

    The enclosing objects' other fields are kept in one `ENV` struct (inner levels win on a name clash), so a
    usage bucket's `start_time` sits beside each of its results.
    """
    if not frame.columns:
        return pl.DataFrame({REC: []})
    out = frame.select(pl.struct(pl.all()).alias(REC))
    for name in nest:
        dtype = out.schema[REC]
        if not isinstance(dtype, pl.Struct):
            break
        fields = {f.name: f.dtype for f in dtype.fields}
        child = fields.get(name)
        if not isinstance(child, pl.List | pl.Struct):
            continue
        if isinstance(child, pl.List) and not isinstance(child.inner, pl.Struct):
            continue
        rec = pl.col(REC)
        kept = {n: rec.struct.field(n) for n in fields if n != name}
        if ENV in out.columns:
            env_dtype = out.schema[ENV]
            assert isinstance(env_dtype, pl.Struct)
            for f in env_dtype.fields:
                kept.setdefault(f.name, pl.col(ENV).struct.field(f.name))
        env = pl.struct([e.alias(n) for n, e in kept.items()]).alias(ENV) if kept else None
        out = out.select([rec.struct.field(name).alias(REC), *([env] if env is not None else [])])
        if isinstance(child, pl.List):
            out = out.explode(REC)
        out = out.filter(pl.col(REC).is_not_null())
    return out


def csv_doc(sniffed: Sniff) -> Doc:
    """A CSV export with every column read as text (numbers are parsed, and checked, by the adapter); a line
    whose fields do not match the header is rejected."""
    lf, header = csv_records(sniffed.log, lenient=sniffed.lenient)
    # a damaged line's fields are no fields (a short row's values sit in the wrong columns)
    lf = lf.with_columns(pl.when(pl.col(BAD).is_null()).then(pl.col(c)).alias(c) for c in header)
    return Doc(lf=lf, root=None, sample=sniffed.records, bad=BAD)


def sqlite_tables(log: LogFile) -> dict[str, list[str]]:
    """Tables and their columns of a SQLite file (read-only)."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{log.path}?mode=ro", uri=True)) as conn:
            names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")]
            return {n: [r[1] for r in conn.execute(f'PRAGMA table_info("{n}")')] for n in names}
    except sqlite3.Error as exc:
        raise InputError(f"{log.display}: cannot read as SQLite ({exc})") from None


def sqlite_doc(sniffed: Sniff, table: str, columns: Sequence[str]) -> Doc:
    """Selected columns of one SQLite table, in rowid order, all as text (SQLite columns are loosely typed)."""
    log = sniffed.log
    present = [c for c in columns if c in sniffed.tables.get(table, [])]
    select = ", ".join(f'CAST("{c}" AS TEXT) AS "{c}"' for c in present)
    query = f'SELECT {select} FROM "{table}" ORDER BY rowid'
    try:
        with contextlib.closing(sqlite3.connect(f"file:{log.path}?mode=ro", uri=True)) as conn:
            rows = conn.execute(query).fetchall()
        frame = pl.DataFrame(rows, schema=dict.fromkeys(present, pl.String), orient="row")
    except (sqlite3.Error, pl.exceptions.PolarsError) as exc:
        raise InputError(f"{log.display}: cannot read table {table!r} ({exc})") from None
    return Doc(lf=frame.lazy().with_row_index(ROW), root=None, sample=frame.head(SAMPLE_RECORDS).to_dicts())
