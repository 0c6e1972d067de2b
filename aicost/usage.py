"""Logs in, priced cells out: the shared first half of report, simulate, forecast and export."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import polars as pl

from aicost.costing import (
    FIRST_BAD,
    IDS,
    PERIODS,
    PROVIDER_OUT,
    ROWS,
    STATUS,
    TIER,
    CellGrid,
    Cells,
    CellSpec,
    build_cells,
    decode_first_bad,
)
from aicost.errors import InputError, UnpricedError, UsageError
from aicost.ingest import NOTE, REJECT, SKIP, Ingested, IngestOptions, locate_row, scan_logs, tolerant
from aicost.pricing import PriceBook, load_book

OnError = Literal["fail", "skip"]
BUILTIN_DIMS = ("provider", "model", "service_tier", *PERIODS)


@dataclass(frozen=True)
class Rejection:
    """Rows rejected for one reason, with where the first one is."""

    reason: str
    rows: int
    first: str


@dataclass
class Accounting:
    """Where every input row went.

    rows_read = rows_priced + rows_unpriced + rows_rejected + rows_skipped + rows_deduplicated + rows_filtered
    """

    rows_read: int = 0
    rows_priced: int = 0
    rows_unpriced: int = 0
    rows_rejected: int = 0
    rows_skipped: int = 0
    rows_deduplicated: int = 0
    rows_filtered: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    skips: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The accounting fields of a JSON result."""
        return {
            "rows_read": self.rows_read,
            "rows_priced": self.rows_priced,
            "rows_unpriced": self.rows_unpriced,
            "rows_rejected": self.rows_rejected,
            "rows_skipped": self.rows_skipped,
            "rows_deduplicated": self.rows_deduplicated,
            "rows_filtered": self.rows_filtered,
            "rejections": [r.__dict__ for r in self.rejections],
            "skipped": dict(sorted(self.skips.items())),
        }


@dataclass
class PricedUsage:
    """Priced cells plus everything a result must say about how they were made."""

    cells: Cells
    ingested: Ingested
    book: PriceBook
    accounting: Accounting
    unpriced: list[dict[str, Any]]
    warnings: list[str]

    @property
    def priced(self) -> pl.DataFrame:
        """Cells that count towards totals."""
        return self.cells.frame.filter(pl.col(STATUS) == "priced")

    @property
    def counted(self) -> pl.DataFrame:
        """Cells of usable rows, priced or not."""
        return self.cells.frame.filter(pl.col(STATUS).is_in(["priced", "unpriced"]))


def parse_bound(text: str | None, tz: str, option: str) -> dt.datetime | None:
    """A --since/--until value (date, or datetime; naive means in --tz) as a UTC instant."""
    if text is None:
        return None
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"{option} {text!r}: expected a date (2026-01-31) or datetime (2026-01-31T12:00)") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone(tz))
    return value.astimezone(dt.UTC)


def zone(tz: str) -> dt.tzinfo:
    """A time zone by IANA name."""
    try:
        return zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"--tz {tz!r}: unknown time zone; use an IANA name such as UTC or Europe/Berlin") from None


def check_dims(by: Sequence[str], tags: Sequence[str]) -> tuple[str, ...]:
    """Validate --by dimensions against the built-ins and the logs' tag columns."""
    dims: list[str] = []
    for dim in by:
        if dim not in BUILTIN_DIMS and dim not in tags:
            known = ", ".join([*BUILTIN_DIMS, *tags])
            raise UsageError(f"--by {dim}: not a dimension of these logs (known: {known})")
        if dim not in dims:
            dims.append(dim)
    return tuple(dims)


def dim_column(dim: str) -> str:
    """The cell column that holds a dimension."""
    return {"provider": PROVIDER_OUT, "service_tier": TIER}.get(dim, dim)


