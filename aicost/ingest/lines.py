"""Line-based logs read so that a damaged line costs one rejected row, never the whole file.

Polars' NDJSON scanner reads clean files fastest, but fails the whole file on one malformed line, on a
value whose type differs from what the first rows suggested, or on one byte that is not UTF-8; its CSV
scanner silently fills a short row's missing fields with nulls, which would price a truncated row as 0.
The readers here take a file as lines (one string column; every step vectorised) and give every line
either its fields or the reason it cannot be read:

- `jsonl_records` (the fallback for canonical JSON lines): one String column per top-level key of a
  sample of records (numbers as their text, objects and arrays as JSON text), so that the usual per-row
  checks then reject bad values; a line that is not a JSON object is rejected as malformed.
- `csv_records` (every CSV, canonical or export): one String column per header column; a line whose
  fields do not match the header, or whose quoting is broken, is rejected. One record is one line: a
  quoted field spanning lines is reported as broken quoting rather than guessed at.

A file that is not valid UTF-8 throughout is decoded in memory with replacement characters, and the
lines that needed one are rejected as "not valid UTF-8 text".
"""

from __future__ import annotations

import codecs
import csv
import gzip
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

import msgspec
import polars as pl

from aicost.errors import InputError
from aicost.ingest.canonical import FILE, REJECT, ROW, SKIP
from aicost.ingest.files import LogFile
from aicost.schema import INTERNAL_PREFIX, late_columns

LINE: Final = f"{INTERNAL_PREFIX}line"  # a line of text (a record as JSON text, for JSON lines)
BAD: Final = f"{INTERNAL_PREFIX}bad"  # why a line cannot be read as a record (null when it can)
NUM: Final = f"{INTERNAL_PREFIX}num"  # 0-based physical line number
_NORM: Final = f"{INTERNAL_PREFIX}norm"
_DECODED: Final = f"{INTERNAL_PREFIX}decoded"
_FIELDS: Final = f"{INTERNAL_PREFIX}fields"

MALFORMED_JSON: Final = "not a JSON object (malformed line)"
UTF16: Final = "UTF-16 text; aicost reads UTF-8 (convert it, e.g. iconv -f UTF-16 -t UTF-8)"
NOT_UTF8: Final = "not valid UTF-8 text"
KEY_SAMPLE: Final = 1000  # records whose keys become columns, as many as the fast reader infers from
# what Python's bytes.strip() and the error reports' line counting treat as blank
BLANK: Final = " \t\n\r\x0b\x0c"
# one CSV field after its separator: quoted (doubled quotes inside) or plain
_CSV_FIELD: Final = r'(?:^|,)(?:"(?:[^"]|"")*"|[^,"]*)'
_CHUNK: Final = 1 << 20
# C0 controls other than tab (and DEL) have no place in CSV text (RFC 4180): a sign of damage
_CONTROL: Final = r"[\x00-\x08\x0a-\x1f\x7f]"


def _error(log: LogFile, exc: BaseException) -> InputError:
    text = str(exc).strip().splitlines()
    return InputError(f"{log.display}: cannot read as {log.kind} ({text[0][:200] if text else type(exc).__name__})")


def _compressed_zst(log: LogFile) -> bool:
    return log.path.endswith((".zst", ".zstd"))


