"""aicost: what LLM calls cost, what moving them would save, and what the next months will cost."""

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    # importlib.metadata costs a tenth of a second of start-up: look the version up only when asked
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("aicost")
        except PackageNotFoundError:  # running from a source tree that is not installed
            return "0.0.0+source"
    raise AttributeError(f"module 'aicost' has no attribute {name!r}")
