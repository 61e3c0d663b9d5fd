"""Recording answers and moving on: follow-ups from the moderator (offline, model, fallback,
failure), the bound on follow-ups, recovery after a crash, traits written back, erasure."""

from __future__ import annotations

from typing import Any

import pytest

from interviews import moderator, services, tasks
from interviews.models import Answer, Interview, InterviewStatus, Step, StepKind
from people import services as people_services
from people.models import Event, Person
from tests.factories import PersonAliasFactory
from tests.interviews.conftest import launched_study, post_answer, url
from tests.llm.fake_openai import FakeOpenAI, Reply

pytestmark = pytest.mark.django_db

WHY = (
    "Because my team grew to 12 people and the free plan limits us to 3 seats, "
    "so I compared Pro with Acme's pricing last week."
)
VAGUE = "idk, just looking"
OPEN = [
    {
        "key": "why",
        "type": "open_ended",
        "prompt": "What brought you to our pricing page?",
        "probe": {"max_followups": 2},
    }
]
AFTER = {"key": "team", "type": "yes_no", "prompt": "Do you work in a team?"}


def open_interview(respondent, study) -> tuple[str, dict[str, Any]]:
    token = study.invitations.get().token
    return token, respondent.get(url(token)).json()


def test_a_vague_answer_gets_a_follow_up_from_the_offline_moderator(respondent, workspace):
    study = launched_study(workspace, questions=[*OPEN, AFTER])
    token, body = open_interview(respondent, study)

    response = post_answer(respondent, token, body["step"]["id"], VAGUE)

    step = response.json()["step"]
    assert step["kind"] == "followup"
    assert step["question"]["key"] == "why"
    assert step["text"] and len(step["text"]) <= 300
    followup = Step.objects.get(pk=step["id"])
    assert (followup.moderator, followup.followup_index) == ("offline", 1)
    assert followup.probe_reason
    assert Answer.objects.get().text == VAGUE


def test_follow_ups_stop_at_max_followups_without_asking_the_moderator(
    respondent, workspace, monkeypatch
):
    calls = []
    real = moderator.decide
    monkeypatch.setattr(moderator, "decide", lambda c: calls.append(c) or real(c))
    study = launched_study(workspace, questions=[*OPEN, AFTER])
    token, body = open_interview(respondent, study)

    kinds = []
    for _ in range(3):
        body = post_answer(respondent, token, body["step"]["id"], VAGUE).json()
        kinds.append(body["step"]["kind"])

    assert kinds == ["followup", "followup", "question"]
    assert body["step"]["question"]["key"] == "team"
    assert len(calls) == 2  # not asked once the bound was reached
    assert [len(c.exchanges) for c in calls] == [1, 2]
    assert calls[1].exchanges[0] == moderator.Exchange(
        asked="What brought you to our pricing page?", answer=VAGUE
    )


def test_an_informative_answer_moves_on(respondent, workspace):
    study = launched_study(workspace, questions=[*OPEN, AFTER])
    token, body = open_interview(respondent, study)

    step = post_answer(respondent, token, body["step"]["id"], WHY).json()["step"]

    assert (step["kind"], step["question"]["key"]) == ("question", "team")


def test_structured_questions_are_not_probed_unless_the_study_allows(
    respondent, workspace, monkeypatch
):
    calls = []
    monkeypatch.setattr(moderator, "decide", lambda c: calls.append(c))
    study = launched_study(
        workspace,
        questions=[
            {"key": "nps", "type": "scale", "min": 0, "max": 10, "probe": {"max_followups": 2}},
            AFTER,
        ],
    )
    token, body = open_interview(respondent, study)

    step = post_answer(respondent, token, body["step"]["id"], 3).json()["step"]

    assert step["kind"] == "question" and calls == []


