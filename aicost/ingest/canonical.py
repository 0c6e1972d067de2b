"""Logs already in aicost's canonical columns (optionally renamed with --map) → the usage schema.

Every row gets a rejection reason (null when valid) instead of failing the scan, so one pass both
prices the good rows and finds the first bad one; see costing.py for how rejections are counted.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Mapping

import polars as pl

from aicost.errors import InputError
from aicost.ingest.files import LogFile
from aicost.ingest.ndjson import TS_REST
from aicost.schema import (
    COUNT_COLUMNS,
    INTERNAL_PREFIX,
    TIMESTAMP_DTYPE,
    TOKEN_CLASSES,
    USAGE_SCHEMA,
)

FILE = f"{INTERNAL_PREFIX}file"
ROW = f"{INTERNAL_PREFIX}row"
REJECT = f"{INTERNAL_PREFIX}reject"
# why a record is not billable by design (a summary line, an errored batch line, a gateway cache hit)
SKIP = f"{INTERNAL_PREFIX}skip"
_TS_TEXT, _TS_PARSED = f"{INTERNAL_PREFIX}ts_text", f"{INTERNAL_PREFIX}ts_parsed"
# optional, from format adapters: a de-duplication preference (higher wins) and a note for warnings
PREF = f"{INTERNAL_PREFIX}pref"
NOTE = f"{INTERNAL_PREFIX}note"
ADAPTER_COLUMNS = (ROW, FILE, REJECT, SKIP, PREF, NOTE)

# Timestamp layouts tried on string columns, sniffed per file from a sample of values.
TIMESTAMP_FORMATS = (
    "%Y-%m-%dT%H:%M:%S%.f%#z",
    "%Y-%m-%d %H:%M:%S%.f%#z",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M%#z",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d",
)
EPOCH = "epoch"  # a pseudo-layout: numbers (seconds, ms, µs or ns since 1970) written as text
_SNIFF_ROWS = 500
# A call logged more than this after the run started is a damaged time (year 2999, a mangled epoch), not
# usage: rejected. Not a day: pricing calls dated after an announced price change is a real use.
FUTURE_SLACK = dt.timedelta(days=366)
# Before any LLM API: an epoch of 0 written for a missing time, or a mangled one (rejected too).
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
_INTEGER_TYPES = (pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32, pl.UInt64)
_FLOAT_TYPES = (pl.Float32, pl.Float64)


def apply_mapping(schema: pl.Schema, mapping: Mapping[str, str], where: str) -> dict[str, str]:
    """Check a --map (canonical=source) against a file's columns; return the renames to apply."""
    problems = []
    renames: dict[str, str] = {}
    for canonical, source in mapping.items():
        if source not in schema:
            if canonical in schema:
                continue  # this file already uses the canonical name
            problems.append(f"--map {canonical}={source}: no column {source!r}")
        elif canonical in schema and canonical != source:
            problems.append(f"--map {canonical}={source}: the file has both {canonical!r} and {source!r}")
        else:
            renames[source] = canonical
    if problems:
        raise InputError(f"{where}: " + "; ".join(problems))
    return renames


def check_columns(schema: pl.Schema, where: str) -> None:
    """Report every missing or unusable canonical column at once."""
    problems = []
    if "model" not in schema:
        problems.append("missing required column 'model'")
    if not any(c in schema for c in TOKEN_CLASSES):
        problems.append(f"no token column (need at least one of {', '.join(TOKEN_CLASSES)})")
    for column in COUNT_COLUMNS:
        dtype = schema.get(column)
        if dtype is not None and not (dtype.is_numeric() or dtype in (pl.String, pl.Null)):
            problems.append(f"column {column!r} is {dtype}, expected integers")
    dtype = schema.get("timestamp")
    # a Duration or a Time of day is temporal, but not a moment to price a call at
    if dtype is not None and not (
        isinstance(dtype, pl.Datetime | pl.Date) or dtype.is_numeric() or dtype in (pl.String, pl.Null)
    ):
        problems.append(f"column 'timestamp' is {dtype}, expected a timestamp, ISO string or epoch number")
    for column in ("model", "provider", "service_tier", "request_id"):
        dtype = schema.get(column)
        if dtype is not None and dtype.is_nested():
            problems.append(f"column {column!r} is {dtype}, expected text")
    dtype = schema.get("model")
    if dtype is not None and (dtype.is_numeric() or dtype.is_temporal() or dtype == pl.Boolean):
        problems.append(f"column 'model' is {dtype}, expected text (model ids such as gpt-4o)")
    if problems:
        raise InputError(f"{where}: " + "; ".join(problems) + "; use --map canonical=source for renamed columns")


