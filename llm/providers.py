"""Providers: where a chat request goes.

`OpenAIProvider` speaks to any OpenAI-compatible server through the `openai`
client, with the client's own retries switched off: retries happen here,
bounded by `MOTIVE_LLM_MAX_RETRIES`, with a short backoff, and only for errors
that another attempt can cure (timeouts, connection errors, 429, 5xx). Every
message content, the system prompt included, passes through `redact` on its
way out when `MOTIVE_LLM_REDACT` is on, so this module is the one place text
leaves the machine.

`OfflineProvider` never opens a socket: it runs the caller's own deterministic
offline behaviour. It is what every call uses when no API key is configured.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Literal, TypeVar

import openai
from openai.types.chat import ChatCompletionMessageParam
from openai.types.chat.completion_create_params import ResponseFormat

from llm.config import LlmSettings
from llm.redaction import redact

T = TypeVar("T")

BACKOFF_BASE_SECONDS = 0.25
# A server asking for a longer pause than this is better answered by the
# caller's fallback than by holding a worker (or a respondent) waiting.
BACKOFF_MAX_SECONDS = 4.0


@dataclass(frozen=True)
class Message:
    """One turn of the conversation sent after the system prompt."""

    role: Literal["user", "assistant"]
    content: str


@dataclass(frozen=True)
class ChatReply:
    content: str | None
    model: str
    finish_reason: str | None
    refusal: str | None


class ProviderError(Exception):
    """The provider gave no usable reply. `reason` is safe to log: it holds no prompt text."""

    def __init__(
        self,
        reason: str,
        *,
        status: int | None = None,
        transient: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.transient = transient
        self.retry_after = retry_after


class OpenAIProvider:
    """Chat completions through the `openai` client; use as a context manager."""

    name = "openai"

    def __init__(self, settings: LlmSettings, *, timeout: float | None = None) -> None:
        self.model = settings.model
        self.max_retries = settings.max_retries
        self.redact = settings.redact
        self.attempts = 0
        self.answered_by: str | None = None
        self._client = openai.OpenAI(
            api_key=settings.api_key,
            base_url=settings.base_url,
            timeout=timeout if timeout is not None else settings.timeout_seconds,
            max_retries=0,
        )

    def __enter__(self) -> OpenAIProvider:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._client.close()

    def chat(
        self,
        *,
        system: str,
        messages: Sequence[Message],
        response_format: ResponseFormat | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
    ) -> ChatReply:
        """Send one chat request, retrying transient failures; raise `ProviderError`."""
        payload = self._payload(system, messages)
        for retry in range(self.max_retries + 1):
            try:
                return self._send(payload, response_format, temperature, max_tokens)
            except ProviderError as error:
                if not error.transient:
                    raise
                if retry == self.max_retries:
                    if not retry:
                        raise
                    raise ProviderError(
                        f"{error.reason} (after {retry + 1} attempts)",
                        status=error.status,
                        transient=True,
                    ) from error
                time.sleep(_backoff(retry, error.retry_after))
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _payload(
        self, system: str, messages: Sequence[Message]
    ) -> list[ChatCompletionMessageParam]:
        clean: Callable[[str], str] = redact if self.redact else str
        payload: list[ChatCompletionMessageParam] = [{"role": "system", "content": clean(system)}]
        for message in messages:
            if message.role == "user":
                payload.append({"role": "user", "content": clean(message.content)})
            else:
                payload.append({"role": "assistant", "content": clean(message.content)})
        return payload

    def _send(
        self,
        payload: list[ChatCompletionMessageParam],
        response_format: ResponseFormat | None,
        temperature: float | None,
        max_tokens: int | None,
    ) -> ChatReply:
        self.attempts += 1
        try:
            completion = self._client.chat.completions.create(
                model=self.model,
                messages=payload,
                response_format=openai.omit if response_format is None else response_format,
                temperature=openai.omit if temperature is None else temperature,
                max_tokens=openai.omit if max_tokens is None else max_tokens,
            )
        except openai.APITimeoutError as error:
            raise ProviderError("timed out", transient=True) from error
        except openai.APIConnectionError as error:
            raise ProviderError("connection failed", transient=True) from error
        except openai.APIStatusError as error:
            raise _status_error(error) from error
        except openai.OpenAIError as error:
            raise ProviderError(f"unusable response ({type(error).__name__})") from error
        if not completion.choices:
            raise ProviderError("reply had no choices")
        choice = completion.choices[0]
        self.answered_by = completion.model or None
        return ChatReply(
            content=choice.message.content,
            model=completion.model or self.model,
            finish_reason=choice.finish_reason,
            refusal=choice.message.refusal,
        )


class OfflineProvider:
    """Runs the caller's deterministic offline behaviour; never touches the network."""

    name = "offline"
    model = "offline"

    def run(self, behaviour: Callable[[], T]) -> T:
        return behaviour()


def _status_error(error: openai.APIStatusError) -> ProviderError:
    status = error.status_code
    # 408 is the server's own timeout; 429 and 5xx are load or outages.
    transient = status in (408, 429) or status >= 500
    return ProviderError(
        f"HTTP {status}",
        status=status,
        transient=transient,
        retry_after=_retry_after(error.response.headers) if transient else None,
    )


def _retry_after(headers: Mapping[str, str]) -> float | None:
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return max(0.0, float(value) * scale)
        except ValueError:
            # An HTTP date instead of seconds: fall back to our own backoff.
            return None
    return None


def _backoff(retry: int, retry_after: float | None) -> float:
    if retry_after is not None:
        return min(retry_after, BACKOFF_MAX_SECONDS)
    delay = BACKOFF_BASE_SECONDS * 2**retry
    # Jitter spreads out workers that failed together; it protects no secret.
    return min(delay * random.uniform(0.5, 1.0), BACKOFF_MAX_SECONDS)  # noqa: S311
