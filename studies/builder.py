"""The study builder's question editors: one plain HTML form for a whole question list.

The questions are `QuestionEditor`s read from flat POST fields named `q-<n>-<field>` (an
option is `q-<n>-options-<m>`), so the builder works as one form without JavaScript.
Every builder button posts the whole form with an `action` (`add:scale`, `up:2`,
`duplicate:0`, `delete:1`, `save`; `apply_action`). The editors turn into the API's
question shape (`raw_questions`), which `studies.services` validates like any API
request; `place_error` puts the service's error, whose path reads
`questions[2].options[1]`, beside the input it is about; `builder_rows` and
`error_rows` are what the template renders.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final

from studies.models import Question
from studies.question_types import (
    CHOICE_TYPES,
    MAX_QUESTIONS,
    SHOW_IF_OPS,
    QuestionType,
    default_followups,
)

# Blank option inputs shown after a question's options, so one more can be typed
# without JavaScript (blank inputs are ignored).
BLANK_OPTIONS: Final = 2
NEW_OPTIONS: Final = ("Option 1", "Option 2")
NEW_SCALE: Final = ("1", "5")
OP_LABELS: Final = {
    "eq": "is",
    "neq": "is not",
    "in": "is one of",
    "contains": "includes",
    "gte": "is at least",
    "lte": "is at most",
}
_ACTION: Final = re.compile(r"(save|add|up|down|duplicate|delete)(?::([a-z_]+|\d{1,3}))?")
_PATH: Final = re.compile(
    r"questions\[(\d+)\](?:\.([a-z_]+)(?:\[(\d+)\])?(?:\.([a-z_]+))?)?(?:\[\d+\])?"
)
_WHOLE: Final = re.compile(r"-?[0-9]{1,9}")
# A service error's path part → the editor input it is about.
_INPUT_FOR: Final = {
    "probe.max_followups": "followups",
    "probe.instructions": "instructions",
    "probe": "followups",
    "show_if.question": "show_if_question",
    "show_if.op": "show_if_op",
    "show_if.value": "show_if_value",
    "show_if": "show_if_question",
}


# --- the question editors --------------------------------------------------------------


@dataclass
class QuestionEditor:
    """One question as the builder shows it: text as typed, errors by input."""

    key: str
    type: str
    prompt: str = ""
    required: bool = True
    options: list[str] = field(default_factory=list)
    allow_other: bool = False
    min: str = ""
    max: str = ""
    min_label: str = ""
    max_label: str = ""
    min_selected: str = ""
    max_selected: str = ""
    followups: str = ""
    instructions: str = ""
    show_if_question: str = ""
    show_if_op: str = ""
    show_if_value: list[str] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def has_options(self) -> bool:
        return self.type in CHOICE_TYPES

    @property
    def option_inputs(self) -> list[str]:
        """The option inputs to render: the options, then blank ones."""
        return [*self.options, *([""] * BLANK_OPTIONS)]

    @property
    def branchable(self) -> bool:
        """Whether later questions can branch on this one."""
        return self.type in SHOW_IF_OPS

    def value_choices(self) -> list[tuple[str, str]]:
        """The values a later question's branching may test this question for."""
        if self.type == QuestionType.YES_NO:
            return [("yes", "Yes"), ("no", "No")]
        if self.type == QuestionType.SCALE:
            low, high = _whole(self.min), _whole(self.max)
            if isinstance(low, int) and isinstance(high, int) and 0 < high - low <= 100:
                return [(str(n), str(n)) for n in range(low, high + 1)]
            return []
        if self.type in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE):
            # As saved: trimmed, blank boxes left out, each once.
            options = dict.fromkeys(o.strip() for o in self.options if o.strip())
            return [(o, o) for o in options]
        return []

    def raw(self, earlier: list[QuestionEditor]) -> dict[str, Any]:
        """The question as the API takes it; `services` validates it."""
        item: dict[str, Any] = {
            "key": self.key,
            "type": self.type,
            "prompt": self.prompt,
            "required": self.required,
        }
        if self.type in CHOICE_TYPES:
            item["options"] = [o.strip() for o in self.options if o.strip()]
        if self.type == QuestionType.SINGLE_CHOICE:
            item["allow_other"] = self.allow_other
        if self.type == QuestionType.SCALE:
            item |= {"min": _whole(self.min), "max": _whole(self.max)}
            item |= {"min_label": self.min_label, "max_label": self.max_label}
        if self.type == QuestionType.MULTIPLE_CHOICE:
            for name in ("min_selected", "max_selected"):
                if getattr(self, name).strip():
                    item[name] = _whole(getattr(self, name))
        probe: dict[str, Any] = {"instructions": self.instructions}
        if self.followups.strip():
            probe["max_followups"] = _whole(self.followups)
        item["probe"] = probe
        if self.show_if_question:
            item["show_if"] = self._show_if(earlier)
        return item

    def _show_if(self, earlier: list[QuestionEditor]) -> dict[str, Any]:
        target = next((q for q in earlier if q.key == self.show_if_question), None)
        condition: dict[str, Any] = {"question": self.show_if_question, "op": self.show_if_op}
        values = [_branch_value(target, v) for v in self.show_if_value if v != ""]
        if self.show_if_op == "in":
            condition["value"] = values
        elif values:
            condition["value"] = values[0]
        return condition

    def option_input(self, index: int) -> int:
        """The input of the `index`th non-blank option (blank inputs are skipped)."""
        filled = [i for i, text in enumerate(self.options) if text.strip()]
        return filled[index] if index < len(filled) else index

    def add_error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)


