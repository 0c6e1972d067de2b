"""Getting a price source's bytes and turning them into tables, refusing anything implausible.

A source is a name (`genai-prices`, `litellm`, `openrouter`: their public URLs, which `$AICOST_*_URL`
variables can point at a mirror), an http(s) URL, a local JSON file, or aicost TOML (a file or a folder).
Every failure is an `UpdateError` whose one-line message says what went wrong; nothing is written here.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final


from aicost import __version__
from aicost.errors import UpdateError
from aicost.pricing.sources import Conversion, aicost_toml, genai, litellm, openrouter

DEFAULT_TIMEOUT: Final = 10.0  # seconds for the whole download, as genai-prices' updater
CONNECT_TIMEOUT: Final = 5.0

# name → (default URL, environment variable that overrides it)
NAMED: Final = {
    genai.NAME: (genai.URL, "AICOST_GENAI_PRICES_URL"),
    litellm.NAME: (litellm.URL, "AICOST_LITELLM_URL"),
    openrouter.NAME: (openrouter.URL, "AICOST_OPENROUTER_URL"),
}
# the least a complete copy of each format holds (entries as the source counts them)
MIN_ENTRIES: Final = {genai.NAME: 100, litellm.NAME: litellm.MIN_ENTRIES, openrouter.NAME: openrouter.MIN_ENTRIES}
_DESCRIBE: Final = {
    genai.NAME: "genai-prices v2 data (a list of providers)",
    litellm.NAME: "a LiteLLM model cost map (an object of model entries)",
    openrouter.NAME: 'an OpenRouter models answer ({"data": [models]})',
}


@dataclass
class Fetched:
    """Raw bytes of a source, where they came from, and the format its name promises (if any)."""

    location: str  # for messages: the URL or path
    url: str  # recorded in the tables' [source]
    raw: bytes = b""
    expect: str | None = None
    files: list[tuple[Path | str, bytes]] | None = None  # aicost TOML tables


def source_url(name: str) -> str:
    """The URL a named source is fetched from (its environment override, else the public one)."""
    default, variable = NAMED[name]
    return os.environ.get(variable) or default


def fetch(spec: str, *, timeout: float = DEFAULT_TIMEOUT) -> Fetched:
    """Read a source given by name, URL or path."""
    if spec in NAMED:
        url = source_url(spec)
        return Fetched(location=url, url=url, raw=http_get(url, timeout), expect=spec)
    if spec.startswith(("http://", "https://")):
        return Fetched(location=spec, url=spec, raw=http_get(spec, timeout))
    path = Path(spec).expanduser()
    if path.is_dir():
        return Fetched(location=spec, url=spec, files=aicost_toml.read_folder(path))
    try:
        raw = path.read_bytes()
    except OSError as exc:
        hint = "; give a file, a folder of tables, a URL or one of " + ", ".join(NAMED)
        raise UpdateError(f"{spec}: cannot read price source ({exc.strerror}){hint}") from None
    if aicost_toml.looks_like(raw):
        return Fetched(location=spec, url=spec, files=[(spec, raw)])
    return Fetched(location=spec, url=spec, raw=raw)


def http_get(url: str, timeout: float) -> bytes:
    """GET `url` within `timeout` seconds in all (connect at most 5 s), or raise a one-line UpdateError."""
    import httpx  # only `prices update` fetches: not on every command's start-up path

    deadline = time.monotonic() + timeout
    limits = httpx.Timeout(timeout, connect=min(CONNECT_TIMEOUT, timeout))
    headers = {"User-Agent": f"aicost/{__version__}", "Accept": "application/json"}
    try:
        with (
            httpx.Client(timeout=limits, follow_redirects=True, headers=headers) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code != 200:
                reason = response.reason_phrase or "error"
                raise UpdateError(f"{url}: HTTP {response.status_code} {reason}")
            chunks = []
            for chunk in response.iter_bytes():
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    raise httpx.ReadTimeout("download took too long")
            return b"".join(chunks)
    except httpx.TimeoutException:
        raise UpdateError(f"{url}: timed out after {timeout:g} s") from None
    except httpx.HTTPError as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UpdateError(f"{url}: cannot fetch ({detail})") from None


def detect(data: Any) -> str | None:
    """Which source format parsed JSON is in, if any."""
    for name, module in ((genai.NAME, genai), (openrouter.NAME, openrouter), (litellm.NAME, litellm)):
        if module.looks_like(data):
            return name
    return None


def convert(fetched: Fetched, retrieved_at: dt.datetime) -> Conversion:
    """Parse and convert fetched bytes, applying the shape and minimum-count guards."""
    if fetched.files is not None:
        return aicost_toml.convert_files(fetched.files, fetched.location)
    try:
        data = json.loads(fetched.raw)
    except UnicodeDecodeError:
        raise UpdateError(f"{fetched.location}: not UTF-8 JSON") from None
    except json.JSONDecodeError as exc:
        raise UpdateError(
            f"{fetched.location}: invalid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); "
            "truncated download?"
        ) from None
    kind = detect(data)
    if fetched.expect is not None and kind != fetched.expect:
        raise UpdateError(f"{fetched.location}: expected {_DESCRIBE[fetched.expect]}, got {_shape(data)}")
    if kind is None:
        raise UpdateError(
            f"{fetched.location}: not a known price source ({_shape(data)}); expected genai-prices v2, "
            "a LiteLLM model cost map, an OpenRouter models answer or aicost TOML tables"
        )
    module = {genai.NAME: genai, litellm.NAME: litellm, openrouter.NAME: openrouter}[kind]
    conversion: Conversion = module.convert(data, raw=fetched.raw, url=fetched.url, retrieved_at=retrieved_at)
    floor = MIN_ENTRIES[kind]
    if conversion.entries < floor:
        raise UpdateError(
            f"{fetched.location}: only {conversion.entries:,} entries; a complete {kind} source has at least "
            f"{floor:,} (truncated or not the real database?)"
        )
    return conversion


def _shape(data: Any) -> str:
    if isinstance(data, list):
        return f"a JSON list of {len(data):,} items"
    if isinstance(data, dict):
        return f"a JSON object with {len(data):,} keys"
    return f"a JSON {type(data).__name__}"
