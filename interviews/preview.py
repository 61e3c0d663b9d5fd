"""Preview as respondent: the real page and moderator on any study, draft included,
recording nothing.

The steps live in the researcher's session (one list per study), as plain dicts of
`interviews.flow.Turn`'s fields; the course of the interview is `interviews.flow`,
the answers are checked by the same `services.validate_step_answer`, and follow-ups
come from the same `services.ask_moderator`, so the preview behaves as a respondent's
interview does. No interview, answer, invitation or trait is written.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

from django.contrib.sessions.backends.base import SessionBase
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_http_methods

from interviews import flow, forms, messages, selectors, services
from interviews.state import DONE, Said, Screen, question_data
from interviews.views import render_screen
from studies.models import Question, Study
from studies.question_types import QuestionSpec
from workspaces.untrusted import MAX_ID
from workspaces.web import WorkspaceRequest, member_required

MAX_PREVIEW_STEPS = 500  # bounds the session whatever is posted


def _session_key(study: Study) -> str:
    return f"interview-preview-{study.pk}"


def _load(session: SessionBase, study: Study) -> list[flow.Turn]:
    raw = session.get(_session_key(study), [])
    try:
        return [flow.Turn(**item) for item in raw][:MAX_PREVIEW_STEPS]
    except TypeError:  # a session from another version of this code
        return []


def _save(session: SessionBase, study: Study, turns: list[flow.Turn]) -> None:
    session[_session_key(study)] = [asdict(t) for t in turns]


def _current(turns: list[flow.Turn]) -> flow.Turn | None:
    return next((t for t in reversed(turns) if not t.answered and not t.skipped), None)


def _advance(
    study: Study, questions: list[Question], turns: list[flow.Turn], *, probe: bool
) -> list[flow.Turn]:
    specs = {q.key: q.as_spec() for q in questions}
    last = turns[-1] if turns else None
    if probe and last is not None and last.question_key in specs:
        decision = services.ask_moderator(study=study, spec=specs[last.question_key], turns=turns)
        if decision is not None and decision.probe and decision.followup.strip():
            return [
                *turns,
                flow.Turn(
                    kind=flow.FOLLOWUP,
                    question_key=last.question_key,
                    followup_index=last.followup_index + 1,
                    text=decision.followup.strip(),
                    answered=False,
                ),
            ]
    upcoming = flow.next_question(list(specs.values()), turns)
    added = [
        flow.Turn(flow.QUESTION, spec.key, 0, spec.prompt, answered=False, skipped=True)
        for spec in upcoming.skipped
    ]
    if upcoming.question is not None:
        added.append(
            flow.Turn(flow.QUESTION, upcoming.question.key, 0, upcoming.question.prompt, False)
        )
    return [*turns, *added]


def _screen(study: Study, specs: dict[str, QuestionSpec], turns: list[flow.Turn]) -> Screen:
    current = _current(turns)
    answered, total = flow.progress(list(specs.values()), turns)
    thread = []
    if current is not None and current.kind == flow.FOLLOWUP:
        thread = [
            Said(asked=t.text, answer=t.answer_text)
            for t in flow.exchanges_of(current.question_key, turns)
            if t.answered
        ]
    return Screen(
        study_title=study.title,
        language=study.language,
        done=current is None,
        answered=answered,
        total=total,
        step_id=len(turns) if current is not None else None,
        kind=current.kind if current is not None else DONE,
        text=current.text if current is not None else "",
        question=question_data(specs[current.question_key]) if current is not None else None,
        thread=thread,
    )


def _study(request: WorkspaceRequest, study_id: int) -> Study:
    study = (
        selectors.study_for(workspace=request.workspace, study_id=study_id)
        if 0 < study_id <= MAX_ID
        else None
    )
    if study is None:
        raise Http404("No such study in this workspace.")
    return study


def _answer(
    request: WorkspaceRequest,
    study: Study,
    questions: list[Question],
    turns: list[flow.Turn],
    current: flow.Turn,
) -> tuple[list[flow.Turn], str, dict[str, Any]]:
    """The turns after this answer, or the error and what was sent."""
    spec = next(q.as_spec() for q in questions if q.key == current.question_key)
    try:
        value = forms.value_from_form(kind=current.kind, spec=spec, data=request.POST)
        stored = services.validate_step_answer(kind=current.kind, spec=spec, value=value)
    except services.InvalidAnswer as exc:
        submitted = {
            "text": request.POST.get("text", ""),
            "choice": request.POST.getlist("choice"),
            "other": request.POST.get("other", ""),
            "value": request.POST.get("value", ""),
        }
        return turns, messages.translated(exc.message), submitted
    answered = replace(
        current, answered=True, value=stored, answer_text=flow.answer_as_text(spec, stored)
    )
    turns = [answered if t is current else t for t in turns]
    return _advance(study, questions, turns, probe=True), "", {}


@member_required()
@require_http_methods(["GET", "POST"])
def preview(request: WorkspaceRequest, study_id: int) -> HttpResponse:
    study = _study(request, study_id)
    questions = selectors.questions_of(study=study)
    if not questions:
        raise Http404("This study has no questions to preview yet.")
    specs = {q.key: q.as_spec() for q in questions}
    turns = [t for t in _load(request.session, study) if t.question_key in specs]
    unfinished = not turns or flow.next_question(list(specs.values()), turns).question is not None
    if _current(turns) is None and unfinished:
        turns = _advance(study, questions, turns, probe=False)
    post_url = reverse("interviews:preview", kwargs={"study_id": study.pk})
    restart_url = reverse("interviews:preview-restart", kwargs={"study_id": study.pk})
    error = ""
    submitted: dict[str, Any] = {}
    current = _current(turns)
    if request.method == "POST" and current is not None:
        with translation.override(study.language):
            turns, error, submitted = _answer(request, study, questions, turns, current)
    _save(request.session, study, turns)
    screen = _screen(study, specs, turns)
    if request.method == "POST" and not error and not request.htmx:
        return redirect(post_url)
    return render_screen(
        request,
        screen,
        post_url=post_url,
        error=error,
        submitted=submitted,
        status=400 if error else 200,
        preview=True,
        restart_url=restart_url,
    )


@member_required()
@require_http_methods(["POST", "GET"])
def preview_restart(request: WorkspaceRequest, study_id: int) -> HttpResponse:
    study = _study(request, study_id)
    request.session.pop(_session_key(study), None)
    return redirect(reverse("interviews:preview", kwargs={"study_id": study.pk}))
