"""Where aicost keeps user state: `$AICOST_HOME` relocates all of it (tests rely on that)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "aicost"


def aicost_home() -> Path:
    """User data directory: updated price tables, backups, user config."""
    if home := os.environ.get("AICOST_HOME"):
        return Path(home).expanduser()
    return Path(platformdirs.user_data_dir(APP, appauthor=False))


def cache_dir() -> Path:
    """Disposable caches (compiled price tables); `$AICOST_CACHE_DIR` moves just these."""
    if cache := os.environ.get("AICOST_CACHE_DIR"):
        return Path(cache).expanduser()
    if home := os.environ.get("AICOST_HOME"):
        return Path(home).expanduser() / "cache"
    return Path(platformdirs.user_cache_dir(APP, appauthor=False))


def user_pricing_dir() -> Path:
    """Price tables written by `aicost prices update`."""
    return aicost_home() / "pricing"


def bundled_pricing_dir() -> Path:
    """The price tables shipped with the package (inside the wheel, or the repo's pricing/ when editable)."""
    package = Path(__file__).resolve().parent
    inside = package / "_bundled_pricing"
    if inside.is_dir():
        return inside
    return package.parent / "pricing"
