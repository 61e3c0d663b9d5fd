"""Web UI for segments: the list, the rule builder, the wizards and the segment page.

Thin: forms parse, `segments.services` writes, `segments.selectors` and the domain
modules (`rules.preview`, `rfm`, `overlap`) read.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from people import selectors as people_selectors
from segments import builder, clusters, dependents, jobs, overlap, rfm, selectors, services
from segments.forms import (
    ClusterSegmentForm,
    ExternalSegmentForm,
    FeatureFormSet,
    PlaybookForm,
    RenameForm,
    RfmPreviewForm,
    RfmSegmentForm,
    RuleSegmentForm,
    SegmentForm,
    StaticSegmentForm,
)
from segments.models import Segment, SegmentKind
from segments.rules import describe
from segments.rules.qualifying import explained_conditions
from workspaces.services import ServiceError
from workspaces.spreadsheets import streaming_csv_response
from workspaces.untrusted import loads_json, parse_id, text_problem
from workspaces.web import WorkspaceRequest, member_required, post_only

MEMBERS_PER_PAGE = 50
SECRET_SESSION_KEY = "segment-secret-{}"


def _render(
    request: WorkspaceRequest, template: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    with timezone.override(request.workspace.time_zone):
        return render(request, template, context, status=status)


def _segment_or_404(request: WorkspaceRequest, segment_id: int) -> Segment:
    segment = selectors.segment_get(workspace=request.workspace, pk=segment_id)
    if segment is None:
        raise Http404("No such segment in this workspace.")
    return segment


def _search(request: WorkspaceRequest) -> tuple[str, str]:
    """The search box's text (at most 200 characters), and why it cannot be searched
    for, if it cannot (a NUL or a lone surrogate): then the search is left out."""
    text = request.GET.get("q", "")[:200]
    problem = text_problem(text)
    return ("", f"The search {problem}.") if problem else (text, "")


def _can_write(request: WorkspaceRequest) -> bool:
    return bool(request.membership.can_write)


# --- the list ------------------------------------------------------------------------


@member_required()
def segment_list(request: WorkspaceRequest) -> HttpResponse:
    workspace = request.workspace
    search, search_error = _search(request)
    sort = selectors.segment_sort_or_default(request.GET.get("sort"))
    segments = selectors.segment_list(workspace=workspace, search=search, sort=sort)
    overlap_result = overlap.overlap(workspace_id=workspace.pk) if segments else None
    context = {
        "rows": _nested_rows(segments),
        "search": search,
        "search_error": search_error,
        "sort": sort,
        "warnings": _warnings_to_show(overlap_result) if overlap_result else [],
        "matrix": overlap.matrix(overlap_result)
        if overlap_result and len(overlap_result["segments"]) > 1
        else [],
        "has_segments": bool(segments) or search != "",
        "has_people": bool(segments) or people_selectors.workspace_has_people(workspace=workspace),
        "can_write": _can_write(request),
    }
    return _render(
        request, "segments/segment_list.html", context, status=400 if search_error else 200
    )


def _nested_rows(segments: list[Segment]) -> list[tuple[Segment, bool]]:
    """Clusters under their parent (in the list's order); a cluster whose parent is not
    in the list (filtered out by the search) stands on its own."""
    shown = {s.pk for s in segments}
    children: dict[int, list[Segment]] = {}
    for segment in segments:
        if segment.parent_id in shown:
            children.setdefault(segment.parent_id, []).append(segment)
    rows: list[tuple[Segment, bool]] = []
    for segment in segments:
        if segment.parent_id not in shown:
            rows.append((segment, False))
            rows.extend((child, True) for child in children.get(segment.pk, []))
    return rows


def _warnings_to_show(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The overlap warnings with their segments' names; all segments without a playbook
    in one warning, so the list stays readable."""
    names = {s["id"]: s["name"] for s in result["segments"]}
    shown: list[dict[str, Any]] = []
    bare: list[int] = []
    for warning in result["warnings"]:
        if warning["code"] == "no_playbook":
            bare += warning["segments"]
            continue
        shown.append({**warning, "names": [names[i] for i in warning["segments"]]})
    if bare:
        shown.append(
            {
                "code": "no_playbook",
                "segments": bare,
                "figure": len(bare),
                "names": [names[i] for i in bare],
            }
        )
    return shown


# --- the rule builder ------------------------------------------------------------------


def _builder_context(request: WorkspaceRequest, segment: Segment | None) -> dict[str, Any]:
    workspace = request.workspace
    choices = selectors.segment_choices(
        workspace=workspace, exclude=segment.pk if segment else None
    )
    return {
        "segment": segment,
        "templates": builder.TEMPLATES,
        "vocabulary": builder.vocabulary(),
        "event_names": people_selectors.event_names(workspace=workspace),
        "trait_keys": people_selectors.trait_keys(workspace=workspace),
        "account_trait_keys": people_selectors.account_trait_keys(workspace=workspace),
        "property_keys": people_selectors.event_property_keys(workspace=workspace),
        "segment_options": [{"id": s.pk, "name": s.name} for s in choices],
    }


def _saved_or_none(
    request: WorkspaceRequest,
    form: SegmentForm,
    segment: Segment | None = None,
    *,
    definition_field: str | None = None,
) -> HttpResponse | None:
    """Save through `services.segment_save` (which queues the compute as a job) and
    redirect to the segment, whose page follows the job; on a refusal, put the message
    on the form (beside the name or the definition) and return None to re-render it."""
    data = form.cleaned_data
    try:
        saved = services.segment_save(
            workspace=request.workspace,
            segment=segment,
            name=data["name"],
            kind=form.kind,
            definition=data["definition"],
            playbook=data["playbook"],
            requested_by=_user(request),
        )
    except ServiceError as exc:
        form.add_error("name" if exc.field == "name" else definition_field, exc.message)
        return None
    if saved.job is not None:
        messages.success(request, "Saved. Its members are being computed; this page follows.")
    return redirect("segments:detail", segment_id=saved.segment.pk)


def _user(request: WorkspaceRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


def _rule_form_view(request: WorkspaceRequest, segment: Segment | None) -> HttpResponse:
    workspace = request.workspace
    kwargs: dict[str, Any] = {"workspace": workspace, "segment_id": segment.pk if segment else None}
    status = 200
    if request.method == "POST":
        form = RuleSegmentForm(request.POST, **kwargs)
        if form.is_valid():
            saved = _saved_or_none(request, form, segment, definition_field="definition_json")
            if saved is not None:
                return saved
        status = 400
    elif segment is not None:
        form = RuleSegmentForm(
            initial={
                "name": segment.name,
                "playbook": segment.playbook,
                "definition_json": json.dumps(segment.definition, indent=2),
            },
            **kwargs,
        )
    else:
        template = builder.TEMPLATES_BY_KEY.get(request.GET.get("template", ""))
        definition = template["definition"] if template else {"all": []}
        form = RuleSegmentForm(
            initial={
                "name": template["name"] if template else "",
                "definition_json": json.dumps(definition, indent=2),
            },
            **kwargs,
        )
    context = _builder_context(request, segment) | {
        "form": form,
        "template_key": request.GET.get("template", ""),
    }
    return _render(request, "segments/segment_builder.html", context, status=status)


@member_required(write=True)
def segment_new(request: WorkspaceRequest) -> HttpResponse:
    return _rule_form_view(request, None)


@member_required(write=True)
def segment_edit(request: WorkspaceRequest, segment_id: int) -> HttpResponse:
    segment = _segment_or_404(request, segment_id)
    if segment.kind != SegmentKind.RULE:
        messages.info(request, "Only rule segments are edited in the builder.")
        return redirect("segments:detail", segment_id=segment.pk)
    return _rule_form_view(request, segment)


@post_only("segments:new")
@member_required()
def segment_preview(request: WorkspaceRequest) -> HttpResponse:
    """The builder's live preview: size and sample, or the problem in words. Always 200,
    so htmx swaps the answer in."""
    workspace = request.workspace
    context: dict[str, Any] = {}
    text = request.POST.get("definition_json", "").strip()
    segment_id = parse_id(request.POST.get("segment_id"))
    try:
        definition = loads_json(text or "null")
    except ValueError as exc:
        context["error"] = f"The JSON is not valid: {getattr(exc, 'msg', exc)}."
    else:
        if definition in ({"all": []}, {"any": []}, None):
            context["blank"] = True
        else:
            try:
                definition = services.validate_segment_definition(
                    workspace=workspace,
                    kind=SegmentKind.RULE,
                    definition=definition,
                    segment_id=segment_id,
                )
                result = selectors.segment_preview(
                    workspace=workspace, kind=SegmentKind.RULE, definition=definition, sample=10
                )
            except ServiceError as exc:
                context["error"] = exc.message
            else:
                people = people_selectors.workspace_people_count(workspace=workspace)
                names = {s.pk: s.name for s in selectors.segment_choices(workspace=workspace)}
                context |= {
                    "size": result["size"],
                    "sample": result["sample"],
                    "unknown": result["unknown"],
                    "people": people,
                    "share": result["size"] / people if people else None,
                    "sentence": describe(definition, names),
                }
    return _render(request, "segments/_rule_preview.html", context)


# --- RFM -------------------------------------------------------------------------------


def _rfm_grid_context(spec: dict[str, Any], grid: dict[tuple[int, int], int]) -> dict[str, Any]:
    include = set(spec.get("include") or rfm.TIERS)
    rows: list[dict[str, Any]] = []
    for r in range(5, 0, -1):
        cells: list[dict[str, Any]] = []
        for fm in range(1, 6):
            tier = rfm.TIER_GRID[r][fm - 1]
            cells.append({"tier": tier, "count": grid.get((r, fm), 0), "included": tier in include})
        rows.append({"r": r, "cells": cells})
    total = sum(grid.values())
    included = sum(cell["count"] for row in rows for cell in row["cells"] if cell["included"])
    return {"grid_rows": rows, "grid_total": total, "grid_included": included}


@post_only("segments:new-rfm")
@member_required()
def segment_rfm_preview(request: WorkspaceRequest) -> HttpResponse:
    workspace = request.workspace
    form = RfmPreviewForm(request.POST, workspace=workspace)
    context: dict[str, Any] = {"form": form}
    if form.is_valid():
        spec = form.cleaned_data["definition"]
        grid = selectors.rfm_grid(spec, workspace=workspace, as_of=timezone.now())
        context |= _rfm_grid_context(spec, grid)
    return _render(request, "segments/_rfm_grid.html", context)


@member_required(write=True)
def segment_rfm_new(request: WorkspaceRequest) -> HttpResponse:
    workspace = request.workspace
    status = 200
    if request.method == "POST":
        form: SegmentForm = RfmSegmentForm(request.POST, workspace=workspace)
        if form.is_valid() and (saved := _saved_or_none(request, form)) is not None:
            return saved
        status = 400
    names = people_selectors.event_names(workspace=workspace)
    if request.method != "POST":
        default = "Order Completed" if "Order Completed" in names else ""
        form = RfmSegmentForm(workspace=workspace, initial={"event": default})
    context = {"form": form, "event_names": names}
    return _render(request, "segments/segment_rfm.html", context, status=status)


# --- clusters --------------------------------------------------------------------------


@member_required(write=True)
def segment_cluster_new(request: WorkspaceRequest) -> HttpResponse:
    workspace = request.workspace
    names = people_selectors.event_names(workspace=workspace)
    status = 200
    if request.method == "POST":
        features = FeatureFormSet(request.POST, prefix="features")
        form = ClusterSegmentForm(request.POST, workspace=workspace, features=features)
        valid = features.is_valid() and form.is_valid()
        if valid and (saved := _saved_or_none(request, form)) is not None:
            return saved
        status = 400
    else:
        features = FeatureFormSet(
            prefix="features", initial=[{"event": n, "agg": "count"} for n in names[:3]]
        )
        form = ClusterSegmentForm(workspace=workspace)
    context = {
        "form": form,
        "features": features,
        "event_names": names,
        "property_keys": people_selectors.event_property_keys(workspace=workspace),
    }
    return _render(request, "segments/segment_cluster.html", context, status=status)


def _profile_row(profile: clusters.ClusterProfile) -> dict[str, Any]:
    means, z_scores = profile.means, profile.z_scores
    return {
        "name": profile.name,
        "size": profile.size,
        "share": profile.share,
        "features": [(label, means[label], z_scores.get(label)) for label in means],
    }


@post_only("segments:new-cluster")
@member_required()
def segment_cluster_preview(request: WorkspaceRequest) -> HttpResponse:
    """The wizard's preview: the clusters the features give now, with why this k, before
    anything is saved. Always 200, so htmx swaps the answer in."""
    workspace = request.workspace
    data = request.POST.copy()
    data["name"] = data.get("name") or "Preview"  # a name is needed to save, not to look
    features = FeatureFormSet(data, prefix="features")
    form = ClusterSegmentForm(data, workspace=workspace, features=features)
    context: dict[str, Any] = {"form": form}
    if features.is_valid() and form.is_valid():
        try:
            _ids, result, summary = clusters.run(
                form.cleaned_data["definition"], workspace=workspace, as_of=timezone.now()
            )
        except ServiceError as exc:
            context["error"] = exc.message
        else:
            context |= {
                "cluster_result": _cluster_result_context(summary),
                "profiles": [_profile_row(p) for p in result.profiles],
            }
    else:
        context["error"] = (
            "; ".join(str(e) for errors in form.errors.values() for e in errors)
            or "Check the features."
        )
    return _render(request, "segments/_cluster_preview.html", context)


# --- static and external lists ------------------------------------------------------------


def _list_form_view(
    request: WorkspaceRequest, form_class: type[SegmentForm], template: str
) -> HttpResponse:
    workspace = request.workspace
    status = 200
    if request.method == "POST":
        form = form_class(request.POST, request.FILES, workspace=workspace)
        if form.is_valid():
            data = form.cleaned_data
            try:
                segment = services.segment_save(
                    workspace=workspace,
                    name=data["name"],
                    kind=form.kind,
                    definition=data["definition"],
                    playbook=data["playbook"],
                ).segment
            except ServiceError as exc:
                form.add_error(None, exc.message)
            else:
                _after_list_created(request, segment)
                return redirect("segments:detail", segment_id=segment.pk)
        status = 400
    else:
        form = form_class(workspace=workspace)
    return _render(request, template, {"form": form}, status=status)


def _after_list_created(request: WorkspaceRequest, segment: Segment) -> None:
    if segment.kind == SegmentKind.EXTERNAL:
        # Shown once, on the next page; afterwards only a rotation (API) reveals a secret.
        request.session[SECRET_SESSION_KEY.format(segment.pk)] = segment.webhook_secret
        messages.success(request, "Created. Copy the webhook secret now: it is shown once.")
        return
    asked = len(segment.definition.get("user_ids", []))
    missing = asked - segment.size
    text = f"Created with {segment.size:,} of {asked:,} user ids."
    if missing:
        text += f" {missing:,} did not match anyone in this workspace yet."
    messages.success(request, text)


@member_required(write=True)
def segment_static_new(request: WorkspaceRequest) -> HttpResponse:
    return _list_form_view(request, StaticSegmentForm, "segments/segment_static.html")


@member_required(write=True)
def segment_external_new(request: WorkspaceRequest) -> HttpResponse:
    return _list_form_view(request, ExternalSegmentForm, "segments/segment_external.html")


# --- the segment page --------------------------------------------------------------------


def _children_context(segment: Segment) -> list[dict[str, Any]]:
    rows = []
    for child in selectors.segment_children(segment=segment):
        profile = child.definition.get("profile", {})
        means = profile.get("means", {})
        z_scores = profile.get("z_scores", {})
        rows.append(
            {
                "segment": child,
                "size": profile.get("size", child.size),
                "share": profile.get("share"),
                "features": [(label, means[label], z_scores.get(label)) for label in means],
                "form": RenameForm(initial={"name": child.name}, prefix=f"c{child.pk}"),
            }
        )
    return rows


def _cluster_result_context(summary: dict[str, Any]) -> dict[str, Any]:
    return {
        **summary,
        "silhouettes": clusters.silhouette_bars(summary),
        "stability_text": clusters.stability_words(summary.get("stability")),
    }


@member_required()
def segment_detail(request: WorkspaceRequest, segment_id: int) -> HttpResponse:
    segment = _segment_or_404(request, segment_id)
    secret = request.session.pop(SECRET_SESSION_KEY.format(segment.pk), None)
    names = {s.pk: s.name for s in selectors.segment_choices(workspace=request.workspace)}
    context = {
        "segment": segment,
        "snapshots": selectors.segment_snapshots(segment=segment),
        **_members_context(request, segment),
        "can_write": _can_write(request),
        "playbook_form": PlaybookForm(initial={"playbook": segment.playbook}),
        "sentence": describe(segment.definition, names) if segment.kind == SegmentKind.RULE else "",
        "children": _children_context(segment)
        if segment.kind == SegmentKind.CLUSTER and segment.parent_id is None
        else [],
        "rfm_heatmap": rfm.heatmap(segment.result) if segment.kind == SegmentKind.RFM else None,
        "cluster_result": _cluster_result_context(segment.result)
        if segment.kind == SegmentKind.CLUSTER and segment.parent_id is None and segment.result
        else None,
        "secret": secret,
        "webhook_url": request.build_absolute_uri(
            reverse("segment-webhook", kwargs={"pk": segment.pk})
        ),
        "push_url": request.build_absolute_uri(f"/api/v1/segments/{segment.pk}/members"),
        **_job_context(segment),
    }
    status = 400 if context["member_search_error"] else 200
    return _render(request, "segments/segment_detail.html", context, status=status)


def _members_context(request: WorkspaceRequest, segment: Segment) -> dict[str, Any]:
    """One page of members, searched and sorted as asked, with what qualified them."""
    search, search_error = _search(request)
    sort = selectors.member_sort_or_default(segment, request.GET.get("sort"))
    rows = selectors.segment_member_rows(segment=segment, search=search, sort=sort)
    page = Paginator(rows, MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    qualifying = selectors.member_qualifying_values(
        segment=segment, person_ids=[m.person_id for m in page]
    )
    for membership in page:
        membership.qualifying = qualifying.get(membership.person_id, [])  # type: ignore[attr-defined]
    return {
        "page": page,
        "member_search": search,
        "member_search_error": search_error,
        "member_sort": sort,
        "member_sorts": selectors.member_sorts(segment),
        "explained": explained_conditions(segment.definition)
        if segment.kind == SegmentKind.RULE
        else [],
    }


@member_required()
def segment_members_csv(request: WorkspaceRequest, segment_id: int) -> HttpResponseBase:
    """The current members as a CSV download, streamed (search and sort as on the page)."""
    segment = _segment_or_404(request, segment_id)
    search, search_error = _search(request)
    if search_error:
        return HttpResponse(search_error, status=400, content_type="text/plain; charset=utf-8")
    sort = selectors.member_sort_or_default(segment, request.GET.get("sort"))
    return streaming_csv_response(
        f"segment-{segment.pk}-members.csv",
        selectors.member_export_header(segment),
        selectors.member_export_rows(segment=segment, search=search, sort=sort),
    )


@post_only("segments:detail", "segment_id")
@member_required(write=True)
def segment_compute_view(request: WorkspaceRequest, segment_id: int) -> HttpResponse:
    """Queue a recompute (a worker runs it); the segment page follows its progress."""
    segment = _segment_or_404(request, segment_id)
    jobs.request_compute(segment=segment, requested_by=_user(request))
    return redirect("segments:detail", segment_id=segment.pk)


# A finished job is still worth a line on the page for this long.
RECENT_JOB = timedelta(minutes=10)


def _job_context(segment: Segment) -> dict[str, Any]:
    job = jobs.latest_job(segment=segment)
    recent = job is not None and (
        not job.is_finished or (job.finished_at and timezone.now() - job.finished_at < RECENT_JOB)
    )
    return {"segment": segment, "job": job if recent else None}


@member_required()
def segment_compute_status(request: WorkspaceRequest, segment_id: int) -> HttpResponse:
    """The job line, polled by htmx while a job is unfinished, and after it while the
    share of revenue (a follow-up task) is being recorded (`share=pending`); reloads the
    page when the job is done, then again when the share is in."""
    segment = _segment_or_404(request, segment_id)
    context = _job_context(segment)
    response = render(request, "segments/_compute_job.html", context)
    job = context["job"]
    finished = job is None or job.is_finished
    awaiting_share = request.GET.get("share") == "pending" and segment.share_of_revenue_pending
    if request.headers.get("HX-Request") and finished and not awaiting_share:
        response["HX-Refresh"] = "true"  # fresh size, shares and members
    return response


@post_only("segments:detail", "segment_id")
@member_required(write=True)
def segment_playbook(request: WorkspaceRequest, segment_id: int) -> HttpResponse:
    segment = _segment_or_404(request, segment_id)
    form = PlaybookForm(request.POST)
    if form.is_valid():
        services.segment_update(segment=segment, playbook=form.cleaned_data["playbook"].strip())
        messages.success(request, "Playbook saved.")
    return redirect("segments:detail", segment_id=segment.pk)


@post_only("segments:detail", "segment_id")
@member_required(write=True)
def segment_rename(request: WorkspaceRequest, segment_id: int) -> HttpResponse:
    segment = _segment_or_404(request, segment_id)
    form = RenameForm(request.POST, prefix=f"c{segment.pk}")
    if form.is_valid():
        services.segment_update(segment=segment, name=form.cleaned_data["name"])
        messages.success(request, f"Renamed to “{segment.name}”.")
    else:
        messages.error(request, "A segment needs a name.")
    target = segment.parent_id or segment.pk
    return redirect("segments:detail", segment_id=target)


@post_only("segments:list")
@member_required(write=True)
def segment_archive(request: WorkspaceRequest, segment_id: int) -> HttpResponse:
    """Archive from the list: inactive (no longer refreshed, out of the overlap), kept."""
    segment = _segment_or_404(request, segment_id)
    services.segment_update(segment=segment, is_active=False)
    messages.success(request, f"“{segment.name}” is archived: inactive, kept with its history.")
    return redirect("segments:list")


@member_required(write=True)
def segment_delete(request: WorkspaceRequest, segment_id: int) -> HttpResponse:
    """GET: what depends on the segment, and a confirmation; POST: delete it."""
    segment = _segment_or_404(request, segment_id)
    found = dependents.dependents_of(segment)
    if request.method == "POST":
        try:
            services.segment_delete(segment=segment)
        except ServiceError as exc:
            messages.error(request, exc.message)
            return redirect("segments:delete", segment_id=segment_id)
        messages.success(request, f"“{segment.name}” is deleted.")
        return redirect("segments:list")
    context = {
        "segment": segment,
        "dependents": found,
        "blocked": any(d.blocks for d in found),
    }
    return _render(request, "segments/segment_delete.html", context)


@post_only("segments:detail", "segment_id")
@member_required(write=True)
def segment_active(request: WorkspaceRequest, segment_id: int) -> HttpResponse:
    segment = _segment_or_404(request, segment_id)
    services.segment_update(segment=segment, is_active=not segment.is_active)
    messages.success(
        request, f"“{segment.name}” is {'active' if segment.is_active else 'inactive'} now."
    )
    return redirect("segments:detail", segment_id=segment.pk)