def test_the_model_writes_the_follow_up(respondent, workspace, llm_online: FakeOpenAI):
    llm_online.script(
        Reply.json(
            {
                "probe": True,
                "followup": "What were you hoping to find there?",
                "reason": "vague answer",
            }
        )
    )
    study = launched_study(workspace, questions=[*OPEN, AFTER])
    token, body = open_interview(respondent, study)

    step = post_answer(respondent, token, body["step"]["id"], VAGUE).json()["step"]

    assert step["text"] == "What were you hoping to find there?"
    assert Step.objects.get(pk=step["id"]).moderator == "model"


def test_a_failing_model_falls_back_and_the_researcher_sees_it(
    respondent, workspace, llm_online: FakeOpenAI, settings
):
    settings.MOTIVE_LLM_MAX_RETRIES = 0
    llm_online.script(Reply.error(500), Reply.error(500))
    study = launched_study(workspace, questions=[*OPEN, AFTER])
    token, body = open_interview(respondent, study)

    step = post_answer(respondent, token, body["step"]["id"], VAGUE).json()["step"]

    followup = Step.objects.get(pk=step["id"])
    assert followup.moderator == "fallback"
    assert followup.fallback_reason
    assert Answer.objects.get().text == VAGUE


def test_a_moderator_that_raises_loses_nothing_and_skips_the_follow_up(
    respondent, workspace, monkeypatch
):
    def broken(context):
        raise RuntimeError("boom")

    monkeypatch.setattr(moderator, "decide", broken)
    study = launched_study(workspace, questions=[*OPEN, AFTER])
    token, body = open_interview(respondent, study)

    response = post_answer(respondent, token, body["step"]["id"], VAGUE)

    assert response.status_code == 200
    assert response.json()["step"]["question"]["key"] == "team"
    assert Answer.objects.get().text == VAGUE


def test_the_answer_is_committed_before_the_moderator_is_asked(respondent, workspace, monkeypatch):
    seen = []

    def watching(context):
        # A separate look at the database: the answer is already there.
        seen.append(list(Answer.objects.values_list("text", flat=True)))
        return moderator.ProbeDecision(probe=False, followup="", reason="", moderator="offline")

    monkeypatch.setattr(moderator, "decide", watching)
    study = launched_study(workspace, questions=[*OPEN, AFTER])
    token, body = open_interview(respondent, study)

    post_answer(respondent, token, body["step"]["id"], VAGUE)

    assert seen == [[VAGUE]]


def test_after_a_crash_between_answer_and_next_step_the_link_moves_on(respondent, workspace):
    study = launched_study(workspace, questions=[*OPEN, AFTER])
    token, body = open_interview(respondent, study)
    interview = Interview.objects.get()
    # The answer committed, then the process died before the next step was written.
    services._record(interview, body["step"]["id"], VAGUE, interview.started_at)

    again = respondent.get(url(token)).json()

    assert (again["step"]["kind"], again["step"]["question"]["key"]) == ("question", "team")
    assert not Step.objects.filter(kind=StepKind.FOLLOWUP).exists()


# --- traits and segments -------------------------------------------------------------


def complete(respondent, study, answers):
    token, body = open_interview(respondent, study)
    while body["step"]["kind"] != "done":
        step = body["step"]
        value = WHY if step["kind"] == "followup" else answers[step["question"]["key"]]
        body = post_answer(respondent, token, step["id"], value).json()
    return Interview.objects.get(invitation__token=token)


DESIGN_ANSWERS = {
    "why": WHY,
    "nps": 9,
    "plan": "Pro",
    "feat": ["A", "C"],
    "rank": ["Speed", "Price", "Support"],
    "team": False,
}


