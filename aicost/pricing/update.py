"""`aicost prices update`: fetch sources, merge them into the tables with history, and swap in the result.

Nothing is written until every source has been fetched, converted and merged and every guard has passed
(shape, minimum count, shrink by more than half). The new set is then built complete in a temporary
folder beside the target and swapped in by two renames, after the previous tables were copied to a
backup under `$AICOST_HOME/pricing.bak/`. An update that changes nothing writes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from aicost import paths
from aicost.atomic import fsync_dir
from aicost.errors import UpdateError
from aicost.interrupts import deferred
from aicost.pricing import fetch
from aicost.pricing.diff import DiffResult, TableSet, diff_tables
from aicost.pricing.merge import Conflict, MergeResult, merge
from aicost.pricing.sources import Conversion
from aicost.pricing.tables import dump_table, table_files

SHRINK_RATIO: Final = 0.5  # LiteLLM's MODEL_COST_MAP_MAX_SHRINK_RATIO
KEEP_BACKUPS: Final = 20  # per tables folder
MANIFEST: Final = "_backup.json"


@dataclass
class UpdateResult:
    """What an update found, decided and (unless a dry run) wrote."""

    directory: Path
    dry_run: bool
    baseline: str  # what the new tables were compared with
    sources: list[dict[str, Any]]
    diff: DiffResult
    merged: MergeResult
    written: list[str] = field(default_factory=list)
    backup: Path | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether any table file differs from what was there."""
        return bool(self.written)

    @property
    def conflicts(self) -> list[Conflict]:
        """Sources that disagree on a model's price."""
        return self.merged.conflicts

    @property
    def rows(self) -> Any:
        """The change rows (for CSV/Markdown)."""
        return self.diff.rows

    def to_json(self) -> dict[str, Any]:
        """The stable JSON document: the diff plus sources, conflicts and what was written."""
        doc = self.diff.to_json()
        doc.update({
            "command": "prices update",
            "directory": str(self.directory),
            "dry_run": self.dry_run,
            "baseline": self.baseline,
            "tables_changed": self.changed,
            "files_written": self.written,
            "backup": str(self.backup) if self.backup else None,
            "fetched": self.sources,
            "listed_models": {k: {"before": a, "after": b} for k, (a, b) in self.merged.listed.items()},
            "conflicts": [c.to_json() for c in self.conflicts],
            "notes": self.notes,
        })
        return doc


def update(
    specs: Sequence[str],
    output: Path,
    *,
    as_of: dt.datetime,
    dry_run: bool = False,
    prefer: Sequence[str] = (),
    timeout: float = fetch.DEFAULT_TIMEOUT,
    seed: Path | None = None,
) -> UpdateResult:
    """Refresh the tables in `output` from `specs` (names, URLs or paths); see the module docstring.

    `seed` is a folder whose tables stand in for `output`'s when it has none yet (the bundled tables for
    the user's first update), so their history carries over.
    """
    if output.exists() and not output.is_dir():
        raise UpdateError(f"--output {output}: is a file; give the folder the tables go to")
    old_set, baseline = _baseline(output, seed)
    conversions: list[Conversion] = []
    fetched_info: list[dict[str, Any]] = []
    for spec in specs:
        got = fetch.fetch(spec, timeout=timeout)
        conversion = fetch.convert(got, as_of)
        conversions.append(conversion)
        fetched_info.append({"source": spec, "format": conversion.name, "location": got.location,
                             "entries": conversion.entries, "models": conversion.model_count,
                             "sha256": conversion.tables[0].source.sha256 if conversion.tables else None})
    merged = merge(old_set.tables, conversions, as_of=as_of.date(), prefer=prefer)
    _shrink_guard(merged, output)
    texts = {t.provider.id: dump_table(t) for t in merged.tables}
    new_set = TableSet.of(merged.tables, "updated", output, texts=texts)
    result = UpdateResult(
        directory=output,
        dry_run=dry_run,
        baseline=baseline,
        sources=fetched_info,
        diff=diff_tables(old_set, new_set, command="prices update"),
        merged=merged,
        notes=[n for c in conversions for n in (*c.curated, *c.skipped)] + merged.notes,
    )
    files = {f"{pid}.toml": text for pid, text in texts.items()}
    current = {p.name: p.read_bytes() for p in table_files(output)} if output.is_dir() else {}
    result.written = sorted(name for name, text in files.items() if current.get(name) != text.encode())
    stale = sorted(set(current) - set(files))
    if stale:
        result.written += stale  # renamed or duplicate files the new set replaces
    if result.written and not dry_run:
        result.backup = install(files, output, as_of=as_of)
    return result


