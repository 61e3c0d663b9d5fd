"""Web UI for studies: the list, the builder, the launch checklist and the study page.

Thin: `studies.forms` parses what the browser sends, `studies.services` validates and
writes it (the same checks as the API), `studies.selectors` reads. Every POST ends in
a redirect (or re-renders the form with its errors and a 400).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from segments import selectors as segment_selectors
from segments.models import Segment
from studies import channels, guides, question_types, selectors, services
from studies.builder import (
    OP_LABELS,
    QuestionEditor,
    apply_action,
    builder_rows,
    editor_from_question,
    editors_from_post,
    error_rows,
    place_error,
    raw_questions,
)
from studies.forms import NewStudyForm, StudySettingsForm, settings_initial
from studies.models import InvitationStatus, Study, StudyStatus
from studies.question_types import QuestionError, QuestionType
from workspaces.services import ServiceError
from workspaces.untrusted import MAX_ID, parse_id
from workspaces.web import WorkspaceRequest, member_required

INVITATIONS_PER_PAGE = 50


def _render(
    request: WorkspaceRequest, template: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    with timezone.override(request.workspace.time_zone):
        return render(request, template, context, status=status)


def _study_or_404(request: WorkspaceRequest, study_id: int) -> Study:
    study = (
        selectors.study_get(workspace=request.workspace, pk=study_id)
        if 0 < study_id <= MAX_ID
        else None
    )
    if study is None:
        raise Http404("No such study in this workspace.")
    return study


def _can_write(request: WorkspaceRequest) -> bool:
    return bool(request.membership.can_write)


def _segments(request: WorkspaceRequest, first: list[int] | None = None) -> list[Segment]:
    """The workspace's segments, the given ones first in their order (a study's targets
    keep their order: it decides attribution)."""
    found = segment_selectors.segment_choices(workspace=request.workspace)
    order = {segment_id: position for position, segment_id in enumerate(first or [])}
    return sorted(found, key=lambda s: order.get(s.pk, len(order)))


# --- the list ------------------------------------------------------------------------


@require_http_methods(["GET"])
@member_required()
def study_list(request: WorkspaceRequest) -> HttpResponse:
    studies = list(selectors.study_list(workspace=request.workspace))
    names = {s.pk: s.name for s in segment_selectors.segment_choices(workspace=request.workspace)}
    totals = selectors.study_totals(workspace=request.workspace)
    rows = [
        {
            "study": study,
            "segments": [names.get(t.segment_id, "") for t in study.targets.all()],
            "questions": len(study.questions.all()),
            "totals": totals.get(study.pk, selectors.StudyTotals()),
        }
        for study in studies
    ]
    context = {
        "rows": rows,
        "has_segments": bool(names),
        "can_write": _can_write(request),
    }
    return _render(request, "studies/study_list.html", context)


# --- a new study -----------------------------------------------------------------------


def _template_choices() -> list[tuple[str, str]]:
    return [(t.key, f"{t.title}: {t.summary}") for t in guides.template_list()]


def _start(request: WorkspaceRequest, data: dict[str, Any], draft: bool) -> tuple[Study, str]:
    """Create the draft study the first step describes: blank, from a template, or with
    a guide drafted from the objective (the model's, else the best template, saying
    why). Returns the study and what to tell the researcher."""
    title, objective = data["title"].strip(), data["objective"].strip()
    segment_ids = list(data["segments"])
    questions: list[dict[str, Any]] = []
    said = "Draft created. Add its questions, then launch it."
    if draft:
        segments = guides.draft_segments(workspace=request.workspace, segment_ids=segment_ids)
        guide = guides.draft_guide(objective=objective, segments=segments)
        title, questions = title or guide.title, guide.questions
        said = (
            "Questions drafted by the language model from the objective: edit them freely."
            if guide.source == "model"
            else f"Started from the template “{guide.title}”, because {guide.reason}."
        )
    elif data["template"]:
        template = guides.template_get(data["template"])
        if template is not None:
            title, objective = title or template.title, objective or template.objective
            questions = template.guide()
            said = f"Started from the template “{template.title}”: edit it freely."
    study = services.study_create(
        workspace=request.workspace,
        title=title,
        objective=objective,
        segments=segment_ids,
        questions=questions,
    )
    return study, said


@require_http_methods(["GET", "POST"])
@member_required(write=True)
def study_new(request: WorkspaceRequest) -> HttpResponse:
    """What the study is for, whom it asks, and how to start: blank, a template, or a
    guide drafted from the objective; then the builder."""
    status = 200
    segment_id = parse_id(request.GET.get("segment"))
    chosen = [segment_id] if segment_id is not None else []
    kwargs: dict[str, Any] = {
        "segments": _segments(request, chosen),
        "templates": _template_choices(),
    }
    if request.method == "POST":
        form = NewStudyForm(request.POST, **kwargs)
        if form.is_valid():
            try:
                study, said = _start(request, form.cleaned_data, "draft" in request.POST)
            except ServiceError as exc:
                if not _field_error(form, exc):
                    form.add_error(None, exc.message)
            else:
                messages.success(request, said)
                return redirect("studies:edit", study_id=study.pk)
        status = 400
    else:
        form = NewStudyForm(initial={"segments": chosen}, **kwargs)
    return _render(request, "studies/study_new.html", {"form": form}, status=status)


# --- the builder -----------------------------------------------------------------------


def _builder_context(
    request: WorkspaceRequest,
    study: Study,
    form: StudySettingsForm,
    editors: list[QuestionEditor],
    errors: list[str],
    focus: int = -1,
) -> dict[str, Any]:
    return {
        "study": study,
        "form": form,
        "rows": builder_rows(editors, locked=not study.is_draft),
        "editor_errors": error_rows(editors, locked=not study.is_draft),
        "errors": errors,
        "focus": focus,
        "locked": not study.is_draft,
        "types": QuestionType.choices,
        "op_labels": OP_LABELS,
        "can_write": _can_write(request),
    }


@require_http_methods(["GET", "POST"])
@member_required(write=True)
def study_edit(request: WorkspaceRequest, study_id: int) -> HttpResponse:
    """The builder: the study's fields and its questions in one form. Every button
    (save, add, move, duplicate, delete) posts the whole form, so nothing typed is lost;
    a valid result is saved and redirected to, an invalid one is shown with its errors."""
    study = _study_or_404(request, study_id)
    if study.status == StudyStatus.CLOSED:
        messages.info(request, "This study is closed and can no longer change.")
        return redirect("studies:detail", study_id=study.pk)
    targets = [t.segment_id for t in study.targets.all()]
    kwargs: dict[str, Any] = {"segments": _segments(request, targets), "locked": not study.is_draft}
    if request.method != "POST":
        form = StudySettingsForm(initial=settings_initial(study), **kwargs)
        editors = [editor_from_question(q) for q in study.questions.all()]
        context = _builder_context(request, study, form, editors, [], _focus(request))
        return _render(request, "studies/study_builder.html", context)
    form = StudySettingsForm(request.POST, initial=settings_initial(study), **kwargs)
    editors = editors_from_post(request.POST)
    if study.is_draft:
        editors, focus = apply_action(request.POST.get("action", "save"), editors)
    else:
        focus = -1  # launched: the list of questions is fixed, wording may change
    errors: list[str] = []
    if not form.is_valid():
        # Say what is wrong with the questions too, not only with the study's fields.
        try:
            question_types.validate_questions(raw_questions(editors))
        except QuestionError as exc:
            _place(exc, form, editors, errors)
    else:
        try:
            services.study_update(study=study, **form.changes(), questions=raw_questions(editors))
        except ServiceError as exc:
            _place(exc, form, editors, errors)
        else:
            messages.success(request, "Saved.")
            url = reverse("studies:edit", kwargs={"study_id": study.pk})
            # The fragment scrolls a plain page; htmx never sees it, so `focus` says it too.
            if focus >= 0:
                url += f"?focus={focus}#question-{focus}"
            return redirect(url)
    context = _builder_context(request, study, form, editors, errors, focus)
    return _render(request, "studies/study_builder.html", context, status=400)


def _focus(request: WorkspaceRequest) -> int:
    """The question to bring into view after a redirect (`?focus=2`), or -1."""
    text = request.GET.get("focus", "")
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 3 else -1


def _field_error(form: forms.Form, exc: ServiceError) -> bool:
    """Put a service error beside the form field it names (`segments[1]: ...` goes to
    `segments`), without the name the field's label already says; False if none."""
    name = (exc.field or "").split("[", 1)[0]
    if name not in form.fields:
        return False
    prefix, _, words = exc.message.partition(": ")
    form.add_error(name, words if words and prefix.startswith(name) else exc.message)
    return True


