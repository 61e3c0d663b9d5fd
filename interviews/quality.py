"""How much an answer says, and whether an interview can be trusted.

Public API:

- `informativeness(text, language)` → 0..1: concreteness of one answer. It rises
  with numbers, named things, a concrete reason ("because ..."), an example ("for
  example", "when I ..."), a comparison ("than", "instead of") and the number of
  content words; it falls with vagueness and evasion ("idk", "it was ok",
  "nothing really", "just looking") and very short answers.
- `signals(text, language)` → `TextSignals`: the parts of that judgement, which the
  offline moderator (`interviews.moderator`) uses to pick its follow-up.
- `assess(answers, language)` → `Assessment`: the flags of one interview
  (`straight_lining`, `gibberish`, `copy_paste`, `too_fast`, `low_information`),
  whether it is low quality (excluded from reports by default) and its score.

Deterministic, no I/O, no models: cheap enough to run on every answer turn.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

# --- vocabulary --------------------------------------------------------------------

_WORD_RE: Final = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)?", re.UNICODE)
_LINK_RE: Final = re.compile(r"(?:[a-z][a-z0-9+.-]*://|www\.)\S*", re.IGNORECASE)
_NUMBER_RE: Final = re.compile(r"\d")
# How often, how much or when, in words: as concrete as a number.
_FREQUENCY_RE: Final = re.compile(
    r"\b(?:every (?:day|week|month|morning|evening|time)|daily|weekly|monthly|"
    r"once a|twice a|(?:one|two|three|four|five|six|ten|a few) "
    r"(?:times|days|weeks|months|years|hours|minutes)|"
    r"jeden (?:tag|morgen|abend|monat)|jede woche|täglich|wöchentlich|monatlich|einmal|zweimal|"
    r"(?:zwei|drei|vier|fünf|zehn) (?:mal|tage|wochen|monate|jahre|stunden|minuten)|"
    # A named day or month dates what happened.
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|"
    r"april|june|july|august|september|october|november|december|"
    r"montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|januar|februar|märz|"
    r"juni|juli|oktober|dezember)\b",
    re.IGNORECASE,
)
_SENTENCE_END_RE: Final = re.compile(r"[.!?;:]\s*$")


def _words_of(text: str) -> list[str]:
    return re.findall(r"\S+", text)


_STOPWORDS: Final = frozenset(
    _words_of(
        """
    a about above after again all also am an and any are as at be been before being both
    but by can could did do does doing done down during each even ever every few for
    from further get got had has have having he her here hers him his how i if in into
    is it its itself just know me more most much my myself no nor not now of off on once
    only or other our out over own quite rather really same she should so some something
    still such than that the their them then there these they thing things this those
    through to too under until up us very was we were what when where which while who
    whom why will with would you your yours yeah yes ok okay oh um uh well guess maybe
    kind sort stuff lot lots pretty actually basically probably sure think dont don't
    didn't doesn't isn't wasn't im i'm it's its i've i'd that's there's one way always
    never many use used using make made go went going want wanted like der die das den
    dem des ein eine einer eines einem einen und oder aber doch nicht kein keine ich du
    er sie es wir ihr mich mir dich dir uns euch sich mein meine dein deine sein seine
    ist bin bist sind war waren wird werden wurde hat habe haben hatte hatten zu zum zur
    im in an am auf aus bei mit nach von vor für über unter um so ja nein auch noch nur
    schon sehr mal halt eben eigentlich irgendwie also etwas was wie wo wer wann warum
    dass da dann denn wenn als ob man gut ganz okay naja na dies diese dieser dieses das
    alles viel viele mehr einfach gerade immer
        """
    )
)

# Words that fill an answer without saying anything concrete: not content words.
_GENERIC: Final = frozenset(
    _words_of(
        """
    different options option various general generally overall experience experiences
    needs need thinking going forward improve improved improvement better best nice
    useful helpful interesting important everything anything everyone someone somewhere
    somehow whole fit works work working change changes time times
    verschiedene verschiedenes sachen dinge ding allgemein insgesamt erfahrung bedarf
    besser beste wichtig interessant hilfreich nützlich alles irgendwas jemand
        """
    )
)

# Whole answers that say nothing: the respondent declined to answer.
_EVASION_PHRASES: Final = frozenset(
    {
        "idk",
        "dunno",
        "no idea",
        "not sure",
        "nothing",
        "none",
        "n/a",
        "na",
        "nope",
        "no comment",
        "pass",
        "whatever",
        "i don't know",
        "i dont know",
        "don't know",
        "dont know",
        "no clue",
        "can't say",
        "cant say",
        "nothing really",
        "not really",
        "nothing much",
        "nothing special",
        "no reason",
        "no particular reason",
        "just because",
        "weiß nicht",
        "weiss nicht",
        "keine ahnung",
        "nichts",
        "nix",
        "egal",
        "kein kommentar",
        "keine angabe",
        "ich weiß nicht",
        "ich weiss nicht",
        "weiß ich nicht",
        "kein grund",
        "einfach so",
        "nichts besonderes",
    }
)

# Phrases that sound like an answer but carry no information.
_VAGUE_RE: Final = re.compile(
    r"\b(?:"
    r"just (?:looking|browsing|checking|curious|because|wanted to see)|"
    r"it (?:was|is|'s|\u2019s) (?:ok|okay|fine|alright|good|nice|great|bad|so-so|whatever)|"
    r"(?:it )?(?:was|is) (?:ok|okay|fine|alright)|"
    r"ok(?:ay)?|fine|alright|so-so|good enough|not bad|pretty good|"
    r"nothing (?:really|much|special|in particular)|not (?:really|sure)|"
    r"no (?:idea|reason|particular reason)|i (?:don't|dont|do not) know|idk|dunno|"
    r"i guess|kind of|sort of|stuff like that|things like that|you know|"
    r"whatever|seemed (?:good|nice|fine|useful|interesting)|looked (?:good|nice|interesting)|"
    r"it depends|depends|various reasons|many reasons|everything|all of it|"
    r"war (?:ok|okay|gut|in ordnung|schon ok)|ganz (?:gut|ok|okay)|geht so|passt|"
    r"weiß (?:nicht|ich nicht)|weiss nicht|keine ahnung|nichts (?:besonderes|wirklich)|"
    r"nur (?:mal )?(?:geschaut|gucken|schauen|so)|einfach so|irgendwie|halt so|kommt drauf an"
    r")\b",
    re.IGNORECASE,
)

_CAUSAL_RE: Final = re.compile(
    r"\b(?:because|since|so that|due to|as a result|that's why|which is why|"
    r"the reason|in order to|otherwise|so we|so i|cause|"
    r"weil|da wir|da ich|damit|deshalb|deswegen|daher|wegen|aufgrund|sonst|"
    r"der grund|um zu)\b",
    re.IGNORECASE,
)
_EXAMPLE_RE: Final = re.compile(
    r"\b(?:for example|for instance|e\.g\.|such as|like when|like the time|"
    r"when i|when we|when my|when our|last (?:week|month|year|time|monday|tuesday|"
    r"wednesday|thursday|friday|weekend|quarter)|yesterday|the other day|once i|"
    r"zum beispiel|z\.\s?b\.|etwa|beispielsweise|als ich|als wir|wenn ich|wenn wir|"
    r"letzte (?:woche|mal)|letzten (?:monat|freitag|montag)|letztes jahr|gestern|neulich)",
    re.IGNORECASE,
)
_COMPARISON_RE: Final = re.compile(
    r"\b(?:than|instead of|compared (?:to|with)|rather than|unlike|versus|vs\.?|"
    r"better|worse|cheaper|faster|slower|easier|harder|more expensive|"
    r"als bei|statt|anstatt|im vergleich|besser|schlechter|günstiger|billiger|"
    r"schneller|langsamer|einfacher|teurer)\b",
    re.IGNORECASE,
)

# An answer that talks to the moderator instead of answering ("ignore all previous
# instructions"): prompt injection, treated as no answer.
_INSTRUCTION_RE: Final = re.compile(
    r"\b(?:ignore (?:all |any |the )?(?:previous|prior|above|earlier|your)|"
    r"disregard (?:all|any|the|your|previous)|system prompt|your (?:instructions|rules)|"
    r"you are now|act as|pretend (?:to be|you are)|developer mode|debug mode|jailbreak|"
    r"ignoriere (?:alle|die|deine|vorherige)|vergiss (?:alle|deine)|systemprompt|"
    r"deine anweisungen|du bist jetzt)\b",
    re.IGNORECASE,
)

# A text answer judged below this says too little to stand on its own.
INFORMATIVE: Final = 0.45


@dataclass(frozen=True)
class TextSignals:
    """What one answer contains; `score` is its informativeness."""

    words: int
    content_words: int
    has_number: bool
    named_things: int
    has_reason: bool  # a causal word ("because")
    concrete_reason: bool  # ... followed by content words of its own
    has_example: bool
    has_comparison: bool
    evasive: bool  # the whole answer declines to answer ("idk", "nothing")
    vague_phrases: tuple[str, ...]  # as typed, in order
    reason_phrase: str  # the words from the causal marker on, as typed ("" if none)
    score: float


def signals(text: str, language: str = "en") -> TextSignals:
    """Analyse one answer (any language; `language` tunes named-thing detection)."""
    # A link is not something the respondent said in words.
    clean = " ".join(_LINK_RE.sub(" ", text).split())
    words = _WORD_RE.findall(clean)
    content = [w for w in words if _is_content(w)]
    normalised = clean.lower().strip(" .!?,;:-\u2013…")
    vague = tuple(m.group() for m in _VAGUE_RE.finditer(clean))
    # Instructions addressed to the moderator answer nothing that was asked.
    evasive = (
        normalised in _EVASION_PHRASES
        or not (content or vague)
        or bool(_INSTRUCTION_RE.search(clean))
    )
    reason_match = _CAUSAL_RE.search(clean)
    reason_phrase = ""
    concrete_reason = False
    if reason_match:
        reason_phrase = _phrase_from(clean, reason_match.start())
        after = _WORD_RE.findall(clean[reason_match.end() :])
        after_content = [w for w in after if _is_content(w)]
        vague_after = _VAGUE_RE.findall(clean[reason_match.end() :])
        concrete_reason = len(after_content) >= 3 or (len(after_content) >= 2 and not vague_after)
    has_example = bool(_EXAMPLE_RE.search(clean)) and len(content) >= 3
    found = TextSignals(
        words=len(words),
        content_words=len(content),
        has_number=bool(_NUMBER_RE.search(clean) or _FREQUENCY_RE.search(clean)),
        named_things=_named_things(clean, language),
        has_reason=bool(reason_match),
        concrete_reason=concrete_reason,
        has_example=has_example,
        has_comparison=bool(_COMPARISON_RE.search(clean)) and len(content) >= 2,
        evasive=evasive,
        vague_phrases=vague,
        reason_phrase=reason_phrase,
        score=0.0,
    )
    return _scored(found)


def informativeness(text: str, language: str = "en") -> float:
    """0 (says nothing) .. 1 (concrete: reasons, examples, numbers, named things)."""
    return signals(text, language).score


def is_informative(found: TextSignals) -> bool:
    """Enough to stop probing: a concrete reason or example, or a rich answer overall."""
    if found.evasive:
        return False
    if found.concrete_reason or found.has_example:
        return True
    return found.score >= INFORMATIVE


def _scored(found: TextSignals) -> TextSignals:
    if found.evasive:
        return _with_score(found, 0.0)
    score = min(found.content_words, 8) / 8 * 0.45
    score += 0.15 if found.has_number else 0.0
    score += min(found.named_things, 2) * 0.12
    score += 0.3 if found.concrete_reason else (0.05 if found.has_reason else 0.0)
    score += 0.3 if found.has_example else 0.0
    score += 0.15 if found.has_comparison else 0.0
    score -= min(len(found.vague_phrases), 2) * 0.15
    if found.words < 4 and not (found.has_number or found.named_things):
        score = min(score, 0.2)
    return _with_score(found, round(max(0.0, min(1.0, score)), 3))


def _with_score(found: TextSignals, score: float) -> TextSignals:
    return TextSignals(**{**found.__dict__, "score": score})


def _is_content(word: str) -> bool:
    lower = word.lower()
    # Acronyms count: "IT", "HR", "UI" name things.
    acronym = len(word) >= 2 and word.isupper()
    return (
        (len(lower) >= 3 or lower.isdigit() or acronym)
        and lower not in _STOPWORDS
        and lower not in _GENERIC
    )


def _named_things(text: str, language: str) -> int:
    """Capitalised words that do not start a sentence: product, brand and place names.

    German capitalises every noun, so there only words with inner capitals or
    digits (`iPhone`, `SAP`, `M365`) count as names.
    """
    count = 0
    sentence_start = True
    for match in re.finditer(r"\S+", text):
        token = match.group().strip("\"'()[]“”„«»,")
        word = _WORD_RE.match(token)
        if word and not sentence_start and word.group().lower() not in ("i", "i'm", "i\u2019m"):
            name = word.group()
            if language == "de":
                if sum(c.isupper() for c in name) >= 2 or (
                    any(c.isdigit() for c in name) and any(c.isalpha() for c in name)
                ):
                    count += 1
            elif name[0].isupper() or (name.isupper() and len(name) >= 2):
                count += 1
        sentence_start = bool(_SENTENCE_END_RE.search(match.group()))
    return count


def _phrase_from(text: str, start: int, max_words: int = 8) -> str:
    """Up to `max_words` words of `text` from `start`, stopping at the end of the clause."""
    rest = re.split(r"[.!?;\n]", text[start:], maxsplit=1)[0]
    return " ".join(rest.split()[:max_words]).strip(" ,")


# --- one interview -----------------------------------------------------------------

TEXT_TYPES: Final = ("open_ended", "followup")
SCALE: Final = "scale"
# Below these, a step was answered faster than it can be read (structured) or
# typed (text, per character); copy-pasted text trips the second.
MIN_SECONDS_STRUCTURED: Final = 1.5
MIN_SECONDS_TEXT: Final = 2.0
MAX_TYPED_CHARS_PER_SECOND: Final = 12.0
# Text at least this long appearing twice is pasted, not typed twice.
COPY_PASTE_MIN_CHARS: Final = 40
LOW_INFORMATION: Final = 0.25

FLAGS: Final = ("straight_lining", "gibberish", "copy_paste", "too_fast", "low_information")
# Any of these alone makes an interview low quality; the others need company.
SEVERE: Final = frozenset({"gibberish", "copy_paste"})


@dataclass(frozen=True)
class AnswerFacts:
    """One answered step as quality needs it.

    `question_type` is the question's type, or "followup" for an answer to a
    follow-up; `text` is the answer rendered as text; `seconds` is the time from
    showing the step to the answer (None when unknown); `prompt` is what was
    asked (optional: it lets pasted question text be recognised).
    """

    question_type: str
    value: Any
    text: str
    seconds: float | None
    prompt: str = ""


@dataclass(frozen=True)
class Assessment:
    flags: list[str]
    # Excluded from reports by default; the researcher may include it again.
    low_quality: bool
    # Mean informativeness of the text answers, 0..1 (0 when there are none).
    score: float


def assess(answers: Sequence[AnswerFacts], language: str = "en") -> Assessment:
    """Flag one interview's answers (see FLAGS); low quality = a severe flag or two flags."""
    texts = [a for a in answers if a.question_type in TEXT_TYPES and a.text.strip()]
    scores = [informativeness(a.text, language) for a in texts]
    flags: list[str] = []
    if _straight_lining(answers):
        flags.append("straight_lining")
    if _gibberish(texts):
        flags.append("gibberish")
    if _copy_paste(texts):
        flags.append("copy_paste")
    if _too_fast(answers):
        flags.append("too_fast")
    if len(texts) >= 2 and statistics.fmean(scores) < LOW_INFORMATION:
        flags.append("low_information")
    low = bool(SEVERE.intersection(flags)) or len(flags) >= 2
    score = round(statistics.fmean(scores), 3) if scores else 0.0
    return Assessment(flags=flags, low_quality=low, score=score)


