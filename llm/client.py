"""The one door to language models: `complete_json` and `complete_text`.

Every LLM call in Motive goes through here. A call names its `task` (for the
log), gives a system prompt and the conversation, and may give a `fallback`:
the caller's own deterministic behaviour, used as is when no API key is set
(`provider="offline"`) and in place of the model when the model fails
(timeout, error, unusable output after retries; then `fell_back=True` and
`reason` says why). With no fallback, a failure raises `LlmError`.

Respondent or user text belongs in prompts only through `quote_untrusted`, and
the system prompt of such a call includes `UNTRUSTED_TEXT_RULE`.

Each call logs one line on the `llm` logger (task, provider, model, latency,
attempts, fell_back, reason), never the prompt or the reply.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from openai.types.chat.completion_create_params import ResponseFormat

from llm.config import current_settings
from llm.providers import Message, OfflineProvider, OpenAIProvider, ProviderError
from llm.redaction import redact
from llm.structured import (
    InvalidOutput,
    JsonObject,
    check_schema,
    object_format,
    parse_object,
    schema_format,
    schema_instruction,
    schema_problem,
)
from llm.untrusted import UNTRUSTED_TEXT_RULE, quote_untrusted

__all__ = [
    "UNTRUSTED_TEXT_RULE",
    "LlmError",
    "LlmResult",
    "Message",
    "complete_json",
    "complete_text",
    "quote_untrusted",
    "redact",
]

logger = logging.getLogger("llm")

T = TypeVar("T")


@dataclass(frozen=True)
class LlmResult(Generic[T]):
    """What a call produced and where it came from."""

    data: T
    # "openai" when a model answered; "offline" when the caller's fallback did.
    provider: Literal["openai", "offline"]
    # The model that answered as the server named it, or "offline".
    model: str
    # True when a model was configured, failed, and the fallback answered instead.
    fell_back: bool
    # Why the model's answer was not used (safe to show: no prompt or reply text).
    reason: str | None
    latency_ms: int
    # Requests sent to the provider, retries and re-asks included.
    attempts: int


class LlmError(Exception):
    """A call failed and its caller gave no fallback."""

    def __init__(self, task: str, reason: str) -> None:
        super().__init__(f"LLM task {task!r} failed: {reason}")
        self.task = task
        self.reason = reason


def complete_json(
    *,
    task: str,
    system: str,
    messages: Sequence[Message],
    schema: JsonObject,
    fallback: Callable[[], JsonObject] | None = None,
    strict: bool = True,
    temperature: float | None = None,
    max_tokens: int | None = None,
    timeout: float | None = None,
) -> LlmResult[JsonObject]:
    """Ask for one JSON object valid against `schema` (a JSON Schema of an object).

    The provider is asked for structured output (`json_schema`, `strict` as
    given); a server that rejects that with a 400 is asked again in JSON mode
    with the schema in the prompt. (OpenAI's strict mode wants every property
    in `required` and `"additionalProperties": false`; a schema it refuses
    costs that one extra request.) A reply that does not parse or validate is
    re-asked once with the problem named. The fallback's data must validate
    against `schema` too, so callers handle one shape whatever answered.
    """
    check_schema(schema)

    def ask(provider: OpenAIProvider) -> JsonObject:
        return _ask_json(
            provider,
            system=system,
            messages=messages,
            schema=schema,
            name=task,
            strict=strict,
            temperature=temperature,
            max_tokens=max_tokens,
        )

    checked = None if fallback is None else _checked_fallback(task, schema, fallback)
    return _call(task, ask, checked, timeout)


def complete_text(
    *,
    task: str,
    system: str,
    messages: Sequence[Message],
    fallback: Callable[[], str] | None = None,
    temperature: float | None = None,
    max_tokens: int | None = None,
    timeout: float | None = None,
) -> LlmResult[str]:
    """Ask for plain text; an empty or cut-off reply counts as a failure."""

    def ask(provider: OpenAIProvider) -> str:
        reply = provider.chat(
            system=system, messages=messages, temperature=temperature, max_tokens=max_tokens
        )
        if reply.refusal:
            raise ProviderError("the model refused")
        if reply.finish_reason == "length":
            raise InvalidOutput("reply cut off at the token limit")
        if not reply.content or not reply.content.strip():
            raise InvalidOutput("empty reply")
        return reply.content.strip()

    return _call(task, ask, fallback, timeout)


def _checked_fallback(
    task: str, schema: JsonObject, fallback: Callable[[], JsonObject]
) -> Callable[[], JsonObject]:
    def checked() -> JsonObject:
        data = fallback()
        problem = schema_problem(data, schema)
        if problem:
            raise ValueError(f"the fallback of LLM task {task!r} returned data that {problem}")
        return data

    return checked


def _ask_json(
    provider: OpenAIProvider,
    *,
    system: str,
    messages: Sequence[Message],
    schema: JsonObject,
    name: str,
    strict: bool,
    temperature: float | None,
    max_tokens: int | None,
) -> JsonObject:
    def send(system: str, messages: Sequence[Message], response_format: ResponseFormat) -> str:
        reply = provider.chat(
            system=system,
            messages=messages,
            response_format=response_format,
            temperature=temperature,
            max_tokens=max_tokens,
        )
        if reply.refusal:
            raise ProviderError("the model refused")
        return reply.content or ""

    response_format = schema_format(schema, name=name, strict=strict)
    try:
        content = send(system, messages, response_format)
    except ProviderError as error:
        if error.status != 400:
            raise
        # Servers without structured outputs reject json_schema with a 400; JSON
        # mode with the schema spelled out in the prompt is what they all accept.
        system = f"{system}\n\n{schema_instruction(schema)}"
        response_format = object_format()
        content = send(system, messages, response_format)
    try:
        return parse_object(content, schema)
    except InvalidOutput as invalid:
        # One re-ask naming the problem cures most slips; more would only add latency.
        correction = f"That reply was not usable: {invalid.reason}. {schema_instruction(schema)}"
        retry = [
            *messages,
            Message(role="assistant", content=content),
            Message(role="user", content=correction),
        ]
        try:
            return parse_object(send(system, retry, response_format), schema)
        except InvalidOutput as again:
            raise InvalidOutput(f"{again.reason} (after a re-ask)") from again


def _call(
    task: str,
    ask: Callable[[OpenAIProvider], T],
    fallback: Callable[[], T] | None,
    timeout: float | None,
) -> LlmResult[T]:
    settings = current_settings()
    started = time.monotonic()
    if not settings.online:
        return _offline(task, fallback, started, reason=None, attempts=0)
    with OpenAIProvider(settings, timeout=timeout) as provider:
        try:
            data = ask(provider)
        except (ProviderError, InvalidOutput) as failure:
            if fallback is None:
                _log(task, "openai", settings.model, started, provider.attempts, str(failure))
                raise LlmError(task, str(failure)) from failure
            return _offline(
                task, fallback, started, reason=str(failure), attempts=provider.attempts
            )
    result = LlmResult(
        data=data,
        provider="openai",
        model=provider.answered_by or settings.model,
        fell_back=False,
        reason=None,
        latency_ms=_elapsed_ms(started),
        attempts=provider.attempts,
    )
    _log(task, result.provider, result.model, started, result.attempts, None)
    return result


def _offline(
    task: str,
    fallback: Callable[[], T] | None,
    started: float,
    *,
    reason: str | None,
    attempts: int,
) -> LlmResult[T]:
    """The caller's offline behaviour: by configuration (no key) or after a failure."""
    if fallback is None:
        reason = "no LLM is configured (OPENAI_API_KEY is empty) and the call has no fallback"
        _log(task, OfflineProvider.name, OfflineProvider.model, started, attempts, reason)
        raise LlmError(task, reason)
    data = OfflineProvider().run(fallback)
    result = LlmResult(
        data=data,
        provider="offline",
        model=OfflineProvider.model,
        fell_back=reason is not None,
        reason=reason,
        latency_ms=_elapsed_ms(started),
        attempts=attempts,
    )
    _log(task, result.provider, result.model, started, attempts, reason, fell_back=result.fell_back)
    return result


def _log(
    task: str,
    provider: str,
    model: str,
    started: float,
    attempts: int,
    reason: str | None,
    *,
    fell_back: bool = False,
) -> None:
    # One line per call, never the prompt or the reply: they may hold what a
    # respondent said, and logs travel further than the database.
    logger.log(
        logging.WARNING if reason else logging.INFO,
        "llm call task=%s provider=%s model=%s latency_ms=%d attempts=%d fell_back=%s reason=%s",
        task,
        provider,
        model,
        _elapsed_ms(started),
        attempts,
        fell_back,
        reason or "-",
    )


def _elapsed_ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
