"""Start fast: study templates for the common segment questions, and drafting a guide.

`TEMPLATES` is a catalog of ready studies (objective and question guide) for the
questions researchers ask of a segment most often. Each guide is in the API's
question shape and passes `question_types.validate_questions` (a test holds every
template to it).

`draft_guide(objective=..., segments=...)` proposes a study body for an objective
and the chosen segments, never saved: with a model configured (llm/), the model
writes the guide, which must validate exactly as a researcher's would; when no model
is configured, or it fails, or its guide does not validate, the best-matching
template is used instead, and the draft says which happened and why
(`source`, `template`, `reason`).

Best match: the template sharing the most words with the objective (its title,
objective and keywords; common words and case ignored), the first in catalog order
on a tie (or with no shared word at all).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from llm.client import UNTRUSTED_TEXT_RULE, Message, complete_json, quote_untrusted
from segments.models import Segment
from studies import question_types
from studies.question_types import QuestionError, QuestionType
from workspaces.models import Workspace
from workspaces.services import ServiceError

MAX_OBJECTIVE: Final = 2000
MAX_DRAFT_QUESTIONS: Final = 12


@dataclass(frozen=True)
class StudyTemplate:
    """A ready study: what it decides and the guide that asks it."""

    key: str
    title: str
    objective: str
    # When to use it, in a sentence, for the template picker.
    summary: str
    keywords: tuple[str, ...]
    questions: list[dict[str, Any]] = field(default_factory=list)

    def guide(self) -> list[dict[str, Any]]:
        """The questions validated and in the API's full shape (defaults filled), a copy."""
        return [question_body(spec) for spec in question_types.validate_questions(self.questions)]


