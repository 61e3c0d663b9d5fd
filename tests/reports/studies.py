"""A study with interviews in the database, made of the synthetic interviews."""

from __future__ import annotations

from typing import Any

from studies import services as study_services
from studies.models import Study
from tests.factories import InvitationFactory, SegmentFactory, completed_interview
from tests.reports import synthetic

QUESTIONS = [{**q, "prompt": f"Question {q['key']}"} for q in synthetic.QUESTIONS]


def study_with_interviews(
    workspace: Any, per_segment: int, seed: int = 0, flagged: int = 0
) -> tuple[Study, list[int]]:
    """A study of two segments whose interviews are `synthetic.responses` (planted
    differences), plus `flagged` low-quality interviews per segment that say the opposite."""
    segments = [
        SegmentFactory(workspace=workspace, name="Price watchers"),
        SegmentFactory(workspace=workspace, name="Integrators"),
    ]
    study = study_services.study_create(
        workspace=workspace,
        title="Why do they stall?",
        segments=[segment.pk for segment in segments],
        questions=QUESTIONS,
    )
    by_name = {"a": segments[0], "b": segments[1]}
    for response in synthetic.responses(seed, per_segment):
        invitation = InvitationFactory(study=study, segment=by_name[response.segment])
        answers = {key: value for key, value in response.answers.items() if key != "why"}
        answers["why"] = response.answers["why"]
        completed_interview(invitation, answers, {"why": ["Mostly the team asked for it."]})
    for segment in segments:
        for _ in range(flagged):
            invitation = InvitationFactory(study=study, segment=segment)
            completed_interview(
                invitation,
                {"why": "asdf qwer", "nps": 0, "plan": "Solo", "feat": ["Alerts"],
                 "rank": ["Docs", "Support", "Speed"], "team": True},
                low_quality=True,
            )  # fmt: skip
    return study, [segment.pk for segment in segments]