def _chunks(log: LogFile, stdin: bytes | None) -> Iterator[bytes]:
    """The file's bytes (decompressed), a chunk at a time."""
    if log.is_stdin:
        yield stdin or b""
        return
    opener: Any = gzip.open if log.path.endswith(".gz") else open
    with opener(log.path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            yield chunk


def is_utf8(log: LogFile, stdin: bytes | None) -> bool:
    """Whether the whole file decodes as UTF-8 (streamed: the file is not held in memory)."""
    if _compressed_zst(log):
        return True  # Polars decompresses zstd itself; an invalid byte there fails the file, named
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for chunk in _chunks(log, stdin):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    except (OSError, EOFError) as exc:
        raise _error(log, exc) from None
    return True


def physical_lines(log: LogFile, stdin: bytes | None, *, lenient: bool) -> pl.LazyFrame:
    """Every line of a file as LINE, numbered from 0 as NUM, with BAD set where it is not valid UTF-8.

    Not lenient: Polars' streaming line scanner, which fails the plan on a byte that is not UTF-8.
    """
    source: Any = (stdin or b"") if log.is_stdin else log.path
    # a byte-order mark (at the start, or where files were concatenated) is not part of a record
    line = pl.col(LINE).str.strip_prefix("\ufeff")
    if not lenient or is_utf8(log, stdin):
        lf = pl.scan_lines(source, name=LINE, glob=False)
        return lf.select(line, pl.lit(None, dtype=pl.String).alias(BAD)).with_row_index(NUM)
    try:
        data = b"".join(_chunks(log, stdin))
    except (OSError, EOFError) as exc:
        raise _error(log, exc) from None
    # decoded with U+FFFD for each bad sequence, then scanned from memory like a file (in parallel)
    text = data.decode("utf-8", "replace").encode("utf-8")
    bad = pl.when(pl.col(LINE).str.contains("\ufffd", literal=True)).then(pl.lit(NOT_UTF8))
    return pl.scan_lines(text, name=LINE).select(line, bad.alias(BAD)).with_row_index(NUM)


def nonblank(line: pl.Expr) -> pl.Expr:
    """A line with something on it (what JSON-lines readers and error reports count as a record)."""
    return line.str.strip_chars(BLANK) != ""


def json_object_check(line: pl.Expr) -> pl.Expr:
    """True where a line is one JSON object (exactly: Polars' JSON parser, not a guess from its braces)."""
    text = line.str.strip_chars(BLANK)
    return text.str.starts_with("{") & text.str.json_path_match("$").is_not_null()


# ------------------------------------------------------------------------------------------ JSON lines


_CONTAINERS: Final = frozenset({dict, list})  # what msgspec and json decode objects and arrays to


def sample_keys(log: LogFile, stdin: bytes | None, limit: int = KEY_SAMPLE) -> tuple[list[str], set[str]]:
    """Top-level keys of the first `limit` records (in order of appearance), and those holding objects/lists."""
    keys: dict[str, Any] = {}
    nested: set[str] = set()
    seen = 0
    for line in head_lines(log, stdin):
        try:
            record = msgspec.json.decode(line)  # a few times faster than json.loads on these lines
        except (msgspec.DecodeError, RecursionError):
            try:  # what msgspec does not take, json may: NaN, numbers beyond a double, deep nesting
                record = json.loads(line)
            except (ValueError, RecursionError):
                continue
        if not isinstance(record, dict):
            continue
        keys.update(record)  # keys first seen here, in order (one seen before keeps its place)
        if not _CONTAINERS.isdisjoint(map(type, record.values())):  # in C: most records hold no object
            nested.update(key for key, value in record.items() if isinstance(value, dict | list))
        seen += 1
        if seen >= limit:
            break
    return list(keys), nested


def head_lines(log: LogFile, stdin: bytes | None) -> Iterator[str]:
    """Lines from the start of a file, decoded leniently (for sampling only)."""
    if _compressed_zst(log):
        try:
            head = pl.scan_lines(log.path, glob=False).head(KEY_SAMPLE * 2).collect().to_series()
        except (OSError, pl.exceptions.PolarsError) as exc:
            raise _error(log, exc) from None
        yield from (str(x) for x in head.to_list())
        return
    pending = b""
    try:
        for chunk in _chunks(log, stdin):
            parts = (pending + chunk).split(b"\n")
            pending = parts.pop()
            for part in parts:
                yield part.decode("utf-8", "replace")
    except (OSError, EOFError) as exc:
        raise _error(log, exc) from None
    if pending:
        yield pending.decode("utf-8", "replace")


def _key_pattern(keys: Sequence[str]) -> str:
    """A regex for `"key":{` or `"key":[` right after `{` or `,` in compact JSON (a nested value)."""
    quoted = "|".join(re.escape(json.dumps(k, ensure_ascii=False)) for k in keys)
    return rf"[{{,](?:{quoted}):[\[{{]"


def jsonl_records(
    log: LogFile,
    stdin: bytes | None,
    mapping: Mapping[str, str] | None = None,
    sampled: tuple[list[str], set[str]] | None = None,
) -> pl.LazyFrame:
    """JSON lines → top-level keys as String columns, plus ROW (the N-th non-blank line), FILE, REJECT, SKIP.

    Valid lines are re-serialised compactly by Polars' JSON parser (`json_path_match("$")`), then decoded
    with every key typed as String, which never fails on a scalar. A key whose sampled values are objects
    or arrays, and the rare line holding an object where the sample had a scalar, are read with a JSON
    path instead (slower, but it returns any value as text). `sampled`: what `sample_keys` returns, if the
    caller has it already.
    """
    keys, nested = sampled or sample_keys(log, stdin)
    keys = keys + late_columns(keys, mapping or {})  # canonical columns first used after the sample
    reserved = [k for k in keys if k.startswith(INTERNAL_PREFIX)]
    if reserved:
        raise InputError(f"{log.display}: column names starting with {INTERNAL_PREFIX!r} are reserved ({reserved[0]})")
    text = pl.col(LINE).str.strip_chars(BLANK)
    norm = pl.when(pl.col(BAD).is_null() & text.str.starts_with("{")).then(text.str.json_path_match("$"))
    lf = (
        physical_lines(log, stdin, lenient=True)
        .filter(nonblank(pl.col(LINE)))
        .drop(NUM)
        .with_row_index(ROW)
        .with_columns(norm.alias(_NORM))
    )
    ok = pl.col(_NORM).is_not_null()
    scalar = [k for k in keys if k not in nested]
    columns: list[pl.Expr] = []
    if scalar:
        suspect = ok & pl.col(_NORM).str.contains(_key_pattern(scalar))
        decoded = (
            pl.when(ok & ~suspect).then(pl.col(_NORM)).str.json_decode(pl.Struct(dict.fromkeys(scalar, pl.String)))
        )
        lf = lf.with_columns(decoded.alias(_DECODED), suspect.alias(_FIELDS))
        slow = pl.when(pl.col(_FIELDS)).then(pl.col(_NORM))
        columns += [
            pl.coalesce(pl.col(_DECODED).struct.field(k), slow.str.json_path_match(_path(k))).alias(k) for k in scalar
        ]
    columns += [pl.col(_NORM).str.json_path_match(_path(k)).alias(k) for k in keys if k in nested]
    reject = pl.coalesce(pl.col(BAD), pl.when(~ok).then(pl.lit(MALFORMED_JSON)))
    return lf.select(
        *columns,
        pl.col(ROW),
        pl.lit(log.index, dtype=pl.Int64).alias(FILE),
        reject.alias(REJECT),
        pl.lit(None, dtype=pl.String).alias(SKIP),
    )


def _path(key: str) -> str:
    return "$['" + key.replace("\\", "\\\\").replace("'", "\\'") + "']"


# ------------------------------------------------------------------------------------------ CSV


def csv_header(log: LogFile) -> list[str]:
    """The column names on a CSV file's first line (a byte-order mark is dropped)."""
    first = next(iter(head_lines(log, None)), None)
    if first is None or not first.strip(BLANK):
        raise InputError(f"{log.display}: empty file (a CSV log needs a header line and rows)")
    if first.startswith("\ufffd\ufffd"):  # a UTF-16 byte-order mark, decoded as UTF-8
        raise InputError(f"{log.display}: {UTF16}")
    if "\x00" in first or "\ufffd" in first:
        raise InputError(f"{log.display}: binary data, not a CSV file")
    try:
        names = next(csv.reader([first.removeprefix("\ufeff").rstrip("\r")]))
    except csv.Error as exc:
        raise InputError(f"{log.display}: line 1: not a CSV header ({exc})") from None
    out: list[str] = []
    for i, name in enumerate(names):
        name = name.strip() or f"column_{i + 1}"
        if name in out:
            raise InputError(f"{log.display}: line 1: column {name!r} appears twice in the header")
        if name.startswith(INTERNAL_PREFIX):
            raise InputError(f"{log.display}: column names starting with {INTERNAL_PREFIX!r} are reserved ({name})")
        out.append(name)
    return out


def csv_fields(line: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """A CSV line as a list of field texts, and whether its quoting is well formed.

    Lines without a quote are split on commas; the others are tokenised by a regex, and are well formed
    when the fields it finds cover the whole line.
    """
    quoted = line.str.contains('"', literal=True)
    plain = pl.when(~quoted).then(line).str.split(",")
    tokens = pl.when(quoted).then(line).str.extract_all(_CSV_FIELD)
    covered = tokens.list.eval(pl.element().str.len_chars()).list.sum() == line.str.len_chars()
    field = pl.element().str.strip_prefix(",")
    unquoted = (
        pl.when(field.str.starts_with('"'))
        .then(field.str.slice(1, field.str.len_chars() - 2).str.replace_all('""', '"', literal=True))
        .otherwise(field)
    )
    fields = pl.coalesce(plain, tokens.list.eval(unquoted))
    return fields, ~quoted | covered


def csv_records(log: LogFile, *, lenient: bool) -> tuple[pl.LazyFrame, list[str]]:
    """CSV rows as String columns (empty fields null), ROW (its line number − 2), FILE and BAD; and the columns.

    A blank line is no record; a line whose field count differs from the header's, or whose quoting is
    broken, is rejected with its line number.
    """
    header = csv_header(log)
    line = pl.col(LINE)
    fields, well_formed = csv_fields(line)
    count = pl.col(_FIELDS).list.len()
    structural = (
        pl.when(~pl.col(_NORM))
        .then(pl.lit("malformed CSV line (broken quoting, or a quoted field spanning lines)"))
        .when(line.str.contains(_CONTROL))
        .then(pl.lit("malformed CSV line (control character: binary data?)"))
        .when(count != len(header))
        .then(pl.format("line has {} fields, the header has " + str(len(header)), count))
    )
    values = [pl.col(_FIELDS).list.get(i, null_on_oob=True).alias(name) for i, name in enumerate(header)]
    lf = (
        physical_lines(log, None, lenient=lenient)
        .filter((pl.col(NUM) > 0) & nonblank(line))
        .with_columns(fields.alias(_FIELDS), well_formed.alias(_NORM))
        .select(
            *values,
            (pl.col(NUM) - 1).cast(pl.Int64).alias(ROW),
            pl.lit(log.index, dtype=pl.Int64).alias(FILE),
            pl.coalesce(pl.col(BAD), structural).alias(BAD),
        )
        .with_columns(pl.when(pl.col(name) != "").then(pl.col(name)).alias(name) for name in header)
    )
    return lf, header