def _place(
    exc: ServiceError, form: StudySettingsForm, editors: list[QuestionEditor], errors: list[str]
) -> None:
    """A refusal of the service, beside the input it is about, else above the form."""
    if not place_error(exc.field or "", exc.message, editors) and not _field_error(form, exc):
        errors.append(exc.message)


# --- launch and the lifecycle ------------------------------------------------------------


def _checklist(study: Study) -> dict[str, Any]:
    """What launching now would do, and what is missing, without inviting anyone."""
    segments = {
        s.pk: s for s in Segment.objects.filter(pk__in=[t.segment_id for t in study.targets.all()])
    }
    preview = selectors.study_launch_preview(study=study)
    rows: list[dict[str, Any]] = [
        {"segment": segments[t.segment_id], "counts": preview.get(t.segment_id)}
        for t in study.targets.all()
        if t.segment_id in segments
    ]
    counts = [row["counts"] for row in rows if row["counts"] is not None]
    questions = list(study.questions.all())
    problems = []
    if not rows:
        problems.append("Choose at least one target segment.")
    if not questions:
        problems.append("Add at least one question.")
    unwritten = [i + 1 for i, q in enumerate(questions) if not q.prompt]
    if unwritten:
        listed = ", ".join(str(n) for n in unwritten)
        problems.append(f"Write the text of question {listed}.")
    channel = channels.channel_get(study.channel)
    return {
        "rows": rows,
        "invited": sum(c.invited for c in counts),
        "excluded_recontact": sum(c.recontact for c in counts),
        "excluded_opt_out": sum(c.opted_out for c in counts),
        "question_count": len(questions),
        "problems": problems,
        "channel_label": "Email, sent by Motive" if channel else "Links only (export as CSV)",
    }