def _straight_lining(answers: Sequence[AnswerFacts]) -> bool:
    """Three or more scale answers, all the same value."""
    values = [repr(a.value) for a in answers if a.question_type == SCALE and a.value is not None]
    return len(values) >= 3 and len(set(values)) == 1


def _gibberish(texts: Sequence[AnswerFacts]) -> bool:
    """At least one text answer, and a third or more of them, is keyboard noise."""
    noisy = sum(1 for a in texts if is_gibberish(a.text))
    return noisy >= 1 and noisy * 3 >= len(texts)


_VOWELS: Final = set("aeiouyäöüáéíóúàèìòùâêîôû")
_KEYBOARD_RUNS: Final = (
    "qwertyuiop",
    "asdfghjkl",
    "yxcvbnm",
    "zxcvbnm",
    "qwertzuiop",
    "1234567890",
)


def is_gibberish(text: str) -> bool:
    """Keyboard mashing: words without vowels, long consonant runs, repeated letters."""
    letters = [w.lower() for w in _WORD_RE.findall(text) if w.isalpha()]
    if not letters:
        # Only digits or punctuation where words were asked for.
        return bool(text.strip()) and not any(c.isdigit() for c in text)
    odd = 0
    for word in letters:
        if _odd_word(word):
            odd += 1
    return odd * 2 >= len(letters) and odd >= 1


