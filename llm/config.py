"""The LLM settings, read from Django settings when a call is made (never at import)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class LlmSettings:
    api_key: str
    base_url: str | None
    model: str
    timeout_seconds: float
    max_retries: int
    redact: bool

    @property
    def online(self) -> bool:
        return bool(self.api_key)


def current_settings() -> LlmSettings:
    return LlmSettings(
        api_key=settings.OPENAI_API_KEY,
        base_url=settings.OPENAI_BASE_URL or None,
        model=settings.MOTIVE_LLM_MODEL,
        timeout_seconds=float(settings.MOTIVE_LLM_TIMEOUT),
        max_retries=max(0, int(settings.MOTIVE_LLM_MAX_RETRIES)),
        redact=bool(settings.MOTIVE_LLM_REDACT),
    )