def _whole(text: str) -> Any:
    """A whole number typed into a box, or the text itself (the service refuses it)."""
    text = text.strip()
    return int(text) if _WHOLE.fullmatch(text) else text


def _branch_value(target: QuestionEditor | None, text: str) -> Any:
    if target is None:
        return text
    if target.type == QuestionType.YES_NO:
        return {"yes": True, "no": False}.get(text, text)
    if target.type == QuestionType.SCALE:
        return _whole(text)
    return text


def editor_from_question(question: Question) -> QuestionEditor:
    config = question.config
    show_if = question.show_if or {}
    value = show_if.get("value")
    values = value if isinstance(value, list) else ([] if value is None else [value])
    return QuestionEditor(
        key=question.key,
        type=question.type,
        prompt=question.prompt,
        required=question.required,
        options=list(config.get("options", [])),
        allow_other=bool(config.get("allow_other", False)),
        min=_text(config.get("min")),
        max=_text(config.get("max")),
        min_label=config.get("min_label", ""),
        max_label=config.get("max_label", ""),
        min_selected=_text(config.get("min_selected")),
        max_selected=_text(config.get("max_selected")),
        followups=str(question.probe_max_followups),
        instructions=question.probe_instructions,
        show_if_question=show_if.get("question", ""),
        show_if_op=show_if.get("op", ""),
        show_if_value=[_text(v) for v in values],
    )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def new_editor(qtype: str, taken: Iterable[str]) -> QuestionEditor:
    """A fresh question of a type, valid as it stands (the prompt is written later)."""
    used = set(taken)
    number = len(used) + 1
    while f"q{number}" in used:
        number += 1
    editor = QuestionEditor(key=f"q{number}", type=qtype, followups=str(default_followups(qtype)))
    if qtype in CHOICE_TYPES:
        editor.options = list(NEW_OPTIONS)
    if qtype == QuestionType.SCALE:
        editor.min, editor.max = NEW_SCALE
    return editor


def editors_from_post(data: Mapping[str, Any]) -> list[QuestionEditor]:
    """The questions of a posted builder, in the order of their `position` fields (which
    drag-and-drop rewrites); a field the question's type did not render (its type was
    just changed) gets the type's default."""
    found: list[tuple[int, int, QuestionEditor]] = []
    for index in range(MAX_QUESTIONS + 1):
        prefix = f"q-{index}-"
        if prefix + "type" not in data:
            break
        found.append(
            (_position(data.get(prefix + "position"), index), index, _editor(data, prefix))
        )
    return [editor for _, _, editor in sorted(found, key=lambda row: row[:2])]


