"""The six question types: what a question may say, and what an answer to it may be.

Public API:

- `validate_questions(raw)` → `list[QuestionSpec]`: checks a study's question list as
  the API receives it (DESIGN.md "Studies") and returns it normalised (defaults filled,
  options trimmed). Every error is a `QuestionError` whose message starts with the
  path of the offending part, e.g. `questions[2].options[1]: ...`.
- `meaning_changes(old, new)` / `wording_changes(old, new)`: which fields of a question
  changed, split into those that change what an answer means and mere wording.
- `validate_answer(spec, value)` → the answer in stored form, or `AnswerError` with a
  message a respondent can act on ("Choose at most 2 options.").
- `show_if_matches(show_if, answers)`: whether a branching condition holds.

The module imports no models: interviews and reports read it through `Question.as_spec()`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Final

from django.db import models

from workspaces.services import ServiceError


class QuestionType(models.TextChoices):
    OPEN_ENDED = "open_ended", "Open-ended"
    SCALE = "scale", "Scale"
    SINGLE_CHOICE = "single_choice", "Single choice"
    MULTIPLE_CHOICE = "multiple_choice", "Multiple choice"
    RANKING = "ranking", "Ranking"
    YES_NO = "yes_no", "Yes / no"


MAX_QUESTIONS: Final = 100
MAX_OPTIONS: Final = 50
MAX_SCALE_POINTS: Final = 101
SCALE_LIMIT: Final = 1_000_000
MAX_FOLLOWUPS: Final = 3
MAX_PROMPT: Final = 2000
MAX_OPTION: Final = 200
MAX_LABEL: Final = 200
MAX_ANSWER: Final = 10_000
MAX_OTHER: Final = 500
KEY_PATTERN: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
KEY_RULE: Final = (
    'use lowercase letters, digits, "-" and "_", starting with a letter or digit '
    '(at most 64 characters), e.g. "why_pricing"'
)

COMMON_FIELDS: Final = ("key", "type", "prompt", "required", "probe", "show_if")
# The fields of `config`, per type.
TYPE_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    QuestionType.OPEN_ENDED: (),
    QuestionType.SCALE: ("min", "max", "min_label", "max_label"),
    QuestionType.SINGLE_CHOICE: ("options", "allow_other"),
    QuestionType.MULTIPLE_CHOICE: ("options", "min_selected", "max_selected"),
    QuestionType.RANKING: ("options",),
    QuestionType.YES_NO: (),
}
CHOICE_TYPES: Final = (
    QuestionType.SINGLE_CHOICE,
    QuestionType.MULTIPLE_CHOICE,
    QuestionType.RANKING,
)
# Branching operators each type can be the subject of.
SHOW_IF_OPS: Final[dict[str, tuple[str, ...]]] = {
    QuestionType.SINGLE_CHOICE: ("eq", "neq", "in"),
    QuestionType.YES_NO: ("eq", "neq", "in"),
    QuestionType.MULTIPLE_CHOICE: ("contains",),
    QuestionType.SCALE: ("gte", "lte"),
}
# Changing these is wording; anything else changes what an answer means.
WORDING_FIELDS: Final = ("prompt", "min_label", "max_label", "probe_instructions")

# PostgreSQL refuses NUL and unpaired surrogates in text and jsonb.
_BAD_CHARS: Final = re.compile("[\x00\ud800-\udfff]")


class QuestionError(ServiceError):
    """A question list that cannot be stored; `path` locates the problem."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}", field=path)
        self.path = path


