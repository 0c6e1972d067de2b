"""Turning a price source (a local file or a URL) into aicost price tables on disk."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from aicost.errors import UpdateError
from aicost.pricing.model import PriceTable
from aicost.pricing.sources import genai
from aicost.pricing.tables import table_files, write_table

GENAI_MIN_MODELS = 100  # a genai-prices file with fewer models is truncated or not the real database


@dataclass
class Fetched:
    """Raw bytes of a source and where they came from."""

    raw: bytes
    location: str
    url: str | None


def read_local(path: Path) -> Fetched:
    """Read a source file from disk."""
    try:
        return Fetched(raw=path.read_bytes(), location=str(path), url=None)
    except OSError as exc:
        raise UpdateError(f"{path}: cannot read price source ({exc.strerror})") from None


def convert_genai(fetched: Fetched, retrieved_at: dt.datetime) -> genai.Conversion:
    """Parse and convert genai-prices v2 JSON, refusing anything that is not plausibly complete."""
    try:
        data = json.loads(fetched.raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UpdateError(f"{fetched.location}: invalid JSON ({exc})") from None
    conversion = genai.convert(data, raw=fetched.raw, url=fetched.url or fetched.location,
                               retrieved_at=retrieved_at)
    if conversion.model_count < GENAI_MIN_MODELS:
        raise UpdateError(
            f"{fetched.location}: only {conversion.model_count} models; expected at least {GENAI_MIN_MODELS}"
        )
    return conversion


def write_tables(tables: list[PriceTable], directory: Path) -> list[Path]:
    """Write one TOML file per provider; files of providers no longer present are left alone."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for table in tables:
        path = directory / f"{table.provider.id}.toml"
        write_table(path, table)
        written.append(path)
    return written


def existing_tables(directory: Path) -> list[Path]:
    """Table files already in a directory."""
    return table_files(directory) if directory.is_dir() else []


@dataclass
class UpdateResult:
    """What an update wrote."""

    directory: Path
    files: list[Path]
    models: int
    notes: list[str]


def update_from_file(source: Path, output: Path, *, as_of: dt.datetime) -> UpdateResult:
    """Convert a local genai-prices v2 file into tables under `output` (one file per provider)."""
    conversion = convert_genai(read_local(source), as_of)
    files = write_tables(conversion.tables, output)
    notes = [*conversion.curated, *conversion.skipped_variants]
    return UpdateResult(directory=output, files=files, models=conversion.model_count, notes=notes)