def _odd_word(word: str) -> bool:
    if len(word) <= 3:
        return False
    vowels = sum(1 for c in word if c in _VOWELS)
    if vowels == 0 or vowels / len(word) < 0.2:
        return True
    if re.search(r"(.)\1{3,}", word):
        return True
    if re.search(r"[^aeiouyäöü\W\d]{5,}", word) and not word.startswith(("sch", "str")):
        return True
    return any(len(word) >= 4 and word in run for run in _KEYBOARD_RUNS) or any(
        run[i : i + 4] in word for run in _KEYBOARD_RUNS for i in range(len(run) - 3)
    )


def _normalise(text: str) -> str:
    return " ".join(_WORD_RE.findall(text.lower()))


def _copy_paste(texts: Sequence[AnswerFacts]) -> bool:
    """The same long text in two answers, or an answer that repeats what was asked."""
    long = [_normalise(a.text) for a in texts if len(a.text.strip()) >= COPY_PASTE_MIN_CHARS]
    if any(count >= 2 for count in Counter(long).values()):
        return True
    for answer in texts:
        asked = _normalise(answer.prompt)
        said = _normalise(answer.text)
        if len(asked) >= 20 and (said == asked or (len(said) < len(asked) * 1.5 and asked in said)):
            return True
    return False


def _too_fast(answers: Sequence[AnswerFacts]) -> bool:
    """Half or more of at least three timed steps went faster than reading or typing allows."""
    timed = [a for a in answers if a.seconds is not None]
    if len(timed) < 3:
        return False
    fast = sum(1 for a in timed if _step_too_fast(a))
    return fast * 2 >= len(timed)


def _step_too_fast(answer: AnswerFacts) -> bool:
    seconds = float(answer.seconds or 0.0)
    if answer.question_type in TEXT_TYPES:
        typed = len(answer.text.strip()) / MAX_TYPED_CHARS_PER_SECOND
        return seconds < max(MIN_SECONDS_TEXT, typed)
    return seconds < MIN_SECONDS_STRUCTURED