def misspelt_columns(schema: Collection[str], present: Collection[str]) -> dict[str, str]:
    """Tag columns that stand for a canonical column, each with that column.

    A damaged key (`"input_toks"`, `"timeZtamp"`: a letter or two from a canonical column the file does
    use, `present`) or a header written another way (`Timestamp`, `inputTokens`, `input-tokens`) would
    otherwise make a tag of the count or the time, and price the row without it. A tag merely near a
    canonical name the file does not use (`requester` in a log without `requests`) stays a tag.
    """
    found: dict[str, str] = {}
    for column in schema:
        if column in USAGE_SCHEMA or column.startswith(INTERNAL_PREFIX) or len(column) < 4:
            continue
        spelt = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", column).lower().replace("-", "_").replace(" ", "_")
        if spelt in USAGE_SCHEMA:
            found[column] = spelt
            continue
        edits, canonical = min((_edits(column.lower(), c), c) for c in USAGE_SCHEMA)
        if canonical in present and edits <= (1 if len(canonical) < 8 else 2 if len(canonical) < 12 else 3):
            found[column] = canonical
    return found


def _edits(a: str, b: str) -> int:
    """Levenshtein distance (names are short: the plain dynamic programme is fine)."""
    if abs(len(a) - len(b)) > 3:
        return 4
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def sniff_timestamp_formats(samples: list[str]) -> list[str]:
    """The layouts (in TIMESTAMP_FORMATS) that parse at least one sample value."""
    series = pl.Series(samples, dtype=pl.String)
    found = []
    numbers = series.str.strip_chars().cast(pl.Float64, strict=False)
    if numbers.is_not_null().any():
        found.append(EPOCH)  # epoch numbers written as text (JSON lines read line by line, CSV)
        series = series.filter(numbers.is_null())
    for fmt in TIMESTAMP_FORMATS:
        parsed = series.str.to_datetime(fmt, time_zone="UTC", strict=False, time_unit="us")
        if parsed.null_count() < len(series):
            found.append(fmt)
            series = series.filter(parsed.is_null())
            if series.is_empty():
                break
    if series.is_empty():
        return found
    return found or [TIMESTAMP_FORMATS[0]]


def timestamp_expr(dtype: pl.DataType | None, formats: list[str]) -> tuple[pl.Expr, pl.Expr | None]:
    """Expression for the UTC timestamp and one that is true where a present value failed to parse."""
    if dtype is None or dtype == pl.Null:
        return pl.lit(None, dtype=TIMESTAMP_DTYPE).alias("timestamp"), None
    raw = pl.col("timestamp")
    if isinstance(dtype, pl.Datetime):
        ts = raw.dt.convert_time_zone("UTC") if dtype.time_zone else raw.dt.replace_time_zone("UTC")
        return ts.cast(TIMESTAMP_DTYPE).alias("timestamp"), None
    if dtype == pl.Date:
        return raw.cast(pl.Datetime("us")).dt.replace_time_zone("UTC").alias("timestamp"), None
    if dtype.is_numeric():
        ts = epoch_time(raw.cast(pl.Float64))
        return ts.alias("timestamp"), raw.is_not_null() & ts.is_null()
    text = raw.cast(pl.String).str.strip_chars()
    ts = parse_timestamps(text, formats)
    bad = text.is_not_null() & (text != "") & ts.is_null()
    return ts.alias("timestamp"), bad


def parse_timestamps(text: pl.Expr, formats: list[str]) -> pl.Expr:
    """Stripped timestamp text parsed with the sniffed layouts (the first that parses wins)."""
    parsed = [
        epoch_time(text.cast(pl.Float64, strict=False))
        if f == EPOCH
        else text.str.to_datetime(f, time_zone="UTC", strict=False, time_unit="us")
        for f in formats or [TIMESTAMP_FORMATS[0]]
    ]
    return parsed[0] if len(parsed) == 1 else pl.coalesce(parsed)


