"""Web UI for studies."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from workspaces.web import member_required


@member_required()
def study_list(request: HttpRequest) -> HttpResponse:
    return render(request, "studies/study_list.html")