def _why(
    key: str,
    prompt: str,
    instructions: str,
    followups: int = 2,
    show_if: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An open-ended question that the moderator probes."""
    question = {
        "key": key,
        "type": QuestionType.OPEN_ENDED.value,
        "prompt": prompt,
        "probe": {"max_followups": followups, "instructions": instructions},
    }
    if show_if is not None:
        question["show_if"] = show_if
    return question


def _likely(key: str, prompt: str) -> dict[str, Any]:
    return {
        "key": key,
        "type": QuestionType.SCALE.value,
        "prompt": prompt,
        "min": 0,
        "max": 10,
        "min_label": "Not at all likely",
        "max_label": "Extremely likely",
    }


DOWNGRADE = StudyTemplate(
    key="why-downgrade",
    title="Why did you downgrade?",
    objective="Decide what to change so that customers stop downgrading their plan.",
    summary="For people who moved to a cheaper plan: the trigger, what they lost, "
    "and what would bring them back.",
    keywords=("downgrade", "downgraded", "cheaper", "plan", "cancel", "churn", "price", "cost"),
    questions=[
        _why(
            "trigger",
            "What happened that made you decide to change to a smaller plan?",
            "Find the concrete moment or event, not the general feeling. Ask who was "
            "involved in the decision and what they compared.",
        ),
        {
            "key": "main_reason",
            "type": "single_choice",
            "prompt": "Which of these was the main reason?",
            "options": [
                "The price",
                "We used fewer features than we paid for",
                "Fewer people on the team use it",
                "A budget cut",
                "We moved some work to another tool",
            ],
            "allow_other": True,
        },
        {
            "key": "other_tool",
            "type": "yes_no",
            "prompt": "Do you now use another tool for some of what you did here?",
        },
        _why(
            "which_tool",
            "Which tool, and what does it do better for you?",
            "Ask for the specific jobs that moved and why that tool suits them.",
            show_if={"question": "other_tool", "op": "eq", "value": True},
        ),
        {
            "key": "missed",
            "type": "multiple_choice",
            "prompt": "What do you miss from your previous plan, if anything?",
            "options": ["Advanced reports", "More seats", "Integrations", "Priority support"],
            "min_selected": 0,
            "max_selected": 4,
        },
        _why(
            "come_back",
            "What would have to be true for you to move back to the larger plan?",
            "Probe for a price point, a feature or a change in their team.",
            followups=1,
        ),
    ],
)

PRICING = StudyTemplate(
    key="what-brought-you-to-pricing",
    title="What brought you to our pricing page?",
    objective="Decide which onboarding or offer to show people who look at pricing but do not buy.",
    summary="For people who visited pricing (often several times) without buying: "
    "the trigger, the question they needed answered, what stalls them.",
    keywords=("pricing", "price", "page", "visit", "visitors", "stall", "buy", "upgrade", "trial"),
    questions=[
        _why(
            "trigger",
            "What brought you to our pricing page?",
            "Dig into the trigger: what were they doing just before, and what question "
            "did they want answered?",
        ),
        {
            "key": "looking_for",
            "type": "multiple_choice",
            "prompt": "What were you looking for there?",
            "options": [
                "The price of a plan",
                "What each plan includes",
                "Discounts or annual billing",
                "Limits of the free plan",
                "How to pay by invoice",
            ],
            "min_selected": 1,
            "max_selected": 3,
        },
        {
            "key": "found_it",
            "type": "yes_no",
            "prompt": "Did you find what you were looking for?",
        },
        _why(
            "missing",
            "What was missing or unclear?",
            "Ask what they did next and what they would have needed to decide.",
            show_if={"question": "found_it", "op": "eq", "value": False},
        ),
        _likely("likely_buy", "How likely are you to choose a paid plan in the next month?"),
        _why(
            "holding_back",
            "What is holding you back from a paid plan today?",
            "Separate price from value, timing and who else must agree.",
            show_if={"question": "likely_buy", "op": "lte", "value": 6},
        ),
    ],
)

POWER_USERS = StudyTemplate(
    key="what-makes-power-users-stay",
    title="What makes you use us so much?",
    objective="Decide which habits and features to build onboarding around, from what "
    "keeps power users coming back.",
    summary="For the most active segment: the jobs they rely on, the habits that "
    "formed, and what would make them leave.",
    keywords=("power", "users", "active", "engaged", "heavy", "stay", "retention", "loyal"),
    questions=[
        _why(
            "job",
            "What do you use us for most, in a typical week?",
            "Ask for the last concrete time: what they were trying to get done and "
            "what happened before and after.",
        ),
        {
            "key": "value_rank",
            "type": "ranking",
            "prompt": "Rank what matters most to you, from most to least.",
            "options": ["Speed", "Reliability", "Collaboration", "Reports", "Integrations"],
        },
        _why(
            "habit",
            "When did it become part of your routine, and what made that happen?",
            "Look for the moment of first real value and who showed them.",
        ),
        _likely("recommend", "How likely are you to recommend us to a colleague?"),
        _why(
            "leave",
            "What would make you stop using us?",
            "Probe for alternatives they know and the threshold for switching.",
            followups=1,
        ),
        {
            "key": "team_size",
            "type": "single_choice",
            "prompt": "How many people on your team use it?",
            "options": ["Just me", "2-5", "6-20", "More than 20"],
        },
    ],
)

CHOSE_US = StudyTemplate(
    key="why-did-you-choose-us",
    title="Why did you choose us?",
    objective="Decide what to lead with in marketing and sales, from why new customers "
    "chose us over the alternatives.",
    summary="For new customers: the problem that started the search, the alternatives "
    "weighed, and the deciding reason.",
    keywords=("choose", "chose", "new", "customers", "signup", "win", "alternatives", "convert"),
    questions=[
        _why(
            "problem",
            "What problem were you trying to solve when you started looking?",
            "Find the event that started the search and what they used before.",
        ),
        {
            "key": "compared",
            "type": "yes_no",
            "prompt": "Did you compare us with other products?",
        },
        _why(
            "alternatives",
            "Which ones, and how did we compare?",
            "Ask what each did better and worse, in their words.",
            show_if={"question": "compared", "op": "eq", "value": True},
        ),
        {
            "key": "deciding",
            "type": "single_choice",
            "prompt": "What decided it in the end?",
            "options": [
                "Price",
                "A feature the others lacked",
                "Ease of use",
                "A recommendation",
                "Support or sales",
            ],
            "allow_other": True,
        },
        {
            "key": "heard_from",
            "type": "multiple_choice",
            "prompt": "Where did you hear about us?",
            "options": ["A colleague", "Search", "Social media", "A review site", "An event"],
            "min_selected": 1,
            "max_selected": 5,
        },
        _likely("recommend", "How likely are you to recommend us to a colleague?"),
    ],
)

ALMOST_STOPPED = StudyTemplate(
    key="what-almost-stopped-you",
    title="What almost stopped you?",
    objective="Decide which obstacles to remove from signup and onboarding, from what "
    "nearly stopped people who got through.",
    summary="For people who activated or bought: the doubts and obstacles they nearly "
    "gave up on, and what got them past.",
    keywords=("almost", "stopped", "obstacle", "friction", "onboarding", "activation", "doubt"),
    questions=[
        _why(
            "almost",
            "Was there a moment you almost gave up on signing up or getting started?",
            "Find the exact step and what they felt or feared at that moment.",
        ),
        {
            "key": "obstacles",
            "type": "multiple_choice",
            "prompt": "Which of these got in your way?",
            "options": [
                "Setup took too long",
                "Unclear pricing",
                "Needed someone's approval",
                "Importing our data",
                "Security or privacy questions",
            ],
            "min_selected": 0,
            "max_selected": 5,
        },
        {
            "key": "hardest",
            "type": "ranking",
            "prompt": "Rank these steps from hardest to easiest.",
            "options": ["Signing up", "Inviting the team", "Connecting data", "First report"],
        },
        _why(
            "got_past",
            "What got you past it?",
            "Ask who or what helped: a person, a document, a feature, a deadline.",
        ),
        {
            "key": "effort",
            "type": "scale",
            "prompt": "How easy was it to get started?",
            "min": 1,
            "max": 5,
            "min_label": "Very hard",
            "max_label": "Very easy",
        },
    ],
)

CANCELLED = StudyTemplate(
    key="why-did-you-leave",
    title="Why did you leave?",
    objective="Decide which causes of churn to fix first, from why customers cancelled.",
    summary="For people who cancelled: the reason, the moment they decided, and what they use now.",
    keywords=("leave", "left", "cancel", "cancelled", "churn", "churned", "lost", "stop"),
    questions=[
        _why(
            "decision",
            "What made you decide to cancel?",
            "Find the moment of decision and what led up to it over the weeks before.",
        ),
        {
            "key": "reason",
            "type": "single_choice",
            "prompt": "Which is closest to the main reason?",
            "options": [
                "Too expensive",
                "Missing a feature we needed",
                "Hard to use",
                "We no longer need it",
                "We switched to another product",
            ],
            "allow_other": True,
        },
        _why(
            "switched_to",
            "Which product did you switch to, and why that one?",
            "Ask what it does better and what they gave up.",
            show_if={"question": "reason", "op": "eq", "value": "We switched to another product"},
        ),
        _likely("return", "How likely are you to come back in the next year?"),
    ],
)

TEMPLATES: Final[tuple[StudyTemplate, ...]] = (
    PRICING,
    DOWNGRADE,
    POWER_USERS,
    CHOSE_US,
    ALMOST_STOPPED,
    CANCELLED,
)


def template_list() -> list[StudyTemplate]:
    return list(TEMPLATES)


def template_get(key: str) -> StudyTemplate | None:
    return next((t for t in TEMPLATES if t.key == key), None)


_WORD: Final = re.compile(r"[a-z]+")
# Words too common to tell two objectives apart (shorter ones are dropped anyway).
_COMMON: Final = frozenset(
    {"and", "are", "did", "does", "for", "from", "how", "our", "that", "the", "their"}
    | {"them", "they", "this", "what", "when", "which", "who", "why", "with", "you"}
    | {"your", "decide"}
)


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.casefold()) if w not in _COMMON and len(w) > 2}


def best_template(objective: str) -> StudyTemplate:
    """The template sharing most words with `objective` (see the module docstring)."""
    wanted = _words(objective)

    def shared(template: StudyTemplate) -> int:
        own = _words(f"{template.title} {template.objective} {' '.join(template.keywords)}")
        return len(wanted & own)

    # max() keeps the first of equal scores: catalog order breaks ties.
    return max(TEMPLATES, key=shared)


# --- drafting ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DraftGuide:
    """A proposed study body (not saved) and where its guide came from."""

    title: str
    objective: str
    segments: list[int]
    questions: list[dict[str, Any]]
    # "model": written by the configured model; "template": the best-matching template.
    source: Literal["model", "template"]
    # The template used (source "template"), else None.
    template: str | None
    # Why a template was used: no model configured, the model failed, or its guide
    # was invalid (the first problem, by path). None when the model's guide is used.
    reason: str | None

    def body(self) -> dict[str, Any]:
        """The study body to send to `POST /api/v1/studies/`."""
        return {
            "title": self.title,
            "objective": self.objective,
            "segments": list(self.segments),
            "questions": self.questions,
        }


_PROBE_SCHEMA: Final = {
    "type": "object",
    "properties": {
        "max_followups": {"type": "integer", "minimum": 0, "maximum": 3},
        "instructions": {"type": "string"},
    },
}
# Loose on purpose: the model's guide is held to `validate_questions`, which names the
# problem by path; the schema only gives the reply its shape.
GUIDE_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": 200},
        "questions": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_DRAFT_QUESTIONS,
            "items": {
                "type": "object",
                "properties": {
                    "key": {"type": "string"},
                    "type": {"type": "string", "enum": list(QuestionType.values)},
                    "prompt": {"type": "string"},
                    "required": {"type": "boolean"},
                    "options": {"type": "array", "items": {"type": "string"}},
                    "allow_other": {"type": "boolean"},
                    "min": {"type": "integer"},
                    "max": {"type": "integer"},
                    "min_label": {"type": "string"},
                    "max_label": {"type": "string"},
                    "min_selected": {"type": "integer"},
                    "max_selected": {"type": "integer"},
                    "probe": _PROBE_SCHEMA,
                    "show_if": {
                        "type": ["object", "null"],
                        "properties": {"question": {"type": "string"}, "op": {"type": "string"}},
                    },
                },
                "required": ["key", "type", "prompt"],
            },
        },
    },
    "required": ["title", "questions"],
}

SYSTEM_PROMPT: Final = (
    "You are an experienced user researcher. Write an interview guide for an "
    "AI-moderated interview with members of the customer segments described, to inform "
    "the decision in the objective. Use 4 to 8 questions in a sensible order, mixing the "
    "types open_ended, scale, single_choice, multiple_choice, ranking and yes_no. Start "
    "with an open_ended question about a concrete recent moment. Open-ended questions "
    'get a probe ({"max_followups": 1-3, "instructions": what the moderator should '
    "dig into}); other types get none. Keys are short lowercase slugs (a-z, 0-9, _), "
    "unique. scale: integer min and max (at most 101 points) with min_label and "
    "max_label. single_choice: 2-8 distinct options, allow_other when the list may be "
    "incomplete. multiple_choice: options with min_selected and max_selected within the "
    "option count. ranking: 3-6 options. show_if may branch on an earlier "
    "single_choice or yes_no (op eq, neq or in), multiple_choice (contains) or scale "
    "(gte, lte) question, with a value that question can take. Neutral, non-leading "
    "wording; one thing per question. " + UNTRUSTED_TEXT_RULE
)


def _check_objective(objective: Any) -> str:
    if not isinstance(objective, str) or not objective.strip():
        raise ServiceError(
            "objective: describe the decision the study should inform.", field="objective"
        )
    if len(objective) > MAX_OBJECTIVE:
        raise ServiceError(f"objective: at most {MAX_OBJECTIVE:,} characters.", field="objective")
    return objective.strip()


def _segment_brief(segment: Segment) -> str:
    size = "not computed yet" if segment.computed_at is None else f"{segment.size:,} people"
    lines = [f"Segment ({segment.kind}, {size}):", quote_untrusted(segment.name, "segment_name")]
    if segment.playbook:
        lines.append(quote_untrusted(segment.playbook, "segment_playbook"))
    return "\n".join(lines)


def _prompt(objective: str, segments: Sequence[Segment]) -> list[Message]:
    parts = ["Objective:", quote_untrusted(objective, "objective")]
    parts += [_segment_brief(s) for s in segments] or ["Segments: none chosen yet."]
    return [Message(role="user", content="\n\n".join(parts))]


def _cleaned(raw: list[Any]) -> list[Any]:
    """The model's questions with the fields their type does not take dropped (models
    often fill every field of the schema), so validation judges what matters."""
    cleaned = []
    for item in raw:
        if isinstance(item, dict) and item.get("type") in question_types.TYPE_FIELDS:
            allowed = {*question_types.COMMON_FIELDS, *question_types.TYPE_FIELDS[item["type"]]}
            item = {k: v for k, v in item.items() if k in allowed and v is not None}
        cleaned.append(item)
    return cleaned


def _from_template(
    template: StudyTemplate, objective: str, segment_ids: list[int], reason: str
) -> DraftGuide:
    return DraftGuide(
        title=template.title,
        objective=objective,
        segments=segment_ids,
        questions=template.guide(),
        source="template",
        template=template.key,
        reason=reason,
    )


def draft_segments(*, workspace: Workspace, segment_ids: Sequence[int]) -> list[Segment]:
    """The workspace's segments of `segment_ids`, in that order; another workspace's or
    an unknown one is a ServiceError naming its position."""
    found = Segment.objects.filter(workspace=workspace, pk__in=list(segment_ids)).in_bulk()
    for index, segment_id in enumerate(segment_ids):
        if segment_id not in found:
            raise ServiceError(
                f"segments[{index}]: no segment {segment_id} in this workspace.",
                field="segments",
            )
    return [found[segment_id] for segment_id in dict.fromkeys(segment_ids)]


def draft_guide(*, objective: str, segments: Sequence[Segment]) -> DraftGuide:
    """A draft study for `objective` at `segments` (already scoped to the workspace):
    the model's guide when one is configured and its guide validates, else the
    best-matching template, saying why."""
    objective = _check_objective(objective)
    segment_ids = [s.pk for s in segments]
    template = best_template(objective)
    result = complete_json(
        task="studies.draft_guide",
        system=SYSTEM_PROMPT,
        messages=_prompt(objective, segments),
        schema=GUIDE_SCHEMA,
        strict=False,
        fallback=lambda: {"title": template.title, "questions": template.guide()},
    )
    if result.provider == "offline":
        reason = (
            f"the model failed ({result.reason})"
            if result.fell_back
            else "no language model is configured"
        )
        return _from_template(template, objective, segment_ids, reason)
    questions = _cleaned(result.data["questions"])
    try:
        specs = question_types.validate_questions(questions)
    except QuestionError as invalid:
        reason = f"the model's guide was not valid ({invalid.message})"
        return _from_template(template, objective, segment_ids, reason)
    return DraftGuide(
        title=str(result.data["title"]).strip()[:200] or template.title,
        objective=objective,
        segments=segment_ids,
        questions=[question_body(spec) for spec in specs],
        source="model",
        template=None,
        reason=None,
    )


def question_body(spec: question_types.QuestionSpec) -> dict[str, Any]:
    """A validated question in the API's shape (defaults filled in)."""
    body: dict[str, Any] = {
        "key": spec.key,
        "type": spec.type,
        "prompt": spec.prompt,
        "required": spec.required,
        "probe": {
            "max_followups": spec.probe_max_followups,
            "instructions": spec.probe_instructions,
        },
    }
    body["show_if"] = dict(spec.show_if) if spec.show_if is not None else None
    body.update(spec.config)
    return body