@require_http_methods(["GET", "POST"])
@member_required(write=True)
def study_launch(request: WorkspaceRequest, study_id: int) -> HttpResponse:
    """GET: the launch checklist with how many people will be invited; POST: launch."""
    study = _study_or_404(request, study_id)
    if not study.is_draft:
        messages.info(request, f"This study is {study.status}; it was launched already.")
        return redirect("studies:detail", study_id=study.pk)
    if request.method == "POST":
        try:
            result = services.study_launch(study=study)
        except ServiceError as exc:
            messages.error(request, exc.message)
            return redirect("studies:launch", study_id=study.pk)
        messages.success(request, f"Launched: {result.invited:,} people invited.")
        return redirect("studies:detail", study_id=study.pk)
    context = {"study": study, **_checklist(study)}
    return _render(request, "studies/study_launch.html", context)


def _transition(request: WorkspaceRequest, study_id: int, action: str) -> HttpResponse:
    study = _study_or_404(request, study_id)
    change = {
        "pause": services.study_pause,
        "resume": services.study_resume,
        "close": services.study_close,
    }[action]
    try:
        change(study=study)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        done = {"pause": "Paused", "resume": "Resumed", "close": "Closed"}[action]
        messages.success(request, f"{done}.")
    return redirect("studies:detail", study_id=study.pk)


@require_POST
@member_required(write=True)
def study_pause(request: WorkspaceRequest, study_id: int) -> HttpResponse:
    return _transition(request, study_id, "pause")


@require_POST
@member_required(write=True)
def study_resume(request: WorkspaceRequest, study_id: int) -> HttpResponse:
    return _transition(request, study_id, "resume")


@require_http_methods(["GET", "POST"])
@member_required(write=True)
def study_close(request: WorkspaceRequest, study_id: int) -> HttpResponse:
    """GET: confirm (closing cannot be undone); POST: close."""
    if request.method == "POST":
        return _transition(request, study_id, "close")
    study = _study_or_404(request, study_id)
    return _render(request, "studies/study_close.html", {"study": study})


@require_http_methods(["GET", "POST"])
@member_required(write=True)
def study_delete(request: WorkspaceRequest, study_id: int) -> HttpResponse:
    """GET: confirm; POST: delete a draft."""
    study = _study_or_404(request, study_id)
    if request.method == "POST":
        try:
            services.study_delete(study=study)
        except ServiceError as exc:
            messages.error(request, exc.message)
            return redirect("studies:detail", study_id=study.pk)
        messages.success(request, f"“{study.title}” is deleted.")
        return redirect("studies:list")
    return _render(request, "studies/study_delete.html", {"study": study})


# --- the study page ------------------------------------------------------------------------


COVERAGE_ROWS = 50


def _coverage_context(study: Study) -> dict[str, Any]:
    """Buying committees: accounts with a completed interview and the roles covered,
    shown when the study caps people per account or names a role trait."""
    if study.account_cap is None and not study.role_trait:
        return {"coverage": None}
    accounts = selectors.coverage_accounts(study=study)
    return {
        "coverage": selectors.coverage(study=study, accounts=list(accounts[:COVERAGE_ROWS])),
        "coverage_total": accounts.count(),
        "role_trait": study.role_trait or " or ".join(selectors.DEFAULT_ROLE_TRAITS),
    }


@require_http_methods(["GET"])
@member_required()
def study_detail(request: WorkspaceRequest, study_id: int) -> HttpResponse:
    study = _study_or_404(request, study_id)
    targets = Segment.objects.filter(
        workspace=request.workspace, pk__in=selectors.study_segment_ids(study=study)
    )
    names = {s.pk: s for s in targets}
    progress = [
        {"segment": names.get(p.segment_id), "progress": p}
        for p in selectors.study_progress(study=study)
    ]
    chosen = selectors.invitation_filter(
        study=study, status=request.GET.get("status"), segment=request.GET.get("segment")
    )
    invitations = selectors.invitation_list(
        study=study, status=chosen.status, segment_id=chosen.segment_id
    ).select_related("segment")
    page = Paginator(invitations, INVITATIONS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "study": study,
        "progress": progress,
        **_coverage_context(study),
        "page": page,
        "filter_status": chosen.status or "",
        "filter_segment": chosen.segment_id,
        "statuses": InvitationStatus.choices,
        "filtered": bool(chosen),
        "filter_query": chosen.query(),
        "questions": [editor_from_question(q) for q in study.questions.all()],
        "op_labels": OP_LABELS,
        "can_write": _can_write(request),
    }
    return _render(request, "studies/study_detail.html", context)
