"""What interviews teach segmentation: a completed interview's structured answers written
to the person as traits `motive.<study key>.<question key>` through the people app's own
identify path, so segments can be defined on what people said.

The study key is `Study.key` (unique in the workspace, stable once set). Open answers are
not traits; a choice written in the respondent's own words ("Other") is its text.
"""

from __future__ import annotations

import logging
from typing import Any

from interviews import selectors
from interviews.models import Interview, StepKind, StepStatus
from people.ingestion import ingest_items
from people.models import PersonAlias
from studies.question_types import QuestionType

logger = logging.getLogger(__name__)

TRAIT_PREFIX = "motive"


def trait_key(study_key: str, question_key: str) -> str:
    """`motive.<study key>.<question key>`: the study's own `key` (unique per workspace)."""
    return f"{TRAIT_PREFIX}.{study_key}.{question_key}"


def trait_value(value: Any) -> Any:
    """Structured answers as traits; a single choice's own words are its text."""
    if isinstance(value, dict) and "other" in value:
        return value["other"]
    return value


def traits_of(*, interview: Interview) -> dict[str, Any]:
    """The structured answers of an interview as namespaced traits (open text is not one)."""
    traits: dict[str, Any] = {}
    for step in selectors.steps_with_answers(interview=interview):
        if step.kind != StepKind.QUESTION or step.status != StepStatus.ANSWERED:
            continue
        if step.question.type == QuestionType.OPEN_ENDED or step.answer.value is None:
            continue
        traits[trait_key(interview.study.key, step.question_key)] = trait_value(step.answer.value)
    return traits


def traits_write(*, interview: Interview) -> bool:
    """Write the structured answers to the person through the people app's identify path.

    One identify call with the messageId `motive-interview-<id>`, so writing again stores
    nothing twice. A person known only by anonymous ids is identified by one of them; a
    person erased meanwhile gets nothing. Returns whether the write was accepted.
    """
    traits = traits_of(interview=interview)
    if not traits or interview.person_id is None or interview.completed_at is None:
        return False
    person = interview.person
    assert person is not None
    item: dict[str, Any] = {
        "type": "identify",
        "traits": traits,
        "timestamp": interview.completed_at.isoformat(),
        "messageId": f"motive-interview-{interview.pk}",
    }
    if person.user_id:
        item["userId"] = person.user_id
    else:
        alias = PersonAlias.objects.filter(person=person).order_by("pk").first()
        if alias is None:
            logger.warning("interview %s: person %s has no id to write to", interview.pk, person.pk)
            return False
        item["anonymousId"] = alias.anonymous_id
    result = ingest_items(workspace=interview.study.workspace, items=[item])
    for index, error in result.rejected:
        logger.warning("interview %s: traits refused (%s): %s", interview.pk, index, error)
    return bool(result.accepted or result.duplicates)