def epoch_time(value: pl.Expr) -> pl.Expr:
    """Epoch seconds, milliseconds, microseconds or nanoseconds (told apart by magnitude) as a UTC time."""
    micros = (
        pl.when(value.abs() < 1e11)
        .then(value * 1e6)
        .when(value.abs() < 1e14)
        .then(value * 1e3)
        .when(value.abs() < 1e17)
        .then(value)
        .otherwise(value / 1e3)
    )
    finite = pl.when(value.is_finite() & (micros.abs() < 9.2e18)).then(micros)
    return finite.round(0).cast(pl.Int64).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")


def _count_expr(column: str, dtype: pl.DataType | None, default: int) -> tuple[pl.Expr, list[pl.Expr]]:
    """An Int64 count column and the rejection reasons it can raise."""
    if dtype is None or dtype == pl.Null:
        return pl.lit(default, dtype=pl.Int64).alias(column), []
    raw = pl.col(column)
    reasons: list[pl.Expr] = []
    if isinstance(dtype, _INTEGER_TYPES):
        value = raw.cast(pl.Int64, strict=False)
        if dtype == pl.UInt64:
            reasons.append(pl.when(raw.is_not_null() & value.is_null()).then(pl.lit(f"{column} too large")))
    elif dtype == pl.String:
        # integer text exactly (a float is exact only up to 2**53); anything else through a float, checked
        text = raw.str.strip_chars()
        exact = text.cast(pl.Int64, strict=False)
        odd = exact.is_null() & (text != "")  # present, and not plain integer text: checked as a float
        number = pl.when(odd).then(text).cast(pl.Float64, strict=False)
        reasons.append(
            pl.when(odd).then(
                pl.when(number.is_null() | number.is_nan() | number.is_infinite())
                .then(pl.lit(f"{column} is not a number"))
                .when(number.abs() >= 9.2e18)
                .then(pl.lit(f"{column} too large"))
                .when(number != number.floor())
                .then(pl.lit(f"{column} is not a whole number"))
            )
        )
        value = pl.coalesce(exact, pl.when(number.abs() < 9.2e18).then(number).cast(pl.Int64, strict=False))
    else:
        number = raw.cast(pl.Float64)
        reasons += [
            pl.when(raw.is_not_null() & number.is_null()).then(pl.lit(f"{column} is not a number")),
            pl.when(number.is_nan() | number.is_infinite()).then(pl.lit(f"{column} is not a number")),
            pl.when(number.abs() >= 9.2e18).then(pl.lit(f"{column} too large")),
            pl.when(number != number.floor()).then(pl.lit(f"{column} is not a whole number")),
        ]
        value = pl.when(number.abs() < 9.2e18).then(number).cast(pl.Int64, strict=False)
    reasons.append(pl.when(value < 0).then(pl.lit(f"{column} is negative")))
    return value.fill_null(default).alias(column), reasons


def _reported_cost_expr(dtype: pl.DataType) -> tuple[pl.Expr, list[pl.Expr]]:
    """The Float64 reported cost and the rejection reason it can raise: a value that is not a finite number
    would silently drop out of reconciliation."""
    raw = pl.col("reported_cost")
    if dtype == pl.Null:
        return pl.lit(None, dtype=pl.Float64).alias("reported_cost"), []
    present = raw.is_not_null()
    if isinstance(dtype, _FLOAT_TYPES):
        raw = raw.fill_nan(None)  # how pandas writes a missing value
        present = raw.is_not_null()
    elif dtype == pl.String:
        raw = raw.str.strip_chars()
        present = raw.is_not_null() & (raw != "")
    cost = raw.cast(pl.Float64, strict=False)
    bad = present & (cost.is_null() | ~cost.is_finite())
    return cost.alias("reported_cost"), [pl.when(bad).then(pl.lit("reported_cost is not a number"))]


