"""Progress of long log scans: what the library reports, and how a front end says it wants to hear.

The library never draws anything: it calls the current `Progress` (by default one that ignores
everything). The CLI installs one from aicost.render for the duration of a command when stderr is a
terminal, so library users and tests see no output and pay nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol


class Progress(Protocol):
    """Receives the progress of a scan: how many rows (or bytes) there are, then how many are done."""

    @property
    def enabled(self) -> bool:
        """Whether anyone is watching (a scan may then split itself to report as it goes)."""
        ...

    def start(self, what: str, total_rows: int | None, unit: str = "rows") -> None:
        """A scan of `total_rows` rows (None: unknown) begins; `unit` "bytes": of that many bytes of files."""
        ...

    def advance(self, rows: int) -> None:
        """`rows` more rows (or bytes) were scanned."""
        ...

    def stop(self) -> None:
        """The scan is over (also after an error)."""
        ...


class Silent:
    """No one is watching."""

    enabled = False

    def start(self, what: str, total_rows: int | None, unit: str = "rows") -> None:
        """Ignored."""

    def advance(self, rows: int) -> None:
        """Ignored."""

    def stop(self) -> None:
        """Ignored."""


_CURRENT: ContextVar[Progress | None] = ContextVar("aicost_progress", default=None)


def current() -> Progress:
    """The progress receiver of the running command."""
    return _CURRENT.get() or Silent()


@contextmanager
def reporting(progress: Progress) -> Iterator[Progress]:
    """Send scan progress to `progress` within the block."""
    token = _CURRENT.set(progress)
    try:
        yield progress
    finally:
        progress.stop()
        _CURRENT.reset(token)
