"""Costing's log-sized group-by for JSON-lines files, done by DuckDB as it reads them.

On a canonical JSON-lines file the scan (`costing._scan`) spent about as long handing 2M rows from
DuckDB's reader to Polars, and keying them there, as DuckDB took to read them. Here DuckDB groups the rows
itself and hands over one row per group, keyed so that each group prices alike (`costing._sql_groups`
writes the keys: by UTC day or hour and day segment, or by the book's price epoch and window state); the
cells costing makes from the groups are the ones the Polars scan makes.

Only rows costing would take as they are are grouped here. A row it would reject (a count that is not a
whole non-negative number, a timestamp that does not parse strictly or is implausible, tokens for zero
requests, a missing model, a reported cost that is not finite) fails the query instead, and the file is
scanned by Polars, which names the row. So every value that reaches a group means what it means there,
and no group needs the row numbers a rejection is reported by (FIRST_BAD is null: nothing is bad). The
checks are deliberately stricter than costing's (a model id starting with a space, a timestamp with a
leading space, a time just within a year ahead, a count of 2**51 or more): a stricter check costs a file
the Polars scan, never a different result.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from aicost.ingest.canonical import EARLIEST, FUTURE_SLACK
from aicost.ingest.ndjson import EXACT, PARSED, Read, connect, ident, literal, with_parsed
from aicost.schema import COUNT_COLUMNS, INTERNAL_PREFIX, TIMESTAMP_DTYPE, TOKEN_CLASSES

# counts stay doubles (a cast per value and column cost 3% of the query): whole numbers below 2**51, so
# that a prompt's four classes add up exactly (below 2**53), and sums are checked below 2**53 (`exact_sum`)
_LARGEST = 2**51
# names of the normalised rows' own columns: a file with a column named so is left to Polars (ndjson.scan)
_TS, _FILE = f"{INTERNAL_PREFIX}ts", f"{INTERNAL_PREFIX}file"


@dataclass(frozen=True)
class Log:
    """A canonical JSON-lines file costing may group in DuckDB: how DuckDB reads it, and its file index."""

    read: Read
    file: int


@dataclass(frozen=True)
class Column:
    """A column of the grouped rows: its name, its SQL over the normalised rows (`group`) and Polars type."""

    name: str
    sql: str
    dtype: pl.DataType


def group(
    logs: Sequence[Log],
    keys: Sequence[Column],
    aggregates: Sequence[Column],
    tags: Sequence[str],
    derived: Sequence[tuple[str, str]] = (),
    on_progress: Callable[[float], None] | None = None,
) -> pl.DataFrame:
    """One row per group of the rows of `logs`, keyed by `keys`, with `aggregates`; raises duckdb.Error
    where a row fails a check (see the module), a line is damaged or a value does not cast.

    Keys and aggregates are SQL over the normalised rows: the canonical columns under their names (counts
    as DOUBLE whole numbers below 2**51, defaults filled in: sum them with `exact_sum`; provider, model,
    service_tier, request_id and the `tags` as text; reported_cost as DOUBLE), the call's naive UTC
    timestamp as `ts()`, the file index as `file()`, and the `derived` (name, SQL) columns, each computed
    once per row (DuckDB computes an expression again wherever it is written). `on_progress` hears the
    share of the query done, as DuckDB estimates it (for a file reader: the share of its bytes read), four
    times a second.
    """
    now = dt.datetime.now(dt.UTC)
    rows = f"({' UNION ALL '.join(_rows(log, tags, now) for log in logs)})"
    if derived:
        rows = f"(SELECT *, {', '.join(f'{sql} AS {ident(name)}' for name, sql in derived)} FROM {rows})"
    select = ", ".join(f"{c.sql} AS {ident(c.name)}" for c in (*keys, *aggregates))
    con = connect()
    if on_progress is not None:
        con.execute("SET enable_progress_bar = true")  # tracks progress; printing it is off
        con.execute("SET enable_progress_bar_print = false")
    try:
        _run(con, f"CREATE TEMP TABLE groups AS SELECT {select} FROM {rows} GROUP BY ALL", on_progress)
        # through the Arrow C stream interface: pyarrow (and numpy) take 0.1-0.2 s to import
        frame = pl.DataFrame(con.table("groups"))
    finally:
        con.close()
    schema = {c.name: c.dtype for c in (*keys, *aggregates)}
    utc = [name for name, dtype in schema.items() if dtype == TIMESTAMP_DTYPE]
    return frame.with_columns(pl.col(utc).dt.replace_time_zone("UTC")).cast(schema)  # type: ignore[arg-type]


def _run(con: Any, query: str, on_progress: Callable[[float], None] | None) -> None:
    """Run the statement on a worker thread while this one waits: Python runs signal handlers on this
    thread only, so a Ctrl-C (or SIGTERM, see aicost.interrupts) interrupts the query now, not when it ends.
    DuckDB also takes a Ctrl-C itself while a query runs: its interruption is a KeyboardInterrupt here too,
    never an error the caller would scan the logs again after."""
    import duckdb

    out: dict[str, Any] = {}
    # an event, not Thread.join: a join a KeyboardInterrupt breaks into can leave the thread marked stopped
    done = threading.Event()

    def work() -> None:
        try:
            con.execute(query)
        except BaseException as exc:  # handed to the waiting thread
            out["error"] = exc
        finally:
            done.set()

    threading.Thread(target=work, name="aicost-duckdb", daemon=True).start()
    try:
        while not done.wait(0.25):
            share = con.query_progress() if on_progress is not None else -1
            if share >= 0 and on_progress is not None:
                on_progress(min(share, 100.0) / 100)
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # busy: DuckDB took the Ctrl-C too, and is stopping
            con.interrupt()
        while not done.is_set():  # the connection is the worker's until its query has stopped
            with contextlib.suppress(KeyboardInterrupt):  # an impatient second Ctrl-C
                done.wait()
        raise
    if isinstance(out.get("error"), duckdb.InterruptException):
        raise KeyboardInterrupt from None
    if "error" in out:
        raise out["error"]


def exact_sum(column: str) -> str:
    """The sum of a count column as BIGINT; an error where it is too large for a double to have added
    exactly (the logs are then scanned by Polars, in integers)."""
    total = f"sum({ident(column)})"
    return f"CASE WHEN {total} < {EXACT} THEN {total}::BIGINT ELSE error('a sum beyond 2^53') END"


def ts() -> str:
    """The call's naive UTC timestamp (NULL where it has none)."""
    return ident(_TS)