def to_canonical(
    lf: pl.LazyFrame,
    log: LogFile,
    mapping: Mapping[str, str],
    *,
    adapted: bool = False,
    strip_text: bool = True,
    check_names: bool | Collection[str] = False,
) -> pl.LazyFrame:
    """Rename, check and cast one file's frame into the canonical schema, plus tags and row bookkeeping.

    `adapted` frames come from a format adapter: they already carry their row index, their own rejection
    reasons (checked first, being the more specific) and skip reasons, and may carry a de-duplication
    preference and a per-row note; a skipped row is never also rejected.

    `strip_text=False` leaves provider, model and service_tier as read and skips the "missing model"
    check (`clean_text` adds both): a caller that groups by those columns first (costing) does both once
    per distinct value, which on a large log is much cheaper than a stripped copy of every row's strings.

    `check_names` (logs in canonical columns, not adapter output: True, or the columns the file really
    has where `lf` adds some for keys first used after the sampled records) rejects a row holding a value under a
    misspelt canonical column name (`misspelt_columns`) where the real column is empty.
    """
    where = log.display
    try:
        schema = lf.collect_schema()
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InputError(f"{where}: cannot read as {log.kind} ({_first_line(exc)})") from None
    renames = apply_mapping(schema, mapping, where)
    if renames:
        lf = lf.rename(renames)
        schema = lf.collect_schema()
    # timestamps the DuckDB reader parsed as it read, and the text of those it did not (`ndjson`)
    rest = log.kind == "jsonl" and TS_REST in schema and isinstance(schema.get("timestamp"), pl.Datetime)
    clashes = [
        c
        for c in schema
        if c.startswith(INTERNAL_PREFIX) and not (adapted and c in ADAPTER_COLUMNS) and not (rest and c == TS_REST)
    ]
    if clashes:
        raise InputError(f"{where}: column names starting with {INTERNAL_PREFIX!r} are reserved ({clashes[0]})")
    check_columns(schema, where)

    formats: list[str] = []
    if schema.get("timestamp") == pl.String:
        try:
            sample = lf.select(pl.col("timestamp").drop_nulls().head(_SNIFF_ROWS)).collect()
        except pl.exceptions.PolarsError as exc:
            raise InputError(f"{where}: cannot read as {log.kind} ({_first_line(exc)})") from None
        formats = sniff_timestamp_formats(sample.to_series().to_list())
    ts_bad: pl.Expr | None
    if formats or rest:
        # strip and parse every value once, into columns: written as one expression, the rejection
        # reason would strip and parse each value again (the streaming engine does not share them)
        lf = lf.with_columns(pl.col(TS_REST if rest else "timestamp").str.strip_chars().alias(_TS_TEXT))
        parse = parse_timestamps(pl.col(_TS_TEXT), formats or [TIMESTAMP_FORMATS[0]])
        # text DuckDB passed on is parsed here, with the one layout the file's timestamps were sampled to have
        lf = lf.with_columns((pl.coalesce(pl.col("timestamp"), parse) if rest else parse).alias(_TS_PARSED))
        text, parsed = pl.col(_TS_TEXT), pl.col(_TS_PARSED)
        ts, ts_bad = parsed.alias("timestamp"), text.is_not_null() & (text != "") & parsed.is_null()
    else:
        ts, ts_bad = timestamp_expr(schema.get("timestamp"), formats)

    exprs: list[pl.Expr] = [ts]
    reasons: list[pl.Expr] = []
    if ts_bad is not None:
        reasons.append(pl.when(ts_bad).then(pl.lit("timestamp does not parse")))
    for column in COUNT_COLUMNS:
        expr, why = _count_expr(column, schema.get(column), 1 if column == "requests" else 0)
        exprs.append(expr)
        reasons += why
    for column in ("provider", "model", "service_tier", "request_id"):
        if column in schema:
            text = pl.col(column).cast(pl.String)
            exprs.append((text.str.strip_chars() if strip_text or column == "request_id" else text).alias(column))
        else:
            exprs.append(pl.lit(None, dtype=pl.String).alias(column))
    if strip_text:
        reasons.insert(0, missing_model())
    if "reported_cost" in schema:
        cost, why = _reported_cost_expr(schema["reported_cost"])
        exprs.append(cost)
        reasons += why
    else:
        exprs.append(pl.lit(None, dtype=pl.Float64).alias("reported_cost"))
    if check_names:
        present = schema if check_names is True else check_names
        for tag, canonical in misspelt_columns(schema, present).items():
            holds_it = pl.col(canonical).is_null() if canonical in schema else pl.lit(True)
            reasons.append(
                pl.when(pl.col(tag).is_not_null() & holds_it).then(
                    pl.lit(
                        f"column {tag!r} instead of {canonical!r} (a damaged name? --map {canonical}={tag} if meant)"
                    )
                )
            )
    tags = [c for c in schema if c not in USAGE_SCHEMA and not c.startswith(INTERNAL_PREFIX)]
    exprs += [_tag_expr(c, schema[c]) for c in tags]
    # an adapted frame may hold several files of one format, each row tagged with its file
    exprs.append(pl.col(FILE) if adapted and FILE in schema else pl.lit(log.index, dtype=pl.Int64).alias(FILE))
    exprs.append(pl.col(ROW).cast(pl.Int64))
    if not adapted:
        exprs.append(pl.coalesce(reasons).alias(REJECT) if reasons else pl.lit(None, dtype=pl.String).alias(REJECT))
        exprs.append(pl.lit(None, dtype=pl.String).alias(SKIP))
        return lf.with_row_index(ROW).select(exprs).pipe(_reject_implausible)
    reason = pl.coalesce([pl.col(REJECT), *reasons])
    exprs.append(pl.when(pl.col(SKIP).is_null()).then(reason).otherwise(None).alias(REJECT))
    exprs.append(pl.col(SKIP))
    exprs += [pl.col(c) for c in (PREF, NOTE) if c in schema]
    return lf.select(exprs).pipe(_reject_implausible)


