"""Web UI for people and accounts: thin views over `people.selectors`."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from people import hooks, selectors
from people.forms import CsvImportForm, PeopleSearchForm, SearchForm
from people.importing import ImportResult
from workspaces.web import WorkspaceRequest, member_required, post_only

PEOPLE_PER_PAGE = 50
IMPORT_RESULT_SESSION = "motive_import_result"
IMPORT_ERRORS_SHOWN = 100
EVENTS_PER_PAGE = 50


def _page(request: WorkspaceRequest, queryset: QuerySet[Any], per_page: int) -> Page:
    # get_page answers a bad or out-of-range ?page= with the nearest real page, never a 404.
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def _render(
    request: WorkspaceRequest,
    template: str,
    context: dict[str, Any],
    *,
    partial: tuple[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render in the workspace's time zone; an htmx request aimed at `partial`'s target
    gets just that fragment."""
    if partial is not None and request.htmx and request.htmx.target == partial[0]:
        template = partial[1]
    context.setdefault("nav", "people")
    with timezone.override(request.workspace.time_zone):
        return render(request, template, context, status=status)


def _search_error(form: SearchForm) -> str:
    """The search box's error, if any, in words."""
    return " ".join(str(message) for message in form.errors.get("q", []))


def _search_status(request: WorkspaceRequest, error: str) -> int:
    # htmx swaps only 2xx answers: its live search gets the message in a 200 fragment.
    return 400 if error and not request.htmx else 200


def _people_context(request: WorkspaceRequest) -> dict[str, Any]:
    form = PeopleSearchForm(request.GET)
    query = form.query
    people = selectors.person_list(workspace=request.workspace, query=query)
    return {
        "q": request.GET.get("q", ""),
        "query": query if query is not None else selectors.PeopleQuery(),
        "search_error": _search_error(form),
        "page": _page(request, people if query is not None else people.none(), PEOPLE_PER_PAGE),
        "can_import": request.membership.can_write,
    }


@member_required()
def people_list(request: WorkspaceRequest) -> HttpResponse:
    context = _people_context(request)
    if context["can_import"]:
        context["import_form"] = CsvImportForm()
        context |= _import_result_context(request)
    return _render(
        request,
        "people/people_list.html",
        context,
        partial=("people-results", "people/_people_results.html"),
        status=_search_status(request, context["search_error"]),
    )


@post_only("people:list")
@member_required(write=True)
def people_import(request: WorkspaceRequest) -> HttpResponse:
    """Import an uploaded CSV of people or events, then show what happened, row by row,
    on the list this redirects to (a refresh there imports nothing again)."""
    form = CsvImportForm(request.POST, request.FILES)
    if not form.is_valid():
        context = _people_context(request) | {"import_form": form}
        return _render(request, "people/people_list.html", context, status=400)
    result = form.run(workspace=request.workspace)
    request.session[IMPORT_RESULT_SESSION] = {
        "kind": form.cleaned_data["kind"],
        "result": result.summary(max_errors=IMPORT_ERRORS_SHOWN),
    }
    return redirect(reverse("people:list") + "#import-result")


def _import_result_context(request: WorkspaceRequest) -> dict[str, Any]:
    """The result of the import just before the redirect here, shown once."""
    shown = request.session.pop(IMPORT_RESULT_SESSION, None)
    if not isinstance(shown, dict) or shown.get("kind") not in {"people", "events"}:
        return {}
    return {
        "import_result": ImportResult.from_summary(shown["result"]),
        "import_kind": shown["kind"],
        "import_form": CsvImportForm(initial={"kind": shown["kind"]}),
    }


@member_required()
def person_detail(request: WorkspaceRequest, person_id: int) -> HttpResponse:
    person = selectors.person_get(workspace=request.workspace, pk=person_id)
    if person is None:
        raise Http404("No such person in this workspace.")
    context = {
        "person": person,
        "anonymous_ids": selectors.person_anonymous_ids(person=person),
        "sections": [
            {"template": section.template, "data": section.context(person)}
            for section in hooks.person_sections()
        ],
        "events": _page(request, selectors.person_events(person=person), EVENTS_PER_PAGE),
    }
    return _render(
        request,
        "people/person_detail.html",
        context,
        partial=("timeline", "people/_timeline.html"),
    )


@member_required()
def account_list(request: WorkspaceRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    q = form.cleaned_data["q"] if form.is_valid() else ""
    accounts = selectors.account_list(workspace=request.workspace, search=q)
    error = _search_error(form)
    context = {
        "q": request.GET.get("q", "").strip(),
        "search_error": error,
        "page": _page(request, accounts.none() if error else accounts, PEOPLE_PER_PAGE),
    }
    return _render(
        request,
        "people/account_list.html",
        context,
        partial=("account-results", "people/_account_results.html"),
        status=_search_status(request, error),
    )


@member_required()
def account_detail(request: WorkspaceRequest, account_id: int) -> HttpResponse:
    account = selectors.account_get(workspace=request.workspace, pk=account_id)
    if account is None:
        raise Http404("No such account in this workspace.")
    members = selectors.account_members(account=account)
    context = {"account": account, "page": _page(request, members, PEOPLE_PER_PAGE)}
    return _render(
        request,
        "people/account_detail.html",
        context,
        partial=("account-members", "people/_account_members.html"),
    )
