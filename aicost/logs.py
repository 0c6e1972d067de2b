"""`aicost logs inspect` and `aicost logs convert`: what aicost reads in a set of logs, file by file, and
the canonical usage written once as Parquet so later runs (and other tools) can start from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from aicost.atomic import atomic_path
from aicost.costing import FIRST_BAD, PROVIDER_OUT, ROWS, STATUS, TS_MAX, TS_MIN, decode_first_bad, duplicate_flag
from aicost.errors import InputError, UsageError
from aicost.ingest import FILE, NOTE, REJECT, SKIP, IngestOptions, locate_row
from aicost.schema import USAGE_SCHEMA
from aicost.usage import Accounting, OnError, PricedUsage, price_logs

SCHEMA_VERSION = 1
_STATUS_COLUMNS = {
    "priced": "rows_priced",
    "unpriced": "rows_unpriced",
    "rejected": "rows_rejected",
    "skipped": "rows_skipped",
    "duplicate": "rows_deduplicated",
}


@dataclass
class FileReport:
    """What one file holds, as aicost read it."""

    path: str
    format: str
    counts: dict[str, int]
    first: str | None
    last: str | None
    models: list[dict[str, Any]]
    rejections: list[dict[str, Any]]
    skipped: dict[str, int]
    warnings: list[str]

    def to_json(self) -> dict[str, Any]:
        """This file's block of the inspect JSON."""
        return {
            "path": self.path,
            "format": self.format,
            **self.counts,
            "first_timestamp": self.first,
            "last_timestamp": self.last,
            "models": self.models,
            "rejections": self.rejections,
            "skipped": self.skipped,
            "warnings": self.warnings,
        }


@dataclass
class InspectResult:
    """Per-file formats, row accounting, time ranges, models and warnings."""

    files: list[FileReport]
    usage: PricedUsage
    warnings: list[str] = field(default_factory=list)
    rows: pl.DataFrame = field(default_factory=pl.DataFrame)  # one row per file: the CSV/Parquet view

    def __post_init__(self) -> None:
        self.rows = pl.DataFrame(
            [
                {"path": f.path, "format": f.format, **f.counts, "first_timestamp": f.first, "last_timestamp": f.last}
                for f in self.files
            ]
        )

    def to_json(self) -> dict[str, Any]:
        """The stable JSON document."""
        return {
            "schema_version": SCHEMA_VERSION,
            "command": "logs inspect",
            "files": [f.to_json() for f in self.files],
            **self.usage.accounting.to_json(),
            "unpriced": self.usage.unpriced,
            "pricing": self.usage.book.provenance(),
            "warnings": self.warnings,
        }


def inspect_logs(
    inputs: list[str],
    *,
    mapping: Mapping[str, str] | None = None,
    ingest: IngestOptions | None = None,
    pricing: Path | None = None,
    on_error: OnError = "skip",
) -> InspectResult:
    """Read every file and describe each; malformed rows are counted (`on_error="fail"`: an error, to
    validate logs)."""
    usage = price_logs(inputs, mapping=mapping, pricing=pricing, on_error=on_error, ingest=ingest, by_file=True)
    cells = usage.cells.frame
    ingested = usage.ingested
    files = []
    for index, log in enumerate(ingested.files):
        mine = cells.filter(pl.col(FILE) == index)
        by_status = dict(mine.group_by(STATUS).agg(pl.col(ROWS).sum()).iter_rows())
        counts = {"rows_read": int(mine[ROWS].sum() or 0)}
        counts |= {name: int(by_status.get(status, 0)) for status, name in _STATUS_COLUMNS.items()}
        counts["rows_kept"] = counts["rows_priced"] + counts["rows_unpriced"]
        kept = mine.filter(pl.col(STATUS).is_in(["priced", "unpriced"]))
        first, last = kept[TS_MIN].min() if kept.height else None, kept[TS_MAX].max() if kept.height else None
        files.append(
            FileReport(
                path=log.display,
                format=ingested.format_of(index),
                counts=counts,
                first=_iso(first),
                last=_iso(last),
                models=_models(kept, usage),
                rejections=_reasons(mine.filter(pl.col(STATUS) == "rejected"), REJECT, usage),
                skipped=dict(
                    sorted(mine.filter(pl.col(STATUS) == "skipped").group_by(SKIP).agg(pl.col(ROWS).sum()).iter_rows())
                ),
                warnings=[
                    f"{r['rows']:,} rows: {r['reason']} (first at {r['first']})" for r in _reasons(kept, NOTE, usage)
                ],
            )
        )
    return InspectResult(files=files, usage=usage, warnings=list(usage.warnings))


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def _models(kept: pl.DataFrame, usage: PricedUsage) -> list[dict[str, Any]]:
    """Each (provider, model) of a file with its requests, and what it was priced as (or why not)."""
    why = {(r.logged_provider, r.logged_model): r for r in usage.cells.resolutions}
    rows = (
        kept.group_by("provider", "model", PROVIDER_OUT, STATUS)
        .agg(pl.col("requests").sum(), pl.col("cost").sum())
        # group_by order is arbitrary: break ties in requests so the same logs always list models alike
        .sort(
            ["requests", PROVIDER_OUT, "model", "provider", STATUS],
            descending=[True, False, False, False, False],
            nulls_last=True,
        )
    )
    out = []
    for provider, model, resolved_provider, status, requests, cost in rows.iter_rows():
        r = why.get((provider, model))
        out.append(
            {
                "provider": resolved_provider,
                "model": model,
                "requests": int(requests or 0),
                "status": status,
                "priced_as": f"{r.price_provider}/{r.model}" if r is not None and r.priced else None,
                "cost": float(cost) if status == "priced" else None,
                "reason": r.reason if r is not None and not r.priced else None,
            }
        )
    return out


