"""The AI moderator: after an answer, probe with one neutral follow-up, or move on.

Public API (agreed with the interviews services, see `decide`):

- `Exchange`, `ProbeContext`, `ProbeDecision` and `decide(context)`.

With a model configured (`OPENAI_API_KEY`), `decide` asks it through `llm.client`
for structured output `{probe, followup, reason}`; the respondent's words go in
only as untrusted data (`quote_untrusted`). Whatever the model says is checked
here before a respondent sees it (`check_followup`: one question, no URL, no
trace of the instructions, at most 300 characters, in the study's language);
a reply that fails, a timeout or an error gives the offline decision instead,
marked `moderator="fallback"` with the reason.

Without a model, the offline moderator decides: it judges the latest answer
with `interviews.quality.signals` and asks a templated follow-up anchored in the
respondent's own words, per situation (an evasive or vague answer, a reason
without an example, a scale score, a choice), in English or German.

Both obey the same rules: at most `question.probe_max_followups` follow-ups,
structured questions only when the study allows it, no follow-up once the
answer holds a concrete reason or example.

Modules: `context` (the interface's types), `offline` (the templates), `model` (the
prompt and the checks of a model's follow-up); docs/moderator.md explains all three.
"""

from __future__ import annotations

from typing import Any, Final

from django.conf import settings

from interviews.moderator.context import (
    MAX_FOLLOWUP,
    MAX_REASON,
    OPEN_ENDED,
    Exchange,
    Moderator,
    ProbeContext,
    ProbeDecision,
    short,
)
from interviews.moderator.model import (
    RULES,
    SCHEMA,
    check_decision,
    check_followup,
    conversation,
    system_prompt,
)
from interviews.moderator.offline import offline_decision
from llm.client import Message, complete_json

__all__ = [
    "MAX_FOLLOWUP",
    "MAX_REASON",
    "RULES",
    "SCHEMA",
    "Exchange",
    "Moderator",
    "ProbeContext",
    "ProbeDecision",
    "check_followup",
    "conversation",
    "decide",
    "offline_decision",
    "system_prompt",
]

TASK: Final = "interviews.probe"
# A respondent waits for the next step while the model thinks: each attempt gets at most
# this long (or MOTIVE_LLM_TIMEOUT when shorter), then the offline probe answers.
RESPONDENT_WAIT_SECONDS = 6.0


def decide(context: ProbeContext) -> ProbeDecision:
    """Whether to ask a follow-up, and which. Never raises for model failures."""
    stop = _rule_stop(context)
    if stop:
        return ProbeDecision(probe=False, followup="", reason=stop, moderator="offline")
    offline = offline_decision(context)
    result = complete_json(
        task=TASK,
        system=system_prompt(context),
        messages=[Message(role="user", content=conversation(context))],
        schema=SCHEMA,
        fallback=lambda: _as_data(offline),
        temperature=0.2,
        max_tokens=300,
        timeout=min(float(settings.MOTIVE_LLM_TIMEOUT), RESPONDENT_WAIT_SECONDS),
    )
    if result.provider == "offline":
        if result.fell_back:
            return _fallback(offline, result.reason or "the model failed")
        return offline
    problem = check_decision(result.data, context)
    if problem:
        return _fallback(offline, f"the model's follow-up was rejected: {problem}")
    probe = bool(result.data["probe"])
    return ProbeDecision(
        probe=probe,
        followup=" ".join(str(result.data["followup"]).split()) if probe else "",
        reason=short(str(result.data["reason"])) or ("probing" if probe else "enough said"),
        moderator="model",
    )


def _rule_stop(context: ProbeContext) -> str:
    """The rules both moderators follow, checked before anyone is asked."""
    limit = context.question.probe_max_followups
    if limit <= 0:
        return "this question is not probed"
    if len(context.exchanges) - 1 >= limit:
        return f"follow-up limit reached ({limit})"
    if not context.exchanges:
        return "nothing answered yet"
    if context.question.type != OPEN_ENDED and not context.probe_structured:
        return "structured questions are not probed in this study"
    return ""


def _fallback(offline: ProbeDecision, why: str) -> ProbeDecision:
    return ProbeDecision(
        probe=offline.probe,
        followup=offline.followup,
        reason=offline.reason,
        moderator="fallback",
        fallback_reason=short(why),
    )


def _as_data(decision: ProbeDecision) -> dict[str, Any]:
    return {"probe": decision.probe, "followup": decision.followup, "reason": decision.reason}
