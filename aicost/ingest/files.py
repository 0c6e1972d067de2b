"""Expanding the LOGS arguments (files, globs, folders, `-`) into a list of log files."""

from __future__ import annotations

import glob
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

from aicost.errors import InputError, UsageError

Kind = Literal["parquet", "jsonl", "csv", "sqlite", "json"]

_SUFFIXES: Final[dict[str, Kind]] = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".csv": "csv",
    ".db": "sqlite",
    ".sqlite": "sqlite",
    ".sqlite3": "sqlite",
}
_COMPRESSION: Final = (".gz", ".zst", ".zstd")
STDIN: Final = "-"


@dataclass(frozen=True)
class LogFile:
    """One input: a path (or stdin) and how to read it."""

    path: str
    kind: Kind
    index: int
    # standard input's bytes once read (for naming the line of a bad record); never part of comparisons
    data: bytes | None = field(default=None, repr=False, compare=False)

    @property
    def is_stdin(self) -> bool:
        """Whether this input is standard input."""
        return self.path == STDIN

    @property
    def display(self) -> str:
        """How errors name this input."""
        return "<stdin>" if self.is_stdin else self.path


def kind_of(path: str) -> Kind | None:
    """The log kind a file name says, looking through .gz/.zst."""
    name = path.lower()
    for suffix in _COMPRESSION:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return _SUFFIXES.get(os.path.splitext(name)[1])


def expand(inputs: list[str]) -> list[LogFile]:
    """Files for the given arguments, in argument order; folders are searched recursively."""
    if not inputs:
        raise InputError("no logs given; pass files, globs, folders, or - for JSONL on stdin")
    found: list[tuple[str, Kind]] = []
    for arg in inputs:
        if arg == STDIN:
            found.append((STDIN, "jsonl"))
            continue
        path = Path(arg).expanduser()
        if path.is_dir():
            inside = sorted(
                (str(p), k)
                for p in path.rglob("*")
                if p.is_file() and not p.name.startswith(".") and (k := kind_of(p.name)) is not None
            )
            if not inside:
                raise InputError(f"{arg}: folder contains no logs (.parquet, .jsonl, .json, .csv, logs.db)")
            found.extend(inside)
        elif path.is_file():
            kind = kind_of(path.name)
            if kind is None:
                raise InputError(
                    f"{arg}: unknown log file type; use .parquet, .jsonl, .ndjson, .json, .csv (optionally .gz or .zst)"
                )
            found.append((str(path), kind))
        elif glob.has_magic(arg):
            matches = sorted(m for m in glob.glob(os.path.expanduser(arg), recursive=True) if Path(m).is_file())
            if not matches:
                raise InputError(f"{arg}: pattern matches no files")
            for match in matches:
                kind = kind_of(match)
                if kind is not None:
                    found.append((match, kind))
        elif path.exists():
            raise InputError(f"{arg}: not a regular file or folder")
        else:
            raise InputError(f"{arg}: no such file or folder")
    seen: set[str] = set()
    files: list[LogFile] = []
    for path_str, kind in found:
        key = path_str if path_str == STDIN else os.path.realpath(path_str)
        if key in seen:
            continue  # the same file named twice (a glob and its folder) is read once
        seen.add(key)
        files.append(LogFile(path=path_str, kind=kind, index=len(files)))
    if not files:
        raise InputError("no log files found in " + ", ".join(inputs))
    return files


def refuse_overwriting_inputs(output: str | None, inputs: list[str]) -> None:
    """An --output that is one of the logs being read is a usage error: the result would replace the log
    (and, in a folder of logs, be read as one next time)."""
    paths = [arg for arg in inputs if arg != STDIN]
    if output in (None, "", STDIN) or not paths or not os.path.isfile(output):
        return
    assert output is not None
    target = os.path.realpath(output)
    for log in expand(paths):
        if os.path.realpath(log.path) == target:
            raise UsageError(f"--output {output}: is one of the logs being read; write the result elsewhere")


def read_stdin() -> bytes:
    """All of standard input, as bytes."""
    return sys.stdin.buffer.read()