def _reasons(frame: pl.DataFrame, column: str, usage: PricedUsage) -> list[dict[str, Any]]:
    if column not in frame.columns:
        return []
    grouped = (
        frame.filter(pl.col(column).is_not_null())
        .group_by(column)
        .agg(pl.col(ROWS).sum(), pl.col(FIRST_BAD).min())
        .sort(FIRST_BAD, column)
    )
    out = []
    for reason, rows, first in grouped.iter_rows():
        file_index, row = decode_first_bad(first)
        log = usage.ingested.file(file_index)
        out.append({"reason": reason, "rows": int(rows), "first": f"{log.display}: {locate_row(log, row)}"})
    return out


# ------------------------------------------------------------------------------------------ convert


@dataclass
class ConvertResult:
    """Where the canonical usage went, and what was left out."""

    output: str
    rows_written: int
    accounting: Accounting
    formats: dict[str, str]
    warnings: list[str] = field(default_factory=list)
    rows: pl.DataFrame = field(default_factory=pl.DataFrame)

    def to_json(self) -> dict[str, Any]:
        """The stable JSON document."""
        return {
            "schema_version": SCHEMA_VERSION,
            "command": "logs convert",
            "output": self.output,
            "rows_written": self.rows_written,
            **self.accounting.to_json(),
            "input_formats": self.formats,
            "warnings": self.warnings,
        }


def canonical_rows(usage: PricedUsage) -> pl.LazyFrame:
    """The usable rows of the logs (not rejected, skipped or duplicated), canonical columns plus tags."""
    frame = usage.ingested.frame
    schema = frame.collect_schema()
    keep = pl.col(REJECT).is_null() & pl.col(SKIP).is_null() & ~duplicate_flag(schema)
    columns = [*USAGE_SCHEMA, *usage.ingested.tags]
    return frame.filter(keep).select(columns)


def convert_logs(
    inputs: list[str],
    output: str,
    *,
    mapping: Mapping[str, str] | None = None,
    ingest: IngestOptions | None = None,
    on_error: OnError = "fail",
    pricing: Path | None = None,
) -> ConvertResult:
    """Write the logs' canonical usage to a Parquet file, atomically (nothing written on error)."""
    target = Path(output)
    if output in ("", "-") or target.is_dir():
        raise UsageError(f"--output {output!r}: give a .parquet file name")
    usage = price_logs(inputs, mapping=mapping, pricing=pricing, on_error=on_error, ingest=ingest)
    acc = usage.accounting
    try:
        with atomic_path(target) as tmp:
            canonical_rows(usage).sink_parquet(tmp)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise InputError(f"{output}: cannot write ({str(exc).splitlines()[0][:200]})") from None
    written = acc.rows_priced + acc.rows_unpriced
    formats = dict(zip((f.display for f in usage.ingested.files), usage.ingested.formats, strict=False))
    return ConvertResult(
        output=str(target), rows_written=written, accounting=acc, formats=formats, warnings=usage.warnings
    )
