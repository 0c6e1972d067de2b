"""Atomic writes: a temporary file beside the target, renamed over it only once complete.

An interrupted or failed write leaves the previous file intact and no temporary file behind: the
temporary file is created and renamed (or removed) with Ctrl-C/SIGTERM held (`interrupts.deferred`), so
a signal cannot fall between making it and noting it for removal. A replaced file keeps its permissions;
a symlink keeps pointing where it did; a device or pipe (`--output /dev/stdout`) is written directly.
Only SIGKILL or a power cut can leave a `.NAME.*.tmp` file beside the target.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from aicost.errors import OutputError
from aicost.interrupts import deferred


def _error(target: Path, exc: OSError) -> OutputError:
    return OutputError(f"{target}: cannot write ({exc.strerror or exc})")


def _mode(target: Path) -> int:
    """The permissions the result gets: the replaced file's, else what a plain open() would give."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _parents(directory: Path) -> list[Path]:
    """Create a missing folder and its missing parents; return those created (deepest first)."""
    missing = []
    while not directory.exists():
        missing.append(directory)
        if directory.parent == directory:
            break
        directory = directory.parent
    for folder in reversed(missing):
        folder.mkdir()
    return missing


def fsync_dir(directory: Path) -> None:
    """Make a rename in `directory` durable (best effort: not every platform can open a folder)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _fsync(path: Path) -> None:
    with contextlib.suppress(OSError), path.open("rb+") as fh:
        os.fsync(fh.fileno())


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path to write to; on success it replaces `target`, on any failure it is removed.

    Folders missing on the way to `target` are created, and removed again if the write fails.
    """
    target = Path(target)
    if target.is_dir():
        raise OutputError(f"{target}: is a folder; give a file name")
    # through a symlink, replace the file it points to (not the link); a device or pipe (/dev/stdout, a
    # FIFO) cannot be replaced at all, only written to
    if target.exists() and not target.is_file():
        try:
            yield target
        except BrokenPipeError:
            raise  # the reader went away (`| head`): not a failed write
        except OSError as exc:
            raise _error(target, exc) from None  # /dev/full, a device gone
        return
    target = Path(os.path.realpath(target))
    created: list[Path] = []
    tmp: Path | None = None
    try:
        with deferred():
            created = _parents(target.parent)
            fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            tmp = Path(name)
            os.close(fd)
        tmp.chmod(_mode(target))
        yield tmp
        _fsync(tmp)
        with deferred():
            os.replace(tmp, target)
    except BaseException as exc:
        with deferred():
            if tmp is not None:
                tmp.unlink(missing_ok=True)
            for folder in created:
                with contextlib.suppress(OSError):
                    folder.rmdir()
        if isinstance(exc, OSError):
            raise _error(target, exc) from None
        raise
    fsync_dir(target.parent)


def atomic_write_bytes(target: Path, data: bytes) -> None:
    """Write bytes to `target` atomically, flushed to disk before the rename."""
    with atomic_path(target) as tmp, tmp.open("wb") as fh:
        fh.write(data)


def atomic_write_text(target: Path, text: str) -> None:
    """Write UTF-8 text to `target` atomically."""
    atomic_write_bytes(target, text.encode("utf-8"))
