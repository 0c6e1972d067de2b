"""The `aicost.scenario/1` TOML schema as strict typed models: an unknown key is an error."""

from __future__ import annotations

from typing import Literal

import msgspec

SCHEMA = "aicost.scenario/1"

Basis = Literal["requests", "tokens", "cost"]
Pick = Literal["proportional", "smallest", "largest"]
Mode = Literal["substitute", "route", "cascade", "advisor"]
Escalate = Literal["full", "partial", "none"]
Requirement = Literal["batch_rates", "cache_rates"]


class _Strict(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True, kw_only=True):
    pass


class Tokens(_Strict, forbid_unknown_fields=True, omit_defaults=True, kw_only=True):
    """Token multipliers of the target vs the source (tokenizer × verbosity)."""

    input: float = 1.0
    output: float = 1.0


class Quality(_Strict, forbid_unknown_fields=True, omit_defaults=True, kw_only=True):
    """How well the target does, and what a failure costs (cascade) or delivers (substitute/route)."""

    # P(the target's answer is good)
    pass_rate: float = 1.0
    # the verifier accepts a bad answer / rejects a good one (RouterBench's evaluator error)
    false_accept: float = 0.0
    false_reject: float = 0.0
    # what an escalation pays of the source: all of it, a fraction (advisor-style help), or nothing
    escalate: Escalate = "full"
    fraction: float = 1.0
    # quality of the source model's answers (1.0 = the reference)
    source_quality: float = 1.0
    # the least delivered quality acceptable; below it `simulate` exits 3 after printing
    floor: float | None = None


class Router(_Strict, forbid_unknown_fields=True, omit_defaults=True, kw_only=True):
    """mode = "route": a router sends `strong_share` of requests to the source model, the rest to the target."""

    strong_share: float
    # performance-gap-recovered curve: "random" (PGR = share) or points [[share, pgr], ...]
    pgr: Literal["random", "routellm-mf-mtbench"] | None = None
    points: list[tuple[float, float]] | None = None
    # router cost per million requests, USD (RouteLLM Table 7: 3.19–39.26)
    overhead_per_million: float = 0.0


class Cache(_Strict, forbid_unknown_fields=True, omit_defaults=True, kw_only=True):
    """Prompt caching on the target."""

    hit_rate: float


class Move(_Strict, forbid_unknown_fields=True, omit_defaults=True, kw_only=True):
    """Move a share of the selected traffic to another model, or change how it is served."""

    name: str | None = None
    # model globs: "provider/model" or "model"; default everything
    from_: list[str] = msgspec.field(default_factory=lambda: ["*"], name="from")
    # tag filters (any column of the logs, plus service_tier): {feature = ["chat"]}
    where: dict[str, list[str]] = {}
    # only traffic whose model has these prices (batch rates, distinct cache-read rates)
    requires: list[Requirement] = []
    share: float = 1.0
    basis: Basis = "requests"
    pick: Pick = "proportional"
    # the target: a real model, a hypothetical one at `price_ratio` × the source's rates, explicit rates, or
    # "@cheapest-same-provider"
    to: str | None = None
    price_ratio: float | None = None
    to_rates: dict[str, float] | None = None
    mode: Mode = "substitute"
    tokens: Tokens = msgspec.field(default_factory=Tokens)
    quality: Quality | None = None
    router: Router | None = None
    # mode = "advisor": the source is consulted on every request at this share of its own cost
    advisor_share: float = 0.0
    cache: Cache | None = None
    # share of the moved traffic sent through the target's batch tier
    batch_share: float = 0.0


class Ramp(_Strict, forbid_unknown_fields=True, omit_defaults=True, kw_only=True):
    """How adoption grows to the scenario's full effect (used by `aicost forecast`)."""

    shape: Literal["logistic", "linear", "step"] = "logistic"
    start_month: float = 0.0
    midpoint_month: float | None = None
    p10_to_p90_months: float | None = None
    end_month: float | None = None
    full: float = 1.0


class Forecast(_Strict, forbid_unknown_fields=True, omit_defaults=True, kw_only=True):
    """Assumptions `aicost forecast` uses for this scenario."""

    horizon_months: int | None = None
    growth: str | None = None
    price_decline: str | None = None
    ramp: Ramp | None = None
    switching_cost: float = 0.0


class Scenario(_Strict, forbid_unknown_fields=True, omit_defaults=True, kw_only=True):
    """A named what-if: moves applied in order, each to traffic no earlier move claimed."""

    schema: str
    name: str
    description: str = ""
    sources: list[str] = []
    move: list[Move]
    forecast: Forecast | None = None
