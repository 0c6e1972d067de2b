"""JSON-lines files read by DuckDB's NDJSON reader and streamed into Polars batch by batch.

Why not Polars' own reader: on a 2M-record, 662 MB log, Polars' `scan_ndjson` of the columns costing
needs takes about as long as DuckDB's whole reference query, and parsing the ISO timestamps (chrono, one
value at a time) adds 0.6 s more; DuckDB reads the same columns, timestamps typed, in about half the
time (figures in BENCHMARKS.md). This is the fast reader for canonical JSON-lines files on disk; stdin
and files this module declines keep Polars' reader, and a file either fails on is read line by line
(`aicost.ingest.tolerant`), so DuckDB's error on a damaged line costs time, never a result.

What is read must mean what the line-by-line reader would make of it, value by value:

- token counts are read as DOUBLE, never BIGINT: DuckDB casts 1.5 to a BIGINT as 2, where the count
  checks (`canonical._count_expr`) reject it as not a whole number; as a DOUBLE it reaches those checks
  as 1.5. Text holding a number ("12") reads as the number, as it does line by line. A count a double
  cannot hold exactly (beyond 2**53) fails the read, so the file is read line by line, exactly. One
  difference remains, beyond any real log: a JSON `true`/`false` among a count column's numbers reads
  as 1/0 (line by line: not a number);
- every other scalar column (tags, provider, model, …) is read as text, as the line-by-line reader does,
  so an integer tag reads "123" and a boolean one "true"; nested values decline (Polars keeps structs);
- timestamps: only where the file's sampled timestamps all have the ISO 8601 layout with an offset or Z
  (`canonical.TIMESTAMP_FORMATS[0]`) are they parsed here, by DuckDB's strict strptime layouts below;
  a value none of them takes is passed on as text (`TS_REST`) and parsed there as before, so an odd
  value is parsed or rejected exactly as it was. Other timestamp layouts decline.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from aicost import progress
from aicost.schema import COUNT_COLUMNS, INTERNAL_PREFIX

# where a timestamp DuckDB did not parse goes, as the text it was (null where it parsed)
TS_REST = f"{INTERNAL_PREFIX}ts_rest"
# DuckDB strptime layouts that each take a subset of what chrono's "%Y-%m-%dT%H:%M:%S%.f%#z" takes, to
# the same instant: a fraction of up to 6 digits (%f; more go to TS_REST), then Z or a numeric offset
_ZULU = ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ")
_OFFSET = ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z")
# rows per Arrow batch handed to Polars: large enough that per-batch costs are noise, small enough that
# memory stays flat however long the file is
_BATCH_ROWS = 250_000
_NUMBER = ("reported_cost", *COUNT_COLUMNS)
PARSED = f"{INTERNAL_PREFIX}parsed"  # the parsed timestamp (`with_parsed`)
EXACT = 2**53  # the integers a double holds exactly


@dataclass(frozen=True)
class Read:
    """How DuckDB reads one JSON-lines file: its path, and each column's SQL type (DOUBLE or VARCHAR).

    `iso`: the timestamp column is ISO 8601 text with Z or an offset, parsed by `parse_timestamp`.
    """

    path: str
    columns: Mapping[str, str]
    iso: bool

    def relation(self) -> str:
        """The read_ndjson call, for a FROM clause."""
        spec = ", ".join(f"{literal(name)}: {literal(kind)}" for name, kind in self.columns.items())
        return f"read_ndjson({literal(self.path)}, columns = {{{spec}}}, format = 'newline_delimited')"


def scan(path: str, schema: Mapping[str, pl.DataType], *, iso_timestamps: bool) -> tuple[pl.LazyFrame, Read] | None:
    """A lazy frame over a JSON-lines file read by DuckDB, and how it is read; None where it declines (see
    the module).

    `schema` is what Polars inferred from the file's first records (plus late canonical columns);
    `iso_timestamps` says the sampled timestamps all have the layout DuckDB parses here.
    """
    if any(c in path for c in "*?[{"):
        return None  # DuckDB would take the name as a glob pattern
    columns: dict[str, str] = {}
    out: dict[str, pl.DataType] = {}
    for name, dtype in schema.items():
        if dtype.is_nested() or name.startswith(INTERNAL_PREFIX):
            return None
        if name == "timestamp" and dtype.is_numeric():
            columns[name], out[name] = "DOUBLE", pl.Float64()  # epoch numbers: parsed as a float anyway
        elif name == "timestamp" and dtype != pl.Null:
            if not iso_timestamps:
                return None
            columns[name] = "VARCHAR"
            out[name], out[TS_REST] = pl.Datetime("us", "UTC"), pl.String()
        elif name in _NUMBER and dtype.is_numeric():
            columns[name], out[name] = "DOUBLE", pl.Float64()
        else:
            columns[name], out[name] = "VARCHAR", pl.String()
    if len({name.lower() for name in columns}) < len(columns):
        return None  # DuckDB's names are case-insensitive: "Team" and "team" would clash
    read = Read(path=path, columns=columns, iso=TS_REST in out)
    prepare_connection()  # DuckDB reads (or groups) the file: its connection is opened meanwhile
    return _source(read, out), read


class _Opening:
    """One DuckDB connection being opened on a thread."""

    def __init__(self) -> None:
        self.done = threading.Event()  # an event, not Thread.join (see sqlscan._run)
        self.connection: Any = None

    def open(self) -> None:
        import duckdb

        try:
            self.connection = duckdb.connect()
        except duckdb.Error:
            pass  # the taker opens one itself, and reports the error
        finally:
            self.done.set()


class _Opener:
    """DuckDB connections, the next one opened ahead on a thread (`prepare_connection`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._opening: _Opening | None = None

    def prepare(self) -> None:
        # imported here, not on the thread: an import holds Python's lock throughout, and the thread holding
        # it made every Polars call this one made meanwhile wait for it (a 0.013 s read took 0.04 s)
        import duckdb  # noqa: F401

        with self._lock:
            if self._opening is not None:
                return
            self._opening = opening = _Opening()
        threading.Thread(target=opening.open, name="aicost-duckdb-open", daemon=True).start()

    def take(self) -> Any:
        with self._lock:
            opening, self._opening = self._opening, None
        if opening is not None:
            opening.done.wait()
            if opening.connection is not None:
                return opening.connection
        import duckdb

        return duckdb.connect()


_opener = _Opener()


def prepare_connection() -> None:
    """Start opening the DuckDB connection `connect` hands out next, on a thread: opening one takes 0.03-0.04
    s, which DuckDB spends without holding Python up (sampling the file and planning the read go on)."""
    _opener.prepare()


def connect() -> Any:
    """A DuckDB connection of the caller's own (to close): the one `prepare_connection` opened, if any."""
    return _opener.take()


def parse_timestamp(text: str) -> str:
    """SQL for the naive UTC timestamp of ISO text `text` (an SQL expression), NULL where no strict layout
    takes it (the text then goes on to Polars as TS_REST).

    Naive: a Z layout parses to one as it is, an offset layout is converted; a time zone on every value
    (TIMESTAMPTZ) cost 0.2 s more on 2M rows, where Polars marks the column UTC for free.
    """
    zulu = f"try_strptime({text}, [{', '.join(map(literal, _ZULU))}])"
    offset = f"timezone('UTC', try_strptime({text}, [{', '.join(map(literal, _OFFSET))}]))"
    return f"coalesce({zulu}, {offset})"


def _source(read: Read, out: dict[str, pl.DataType]) -> pl.LazyFrame:
    from polars.io.plugins import register_io_source

    # Polars pulls batches on its own threads, where the command's progress context is not set: the rows
    # a whole-file read hands over are reported to whoever listens now (a scan's start resets the count)
    watcher = progress.current()
    path, columns = read.path, read.columns
    relation = read.relation()
    # a count a double cannot hold exactly fails the read, so that the file is read line by line, exactly
    counts = [ident(name) for name, kind in columns.items() if kind == "DOUBLE" and name in COUNT_COLUMNS]
    if counts:
        size = " + ".join(f"coalesce(abs({name}), 0)" for name in counts)
        exact = f"CASE WHEN {size} < {EXACT} THEN true ELSE error('a count beyond 2^53: read line by line') END"
        relation = f"(SELECT * FROM {relation} WHERE {exact})"

    def batches(
        with_columns: list[str] | None, predicate: pl.Expr | None, n_rows: int | None, batch_size: int | None
    ) -> Iterator[pl.DataFrame]:
        names = with_columns if with_columns is not None else list(out)
        if n_rows is not None and predicate is None and names and all(columns.get(n) == "VARCHAR" for n in names):
            # the first rows' text (which models a log uses): Polars reads a head sooner than DuckDB starts
            yield pl.scan_ndjson(path, schema=dict.fromkeys(names, pl.String()), n_rows=n_rows).collect()
            return
        import duckdb

        query = _query(relation, names, parse=TS_REST in out)
        parsed = TS_REST in out and "timestamp" in names
        if n_rows is not None and predicate is None:
            query += f" LIMIT {int(n_rows)}"
        left = n_rows
        con = connect()
        try:
            if n_rows is not None:
                con.execute("SET threads = 1")  # a head: more threads read well past it
            reader = con.sql(query).to_arrow_reader(_BATCH_ROWS)
            try:
                for batch in iter(reader.read_next_batch, None):
                    frame: Any = pl.from_arrow(batch)
                    if parsed:
                        frame = frame.with_columns(pl.col("timestamp").dt.replace_time_zone("UTC"))
                    if not names:
                        frame = pl.DataFrame(height=frame.height)
                    if predicate is not None:
                        frame = frame.filter(predicate)
                    if left is not None:
                        frame = frame.head(left)
                        left -= frame.height
                    yield frame
                    if left == 0:
                        break
                    if n_rows is None:
                        watcher.advance(batch.num_rows)
            finally:
                reader.close()
        except duckdb.Error as exc:
            # a damaged line, a value DuckDB cannot cast: the kind of error the caller reads line by line
            raise pl.exceptions.ComputeError(str(exc).splitlines()[0]) from None
        finally:
            con.close()

    return register_io_source(batches, schema=out, is_pure=True)


def _query(relation: str, names: list[str], *, parse: bool) -> str:
    """The SELECT of `names` (the columns Polars asks for) from the read; timestamps parsed once if `parse`."""
    if not names:
        return f"SELECT NULL FROM {relation}"
    if not parse or not {"timestamp", TS_REST} & set(names):
        return f"SELECT {', '.join(map(ident, names))} FROM {relation}"
    text = ident("timestamp")
    items = {
        "timestamp": f"{ident(PARSED)} AS {text}",
        TS_REST: f"CASE WHEN {ident(PARSED)} IS NULL THEN {text} END AS {ident(TS_REST)}",
    }
    select = ", ".join(items.get(name, ident(name)) for name in names)
    return f"SELECT {select} FROM {with_parsed(relation)}"


def with_parsed(relation: str) -> str:
    """The relation with its timestamp column parsed once (`parse_timestamp`), as column PARSED."""
    return f"(SELECT *, {parse_timestamp(ident('timestamp'))} AS {ident(PARSED)} FROM {relation})"


def ident(name: str) -> str:
    """An SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """An SQL string literal."""
    return "'" + text.replace("'", "''") + "'"
