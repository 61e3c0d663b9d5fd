"""The researcher's side: a study's interviews, each transcript, the include/exclude
review, and the transcripts as CSV and JSON (streamed). Pages of the interviews app
under the study's URL; every read is scoped to a study of the request's workspace."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from interviews import exports, selectors, services
from interviews.models import Inclusion, Interview, InterviewStatus
from studies.models import Study
from workspaces.spreadsheets import streaming_csv_response
from workspaces.untrusted import MAX_ID
from workspaces.web import WorkspaceRequest, member_required

PER_PAGE = 50


def _study(request: WorkspaceRequest, study_id: int) -> Study:
    study = (
        selectors.study_for(workspace=request.workspace, study_id=study_id)
        if 0 < study_id <= MAX_ID
        else None
    )
    if study is None:
        raise Http404("No such study in this workspace.")
    return study


def _interview(study: Study, interview_id: int) -> Interview:
    interview = (
        selectors.interview_get(study=study, pk=interview_id)
        if 0 < interview_id <= MAX_ID
        else None
    )
    if interview is None:
        raise Http404("No such interview in this study.")
    return interview


@member_required()
@require_http_methods(["GET"])
def interview_list(request: WorkspaceRequest, study_id: int) -> HttpResponse:
    study = _study(request, study_id)
    status = request.GET.get("status", "")
    if status not in InterviewStatus.values:
        status = ""
    rows = selectors.interview_list(study=study, status=status or None)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "study": study,
        "page": page,
        "status": status,
        "statuses": InterviewStatus.choices,
        "counts": selectors.interview_counts(study=study),
    }
    return render(request, "interviews/interview_list.html", context)


@member_required()
@require_http_methods(["GET"])
def interview_detail(request: WorkspaceRequest, study_id: int, interview_id: int) -> HttpResponse:
    study = _study(request, study_id)
    interview = _interview(study, interview_id)
    context = {
        "study": study,
        "interview": interview,
        "steps": selectors.steps_with_answers(interview=interview),
        "inclusions": Inclusion.choices,
    }
    return render(request, "interviews/interview_detail.html", context)


@member_required(write=True)
@require_http_methods(["POST"])
def interview_inclusion(
    request: WorkspaceRequest, study_id: int, interview_id: int
) -> HttpResponse:
    study = _study(request, study_id)
    interview = _interview(study, interview_id)
    inclusion = request.POST.get("inclusion", "")
    url = reverse("interviews:detail", kwargs={"study_id": study.pk, "interview_id": interview.pk})
    try:
        services.interview_set_inclusion(interview=interview, inclusion=inclusion)
    except services.ServiceError as exc:
        messages.error(request, exc.message)
        return redirect(url)
    label = "included in" if interview.included else "excluded from"
    messages.success(request, f"Interview {interview.pk} is {label} reports.")
    return redirect(url)


@member_required()
@require_http_methods(["GET"])
def transcripts_csv(request: WorkspaceRequest, study_id: int) -> StreamingHttpResponse:
    study = _study(request, study_id)
    return streaming_csv_response(
        f"{study.key}-transcripts.csv", exports.CSV_HEADER, exports.csv_rows(study=study)
    )


@member_required()
@require_http_methods(["GET"])
def transcripts_json(request: WorkspaceRequest, study_id: int) -> StreamingHttpResponse:
    study = _study(request, study_id)
    response = StreamingHttpResponse(
        exports.transcripts_json(study=study), content_type="application/json"
    )
    safe = "".join(c for c in study.key if c.isalnum() or c in "-_") or "study"
    response["Content-Disposition"] = f'attachment; filename="{safe}-transcripts.json"'
    return response