def _position(text: Any, default: int) -> int:
    value = _whole(str(text or ""))
    return value if isinstance(value, int) else default


def _editor(data: Mapping[str, Any], prefix: str) -> QuestionEditor:
    def get(name: str, default: str = "") -> str:
        value = data.get(prefix + name)
        return default if value is None else str(value)

    qtype = get("type")
    fresh = new_editor(qtype, []) if qtype in QuestionType.values else QuestionEditor("", qtype)
    options = [
        str(data[f"{prefix}options-{i}"]) for i in range(60) if f"{prefix}options-{i}" in data
    ]
    getlist = getattr(data, "getlist", None)
    values = getlist(prefix + "show_if_value") if getlist else [get("show_if_value")]
    return QuestionEditor(
        key=get("key").strip(),
        type=qtype,
        prompt=get("prompt"),
        required=prefix + "required" in data,
        options=options if f"{prefix}options-0" in data else fresh.options,
        allow_other=prefix + "allow_other" in data,
        min=get("min", fresh.min),
        max=get("max", fresh.max),
        min_label=get("min_label"),
        max_label=get("max_label"),
        min_selected=get("min_selected"),
        max_selected=get("max_selected"),
        followups=get("followups", fresh.followups),
        instructions=get("instructions"),
        show_if_question=get("show_if_question"),
        show_if_op=get("show_if_op"),
        show_if_value=[str(v) for v in values if v is not None],
    )


def raw_questions(editors: list[QuestionEditor]) -> list[dict[str, Any]]:
    return [editor.raw(editors[:index]) for index, editor in enumerate(editors)]


def apply_action(action: str, editors: list[QuestionEditor]) -> tuple[list[QuestionEditor], int]:
    """The question list after a builder button (`add:scale`, `up:2`, `duplicate:0`, ...),
    and the index of the question to bring into view (-1: none)."""
    match = _ACTION.fullmatch(action or "save")
    if match is None:
        return editors, -1
    verb, arg = match.groups()
    editors = list(editors)
    if verb == "add" and arg in QuestionType.values and len(editors) < MAX_QUESTIONS:
        editors.append(new_editor(arg, (e.key for e in editors)))
        return editors, len(editors) - 1
    if (
        verb == "save"
        or arg is None
        or not (arg.isascii() and arg.isdigit())
        or int(arg) >= len(editors)
    ):
        return editors, -1
    index = int(arg)
    if verb == "up" and index > 0:
        editors[index - 1], editors[index] = editors[index], editors[index - 1]
        return editors, index - 1
    if verb == "down" and index < len(editors) - 1:
        editors[index + 1], editors[index] = editors[index], editors[index + 1]
        return editors, index + 1
    if verb == "duplicate" and len(editors) < MAX_QUESTIONS:
        copy = replace(editors[index], key=_copy_key(editors[index].key, editors), errors={})
        editors.insert(index + 1, copy)
        return editors, index + 1
    if verb == "delete":
        del editors[index]
        return editors, min(index, len(editors) - 1)
    return editors, index


def _copy_key(key: str, editors: list[QuestionEditor]) -> str:
    taken = {e.key for e in editors}
    base = f"{key[:56]}_copy"
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}{number}", number + 1
    return candidate


