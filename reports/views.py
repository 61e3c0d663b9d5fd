"""Web UI for reports: the list, the report page, its share link and exports. Thin."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from reports import exports, presentation, selectors, services, splitting
from reports.models import Report
from segments.models import Segment
from studies import selectors as study_selectors
from workspaces.services import ServiceError
from workspaces.spreadsheets import streaming_csv_response
from workspaces.untrusted import parse_id
from workspaces.web import WorkspaceRequest, member_required


def _report_or_404(request: WorkspaceRequest, report_id: int) -> Report:
    report = selectors.report_get(workspace=request.workspace, pk=report_id)
    if report is None:
        raise Http404("No such report in this workspace.")
    return report


@member_required()
def report_list(request: WorkspaceRequest) -> HttpResponse:
    reports = selectors.report_list(workspace=request.workspace)
    return render(request, "reports/report_list.html", {"reports": reports})


def _context(request: HttpRequest, report: Report) -> dict[str, Any]:
    context: dict[str, Any] = {"report": report}
    if report.document:
        question = request.GET.get("question") or None
        context.update(presentation.page_context(report.document, question))
    return context


@member_required()
def report_detail(request: WorkspaceRequest, report_id: int) -> HttpResponse:
    report = _report_or_404(request, report_id)
    context = _context(request, report)
    context["shared"] = False
    if report.share_token:
        context["share_url"] = request.build_absolute_uri(
            reverse("reports:shared", args=[report.share_token])
        )
    return render(request, "reports/report_detail.html", context)


def report_shared(request: HttpRequest, token: str) -> HttpResponse:
    """The read-only page a share link opens, for people without an account."""
    report = selectors.report_shared(token=token)
    if report is None:
        raise Http404("This link does not open a report (it may have been revoked).")
    context = _context(request, report)
    context["shared"] = True
    response = render(request, "reports/report_detail.html", context)
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_POST
@member_required(write=True)
def report_share(request: WorkspaceRequest, report_id: int) -> HttpResponseBase:
    report = _report_or_404(request, report_id)
    if request.POST.get("action") == "revoke":
        services.report_unshare(report=report)
    else:
        services.report_share(report=report)
    return redirect("reports:detail", report.pk)


@member_required()
def report_export_json(request: WorkspaceRequest, report_id: int) -> HttpResponse:
    report = _report_or_404(request, report_id)
    if not report.document:
        raise Http404("This report has no document yet.")
    response = HttpResponse(
        json.dumps(report.document, ensure_ascii=False, indent=2),
        content_type="application/json",
    )
    response["Content-Disposition"] = f'attachment; filename="report-{report.pk}.json"'
    return response


@member_required()
def report_export_csv(request: WorkspaceRequest, report_id: int) -> HttpResponseBase:
    report = _report_or_404(request, report_id)
    if not report.document:
        raise Http404("This report has no document yet.")
    return streaming_csv_response(
        f"report-{report.pk}.csv", exports.HEADER, exports.csv_rows(report.document)
    )


def _ids(values: list[str]) -> list[int]:
    return [pk for value in values if (pk := parse_id(value)) is not None]


@member_required(write=True)
def report_new(request: WorkspaceRequest) -> HttpResponseBase:
    """Choose a study, then which of its segments to compare; POST starts the report."""
    studies = study_selectors.study_list(workspace=request.workspace).order_by("-created_at")
    study_id = parse_id(request.POST.get("study") or request.GET.get("study"))
    study = (
        study_selectors.study_get(workspace=request.workspace, pk=study_id)
        if study_id is not None
        else None
    )
    error = ""
    if request.method == "POST" and study is not None:
        try:
            report = services.report_create(
                workspace=request.workspace,
                study_id=study.pk,
                segment_ids=_ids(request.POST.getlist("segments")),
                include_flagged=request.POST.get("include_flagged") == "on",
                created_by=request.user if request.user.is_authenticated else None,
            )
        except ServiceError as exc:
            error = exc.message
        else:
            return redirect("reports:detail", report.pk)
    targets = (
        [target.segment for target in study.targets.select_related("segment")] if study else []
    )
    # A cut: any other active segment (e.g. a rule on an answer's trait) groups the study's
    # respondents by membership instead of by the invitation's segment.
    cuts = (
        Segment.objects.filter(workspace=request.workspace, is_active=True)
        .exclude(pk__in=[segment.pk for segment in targets])
        .order_by("name")
        if study
        else []
    )
    context = {
        "studies": studies,
        "study": study,
        "targets": targets,
        "cuts": cuts,
        "error": error,
    }
    return render(request, "reports/report_new.html", context, status=400 if error else 200)


@require_POST
@member_required(write=True)
def report_regenerate(request: WorkspaceRequest, report_id: int) -> HttpResponseBase:
    report = _report_or_404(request, report_id)
    services.report_regenerate(
        report=report, include_flagged=request.POST.get("include_flagged") == "on"
    )
    messages.info(request, "Generating again from the interviews as they are now.")
    return redirect("reports:detail", report.pk)


@require_POST
@member_required(write=True)
def report_split(request: WorkspaceRequest, report_id: int) -> HttpResponseBase:
    """“Split this segment”: one new segment per story the report found in it."""
    report = _report_or_404(request, report_id)
    raw = request.POST.get("segment", "")
    try:
        made = splitting.split_segment(
            report=report,
            segment_id=int(raw) if raw.isdigit() else 0,
            requested_by=request.user if request.user.is_authenticated else None,
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        names = ", ".join(f"“{segment.name}”" for segment in made)
        messages.success(
            request, f"Made {len(made)} segments: {names}. Their members are being computed."
        )
    return redirect("reports:detail", report.pk)