def test_completion_writes_structured_answers_as_traits(
    respondent, study, api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        interview = complete(respondent, study, DESIGN_ANSWERS)

    person = Person.objects.get(pk=interview.person_id)
    key = study.key
    assert {k: v for k, v in person.traits.items() if k.startswith("motive.")} == {
        f"motive.{key}.nps": 9,
        f"motive.{key}.plan": "Pro",
        f"motive.{key}.feat": ["A", "C"],
        f"motive.{key}.rank": ["Speed", "Price", "Support"],
        f"motive.{key}.team": False,
    }
    assert interview.status == InterviewStatus.COMPLETED
    # A segment can be defined on what people said.
    preview = api.post(
        "/api/v1/segments/preview",
        {
            "kind": "rule",
            "definition": {
                "all": [
                    {"trait": f"motive.{key}.plan", "op": "eq", "value": "Pro"},
                    {"trait": f"motive.{key}.nps", "op": "gte", "value": 9},
                ]
            },
        },
        format="json",
    )
    assert preview.json()["sample"] == [person.user_id]


def test_writing_traits_again_stores_nothing_twice(
    respondent, study, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        interview = complete(respondent, study, DESIGN_ANSWERS)

    assert tasks.write_traits.delay(interview_id=interview.pk).get() is True

    assert Event.objects.filter(person_id=interview.person_id, name="$identify").count() == 1


def test_a_person_known_only_by_an_anonymous_id_gets_the_traits(
    respondent, workspace, django_capture_on_commit_callbacks
):
    study = launched_study(workspace, questions=[AFTER])
    person = study.invitations.get().person
    Person.objects.filter(pk=person.pk).update(user_id=None)
    alias = PersonAliasFactory(person=person, workspace=workspace)

    with django_capture_on_commit_callbacks(execute=True):
        complete(respondent, study, {"team": True})

    person.refresh_from_db()
    assert person.traits[f"motive.{study.key}.team"] is True
    assert Person.objects.filter(workspace=workspace).count() == 1
    assert alias.person_id == person.pk


def test_quality_is_assessed_on_completion(respondent, workspace):
    study = launched_study(
        workspace,
        questions=[{"key": "why", "type": "open_ended", "probe": {"max_followups": 0}}],
    )

    interview = complete(respondent, study, {"why": "asdf qwer zxcv"})

    assert "gibberish" in interview.quality_flags
    assert interview.low_quality is True
    assert interview.included is False


# --- erasure -------------------------------------------------------------------------


def test_erasing_the_person_removes_what_they_wrote(respondent, workspace):
    study = launched_study(workspace, questions=[*OPEN, DESIGN_PLAN, AFTER])
    token, body = open_interview(respondent, study)
    body = post_answer(respondent, token, body["step"]["id"], VAGUE).json()  # a follow-up
    body = post_answer(respondent, token, body["step"]["id"], WHY).json()
    body = post_answer(respondent, token, body["step"]["id"], {"other": "My own plan"}).json()
    post_answer(respondent, token, body["step"]["id"], True)
    interview = Interview.objects.get()

    people_services.person_erase(person=interview.person)

    interview.refresh_from_db()
    assert interview.person_id is None and interview.erased_at is not None
    answers = {
        (a.step.kind, a.step.question_key): (a.value, a.text)
        for a in Answer.objects.filter(step__interview=interview).select_related("step")
    }
    assert answers == {
        ("question", "why"): (None, ""),
        ("followup", "why"): (None, ""),
        ("question", "plan"): ({"other": ""}, ""),
        ("question", "team"): (True, ""),
    }
    assert list(Step.objects.filter(kind="followup").values_list("text", flat=True)) == [""]


DESIGN_PLAN = {
    "key": "plan",
    "type": "single_choice",
    "options": ["Free", "Pro"],
    "allow_other": True,
}


def test_no_traits_are_written_before_the_completion_commits(
    respondent, workspace, django_capture_on_commit_callbacks
):
    study = launched_study(workspace, questions=[AFTER])

    with django_capture_on_commit_callbacks(execute=False) as queued:
        complete(respondent, study, {"team": True})

    person = study.invitations.get().person
    person.refresh_from_db()
    assert f"motive.{study.key}.team" not in person.traits
    assert len(queued) == 1


def test_the_trait_task_does_nothing_for_an_interview_that_is_gone(db):
    assert tasks.write_traits.delay(interview_id=10**9).get() is False