class AnswerError(ValueError):
    """An answer a respondent must change; the message is shown to them."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class QuestionSpec:
    """A validated question. `config` holds exactly TYPE_FIELDS[type], defaults filled."""

    key: str
    type: str
    prompt: str = ""
    required: bool = True
    config: dict[str, Any] = field(default_factory=dict)
    probe_max_followups: int = 0
    probe_instructions: str = ""
    show_if: dict[str, Any] | None = None

    @property
    def options(self) -> list[str]:
        return list(self.config.get("options", []))

    def as_fields(self) -> dict[str, Any]:
        """Flat field → value, the unit `meaning_changes` and `wording_changes` compare."""
        return {
            "key": self.key,
            "type": self.type,
            "required": self.required,
            "probe_max_followups": self.probe_max_followups,
            "probe_instructions": self.probe_instructions,
            "prompt": self.prompt,
            "show_if": self.show_if,
            **self.config,
        }


# --- helpers -----------------------------------------------------------------------


def is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _describe(value: Any) -> str:
    text = f'"{value}"' if isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _a(qtype: str) -> str:
    """ "a scale question", "an open_ended question"."""
    return f"an {qtype}" if qtype[0] in "aeiou" else f"a {qtype}"


def _text(value: Any, path: str, *, max_length: int, allow_blank: bool = True) -> str:
    if not isinstance(value, str):
        raise QuestionError(path, "expected a string.")
    if _BAD_CHARS.search(value):
        raise QuestionError(path, "contains a character that cannot be stored (NUL).")
    text = value.strip()
    if not text and not allow_blank:
        raise QuestionError(path, "must not be empty.")
    if len(text) > max_length:
        raise QuestionError(path, f"at most {max_length:,} characters.")
    return text


def _bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise QuestionError(path, "expected true or false.")
    return value


def _integer(value: Any, path: str, *, low: int, high: int) -> int:
    # 3.0 from a JSON encoder that writes all numbers as floats is still 3.
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if not is_integer(value):
        raise QuestionError(path, "expected a whole number.")
    if not low <= value <= high:
        raise QuestionError(path, f"must be between {low:,} and {high:,}.")
    return int(value)


def _object(value: Any, path: str, allowed: tuple[str, ...], what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise QuestionError(path, "expected an object.")
    for name in value:
        if name not in allowed:
            raise QuestionError(f"{path}.{name}", f"unknown field for {what}.")
    return value


# --- validating a question list ----------------------------------------------------


def validate_questions(raw: Any, *, path: str = "questions") -> list[QuestionSpec]:
    """The question list, validated and normalised; QuestionError names the first problem."""
    if not isinstance(raw, list):
        raise QuestionError(path, "expected a list of questions.")
    if len(raw) > MAX_QUESTIONS:
        raise QuestionError(path, f"at most {MAX_QUESTIONS} questions.")
    specs: list[QuestionSpec] = []
    positions: dict[str, int] = {}
    for index, item in enumerate(raw):
        spec = _question(item, f"{path}[{index}]", earlier=specs)
        if spec.key in positions:
            raise QuestionError(
                f"{path}[{index}].key",
                f'"{spec.key}" is already the key of {path}[{positions[spec.key]}].',
            )
        positions[spec.key] = index
        specs.append(spec)
    return specs


def _question(item: Any, path: str, *, earlier: list[QuestionSpec]) -> QuestionSpec:
    if not isinstance(item, dict):
        raise QuestionError(path, "expected an object.")
    qtype = item.get("type")
    if "type" not in item:
        raise QuestionError(f"{path}.type", f"required; one of: {', '.join(QuestionType.values)}.")
    if not isinstance(qtype, str) or qtype not in QuestionType.values:
        raise QuestionError(
            f"{path}.type",
            f"unknown type {_describe(qtype)}; use one of: {', '.join(QuestionType.values)}.",
        )
    allowed = (*COMMON_FIELDS, *TYPE_FIELDS[qtype])
    for name in item:
        if name not in allowed:
            raise QuestionError(f"{path}.{name}", f"unknown field for {_a(qtype)} question.")
    if "key" not in item:
        raise QuestionError(f"{path}.key", f"required; {KEY_RULE}.")
    key = item["key"]
    if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
        raise QuestionError(f"{path}.key", f"{KEY_RULE}.")
    followups, instructions = _probe(item.get("probe"), f"{path}.probe", qtype)
    spec = QuestionSpec(
        key=key,
        type=qtype,
        prompt=_text(item.get("prompt", ""), f"{path}.prompt", max_length=MAX_PROMPT),
        required=_bool(item.get("required", True), f"{path}.required"),
        config=_config(qtype, item, path),
        probe_max_followups=followups,
        probe_instructions=instructions,
    )
    if item.get("show_if") is not None:
        show_if = _show_if(item["show_if"], f"{path}.show_if", earlier)
        spec = replace(spec, show_if=show_if)
    return spec


def default_followups(qtype: str) -> int:
    return 2 if qtype == QuestionType.OPEN_ENDED else 0


def _probe(raw: Any, path: str, qtype: str) -> tuple[int, str]:
    if raw is None:
        return default_followups(qtype), ""
    probe = _object(raw, path, ("max_followups", "instructions"), "probe")
    followups = default_followups(qtype)
    if "max_followups" in probe:
        followups = _integer(
            probe["max_followups"], f"{path}.max_followups", low=0, high=MAX_FOLLOWUPS
        )
    instructions = _text(
        probe.get("instructions", ""), f"{path}.instructions", max_length=MAX_PROMPT
    )
    return followups, instructions


def _config(qtype: str, item: dict[str, Any], path: str) -> dict[str, Any]:
    if qtype == QuestionType.SCALE:
        return _scale(item, path)
    if qtype in CHOICE_TYPES:
        options = _options(item, path, minimum=2 if qtype == QuestionType.RANKING else 1)
        if qtype == QuestionType.SINGLE_CHOICE:
            return {
                "options": options,
                "allow_other": _bool(item.get("allow_other", False), f"{path}.allow_other"),
            }
        if qtype == QuestionType.MULTIPLE_CHOICE:
            return {"options": options, **_selection(item, path, len(options))}
        return {"options": options}
    return {}


def _options(item: dict[str, Any], path: str, *, minimum: int) -> list[str]:
    here = f"{path}.options"
    if "options" not in item:
        raise QuestionError(here, "required: a list of options.")
    raw = item["options"]
    if not isinstance(raw, list):
        raise QuestionError(here, "expected a list of options.")
    if len(raw) < minimum:
        needed = "at least one option" if minimum == 1 else f"at least {minimum} options"
        raise QuestionError(here, f"needs {needed}.")
    if len(raw) > MAX_OPTIONS:
        raise QuestionError(here, f"at most {MAX_OPTIONS} options.")
    options: list[str] = []
    seen: dict[str, int] = {}
    for index, value in enumerate(raw):
        option = _text(value, f"{here}[{index}]", max_length=MAX_OPTION, allow_blank=False)
        folded = option.casefold()
        if folded in seen:
            raise QuestionError(f"{here}[{index}]", f'"{option}" repeats {here}[{seen[folded]}].')
        seen[folded] = index
        options.append(option)
    return options


def _scale(item: dict[str, Any], path: str) -> dict[str, Any]:
    bounds = {}
    for name in ("min", "max"):
        if name not in item:
            raise QuestionError(f"{path}.{name}", "required: a whole number.")
        bounds[name] = _integer(item[name], f"{path}.{name}", low=-SCALE_LIMIT, high=SCALE_LIMIT)
    low, high = bounds["min"], bounds["max"]
    if low >= high:
        raise QuestionError(f"{path}.max", f"must be greater than min ({low}).")
    if high - low + 1 > MAX_SCALE_POINTS:
        raise QuestionError(
            f"{path}.max",
            f"a scale has at most {MAX_SCALE_POINTS} points; {low} to {high} has "
            f"{high - low + 1:,}.",
        )
    return {
        "min": low,
        "max": high,
        "min_label": _text(item.get("min_label", ""), f"{path}.min_label", max_length=MAX_LABEL),
        "max_label": _text(item.get("max_label", ""), f"{path}.max_label", max_length=MAX_LABEL),
    }


def _selection(item: dict[str, Any], path: str, count: int) -> dict[str, int]:
    low = _integer(item.get("min_selected", 1), f"{path}.min_selected", low=0, high=count)
    high = _integer(item.get("max_selected", count), f"{path}.max_selected", low=1, high=count)
    if low > high:
        raise QuestionError(f"{path}.min_selected", f"must not exceed max_selected ({high}).")
    return {"min_selected": low, "max_selected": high}


def _show_if(raw: Any, path: str, earlier: list[QuestionSpec]) -> dict[str, Any]:
    condition = _object(raw, path, ("question", "op", "value"), "show_if")
    for name in ("question", "op", "value"):
        if name not in condition:
            raise QuestionError(f"{path}.{name}", "required.")
    target_key = condition["question"]
    target = next((q for q in earlier if q.key == target_key), None)
    if target is None:
        raise QuestionError(
            f"{path}.question",
            f"{_describe(target_key)} is not an earlier question; a question can only "
            "depend on one asked before it.",
        )
    ops = SHOW_IF_OPS.get(target.type, ())
    if not ops:
        raise QuestionError(
            f"{path}.question",
            f'"{target.key}" is {_a(target.type)} question; branch on a choice, yes/no '
            "or scale question.",
        )
    op = condition["op"]
    if not isinstance(op, str) or op not in ops:
        raise QuestionError(
            f"{path}.op",
            f"{_describe(op)} does not apply to {_a(target.type)} question; use "
            f"{' or '.join(ops)}.",
        )
    value = _show_if_value(condition["value"], f"{path}.value", target, op)
    return {"question": target.key, "op": op, "value": value}


def _show_if_value(value: Any, path: str, target: QuestionSpec, op: str) -> Any:
    if target.type == QuestionType.SCALE:
        low, high = target.config["min"], target.config["max"]
        if not is_integer(value) or not low <= value <= high:
            raise QuestionError(path, f'"{target.key}" takes whole numbers from {low} to {high}.')
        return value
    if op == "in":
        if not isinstance(value, list) or not value:
            raise QuestionError(path, "expected a non-empty list of values.")
        values = [_one_value(v, f"{path}[{i}]", target) for i, v in enumerate(value)]
        if len(set(map(repr, values))) != len(values):
            raise QuestionError(path, "lists a value twice.")
        return values
    return _one_value(value, path, target)


def _one_value(value: Any, path: str, target: QuestionSpec) -> Any:
    if target.type == QuestionType.YES_NO:
        if not isinstance(value, bool):
            raise QuestionError(path, f'"{target.key}" is answered true or false.')
        return value
    if not isinstance(value, str) or value not in target.options:
        raise QuestionError(
            path,
            f'{_describe(value)} is not an option of "{target.key}"; use one of: '
            f"{', '.join(target.options)}.",
        )
    return value


# --- what changed between two versions of a question -------------------------------


def changed_fields(old: QuestionSpec, new: QuestionSpec) -> dict[str, tuple[Any, Any]]:
    """field → (old value, new value) for every field that differs."""
    before, after = old.as_fields(), new.as_fields()
    return {
        name: (before.get(name), after.get(name))
        for name in dict.fromkeys([*before, *after])
        if before.get(name) != after.get(name)
    }


def meaning_changes(old: QuestionSpec, new: QuestionSpec) -> list[str]:
    """Fields whose change would make one key stand for two different questions."""
    return [name for name in changed_fields(old, new) if name not in WORDING_FIELDS]


def wording_changes(old: QuestionSpec, new: QuestionSpec) -> dict[str, dict[str, Any]]:
    """Wording fields that changed: {field: {"from": old, "to": new}}."""
    return {
        name: {"from": before, "to": after}
        for name, (before, after) in changed_fields(old, new).items()
        if name in WORDING_FIELDS
    }


# --- answers -----------------------------------------------------------------------


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def validate_answer(spec: QuestionSpec, value: Any) -> Any:
    """The answer in stored form; AnswerError with a message for the respondent otherwise.

    `None` skips the question, which only an optional one allows.
    """
    if value is None:
        if spec.required:
            raise AnswerError("This question needs an answer.")
        return None
    check = _ANSWER_CHECKS[spec.type]
    return check(spec, value)


def _answer_text(value: Any, *, max_length: int) -> str:
    if not isinstance(value, str):
        raise AnswerError("Please write your answer as text.")
    text = value.strip()
    if not text:
        raise AnswerError("Please write an answer.")
    if _BAD_CHARS.search(text):
        raise AnswerError("Your answer contains a character we cannot store; please remove it.")
    if len(text) > max_length:
        raise AnswerError(f"Please keep your answer under {max_length:,} characters.")
    return text


def _answer_open_ended(spec: QuestionSpec, value: Any) -> str:
    return _answer_text(value, max_length=MAX_ANSWER)


def _answer_scale(spec: QuestionSpec, value: Any) -> int:
    low, high = spec.config["min"], spec.config["max"]
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if not is_integer(value) or not low <= value <= high:
        raise AnswerError(f"Choose a whole number from {low} to {high}.")
    return int(value)


def _answer_single(spec: QuestionSpec, value: Any) -> Any:
    options = spec.options
    if isinstance(value, str) and value in options:
        return value
    if isinstance(value, dict) and set(value) == {"other"}:
        if not spec.config.get("allow_other"):
            raise AnswerError(f"Choose one of: {', '.join(options)}.")
        return {"other": _answer_text(value["other"], max_length=MAX_OTHER)}
    other = " or write your own" if spec.config.get("allow_other") else ""
    raise AnswerError(f"Choose one of: {', '.join(options)}{other}.")


def _known_options(spec: QuestionSpec, value: Any) -> list[str]:
    if not isinstance(value, list):
        raise AnswerError("Choose from the list of options.")
    for item in value:
        if not isinstance(item, str) or item not in spec.options:
            raise AnswerError(f"{_describe(item)} is not one of the options.")
    if len(set(value)) != len(value):
        raise AnswerError("Choose each option only once.")
    return list(value)


def _answer_multiple(spec: QuestionSpec, value: Any) -> list[str]:
    chosen = _known_options(spec, value)
    low, high = spec.config["min_selected"], spec.config["max_selected"]
    if len(chosen) < low:
        raise AnswerError(f"Choose at least {_plural(low, 'option')}.")
    if len(chosen) > high:
        raise AnswerError(f"Choose at most {_plural(high, 'option')}.")
    return chosen


def _answer_ranking(spec: QuestionSpec, value: Any) -> list[str]:
    ranked = _known_options(spec, value)
    if len(ranked) != len(spec.options):
        raise AnswerError(f"Rank all {len(spec.options)} options, each once.")
    return ranked


def _answer_yes_no(spec: QuestionSpec, value: Any) -> bool:
    if not isinstance(value, bool):
        raise AnswerError("Answer yes or no.")
    return value


_ANSWER_CHECKS: Final[dict[str, Callable[[QuestionSpec, Any], Any]]] = {
    QuestionType.OPEN_ENDED: _answer_open_ended,
    QuestionType.SCALE: _answer_scale,
    QuestionType.SINGLE_CHOICE: _answer_single,
    QuestionType.MULTIPLE_CHOICE: _answer_multiple,
    QuestionType.RANKING: _answer_ranking,
    QuestionType.YES_NO: _answer_yes_no,
}


def show_if_matches(show_if: dict[str, Any] | None, answers: dict[str, Any]) -> bool:
    """Whether a question with this condition is asked, given the answers so far by key.

    A question whose condition refers to an unanswered (skipped or hidden) question
    is not asked.
    """
    if not show_if:
        return True
    if answers.get(show_if["question"]) is None:
        return False
    answer, op, value = answers[show_if["question"]], show_if["op"], show_if["value"]
    if op == "eq":
        return bool(answer == value)
    if op == "neq":
        return bool(answer != value)
    if op == "in":
        return answer in value
    if op == "contains":
        return isinstance(answer, list) and value in answer
    if op == "gte":
        return bool(answer >= value)
    return bool(answer <= value)
