from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from studies import services as study_services
from studies.models import Invitation, Study
from tests.factories import DESIGN_QUESTIONS, segment_with_member


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def launched_study(workspace, questions=None, **settings) -> Study:
    """A live study at a segment of one member, launched through the services."""
    segment = segment_with_member(workspace)
    study = study_services.study_create(
        workspace=workspace,
        title=settings.pop("title", "Why do pricing-page visitors stall?"),
        segments=[segment.pk],
        questions=[
            {**q, "prompt": q.get("prompt", f"Question {q['key']}")}
            for q in (questions if questions is not None else DESIGN_QUESTIONS)
        ],
        **settings,
    )
    study_services.study_launch(study=study)
    return study


@pytest.fixture
def study(workspace) -> Study:
    return launched_study(workspace)


@pytest.fixture
def invitation(study) -> Invitation:
    return Invitation.objects.get(study=study)


@pytest.fixture
def respondent() -> APIClient:
    return APIClient()


def url(token: str) -> str:
    return f"/api/v1/interviews/{token}/"


def answer_url(token: str) -> str:
    return f"/api/v1/interviews/{token}/answer"


def post_answer(client: APIClient, token: str, step: int, value):
    return client.post(answer_url(token), {"step": step, "value": value}, format="json")
