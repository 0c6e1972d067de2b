"""Helpers for the `aicost prices` tests: a loopback HTTP server and the real source databases.

The databases are read from ../shared/data/pricing-sources/ and served as they are (or deliberately
damaged) from 127.0.0.1; nothing here reaches the network.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.conftest import SHARED_SOURCES

GENAI = SHARED_SOURCES / "genai-prices-v2.json"
LITELLM = SHARED_SOURCES / "litellm-model-prices.json"


@cache
def genai_bytes() -> bytes:
    """The genai-prices v2 database, as published."""
    return GENAI.read_bytes()


@cache
def litellm_bytes() -> bytes:
    """LiteLLM's model cost map, as published."""
    return LITELLM.read_bytes()


def genai_data() -> list[dict[str, Any]]:
    """A fresh parsed copy of the genai-prices database (safe to modify)."""
    data: list[dict[str, Any]] = json.loads(genai_bytes())
    return data


def genai_model(data: list[dict[str, Any]], provider: str, model: str) -> dict[str, Any]:
    """One model object of parsed genai-prices data."""
    for p in data:
        if p["id"] == provider:
            for m in p["models"]:
                if m["id"] == model:
                    return dict(m)
    raise KeyError(f"{provider}/{model}")


def per_million(value: str | float) -> float:
    """A per-token price (LiteLLM float, OpenRouter string) in USD per million, computed independently."""
    return float(Decimal(str(value)) * 1_000_000)


@dataclass
class Route:
    """What the server answers on one path."""

    body: bytes
    status: int = 200
    delay: float = 0.0


@dataclass
class Server:
    """A 127.0.0.1 HTTP server whose answers tests set per path."""

    base: str
    routes: dict[str, Route] = field(default_factory=dict)

    def serve(self, path: str, body: bytes, *, status: int = 200, delay: float = 0.0) -> str:
        """Answer GET `path` with `body`; returns the full URL."""
        self.routes[path] = Route(body=body, status=status, delay=delay)
        return self.base + path


def start_server() -> tuple[Server, ThreadingHTTPServer]:
    """Start the server in a daemon thread."""
    routes: dict[str, Route] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            route = routes.get(self.path)
            if route is None:
                self.send_error(404)
                return
            if route.delay:
                time.sleep(route.delay)
            try:
                self.send_response(route.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout tests)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.block_on_close = False
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    server = Server(base=f"http://127.0.0.1:{httpd.server_address[1]}")
    server.routes = routes
    return server, httpd


def served(httpd_pair: tuple[Server, ThreadingHTTPServer]) -> Iterator[Server]:
    """Yield the server with an empty route table, then clear it."""
    server, _ = httpd_pair
    server.routes.clear()
    yield server
    server.routes.clear()


def snapshot(directory: Path) -> dict[str, str]:
    """Every file under a folder (hidden ones too) with the sha256 of its bytes."""
    if not directory.exists():
        return {}
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def openrouter_payload(n: int = 60) -> dict[str, Any]:
    """A models-API answer in OpenRouter's documented shape (decimal strings per token).

    There is no offline copy of OpenRouter's catalogue, so the test builds one: n plain models, a `-1`
    router sentinel, a model with a long-context override, one with a time-of-day override, and one
    genai-prices also lists (to exercise a conflict).
    """
    models: list[dict[str, Any]] = []
    for i in range(n):
        models.append(
            {
                "id": f"testlab/model-{i}",
                "canonical_slug": f"testlab/model-{i}-20260101",
                "name": f"Testlab: Model {i}",
                "context_length": 131072,
                "pricing": {
                    "prompt": str(Decimal(i + 1) / 10**7),
                    "completion": str(Decimal(i + 1) * 4 / 10**7),
                    "request": "0",
                    "image": "0",
                    "web_search": "0",
                    "internal_reasoning": "0",
                },
            }
        )
    models.append(
        {
            "id": "openrouter/auto",
            "name": "Auto Router",
            "context_length": 2000000,
            "pricing": {"prompt": "-1", "completion": "-1"},
        }
    )
    models.append(
        {
            "id": "testlab/long-context",
            "name": "Long",
            "context_length": 1000000,
            "pricing": {
                "prompt": "0.000003",
                "completion": "0.000015",
                "input_cache_read": "0.0000003",
                "overrides": [{"min_prompt_tokens": 200000, "prompt": "0.000006", "completion": "0.0000225"}],
            },
        }
    )
    models.append(
        {
            "id": "testlab/night-owl",
            "name": "Night",
            "context_length": 64000,
            "pricing": {
                "prompt": "0.000002",
                "completion": "0.000008",
                "overrides": [{"utc_start": "1630", "utc_end": "0030", "prompt": "0.000001", "completion": "0.000004"}],
            },
        }
    )
    models.append(
        {
            "id": "anthropic/claude-sonnet-4.5",
            "name": "Claude Sonnet 4.5",
            "context_length": 1000000,
            "pricing": {"prompt": "0.0000031", "completion": "0.000015"},
        }
    )
    return {"data": models}
