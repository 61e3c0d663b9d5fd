"""Themes with a model, through `llm/`: induce a codebook, code every answer, trust nothing.

1. A seeded sample of open answers goes to the model, which proposes a
   codebook: label, description, inclusion rule and kind of each theme.
2. Answers are coded in batches against that codebook with structured output;
   each code names the interview, the theme and the span of the answer that
   supports it.
3. Every code is verified before it counts: the interview must be one of the
   batch, the theme one of the codebook, and the span an exact substring of
   that interview's answers. Whatever fails (a paraphrased or invented quote,
   a citation of an interview that was never sent) is dropped.

Respondents' words enter prompts only through `quote_untrusted`. When the
model fails (no key, errors, unusable output) `model_codings` returns None and
the report falls back to the offline analyzer, so a report never half-codes.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Mapping, Sequence
from typing import Any, Final

from llm.client import UNTRUSTED_TEXT_RULE, LlmError, Message, complete_json, quote_untrusted
from reports.themes import Coding, OpenAnswer, Theme, texts_by_interview

logger = logging.getLogger(__name__)

SAMPLE_SIZE: Final = 60
BATCH_SIZE: Final = 25
MAX_THEMES: Final = 8
KINDS: Final = ["motivation", "barrier", "unmet_need"]

CODEBOOK_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "properties": {
        "themes": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "label": {"type": "string"},
                    "description": {"type": "string"},
                    "inclusion": {"type": "string"},
                    "kind": {"type": "string", "enum": KINDS},
                },
                "required": ["label", "description", "inclusion", "kind"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["themes"],
    "additionalProperties": False,
}
CODES_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "properties": {
        "codes": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "interview": {"type": "string"},
                    "theme": {"type": "string"},
                    "span": {"type": "string"},
                },
                "required": ["interview", "theme", "span"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["codes"],
    "additionalProperties": False,
}

CODEBOOK_SYSTEM: Final = (
    "You are a qualitative researcher. From the interview answers given, propose a "
    f"codebook of at most {MAX_THEMES} themes: for each a short label, a one-sentence "
    "description, an inclusion rule saying when an answer shows the theme, and its kind: "
    "motivation (why people act), barrier (what stops them) or unmet_need (what they lack). "
    + UNTRUSTED_TEXT_RULE
)
CODING_SYSTEM: Final = (
    "You are a qualitative researcher coding interview answers against a codebook. For "
    "each answer that shows a theme, return the interview id, the theme's label exactly "
    "as in the codebook, and the span: the shortest passage copied character for "
    "character from the answer that supports the code. Never paraphrase a span; code "
    "only the interviews given. " + UNTRUSTED_TEXT_RULE
)


def model_codings(
    answers: Sequence[OpenAnswer], *, seed: int = 0
) -> tuple[list[Theme], list[Coding]] | None:
    """The codebook and the verified codes, or None when the model could not deliver."""
    if not answers:
        return [], []
    try:
        codebook = induce_codebook(_sample(answers, seed))
        codings: list[Coding] = []
        for start in range(0, len(answers), BATCH_SIZE):
            codings.extend(code_answers(answers[start : start + BATCH_SIZE], codebook))
    except LlmError:
        logger.warning("model coding failed; the report uses the offline analyzer")
        return None
    return codebook, codings


def _sample(answers: Sequence[OpenAnswer], seed: int) -> list[OpenAnswer]:
    if len(answers) <= SAMPLE_SIZE:
        return list(answers)
    return random.Random(seed).sample(list(answers), SAMPLE_SIZE)  # noqa: S311  (a sample, no secret)


def _answers_block(answers: Sequence[OpenAnswer]) -> str:
    return "\n".join(
        f"Interview {answer.interview}:\n{quote_untrusted(answer.text, 'answer')}"
        for answer in answers
    )


def induce_codebook(sample: Sequence[OpenAnswer]) -> list[Theme]:
    """The model's codebook for `sample` (labels made unique; at most MAX_THEMES)."""
    result = complete_json(
        task="reports.codebook",
        system=CODEBOOK_SYSTEM,
        messages=[Message(role="user", content=_answers_block(sample))],
        schema=CODEBOOK_SCHEMA,
    )
    themes: list[Theme] = []
    seen: set[str] = set()
    for entry in result.data["themes"][:MAX_THEMES]:
        label = entry["label"].strip()
        if not label or label in seen:
            continue
        seen.add(label)
        description = f"{entry['description'].strip()} ({entry['inclusion'].strip()})"
        themes.append(Theme(label=label, description=description, kind=entry["kind"]))
    if not themes:
        raise LlmError("reports.codebook", "the model proposed no themes")
    return themes


def code_answers(batch: Sequence[OpenAnswer], codebook: Sequence[Theme]) -> list[Coding]:
    """The verified codes of one batch of answers."""
    book = [
        {"label": theme.label, "description": theme.description, "kind": theme.kind}
        for theme in codebook
    ]
    content = f"Codebook:\n{json.dumps(book, ensure_ascii=False)}\n\n{_answers_block(batch)}"
    result = complete_json(
        task="reports.code",
        system=CODING_SYSTEM,
        messages=[Message(role="user", content=content)],
        schema=CODES_SCHEMA,
    )
    return verified_codes(result.data["codes"], batch, codebook)


def verified_codes(
    codes: Sequence[Mapping[str, str]], batch: Sequence[OpenAnswer], codebook: Sequence[Theme]
) -> list[Coding]:
    """The codes whose interview was sent, theme is in the codebook and span is verbatim."""
    sources = texts_by_interview(batch)
    segment_of = {answer.interview: answer.segment for answer in batch}
    labels = {theme.label for theme in codebook}
    kept: list[Coding] = []
    seen: set[tuple[str, str, str]] = set()
    for code in codes:
        interview, theme, span = str(code["interview"]), code["theme"], code["span"].strip()
        key = (interview, theme, span)
        if (
            interview not in sources
            or theme not in labels
            or not span
            or not any(span in text for text in sources[interview])
            or key in seen
        ):
            continue
        seen.add(key)
        kept.append(Coding(interview, segment_of[interview], theme, span))
    dropped = len(codes) - len(kept)
    if dropped:
        logger.info("dropped %d of %d model codes that failed verification", dropped, len(codes))
    return kept
