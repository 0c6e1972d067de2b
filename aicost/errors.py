"""The exception hierarchy and exit codes, translated to messages once, at the CLI edge."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes that scripts can branch on."""

    OK = 0
    ERROR = 1  # a domain error: bad data, unknown file, failed update
    USAGE = 2  # a command-line usage error
    GATE = 3  # a gate was breached (budget, savings or quality threshold), after printing the result
    INTERRUPTED = 130  # Ctrl-C (SIGINT), after cleaning up
    TERMINATED = 143  # SIGTERM, after cleaning up


class AicostError(Exception):
    """Base class of every error aicost reports as a one-line message."""

    exit_code: ExitCode = ExitCode.ERROR


class InputError(AicostError):
    """A log file cannot be read or does not fit the usage schema."""


class OutputError(AicostError):
    """A result cannot be written where it was asked to go (nothing was written)."""


class PriceTableError(AicostError):
    """A price table is malformed or cannot be found."""


class ScenarioError(AicostError):
    """A scenario file is malformed or names something that does not exist."""


class ConfigError(AicostError):
    """A configuration file or value is malformed."""


class UnpricedError(AicostError):
    """`--strict` was given and some usage could not be priced."""


class UnknownModelError(AicostError):
    """A model id given on the command line matches no price table entry."""


class UpdateError(AicostError):
    """Fetching or converting a price source failed; the existing tables are unchanged."""


class UsageError(AicostError):
    """Options that cannot be combined or values out of range, detected after parsing."""

    exit_code = ExitCode.USAGE


class GateBreached(AicostError):
    """A budget, savings or quality gate was breached; the result has been printed already."""

    exit_code = ExitCode.GATE
