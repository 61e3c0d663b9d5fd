"""The executive summary: who was heard, then the largest differences that are not chance.

Written by the model when one is configured (`model_summary`): it gets the report's
significant findings and candidate quotes, and must cite quotes by number; the
generator checks every citation verbatim against the answers, and a summary with any
citation that fails is replaced by the offline one (a claim would have lost its
evidence). Either way the text opens with who was heard and who was excluded.

Composed offline from the report's own tests: it states n per segment and what
was excluded, then the significant differences (q below alpha, no small
samples) in order of effect size, each in the plain words of its test; a
theme's claim cites a quote of the leading segment. Every citation is checked
to be a verbatim substring of an answer of the interview it names, and a
claim whose quote fails keeps its words but loses the citation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from llm.client import UNTRUSTED_TEXT_RULE, Message, complete_json, quote_untrusted
from reports.themes import verified

MAX_FINDINGS: Final = 5


def sample_sentence(segments: Sequence[Mapping[str, Any]]) -> str:
    """ "Based on 150 completed interviews with Power users and 148 with Trialists; ..."."""
    parts = [f"{segment['completed']} with {segment['name']}" for segment in segments]
    excluded = sum(int(segment.get("excluded") or 0) for segment in segments)
    total = sum(int(segment["completed"]) for segment in segments)
    text = f"Based on {total} completed interviews: {', '.join(parts)}"
    if excluded:
        text += f"; {excluded} more were excluded as low quality"
    else:
        text += "; none were excluded"
    return text + "."


def compose_summary(
    segments: Sequence[Mapping[str, Any]],
    questions: Sequence[Mapping[str, Any]],
    themes: Sequence[Mapping[str, Any]],
    sources: Mapping[str, Sequence[str]],
) -> dict[str, Any]:
    """`{"text", "citations": [{"text", "interview"}]}`; citations are numbered [1], [2] …"""
    findings = [(test, None) for question in questions for test in _significant(question)] + [
        (test, theme) for theme in themes for test in _significant(theme)
    ]
    findings.sort(key=lambda finding: -abs(finding[0].get("effect_size") or 0.0))
    sentences = [sample_sentence(segments)]
    citations: list[dict[str, str]] = []
    for test, theme in findings[:MAX_FINDINGS]:
        sentence = test["sentence"]
        quote = _leading_quote(test, theme, sources)
        if quote is not None:
            citations.append(quote)
            sentence = f"{sentence.rstrip('.')} [{len(citations)}]."
        sentences.append(sentence)
    if not findings:
        sentences.append(
            "No difference between the segments is both large enough and certain enough to report."
        )
    return {"text": " ".join(sentences), "citations": citations}


def _significant(result: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    tests = list(result.get("option_tests", {}).values()) or [result.get("test")]
    return [test for test in tests if test and test.get("significant")]


def _leading_quote(
    test: Mapping[str, Any],
    theme: Mapping[str, Any] | None,
    sources: Mapping[str, Sequence[str]],
) -> dict[str, str] | None:
    if theme is None:
        return None
    quotes = verified(theme["quotes"].get(str(test["leader"]), []), sources)
    return quotes[0] if quotes else None


SUMMARY_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "properties": {
        "text": {"type": "string"},
        "citations": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"text": {"type": "string"}, "interview": {"type": "string"}},
                "required": ["text", "interview"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["text", "citations"],
    "additionalProperties": False,
}
SUMMARY_SYSTEM: Final = (
    "You write the executive summary of a research report comparing customer segments. "
    "Use only the findings given: state the largest differences first, in plain words, and "
    "never claim a difference that is not listed as significant. Support claims about what "
    "people said with quotes copied exactly from the candidates, marked [1], [2] ... in the "
    "text in the order of `citations`. At most 120 words. " + UNTRUSTED_TEXT_RULE
)


def _findings(
    questions: Sequence[Mapping[str, Any]], themes: Sequence[Mapping[str, Any]]
) -> list[str]:
    found = [test for question in questions for test in _significant(question)]
    found += [test for theme in themes for test in _significant(theme)]
    found.sort(key=lambda test: -abs(test.get("effect_size") or 0.0))
    return [test["sentence"] for test in found[: 2 * MAX_FINDINGS]]


def model_summary(
    segments: Sequence[Mapping[str, Any]],
    questions: Sequence[Mapping[str, Any]],
    themes: Sequence[Mapping[str, Any]],
    sources: Mapping[str, Sequence[str]],
) -> dict[str, Any]:
    """The model's summary with verified citations, or the offline one when it fails."""
    offline = compose_summary(segments, questions, themes, sources)
    candidates = [
        quote for theme in themes for quotes in theme["quotes"].values() for quote in quotes
    ][:30]
    quotes = "\n".join(
        f"Interview {quote['interview']}: {quote_untrusted(quote['text'], 'quote')}"
        for quote in candidates
    )
    content = (
        f"{sample_sentence(segments)}\n\nSignificant findings:\n"
        + "\n".join(f"- {finding}" for finding in _findings(questions, themes))
        + f"\n\nCandidate quotes:\n{quotes}"
    )
    result = complete_json(
        task="reports.summary",
        system=SUMMARY_SYSTEM,
        messages=[Message(role="user", content=content)],
        schema=SUMMARY_SCHEMA,
        fallback=lambda: offline,
    )
    if result.provider == "offline":
        return offline
    citations = result.data["citations"]
    kept = verified(citations, sources)
    if len(kept) != len(citations) or not result.data["text"].strip():
        return offline
    return {"text": f"{sample_sentence(segments)} {result.data['text'].strip()}", "citations": kept}
