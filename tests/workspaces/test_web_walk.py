"""Walk every page of the web UI with hostile input: nothing answers a 500.

Written over the URL configuration and the forms the pages render, so a new view or
form field is covered as soon as it is routed and shown. For each route of the web UI
(every route but the API's and the admin site's), a logged-in owner sends:

- to a page answering GET: query strings whose every known key (the page's search
  fields, `page`, a NUL key) holds each hostile value;
- by POST: the fields of every form (or htmx element) that posts to the route, found
  by rendering every page, each field in turn set to each hostile value while the
  others keep their rendered defaults; a route no rendered form posts to gets every
  field seen anywhere, all set to each hostile value at once.

A URL parameter the walk has not met needs a builder in PATH_OBJECTS, or the walk fails
and says so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404

from interviews import services as interview_services
from interviews.models import Interview
from studies.models import Invitation
from tests import hostile
from tests.factories import (
    AccountFactory,
    MembershipFactory,
    PersonFactory,
    SegmentFactory,
    WorkspaceFactory,
    live_study_with_invitation,
    make_api_key,
    report_of,
)
from tests.workspaces.test_tenant_isolation import kwarg_names, tenant_rows
from workspaces import services
from workspaces.checks import API_PREFIXES
from workspaces.models import Role, Workspace

# Every route of the URLconf is walked but the API (tests/workspaces/test_tenant_isolation.py
# walks it) and Django's admin site: a new page is covered as soon as it is routed.
SKIPPED_NAMESPACES = {"admin"}

FORM_VALUES = [*hostile.TEXT_VALUES, *hostile.JSON_TEXT_VALUES]


def _invite_id(workspace: Workspace, user: Any) -> int:
    invite = services.member_invite(
        workspace=workspace, email="walk@example.com", role=Role.RESEARCHER, invited_by=user
    )
    return invite.pk


def _walked_interview(workspace: Workspace, user: Any) -> Interview:
    """A live study's interview, consented and at its first question: the study, its
    interview and the respondent's token are walked together."""
    interview = Interview.objects.filter(workspace=workspace).first()
    if interview is None:
        study = live_study_with_invitation(workspace)
        interview = interview_services.interview_open(token=study.invitations.get().token)
        interview_services.interview_consent(interview=interview)
    return interview


def _token(workspace: Workspace, user: Any) -> str:
    invitation = Invitation.objects.get(pk=_walked_interview(workspace, user).invitation_id)
    return invitation.token


# A builder per URL parameter name: a real object of the walked workspace.
PATH_OBJECTS: dict[str, Callable[[Workspace, Any], object]] = {
    "segment_id": lambda ws, user: SegmentFactory(workspace=ws).pk,
    "key_id": lambda ws, user: make_api_key(ws)[0].pk,
    "invite_id": _invite_id,
    "person_id": lambda ws, user: PersonFactory(workspace=ws).pk,
    "account_id": lambda ws, user: AccountFactory(workspace=ws).pk,
    "token": _token,
    "study_id": lambda ws, user: _walked_interview(ws, user).study_id,
    "interview_id": lambda ws, user: _walked_interview(ws, user).pk,
    "report_id": lambda ws, user: report_of(ws).pk,
}