def price_logs(
    inputs: list[str],
    *,
    by: Sequence[str] = (),
    tz: str = "UTC",
    since: str | None = None,
    until: str | None = None,
    mapping: Mapping[str, str] | None = None,
    pricing: Path | None = None,
    strict: bool = False,
    on_error: OnError = "fail",
    grid: CellGrid | None = None,
    backdate_tiers: bool = False,
    book: PriceBook | None = None,
    optional_dims: Sequence[str] = (),
    ingest: IngestOptions | None = None,
    by_file: bool = False,
    all_tags: bool = False,
    merge_cells: bool = False,
) -> PricedUsage:
    """Read, validate and price logs into cells grouped by `by` (plus provider, model and pricing keys).

    `optional_dims` are grouped by too where the logs have such a column (scenario tag filters);
    `all_tags` groups by every tag column of the logs (a FOCUS export carries them all).
    `grid` cuts cells as finely as scenarios need (CellGrid); `merge_cells` merges cells that price alike
    on their model and on the grid's targets (CellSpec.merge).
    """
    zone(tz)
    start, end = parse_bound(since, tz, "--since"), parse_bound(until, tz, "--until")
    if start is not None and end is not None and start >= end:
        raise UsageError(f"--since {since} is not before --until {until}")
    book = book or load_book(pricing)
    ingested = scan_logs(inputs, mapping, ingest)
    if all_tags:
        optional_dims = [*optional_dims, *ingested.tags]
    dims = check_dims([*by, *(d for d in optional_dims if d in ingested.tags and d not in by)], ingested.tags)
    spec = CellSpec(
        dims=dims,
        tz=tz,
        since=start,
        until=end,
        grid=grid or CellGrid(),
        # de-duplication reads the id column first (costing._repeated_ids): only where there are ids
        dedup=ingested.request_ids,
        backdate_tiers=backdate_tiers,
        by_file=by_file,
        merge=merge_cells,
    )

    # costing strips text and checks for missing models once per cell, not once per row; a damaged line
    # the fast readers refuse is met only as the plan runs: then the logs are read line by line
    def run(logs: Ingested, spec: CellSpec) -> Cells:
        rows = logs.text_as_read if logs.text_as_read is not None else logs.frame
        countable = all(f.kind == "parquet" for f in logs.files)
        return build_cells(rows, book, spec, logs.tags, countable=countable, sql=logs.sql)

    cells, ingested = tolerant(ingested, lambda logs: run(logs, spec))
    if not spec.dedup and cells.frame[IDS].sum() > 0:
        # request ids first used after the records sampled for the columns: scan again, de-duplicating
        spec = replace(spec, dedup=True)
        cells, ingested = tolerant(ingested, lambda logs: run(logs, spec))
    accounting = account(cells.frame, ingested)
    if accounting.rows_read == 0:
        raise InputError(f"{_names(ingested)}: no usage rows")
    if accounting.rows_rejected and on_error == "fail":
        first = accounting.rejections[0]
        raise InputError(
            f"{first.first}: {first.reason} "
            f"({accounting.rows_rejected:,} bad rows in all; --on-error skip excludes them)"
        )
    warnings = list(cells.warnings) + note_warnings(cells.frame, ingested)
    if accounting.rows_rejected:
        kinds = "; ".join(f"{r.rows:,} {r.reason} (first at {r.first})" for r in accounting.rejections)
        warnings.insert(0, f"excluded {accounting.rows_rejected:,} malformed rows: {kinds}")
    if accounting.rows_priced + accounting.rows_unpriced == 0 and accounting.rows_filtered:
        warnings.append("no rows fall between --since and --until")
    unpriced = unpriced_models(cells)
    if unpriced:
        n = sum(u["requests"] for u in unpriced)
        warnings.append(f"{n:,} requests to {len(unpriced)} unpriced model(s) are excluded from the totals")
    if strict and unpriced:
        names = ", ".join(_label(u) for u in unpriced[:5])
        raise UnpricedError(f"--strict: {len(unpriced)} model(s) have no price: {names}")
    return PricedUsage(
        cells=cells, ingested=ingested, book=book, accounting=accounting, unpriced=unpriced, warnings=warnings
    )


def _label(u: Mapping[str, Any]) -> str:
    return f"{u['provider']}/{u['model']}" if u.get("provider") else str(u["model"])


def _names(ingested: Ingested) -> str:
    names = [f.display for f in ingested.files]
    return names[0] if len(names) == 1 else f"{names[0]} and {len(names) - 1} more"


def account(frame: pl.DataFrame, ingested: Ingested) -> Accounting:
    """Count rows by outcome and summarise rejections (first occurrence named by file and line)."""
    by_status = dict(frame.group_by(STATUS).agg(pl.col(ROWS).sum()).iter_rows())
    rejected = (
        frame.filter(pl.col(STATUS) == "rejected")
        .group_by(REJECT)
        .agg(pl.col(ROWS).sum(), pl.col(FIRST_BAD).min())
        .sort(FIRST_BAD)
    )
    rejections = []
    for reason, rows, first in rejected.iter_rows():
        file_index, row = decode_first_bad(first)
        log = ingested.file(file_index)
        rejections.append(Rejection(reason=reason, rows=rows, first=f"{log.display}: {locate_row(log, row)}"))
    skips = dict(
        frame.filter(pl.col(STATUS) == "skipped").group_by(SKIP).agg(pl.col(ROWS).sum()).sort(SKIP).iter_rows()
    )
    return Accounting(
        rows_read=int(frame[ROWS].sum() or 0),
        rows_priced=by_status.get("priced", 0),
        rows_unpriced=by_status.get("unpriced", 0),
        rows_rejected=by_status.get("rejected", 0),
        rows_skipped=by_status.get("skipped", 0),
        rows_deduplicated=by_status.get("duplicate", 0),
        rows_filtered=by_status.get("filtered", 0),
        rejections=rejections,
        skips=skips,
    )


def note_warnings(frame: pl.DataFrame, ingested: Ingested) -> list[str]:
    """Format adapters' per-row notes (a heuristic that fired, an assumed model), counted, with the first row."""
    if NOTE not in frame.columns:
        return []
    notes = (
        frame.filter(pl.col(NOTE).is_not_null() & pl.col(STATUS).is_in(["priced", "unpriced"]))
        .group_by(NOTE)
        .agg(pl.col(ROWS).sum(), pl.col(FIRST_BAD).min())
        .sort(FIRST_BAD)
    )
    out = []
    for note, rows, first in notes.iter_rows():
        file_index, row = decode_first_bad(first)
        log = ingested.file(file_index)
        out.append(f"{rows:,} rows: {note} (first at {log.display}: {locate_row(log, row)})")
    return out


def unpriced_models(cells: Cells) -> list[dict[str, Any]]:
    """Unpriced (provider, model) pairs with their request counts, reasons and suggestions."""
    counts = (
        cells.frame.filter(pl.col(STATUS) == "unpriced")
        .group_by("provider", "model")
        .agg(pl.col("requests").sum(), pl.col(ROWS).sum().alias("rows"))
    )
    why = {(r.logged_provider, r.logged_model): r for r in cells.resolutions}
    out = []
    for provider, model, requests, rows in counts.iter_rows():
        r = why.get((provider, model))
        out.append(
            {
                "provider": provider,
                "model": model,
                "requests": requests,
                "rows": rows,
                "reason": r.reason if r else "unknown model",
                "suggestions": list(r.suggestions) if r else [],
            }
        )
    return sorted(out, key=lambda u: (-u["requests"], str(u["provider"]), u["model"]))
