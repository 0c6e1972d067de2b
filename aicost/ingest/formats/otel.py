"""OpenTelemetry GenAI (and OpenInference) spans: OTLP JSON exports (`resourceSpans[].scopeSpans[].spans[]`,
one document per file or per line as the collector's file exporter writes) or flattened spans with an
`attributes` map (log-formats.md §11–§13; pitfall 2).

The GenAI conventions say `gen_ai.usage.input_tokens` *includes* cache reads and writes, but Anthropic
and Bedrock instrumentations often copy Anthropic's exclusive count into it. When the input is smaller
than reads + writes it cannot be inclusive, so it is used as is, and the row carries a note (a warning).
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from aicost.ingest.formats.base import Format
from aicost.ingest.formats.fields import Doc, Field, Rows, as_text, json_path, openai_or_inferred, real, zero
from aicost.ingest.formats.read import Sniff, record_doc, text_doc

_SPANS = ("resourceSpans", "scopeSpans", "spans")
_VALUE_KINDS = ("stringValue", "intValue", "doubleValue", "boolValue")
EXCLUSIVE_NOTE = (
    "OTel span input_tokens is below cache read + write, so it excludes cache (instrumentation ignores the "
    "GenAI spec); used as uncached input"
)


def _otlp(sniffed: Sniff) -> bool:
    return any("resourceSpans" in r for r in sniffed.records)


def _lines(sniffed: Sniff) -> bool:
    """Flattened spans in JSONL are read line by line; OTLP documents (one per line) are not."""
    return sniffed.log.kind == "jsonl" and not sniffed.log.is_stdin and not _otlp(sniffed)


def _open(sniffed: Sniff, stdin: bytes | None) -> Doc:
    if _otlp(sniffed):
        return record_doc(sniffed, stdin, _SPANS)
    if sniffed.log.kind == "jsonl":
        return text_doc(sniffed, stdin)
    return record_doc(sniffed, stdin, ("data",))


def _kv_getter(doc: Doc, where: Field, column: str) -> Callable[[str], Field]:
    """Attribute lookup in an OTLP `[{key, value: {stringValue|intValue|…}}]` list.

    The list is turned once into the JSON text of a `{key: value}` map (one list evaluation, not one
    per attribute), and each attribute is then read from that short text.
    """
    dtype = where.dtype
    if not (isinstance(dtype, pl.List) and isinstance(dtype.inner, pl.Struct)):
        return lambda key: Field(pl.lit(None, dtype=pl.Null), pl.Null(), key)
    fields = {f.name: f.dtype for f in dtype.inner.fields}
    if "key" not in fields or not isinstance(fields.get("value"), pl.Struct):
        return lambda key: Field(pl.lit(None, dtype=pl.Null), pl.Null(), key)
    item = pl.element()
    key = item.struct.field("key").str.replace_all("\\", "\\\\", literal=True).str.replace_all('"', '\\"', literal=True)
    pair = pl.concat_str([pl.lit('"'), key, pl.lit('":'), item.struct.field("value").struct.json_encode()])
    text = pl.concat_str([pl.lit("{"), where.expr.list.eval(pair).list.join(","), pl.lit("}")])
    doc.lf = doc.lf.with_columns(text.alias(column))
    doc.refresh()

    def get(name: str) -> Field:
        parts = [pl.col(column).str.json_path_match(json_path([name, kind])) for kind in _VALUE_KINDS]
        return Field(pl.coalesce(parts), pl.String(), name)

    return get


def adapt(doc: Doc) -> pl.LazyFrame:
    """One row per span; spans without token usage are skipped."""
    attributes = doc.get("attributes")
    if isinstance(attributes.dtype, pl.List):
        attr = _kv_getter(doc, attributes, "_aicost_attributes")
        resource = _kv_getter(doc, doc.env("resource.attributes"), "_aicost_resource")
    else:
        doc.cache("attributes")

        def attr(key: str) -> Field:
            return doc.get(("attributes", key))

        def resource(key: str) -> Field:
            return doc.get(("resource", "attributes", key))

    r = Rows(doc)

    def count(*keys: str) -> pl.Expr:
        return r.ints([attr(k) for k in keys])

    def text(*keys: str, of: Callable[[str], Field] = attr) -> pl.Expr:
        values = [as_text(of(k)) for k in keys]
        return pl.coalesce(values) if len(values) > 1 else values[0]

    given = count("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens", "llm.token_count.prompt")
    reads = zero(
        count(
            "gen_ai.usage.cache_read.input_tokens",
            "gen_ai.usage.cache_read_input_tokens",
            "llm.token_count.prompt_details.cache_read",
        )
    )
    writes = zero(
        count(
            "gen_ai.usage.cache_creation.input_tokens",
            "gen_ai.usage.cache_creation_input_tokens",
            "gen_ai.usage.cache_write_input_tokens",
            "llm.token_count.prompt_details.cache_write",
        )
    )
    output = count("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens", "llm.token_count.completion")
    exclusive = given < reads + writes  # pitfall 2: an inclusive count cannot be below its own parts
    skip = pl.when(given.is_null() & output.is_null()).then(pl.lit("span without token usage"))
    model = text("gen_ai.response.model", "gen_ai.request.model", "llm.model_name")
    r.reject(model.is_null(), "span has usage but no gen_ai.response.model / gen_ai.request.model")
    span_id = as_text(doc.get("spanId"))
    return r.frame(
        {
            "input_tokens": pl.when(exclusive).then(zero(given)).otherwise(zero(given) - reads - writes),
            "cache_read_tokens": reads,
            "cache_write_tokens": writes,
            "output_tokens": output,
            "reasoning_tokens": count(
                "gen_ai.usage.reasoning.output_tokens", "llm.token_count.completion_details.reasoning"
            ),
            "timestamp": r.time("startTimeUnixNano", "start_time", "startTime"),
            "provider": pl.coalesce(
                text("gen_ai.provider.name", "gen_ai.system", "llm.provider", "llm.system"), openai_or_inferred(model)
            ),
            "model": model,
            "request_id": pl.coalesce(text("gen_ai.response.id"), span_id),
            "reported_cost": _cost(r, attr),
        },
        tags={
            "service_name": text("service.name", of=resource),
            "operation": text("gen_ai.operation.name"),
            "user_id": text("user.id", "enduser.id"),
            "session_id": text("session.id"),
            "conversation_id": text("gen_ai.conversation.id"),
            "agent_name": text("gen_ai.agent.name"),
            "trace_id": as_text(doc.get("traceId")),
        },
        skip=skip,
        note=pl.when(exclusive).then(pl.lit(EXCLUSIVE_NOTE)),
    )


def _cost(r: Rows, attr: Callable[[str], Field]) -> pl.Expr:
    """OpenInference's client-side `llm.cost.total` estimate (reconciliation only)."""
    value, reasons = real(attr("llm.cost.total"))
    r.reasons += reasons
    return value


FORMATS = (Format("otel", "OpenTelemetry GenAI / OpenInference spans (OTLP JSON)", _open, adapt, lines=_lines),)