def file() -> str:
    """The file index."""
    return ident(_FILE)


def number(value: float) -> str:
    """A literal that is exactly `value`: an integer as one, else a DOUBLE."""
    if isinstance(value, int):
        return str(value)
    return f"CAST({literal(repr(float(value)))} AS DOUBLE)"


def instant(value: dt.datetime) -> str:
    """A naive UTC TIMESTAMP literal that is exactly `value` (an aware datetime)."""
    micros = (value - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)
    return f"make_timestamp({micros}::BIGINT)"


def bucket(value: str, bounds: Sequence[float], *, right_closed: bool = False) -> str:
    """How many of the ascending `bounds` are <= value (< value when `right_closed`): costing._bucket."""
    op = ">" if right_closed else ">="
    if not bounds:
        return "0::UINTEGER"
    return "(" + " + ".join(f"({value} {op} {number(b)})::UINTEGER" for b in bounds) + ")::UINTEGER"


def _rows(log: Log, tags: Sequence[str], now: dt.datetime) -> str:
    """The normalised rows of one file, each checked (a failed check is an error: see the module)."""
    columns = log.read.columns
    select = [f"{log.file}::BIGINT AS {file()}"]
    bad: list[str] = []
    if "timestamp" in columns:
        text, parsed = ident("timestamp"), ident(PARSED)
        select.append(f"{parsed} AS {ts()}")
        # text no strict layout takes (costing may parse it, or reject it); blank text is no time
        bad.append(f"({parsed} IS NULL AND {text} IS NOT NULL AND trim({text}) <> '')")
        horizon = now + FUTURE_SLACK - dt.timedelta(days=1)
        bad.append(f"({parsed} > {instant(horizon)} OR {parsed} < {instant(EARLIEST)})")
    else:
        select.append(f"NULL::TIMESTAMP AS {ts()}")
    for name in COUNT_COLUMNS:
        default = 1 if name == "requests" else 0
        if name in columns:
            raw = ident(name)
            bad.append(f"({raw} IS NOT NULL AND NOT ({raw} >= 0 AND {raw} < {_LARGEST} AND {raw} = floor({raw})))")
            select.append(f"coalesce({raw}, {default}.0) AS {raw}")
        else:
            select.append(f"{default}.0::DOUBLE AS {ident(name)}")
    tokens = " OR ".join(f"{ident(c)} > 0" for c in TOKEN_CLASSES if c in columns)
    if "requests" in columns and tokens:
        bad.append(f"({ident('requests')} = 0 AND ({tokens}))")
    for name in ("provider", "model", "service_tier", "request_id", *tags):
        select.append(f"{ident(name) if name in columns else 'NULL'}::VARCHAR AS {ident(name)}")
    # a model costing would reject or strip: none, blank, not text, or starting with anything but printable ASCII
    model = ident("model") if "model" in columns else "NULL"
    bad.append(f"({model} IS NULL OR ord({model}) NOT BETWEEN 33 AND 126 OR ord({model}) IN (91, 123))")
    if "reported_cost" in columns:
        cost = ident("reported_cost")
        bad.append(f"({cost} IS NOT NULL AND NOT isfinite({cost}))")
        select.append(f"{cost} AS {cost}")
    else:
        select.append(f"NULL::DOUBLE AS {ident('reported_cost')}")
    check = f"CASE WHEN {' OR '.join(bad)} THEN error('a row costing checks: scanned by Polars') ELSE true END"
    # the timestamp parsed once, not once per use
    relation = with_parsed(log.read.relation()) if "timestamp" in columns else log.read.relation()
    return f"SELECT {', '.join(select)} FROM {relation} WHERE {check}"
