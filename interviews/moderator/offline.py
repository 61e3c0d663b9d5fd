"""The offline moderator: deterministic follow-ups anchored in the respondent's own words.

It judges the latest answer with `interviews.quality.signals` and, when the answer has no
concrete reason or example, asks a templated follow-up per situation (evasive, vague, a
reason without an example, short; a scale score, a choice, a ranking, a yes/no), in
English or German ("du" for a friendly German study, else "Sie").
"""

from __future__ import annotations

import re
from typing import Any, Final

from interviews.moderator.context import MAX_FOLLOWUP, OPEN_ENDED, ProbeContext, ProbeDecision
from interviews.quality import TextSignals, is_informative, signals

_TEMPLATES: Final[dict[str, dict[str, str]]] = {
    "en": {
        "evasive": "Take your time. What is the first thing that comes to mind about it, "
        "even if it seems small?",
        "vague": 'You said "{quote}". What do you mean by that, in your own situation?',
        "reason": 'You said "{quote}". Can you describe a specific time when that happened?',
        "short": 'You said "{quote}". Can you tell me more about that?',
        "again": "Could you walk me through the last time this came up, step by step?",
        "scale_up": "You chose {value}. What would need to change for you to rate it {next}?",
        "scale_top": "You chose {value}. What makes you rate it {value}?",
        "choice": 'You chose "{option}". What drove that choice?',
        "choices": 'You chose "{option}" and {more} more. What drove those choices?',
        "ranking": 'You put "{option}" first. What made it come out on top?',
        "yes": 'You answered "yes". What is behind that answer?',
        "no": 'You answered "no". What is behind that answer?',
    },
    "de": {
        "evasive": "Lassen Sie sich Zeit. Was fällt Ihnen als Erstes dazu ein, "
        "auch wenn es nur eine Kleinigkeit ist?",
        "vague": 'Sie sagten „{quote}". Was meinen Sie damit, in Ihrer eigenen Situation?',
        "reason": 'Sie sagten „{quote}". Können Sie eine konkrete Situation beschreiben, '
        "in der das so war?",
        "short": 'Sie sagten „{quote}". Können Sie mehr darüber erzählen?',
        "again": "Könnten Sie Schritt für Schritt erzählen, wie es beim letzten Mal war?",
        "scale_up": "Sie haben {value} gewählt. Was müsste sich ändern, damit Sie {next} "
        "geben würden?",
        "scale_top": "Sie haben {value} gewählt. Was bringt Sie dazu, {value} zu geben?",
        "choice": 'Sie haben „{option}" gewählt. Was hat Ihre Wahl bestimmt?',
        "choices": 'Sie haben „{option}" und {more} weitere gewählt. Was hat Ihre Wahl bestimmt?',
        "ranking": 'Sie haben „{option}" an die erste Stelle gesetzt. Was gab den Ausschlag?',
        "yes": 'Sie haben mit „Ja" geantwortet. Was steckt hinter dieser Antwort?',
        "no": 'Sie haben mit „Nein" geantwortet. Was steckt hinter dieser Antwort?',
    },
}
# A friendly German study says "du"; the others say "Sie".
_DU: Final = (
    ("Lassen Sie sich", "Lass dir"),
    ("fällt Ihnen", "fällt dir"),
    ("Sie sagten", "Du hast gesagt"),
    ("meinen Sie", "meinst du"),
    ("in Ihrer eigenen", "in deiner eigenen"),
    ("Können Sie", "Kannst du"),
    ("Könnten Sie", "Könntest du"),
    ("Sie haben", "Du hast"),
    ("damit Sie", "damit du"),
    ("für Sie", "für dich"),
    ("bringt Sie", "bringt dich"),
    ("Ihre Wahl", "deine Wahl"),
    ("geben würden", "geben würdest"),
)
MAX_QUOTE_WORDS: Final = 8
MAX_QUOTE_CHARS: Final = 80
_URLISH_RE: Final = re.compile(r"(?:https?://|www\.)\S*|\S+\.(?:com|net|org|io|de)\S*", re.I)


