"""aicost: what LLM calls cost, what moving them would save, and what the next months will cost."""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    # looked up on first use, not at import: the console entry point installs its signal handlers first
    # thing (aicost.interrupts), and importlib.metadata would widen the window before it does
    if name != "__version__":
        raise AttributeError(name)
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("aicost")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0.0.0+source"