def _reject_implausible(lf: pl.LazyFrame) -> pl.LazyFrame:
    """Reject (unless skipped or already rejected) rows whose parsed values cannot be usage: a call dated
    more than FUTURE_SLACK after now or before EARLIEST, tokens for zero requests (no per-request size to
    price tiers by).

    Checked on the parsed columns, so no text is parsed twice.
    """
    horizon = pl.lit(dt.datetime.now(dt.UTC) + FUTURE_SLACK, dtype=TIMESTAMP_DTYPE)
    tokens = pl.any_horizontal([pl.col(c) > 0 for c in TOKEN_CLASSES])
    why = (
        pl.when(pl.col("timestamp") > horizon)
        .then(pl.lit("timestamp is more than a year in the future"))
        .when(pl.col("timestamp") < pl.lit(EARLIEST, dtype=TIMESTAMP_DTYPE))
        .then(pl.lit("timestamp is before 2000 (a zero or mangled time?)"))
        .when((pl.col("requests") == 0) & tokens)
        .then(pl.lit("requests is 0 but the row has tokens"))
    )
    return lf.with_columns(pl.coalesce(pl.col(REJECT), pl.when(pl.col(SKIP).is_null()).then(why)).alias(REJECT))


def _tag_expr(column: str, dtype: pl.DataType) -> pl.Expr:
    raw = pl.col(column)
    if isinstance(dtype, pl.List) and dtype.inner == pl.String:
        return raw.list.join(",").alias(column)
    if isinstance(dtype, pl.Struct):
        return raw.struct.json_encode().alias(column)
    if dtype.is_nested():
        return raw.cast(pl.String, strict=False).alias(column)
    return raw.cast(pl.String).alias(column)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def has_source_column(lf: pl.LazyFrame, mapping: Mapping[str, str], column: str) -> bool:
    """Whether a file's raw frame provides a canonical column (under its own name or a --map source)."""
    schema = lf.collect_schema()
    return column in schema or mapping.get(column) in schema


def clean_text(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Finish frames made with `strip_text=False`: strip their text and reject missing models (first)."""
    usable = pl.col(SKIP).is_null()  # a row skipped by design (often without a model) is never rejected
    return frame.with_columns(pl.col(c).str.strip_chars() for c in ("provider", "model", "service_tier")).with_columns(
        pl.when(usable).then(pl.coalesce(pl.col(REJECT), missing_model())).otherwise(pl.col(REJECT)).alias(REJECT)
    )


def missing_model() -> pl.Expr:
    """The rejection reason for a row's model id: none, only whitespace, or a JSON object or array.

    Read line by line, a JSON line's values arrive as text, so an object or array where a model id belongs
    (damage: no model id starts with a brace or bracket) would otherwise be listed as an unpriced model.
    """
    model = pl.col("model").cast(pl.String).str.strip_chars()
    return (
        pl.when(model.is_null() | (model == ""))
        .then(pl.lit("missing model"))
        .when(model.str.starts_with("{") | model.str.starts_with("["))
        .then(pl.lit("model is not text (a JSON object or array)"))
    )