def offline_decision(context: ProbeContext) -> ProbeDecision:
    """The deterministic moderator (assumes `_rule_stop` passed)."""
    language = context.language if context.language in _TEMPLATES else "en"
    latest = context.exchanges[-1].answer
    first_turn = len(context.exchanges) == 1
    if first_turn and context.question.type != OPEN_ENDED:
        return _structured_probe(context, language)
    found = signals(latest, language)
    if is_informative(found):
        return ProbeDecision(
            probe=False, followup="", reason=_enough_reason(found), moderator="offline"
        )
    situation, quote = _situation(found, latest, first_turn)
    followup = _render(language, context.tone, situation, quote=quote)
    asked = {" ".join(exchange.asked.split()) for exchange in context.exchanges}
    if followup in asked:
        situation, followup = "again", _render(language, context.tone, "again")
    if followup in asked:
        # Asking the same thing twice helps nobody; move on.
        return ProbeDecision(
            probe=False, followup="", reason="no new follow-up to ask", moderator="offline"
        )
    return ProbeDecision(
        probe=True, followup=followup, reason=_SITUATION_REASONS[situation], moderator="offline"
    )


_SITUATION_REASONS: Final = {
    "evasive": "the answer gives nothing to go on",
    "vague": "the answer is vague",
    "reason": "a reason without an example",
    "short": "the answer is short and general",
    "again": "still no concrete example",
}


def _enough_reason(found: TextSignals) -> str:
    if found.concrete_reason:
        return "the answer gives a concrete reason"
    if found.has_example:
        return "the answer gives an example"
    return "the answer is concrete"


def _situation(found: TextSignals, answer: str, first_turn: bool) -> tuple[str, str]:
    if found.evasive:
        return "evasive", ""
    if found.has_reason and found.reason_phrase:
        return "reason", _quote(found.reason_phrase)
    if found.vague_phrases:
        return "vague", _quote(found.vague_phrases[0])
    quote = _quote(answer)
    if not first_turn or not quote:
        return "again", ""
    return "short", quote


def _structured_probe(context: ProbeContext, language: str) -> ProbeDecision:
    qtype, value = context.question.type, context.value
    config = context.question.config
    if qtype == "scale" and isinstance(value, int | float) and not isinstance(value, bool):
        top = config.get("max")
        shown = _number(value)
        if top is not None and value < top:
            text = _render(language, context.tone, "scale_up", value=shown, next=_number(value + 1))
        else:
            text = _render(language, context.tone, "scale_top", value=shown)
        reason = "a score without a reason"
    elif qtype == "yes_no" and isinstance(value, bool):
        text = _render(language, context.tone, "yes" if value else "no")
        reason = "a yes/no without a reason"
    else:
        other = value.get("other") if isinstance(value, dict) else None
        if isinstance(other, str) and is_informative(signals(other, language)):
            return ProbeDecision(
                probe=False,
                followup="",
                reason="the answer gives a concrete reason",
                moderator="offline",
            )
        options = _chosen(value)
        if not options:
            return ProbeDecision(
                probe=False, followup="", reason="no answer to probe", moderator="offline"
            )
        key = "ranking" if qtype == "ranking" else "choices" if len(options) > 1 else "choice"
        text = _render(
            language,
            context.tone,
            key,
            option=_quote(options[0]),
            more=str(len(options) - 1),
        )
        reason = "a choice without a reason"
    return ProbeDecision(probe=True, followup=text, reason=reason, moderator="offline")


def _chosen(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [str(value.get("other", ""))] if value.get("other") else []
    if isinstance(value, list):
        return [str(v) for v in value if str(v).strip()]
    if isinstance(value, str) and value.strip():
        return [value]
    return []


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _render(language: str, tone: str, situation: str, **values: str) -> str:
    text = _TEMPLATES[language][situation].format(**values)
    if language == "de" and tone == "friendly":
        for formal, familiar in _DU:
            text = text.replace(formal, familiar)
    return text if len(text) <= MAX_FOLLOWUP else _TEMPLATES[language]["again"]


def _quote(text: str) -> str:
    """The respondent's own words, safe to echo: one clause, no URL, no quotes or '?'."""
    text = _URLISH_RE.sub(" ", text)
    text = re.sub(r"[\"“”„«»?\uff1f<>{}\[\]]", " ", text)
    clause = re.split(r"[.!;\n]", text.strip(), maxsplit=1)[0]
    words = clause.split()[:MAX_QUOTE_WORDS]
    quote = " ".join(words).strip(" ,:-\u2013")
    if len(quote) > MAX_QUOTE_CHARS:
        quote = quote[:MAX_QUOTE_CHARS].rsplit(" ", 1)[0]
    return quote
