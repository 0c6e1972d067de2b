"""aicost's own `aicost.prices/1` tables (a file or a folder of them) as an update source.

Such tables are merged like any other source, keeping their recorded provenance: each model counts as
coming from its table's `[source]` (or the `[[extra_source]]` it names), so a team can combine a
curated table with the public databases.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from aicost.errors import PriceTableError, UpdateError
from aicost.pricing.model import SCHEMA, PriceTable
from aicost.pricing.sources import Conversion
from aicost.pricing.tables import parse_table, table_files

NAME: Final = "aicost-toml"


def looks_like(raw: bytes) -> bool:
    """Whether bytes look like an aicost price table (checked properly when parsed)."""
    head = raw[:4096].decode("utf-8", errors="replace")
    return any(line.replace(" ", "") == f'schema="{SCHEMA}"' for line in head.splitlines())


def convert_files(files: list[tuple[Path | str, bytes]], location: str) -> Conversion:
    """Parse tables (named in errors by their path); one table per provider."""
    tables: list[PriceTable] = []
    seen: dict[str, str] = {}
    for name, raw in files:
        try:
            table = parse_table(raw, name)
        except PriceTableError as exc:
            raise UpdateError(str(exc)) from None
        if table.provider.id in seen:
            raise UpdateError(f"{location}: provider {table.provider.id!r} appears in {seen[table.provider.id]} "
                              f"and {name}")
        seen[table.provider.id] = str(name)
        tables.append(table)
    if not tables:
        raise UpdateError(f"{location}: no price tables (*.toml) found")
    return Conversion(name=NAME, tables=tables, entries=sum(len(t.model) for t in tables))


def read_folder(folder: Path) -> list[tuple[Path | str, bytes]]:
    """Every table file of a folder, with its bytes."""
    out: list[tuple[Path | str, bytes]] = []
    for path in table_files(folder):
        try:
            out.append((path, path.read_bytes()))
        except OSError as exc:
            raise UpdateError(f"{path}: cannot read price table ({exc.strerror})") from None
    return out
