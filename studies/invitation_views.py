"""Web views around invitations: the respondent's one-click opt-out, and the researcher's
download of invitation links as CSV.

`/i/<token>/` itself is the interview page (`interviews`); `/i/<token>/opt-out/` is
here because studies own invitations and opt-outs.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from studies import exports, selectors, services
from workspaces.untrusted import MAX_ID
from workspaces.web import member_required


@csrf_exempt  # RFC 8058: the mail client POSTs with no session and no CSRF token
@require_http_methods(["GET", "POST"])
def opt_out(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks to confirm and changes nothing (mail scanners follow links); POST, from
    the page's button or the mail client's one-click `List-Unsubscribe=One-Click`,
    records the workspace-wide opt-out, idempotently. The token is the credential."""
    invitation = selectors.invitation_by_token(token=token)
    if invitation is None:
        raise Http404("No such invitation.")
    context = {"workspace_name": invitation.workspace.name, "token": token}
    with translation.override(invitation.study.language):
        if request.method == "POST":
            services.opt_out_record(
                workspace=invitation.workspace, person=invitation.person, source="email_link"
            )
            response = render(request, "studies/opt_out_done.html", context)
        else:
            response = render(request, "studies/opt_out.html", context)
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"  # the URL holds the credential
    return response


@member_required()
@require_http_methods(["GET"])
def invitations_csv(request: HttpRequest, study_id: int) -> HttpResponse:
    """The study's invitation links as CSV, streamed (see studies.exports): those the
    study page shows, with its `status` and `segment` filters."""
    study = (
        selectors.study_get(workspace=request.workspace, pk=study_id)  # type: ignore[attr-defined]
        if 0 < study_id <= MAX_ID
        else None
    )
    if study is None:
        raise Http404("No such study in this workspace.")
    # The study page's filters, when its link carries them; unknown ones mean "any".
    chosen = selectors.invitation_filter(
        study=study, status=request.GET.get("status"), segment=request.GET.get("segment")
    )
    rows = exports.invitation_csv(study=study, status=chosen.status, segment_id=chosen.segment_id)
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{exports.csv_filename(study)}"'
    return response  # type: ignore[return-value]  # streamed: a response all the same