def place_error(path: str, message: str, editors: list[QuestionEditor]) -> bool:
    """Attach a service error about `questions[i]...` to the input it names; False when
    the path names no question (the caller shows it above the form)."""
    match = _PATH.match(path or "")
    if match is None or int(match.group(1)) >= len(editors):
        return False
    editor = editors[int(match.group(1))]
    name, option, sub = match.group(2), match.group(3), match.group(4)
    words = message.split(": ", 1)[1] if message.startswith(path + ": ") else message
    if name is None:
        editor.add_error("", words)
    elif name == "options" and option is not None:
        editor.add_error(f"options-{editor.option_input(int(option))}", words)
    else:
        whole = f"{name}.{sub}" if sub else name
        editor.add_error(_INPUT_FOR.get(whole, _INPUT_FOR.get(name, name)), words)
    return True


# --- what the builder template shows ------------------------------------------------------

_INPUT_WORDS: Final = {
    "key": "key",
    "type": "type",
    "prompt": "question text",
    "required": "required",
    "options": "options",
    "allow_other": "other",
    "min": "lowest point",
    "max": "highest point",
    "min_label": "label of the lowest point",
    "max_label": "label of the highest point",
    "min_selected": "at least",
    "max_selected": "at most",
    "followups": "follow-ups",
    "instructions": "probing instructions",
    "show_if_question": "ask only if",
    "show_if_op": "condition",
    "show_if_value": "value",
}
_BRANCH_INPUTS: Final = ("show_if_question", "show_if_op", "show_if_value")
_WORDING: Final = ("prompt", "min_label", "max_label", "instructions")
# Fields a launched study's question keeps as they are (hidden inputs carry them).
_FIXED: Final = (
    "min",
    "max",
    "min_selected",
    "max_selected",
    "followups",
    "show_if_question",
    "show_if_op",
)


def builder_rows(editors: list[QuestionEditor], *, locked: bool = False) -> list[dict[str, Any]]:
    """Per question, what its editor renders: inputs with their errors, the earlier
    questions it may branch on with the values they can take. Locked (a launched study),
    only wording has inputs, so errors about the rest are shown for the whole question."""
    labels = dict(QuestionType.choices)
    rows = []
    for index, editor in enumerate(editors):
        prefix = f"q-{index}-"
        earlier = [
            {
                "key": e.key,
                "index": n,
                "number": n + 1,
                "label": (e.prompt or e.key)[:60],
                "ops": " ".join(SHOW_IF_OPS[e.type]),
                "values": e.value_choices(),
            }
            for n, e in enumerate(editors[:index])
            if e.branchable
        ]
        options = [
            {"index": n, "text": text, "errors": editor.errors.get(f"options-{n}", [])}
            for n, text in enumerate(editor.option_inputs)
        ]
        rows.append(
            {
                "index": index,
                "number": index + 1,
                "prefix": prefix,
                "q": editor,
                "first": index == 0,
                "last": index == len(editors) - 1,
                "type_label": labels.get(editor.type, editor.type),
                "errors": editor.errors,
                "options": options if editor.has_options else [],
                "earlier": earlier,
                "ops": list(OP_LABELS.items()),
                "fixed_errors": [
                    m for name, msgs in editor.errors.items() if name not in _WORDING for m in msgs
                ]
                if locked
                else [],
                "branch_errors": [
                    m for name in _BRANCH_INPUTS for m in editor.errors.get(name, [])
                ],
                "fixed": [
                    *((name, getattr(editor, name)) for name in _FIXED),
                    *((f"options-{n}", text) for n, text in enumerate(editor.options)),
                ],
            }
        )
    return rows


def error_rows(editors: list[QuestionEditor], *, locked: bool = False) -> list[dict[str, Any]]:
    """The error summary's lines for the questions, each linking to its input."""
    rows: list[dict[str, Any]] = []
    for index, editor in enumerate(editors):
        for name, messages in editor.errors.items():
            if locked and name not in _WORDING:
                name = ""
            if name.startswith("options-"):
                what = f"option {int(name.split('-')[1]) + 1}"
            else:
                what = _INPUT_WORDS.get(name, "")
            anchor = f"q-{index}-{name}" if name else f"question-{index}"
            rows.extend(
                {"anchor": anchor, "number": index + 1, "what": what, "message": message}
                for message in messages
            )
    return rows
