"""The respondent's error messages in the study's language.

`studies.question_types.validate_answer` words its errors in English (the API's
language); the page shows them in the study's language, matched here one pattern
per message. A message no pattern knows is shown as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

Translate = Callable[[re.Match[str]], str]


def _count(match: re.Match[str]) -> int:
    return int(match["n"].replace(",", ""))


PATTERNS: Final[list[tuple[re.Pattern[str], Translate]]] = [
    (re.compile(r"This question needs an answer\."), lambda m: _("This question needs an answer.")),
    (
        re.compile(r"Please write your answer as text\."),
        lambda m: _("Please write your answer as text."),
    ),
    (re.compile(r"Please write an answer\."), lambda m: _("Please write an answer.")),
    (
        re.compile(r"Your answer contains a character we cannot store; please remove it\."),
        lambda m: _("Your answer contains a character we cannot store; please remove it."),
    ),
    (
        re.compile(r"Please keep your answer under (?P<n>[\d,]+) characters\."),
        lambda m: _("Please keep your answer under %(n)s characters.") % {"n": m["n"]},
    ),
    (
        re.compile(r"Choose a whole number from (?P<min>-?\d+) to (?P<max>-?\d+)\."),
        lambda m: (
            _("Choose a whole number from %(min)s to %(max)s.") % {"min": m["min"], "max": m["max"]}
        ),
    ),
    (
        re.compile(r"Choose one of: (?P<options>.*) or write your own\.", re.S),
        lambda m: _("Choose one of: %(options)s or write your own.") % {"options": m["options"]},
    ),
    (
        re.compile(r"Choose one of: (?P<options>.*)\.", re.S),
        lambda m: _("Choose one of: %(options)s.") % {"options": m["options"]},
    ),
    (
        re.compile(r"Choose from the list of options\."),
        lambda m: _("Choose from the list of options."),
    ),
    (
        re.compile(r"(?P<item>.*) is not one of the options\.", re.S),
        lambda m: _("%(item)s is not one of the options.") % {"item": m["item"]},
    ),
    (re.compile(r"Choose each option only once\."), lambda m: _("Choose each option only once.")),
    (
        re.compile(r"Choose at least (?P<n>\d+) options?\."),
        lambda m: (
            ngettext("Choose at least %(n)s option.", "Choose at least %(n)s options.", _count(m))
            % {"n": _count(m)}
        ),
    ),
    (
        re.compile(r"Choose at most (?P<n>\d+) options?\."),
        lambda m: (
            ngettext("Choose at most %(n)s option.", "Choose at most %(n)s options.", _count(m))
            % {"n": _count(m)}
        ),
    ),
    (
        re.compile(r"Rank all (?P<n>\d+) options, each once\."),
        lambda m: _("Rank all %(n)s options, each once.") % {"n": _count(m)},
    ),
    (re.compile(r"Answer yes or no\."), lambda m: _("Answer yes or no.")),
]


def translated(message: str) -> str:
    """The message in the active language, when it is one of validate_answer's."""
    for pattern, translate in PATTERNS:
        match = pattern.fullmatch(message)
        if match is not None:
            return translate(match)
    return message
