"""The respondent page's plain HTML forms, read into API-shaped answer values.

Every widget works without JavaScript: the scale and yes/no are submit buttons
(`value`), single choice radios (`choice`, with `__other__` and the `other` text),
multiple choice checkboxes (`choice`), ranking one select per option (`rank-<i>`,
the place 1..n it is given; the script only reorders the list and keeps the selects
in step), text a textarea (`text`). `skip` skips an optional question.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext as _

from interviews.models import StepKind
from interviews.services import InvalidAnswer
from studies.question_types import QuestionSpec, QuestionType

OTHER = "__other__"


def value_from_form(*, kind: str, spec: QuestionSpec, data: QueryDict) -> Any:
    """The answer value the form stands for; InvalidAnswer when it cannot stand for one."""
    if kind == StepKind.FOLLOWUP or spec.type == QuestionType.OPEN_ENDED:
        if data.get("skip") is not None and kind == StepKind.QUESTION and not spec.required:
            return None
        return data.get("text", "")
    if data.get("skip") is not None and not spec.required:
        return None
    reader = _READERS[spec.type]
    return reader(spec, data)


def _scale(spec: QuestionSpec, data: QueryDict) -> Any:
    raw = data.get("value", "")
    try:
        return int(raw.strip())
    except ValueError:
        if not raw:
            return None
        raise InvalidAnswer(
            _("Choose a number from %(min)s to %(max)s.")
            % {"min": spec.config["min"], "max": spec.config["max"]}
        ) from None


def _single(spec: QuestionSpec, data: QueryDict) -> Any:
    choice = data.get("choice")
    other = data.get("other", "")
    # Writing in the Other field means choosing it, even without ticking its radio.
    if choice == OTHER or (not choice and other.strip() and spec.config.get("allow_other")):
        return {"other": other}
    return choice or None


def _multiple(spec: QuestionSpec, data: QueryDict) -> Any:
    return data.getlist("choice")


def _ranking(spec: QuestionSpec, data: QueryDict) -> Any:
    options = spec.options
    places: dict[int, str] = {}
    for index, option in enumerate(options):
        raw = data.get(f"rank-{index}", "")
        try:
            place = int(raw)
        except ValueError:
            place = 0
        if not 1 <= place <= len(options) or place in places:
            raise InvalidAnswer(
                _("Give each option a different place, from 1 to %(n)s.") % {"n": len(options)}
            )
        places[place] = option
    return [places[place] for place in sorted(places)]


def _yes_no(spec: QuestionSpec, data: QueryDict) -> Any:
    raw = data.get("value")
    if raw == "yes":
        return True
    if raw == "no":
        return False
    return None


_READERS: dict[str, Callable[[QuestionSpec, QueryDict], Any]] = {
    QuestionType.SCALE: _scale,
    QuestionType.SINGLE_CHOICE: _single,
    QuestionType.MULTIPLE_CHOICE: _multiple,
    QuestionType.RANKING: _ranking,
    QuestionType.YES_NO: _yes_no,
}
