"""Web UI for segments and people."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from workspaces.web import member_required


@member_required()
def segment_list(request: HttpRequest) -> HttpResponse:
    return render(request, "segments/segment_list.html")


@member_required()
def people_list(request: HttpRequest) -> HttpResponse:
    return render(request, "segments/people_list.html")
