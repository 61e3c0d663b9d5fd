"""Web UI for reports."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from workspaces.web import member_required


@member_required()
def report_list(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/report_list.html")