def _baseline(output: Path, seed: Path | None) -> tuple[TableSet, str]:
    recover(output)
    if output.is_dir() and table_files(output):
        return TableSet.load(output, "before"), str(output)
    if seed is not None and seed.is_dir() and table_files(seed):
        return TableSet.load(seed, "bundled"), f"{seed} (bundled)"
    return TableSet.of([], "none", output), "no tables"


def _shrink_guard(merged: MergeResult, output: Path) -> None:
    for name, (before, after) in sorted(merged.listed.items()):
        if before and after < SHRINK_RATIO * before:
            raise UpdateError(
                f"{name}: the update would list {after:,} models, fewer than half of the {before:,} in {output}; "
                "refusing a source that shrank this much (truncated or broken download?)"
            )


# ------------------------------------------------------------------------------------------ writing


def install(files: dict[str, str], output: Path, *, as_of: dt.datetime) -> Path | None:
    """Back up the current tables, then swap in the complete new set. Returns the backup folder."""
    parent = output.parent
    parent.mkdir(parents=True, exist_ok=True)
    backup = backup_tables(output, as_of) if output.is_dir() and table_files(output) else None
    incoming = parent / f".{output.name}.incoming-{os.getpid()}"
    shutil.rmtree(incoming, ignore_errors=True)
    try:
        incoming.mkdir()
        if output.is_dir():
            keep = {p.name for p in table_files(output)}
            for item in output.iterdir():
                if item.name in keep:
                    continue  # tables are replaced by the new set; anything else comes along
                if item.is_dir():
                    shutil.copytree(item, incoming / item.name, symlinks=True)
                else:
                    shutil.copy2(item, incoming / item.name, follow_symlinks=False)
        for name, text in sorted(files.items()):
            _write_synced(incoming / name, text.encode("utf-8"))
        fsync_dir(incoming)
        _swap(incoming, output)
    except BaseException:
        with deferred():
            shutil.rmtree(incoming, ignore_errors=True)
        raise
    return backup


def _swap(incoming: Path, output: Path) -> None:
    """Put `incoming` where `output` is, with Ctrl-C/SIGTERM held over the two renames; a crash (SIGKILL,
    power) between them is undone by `recover`, a failed second rename at once."""
    with deferred():
        if output.exists():
            outgoing = output.parent / f".{output.name}.outgoing-{os.getpid()}"
            os.replace(output, outgoing)
            try:
                os.replace(incoming, output)
            except BaseException:
                os.replace(outgoing, output)
                raise
            fsync_dir(output.parent)
            shutil.rmtree(outgoing, ignore_errors=True)
        else:
            os.replace(incoming, output)
            fsync_dir(output.parent)


def recover(output: Path) -> None:
    """Finish or undo a swap an earlier update could not complete (it was killed between renames)."""
    parent = output.parent
    if not parent.is_dir():
        return
    for stale in parent.glob(f".{output.name}.incoming-*"):
        shutil.rmtree(stale, ignore_errors=True)
    for outgoing in parent.glob(f".{output.name}.outgoing-*"):
        if output.exists():
            shutil.rmtree(outgoing, ignore_errors=True)
        else:
            os.replace(outgoing, output)


def _write_synced(path: Path, data: bytes) -> None:
    with path.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


# ------------------------------------------------------------------------------------------ backups


def backup_root() -> Path:
    """Where backups of replaced tables live: `$AICOST_HOME/pricing.bak/`."""
    return paths.aicost_home() / "pricing.bak"


def backup_tables(directory: Path, as_of: dt.datetime) -> Path:
    """Copy a folder's tables to a new timestamped backup folder (written whole, then renamed)."""
    root = backup_root()
    root.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    target = root / stamp
    tmp = root / f".{stamp}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir()
        for path in table_files(directory):
            shutil.copy2(path, tmp / path.name)
        manifest = {"directory": str(directory.resolve()), "created_at": stamp, "update_as_of": as_of.isoformat()}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        with deferred():
            os.replace(tmp, target)
    except BaseException:
        with deferred():
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    _prune(directory)
    return target


def backups_of(directory: Path) -> list[Path]:
    """Backups of a folder's tables, oldest first."""
    root = backup_root()
    if not root.is_dir():
        return []
    wanted = str(directory.resolve())
    found = []
    for folder in sorted(root.iterdir()):
        try:
            manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if manifest.get("directory") == wanted:
            found.append(folder)
    return found


def _prune(directory: Path) -> None:
    root = backup_root()
    for stale in root.glob(".*.deleting"):
        shutil.rmtree(stale, ignore_errors=True)  # left by a prune that was killed
    for old in backups_of(directory)[:-KEEP_BACKUPS]:
        # renamed out of the way first, so a prune cut short leaves no half-deleted backup that looks whole
        doomed = root / f".{old.name}.deleting"
        with deferred():
            os.replace(old, doomed)
        shutil.rmtree(doomed, ignore_errors=True)