def _patterns(
    patterns: list[Any] | None = None, prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str, URLPattern]]:
    """(route, URL name with its namespace, pattern) of every web page: all routes but the
    API's and the admin site's."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(entry.pattern)
        if route.lstrip("^").startswith(API_PREFIXES):
            continue
        if isinstance(entry, URLResolver):
            if entry.namespace in SKIPPED_NAMESPACES:
                continue
            inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace or ""
            yield from _patterns(entry.url_patterns, route, inner)
        else:
            assert entry.name, f"Name the route /{route}: the walk reaches pages by name"
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield route, name, entry


def web_routes() -> list[tuple[str, str]]:
    return [(route, name) for route, name, _ in _patterns()]


def test_the_walk_covers_the_known_pages():
    names = {name for _, name in web_routes()}
    assert {"workspace-switch", "segments:new", "segments:preview", "people:list"} <= names
    assert {"studies:opt-out", "studies:invitations-csv"} <= names
    assert {"studies:new", "studies:edit", "studies:launch", "studies:close"} <= names
    assert {"interviews:respond", "interviews:detail", "interviews:preview"} <= names
    assert {"studies:opt-out", "studies:invitations-csv", "studies:list", "reports:list"} <= names
    assert {"login", "logout", "home"} <= names
    assert not [name for name in names if name.startswith("admin:")]
    assert not [route for route, _ in web_routes() if route.startswith(("api/", "^v1/"))]


# --- reading the rendered forms ----------------------------------------------------------


@dataclass
class Form:
    target: str  # the URL it posts to; "" for the page itself
    method: str
    fields: dict[str, str] = field(default_factory=dict)


class FormReader(HTMLParser):
    """Forms, their named fields with the values they render, and htmx posts."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.by_id: dict[str, tuple[str, str]] = {}
        self.htmx: list[tuple[str, str, dict[str, str]]] = []  # (url, include, vals)
        self._form: Form | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form":
            target = a.get("action") or a.get("hx-post") or ""
            method = "post" if a.get("hx-post") else a.get("method", "get").lower()
            self._form = Form(target, method)
            self.forms.append(self._form)
        elif "hx-post" in a:
            vals = json.loads(a["hx-vals"]) if a.get("hx-vals") else {}
            self.htmx.append((a["hx-post"], a.get("hx-include", ""), vals))
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                self._field(a, a["name"], None)
            elif kind not in ("submit", "button", "file"):
                self._field(a, a["name"], a.get("value", ""))
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self._field(a, a["name"], None)
        elif tag == "option" and self._select and self._form is not None:
            if "selected" in a or not self._form.fields.get(self._select):
                self._form.fields[self._select] = a.get("value", "")
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self._field(a, a["name"], "")

    def _field(self, attrs: dict[str, str], name: str, value: str | None) -> None:
        if "id" in attrs:
            self.by_id[attrs["id"]] = (name, value or "")
        form = self._form
        keep = value is not None or (form is not None and name not in form.fields)
        if form is not None and name != "csrfmiddlewaretoken" and keep:
            form.fields[name] = value or ""

    def handle_data(self, data: str) -> None:
        if self._textarea and self._form is not None:
            self._form.fields[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _url_name(url: str) -> str | None:
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return None
    return match.view_name


# Formset forms repeat their fields (`features-3-event`): the first form stands for all.
_LATER_FORM = re.compile(r"-[1-9]\d*-")


def discover(client: Client, urls: dict[str, str]) -> tuple[dict[str, dict], dict[str, set]]:
    """Render every page; (fields by the URL name they post to, GET fields by page)."""
    posts: dict[str, dict[str, str]] = {}
    gets: dict[str, set[str]] = {}
    for name, url in urls.items():
        response = client.get(url)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        reader = FormReader()
        reader.feed(response.content.decode())
        for form in reader.forms:
            target = _url_name(form.target) if form.target else name
            if target is None:
                continue
            fields = {k: v for k, v in form.fields.items() if not _LATER_FORM.search(k)}
            if form.method == "post":
                posts.setdefault(target, {}).update(fields)
            else:
                gets.setdefault(target, set()).update(fields)
        for url_, include, vals in reader.htmx:
            target = _url_name(url_)
            if target is None:
                continue
            included = dict(
                reader.by_id[part.lstrip("#")]
                for part in include.split(",")
                if part.strip().lstrip("#") in reader.by_id
            )
            posts.setdefault(target, {}).update(included | {k: str(v) for k, v in vals.items()})
    return posts, gets


def baseline(fields: dict[str, str]) -> dict[str, str]:
    """The rendered defaults, with blank text filled so required fields pass."""
    return {name: value or "Walk" for name, value in fields.items()}


@pytest.fixture
def walker(workspace, owner, settings):
    # The walk looks for server errors; the respondent's rate limits are tested elsewhere.
    settings.MOTIVE_INTERVIEW_RATE_PER_TOKEN = 0
    settings.MOTIVE_INTERVIEW_RATE_PER_IP = 0
    client = Client(raise_request_exception=False)
    client.force_login(owner)
    return client


@pytest.mark.parametrize("route,name", web_routes(), ids=lambda v: v[:60])
def test_no_page_or_form_gives_a_server_error(walker, workspace, owner, route, name):
    objects: dict[str, object] = {}
    urls = {}
    for _route, other_name, pattern in _patterns():
        params = {}
        for param in kwarg_names(pattern):
            assert param in PATH_OBJECTS, f"Teach the web walk the URL parameter {param!r}"
            if param not in objects:
                objects[param] = PATH_OBJECTS[param](workspace, owner)
            params[param] = objects[param]
        urls[other_name] = reverse(other_name, kwargs=params)
    posts, gets = discover(walker, urls)
    url = urls[name]
    failures = []

    def check(method: str, data: dict[str, str]) -> None:
        response = getattr(walker, method)(url, data)
        if response.status_code >= 500:
            failures.append(f"{method.upper()} {url} {data!r:.200}: {response.status_code}")

    for value in hostile.TEXT_VALUES:
        keys = gets.get(name, set()) | {"page", "q", "template", hostile.NUL}
        check("get", dict.fromkeys(keys, value))
    fields = posts.get(name)
    if fields is None:
        # No rendered form posts here: every field seen anywhere, all hostile at once.
        every = {k for form_fields in posts.values() for k in form_fields}
        for value in FORM_VALUES:
            check("post", dict.fromkeys(every | {hostile.NUL}, value))
    else:
        base = baseline(fields)
        check("post", base | {hostile.NUL: hostile.NUL})
        for field_name in fields:
            for value in FORM_VALUES:
                check("post", base | {field_name: value})
    assert not failures, f"{len(failures)} requests failed:\n" + "\n".join(failures[:30])


# --- another workspace's objects: 404, and nothing changes ------------------------------

# URL parameters that are a credential of their own (an invitation's token), not the id
# of a workspace's row: there is no "other workspace" to try them from.
CREDENTIAL_PARAMS = {"token"}


def object_routes() -> list[tuple[str, str]]:
    return [
        (route, name)
        for route, name, pattern in _patterns()
        if kwarg_names(pattern) and not kwarg_names(pattern) & CREDENTIAL_PARAMS
    ]


def test_the_object_walk_covers_the_known_pages():
    names = {name for _, name in object_routes()}
    assert {"segments:detail", "segments:compute", "segments:delete", "people:person"} <= names
    assert {"api-key-revoke", "member-invite-revoke", "studies:invitations-csv"} <= names


@pytest.mark.parametrize("route,name", object_routes(), ids=lambda v: v[:60])
@pytest.mark.parametrize("method", ["get", "post"])
def test_another_workspace_reaches_none_of_its_objects(
    workspace, owner, client, route, name, method
):
    """Each page about one object of the first workspace, asked by the owner of another:
    answered exactly as for an object that does not exist, and nothing changes."""
    pattern = next(p for _r, n, p in _patterns() if n == name)
    params = {}
    for param in kwarg_names(pattern):
        assert param in PATH_OBJECTS, f"Teach the web walk the URL parameter {param!r}"
        params[param] = PATH_OBJECTS[param](workspace, owner)
    url = reverse(name, kwargs=params)
    missing = reverse(name, kwargs=dict.fromkeys(params, 10**9))
    outsider = MembershipFactory(workspace=WorkspaceFactory(name="Outsider"), role=Role.OWNER)
    client.force_login(outsider.user)
    before = tenant_rows(workspace)

    answer = getattr(client, method)(url)
    control = getattr(client, method)(missing)

    if method == "get" and answer.status_code == 302:
        # A POST-only URL sends a GET to its page (workspaces.web.post_only): the same
        # page as for a missing object, which must then answer as for a missing one.
        assert control.status_code == 302
        ids = [str(value) for value in params.values()]
        assert _without(answer["Location"], ids) == _without(control["Location"], ["1000000000"])
        names_the_object = answer["Location"] != _without(answer["Location"], ids)
        answer, control = client.get(answer["Location"]), client.get(control["Location"])
        assert answer.status_code == control.status_code
        assert answer.status_code == (404 if names_the_object else 200)
        assert tenant_rows(workspace) == before
        return
    assert answer.status_code in (404, 405), (answer.status_code, answer.content[:200])
    assert (answer.status_code, answer.get("Location")) == (
        control.status_code,
        control.get("Location"),
    )
    assert tenant_rows(workspace) == before


def _without(location: str, ids: list[str]) -> str:
    """A redirect's target with the object ids it names blanked."""
    for value in ids:
        location = location.replace(f"/{value}/", "/ID/")
    return location
