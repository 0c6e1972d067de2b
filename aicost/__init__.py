"""aicost: what LLM calls cost, what moving them would save, and what the next months will cost."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("aicost")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+source"

__all__ = ["__version__"]
