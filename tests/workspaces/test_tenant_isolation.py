"""Walk every registered API route with a second workspace's key: nothing of the first shows.

Written over the URL configuration, so each new endpoint is covered as soon as
it is routed. A model served by the API needs a builder in
tests/factories.WORKSPACE_FACTORIES, or this test fails and says so.
"""

from __future__ import annotations

import json

import pytest
from django.urls import URLPattern, reverse
from django.urls.resolvers import RegexPattern, RoutePattern

from tests.conftest import bearer_client
from tests.factories import WORKSPACE_FACTORIES, WorkspaceFactory, make_api_key
from workspaces.checks import DOC_VIEWS, iter_api_views
from workspaces.models import Workspace
from workspaces.scoping import WorkspaceExemptAPIView, model_of

MARKER = "Tenant-A-7c1e"


def kwarg_names(pattern: URLPattern) -> set[str]:
    inner = pattern.pattern
    if isinstance(inner, RoutePattern):
        return set(inner.converters)
    if isinstance(inner, RegexPattern):
        return set(inner.regex.groupindex)
    return set()


def scoped_routes() -> list[tuple[str, URLPattern, type]]:
    routes = []
    for route, pattern, view_class in iter_api_views():
        if view_class.__name__ in DOC_VIEWS or issubclass(view_class, WorkspaceExemptAPIView):
            continue
        routes.append((route, pattern, view_class))
    return routes


def test_the_walk_covers_the_known_routes():
    names = {pattern.name for _, pattern, _ in scoped_routes()}
    assert {"workspace-current", "api-key-list", "api-key-detail", "member-list"} <= names
    assert {"person-list", "person-detail", "person-events"} <= names
    # The ingestion views are plain Django views (workspaces.scoping.ApiKeyView), walked too.
    assert {"ingest-batch", "ingest-alias", "sdk-batch", "sdk-page"} <= names


@pytest.fixture
def two_workspaces(db):
    tenant_a = WorkspaceFactory(name=MARKER)
    tenant_b = WorkspaceFactory(name="Tenant B")
    objects = {}
    for model, build in WORKSPACE_FACTORIES.items():
        objects[model] = build(tenant_a)
    _, key_a = make_api_key(tenant_a)
    _, key_b = make_api_key(tenant_b)
    return tenant_a, objects, bearer_client(key_a), bearer_client(key_b)


def ids_in_workspace(model, workspace) -> set[object]:
    if model is Workspace:
        return {workspace.pk}
    return set(model.objects.filter(workspace=workspace).values_list("pk", flat=True))


def _ids_in(body: object) -> set[object]:
    if isinstance(body, dict) and isinstance(body.get("results"), list):
        return {row.get("id") for row in body["results"] if isinstance(row, dict)}
    return set()


@pytest.mark.parametrize(
    "route,pattern,view_class",
    scoped_routes(),
    ids=lambda v: str(v)[:60] if isinstance(v, str) else "",
)
def test_other_workspace_sees_nothing(two_workspaces, route, pattern, view_class):
    tenant_a, objects, client_a, client_b = two_workspaces
    model = model_of(view_class)
    assert model is not None, f"{view_class.__name__} declares no queryset; scoping needs one"
    assert model in WORKSPACE_FACTORIES, (
        f"Register a builder for {model.__name__} in tests/factories.WORKSPACE_FACTORIES"
    )
    row = objects[model]
    params = kwarg_names(pattern)

    if not params:
        url = reverse(pattern.name)
        response_b = client_b.get(url)
        if response_b.status_code == 405:
            pytest.skip("no GET on this route")
        assert response_b.status_code == 200, response_b.content
        body = response_b.json()
        assert MARKER not in json.dumps(body)
        assert not (_ids_in(body) & ids_in_workspace(model, tenant_a))
        if isinstance(body, dict) and "id" in body:
            assert body["id"] not in ids_in_workspace(model, tenant_a)
    elif params == {"pk"}:
        url = reverse(pattern.name, kwargs={"pk": row.pk})
        response_a = client_a.get(url)
        if response_a.status_code == 405:
            pytest.skip("no GET on this route")
        assert response_a.status_code == 200, "the owner workspace must see its own row"
        response_b = client_b.get(url)
        assert response_b.status_code == 404
        assert response_b.json() == {"error": "Not found.", "detail": {"code": "not_found"}}
        # Writes from the other workspace fail exactly as on a row that does not
        # exist (no existence leak), and change nothing.
        before = model.objects.filter(pk=row.pk).values().first()
        missing_url = reverse(pattern.name, kwargs={"pk": 10**12})
        for method in ("patch", "put", "delete"):
            answer = getattr(client_b, method)(url, {}, format="json")
            control = getattr(client_b, method)(missing_url, {}, format="json")
            assert answer.status_code >= 400, (method, answer.status_code)
            assert (answer.status_code, answer.json()) == (control.status_code, control.json())
        assert model.objects.filter(pk=row.pk).values().first() == before
    else:
        pytest.fail(f"Teach the isolation walk the URL parameters {params} of /{route}")


def test_every_api_view_is_scoped_by_the_system_check():
    from workspaces.checks import check_api_views_are_scoped

    assert check_api_views_are_scoped() == []


@pytest.mark.parametrize(
    "route,pattern,view_class",
    [*scoped_routes()],
    ids=lambda v: str(v)[:60] if isinstance(v, str) else "",
)
def test_no_method_or_body_gives_a_server_error(two_workspaces, route, pattern, view_class):
    """Every method with an empty, a wrong-shaped and a non-JSON body answers below 500."""
    _tenant_a, objects, client_a, _client_b = two_workspaces
    params = kwarg_names(pattern)
    kwargs = {"pk": objects[model_of(view_class)].pk} if params == {"pk"} else {}
    url = reverse(pattern.name, kwargs=kwargs)
    bodies = [({}, "json"), ([1, "x"], "json"), ("not json", None)]
    for method in ("get", "post", "put", "patch", "delete", "options"):
        for body, fmt in bodies if method in ("post", "put", "patch") else [(None, "json")]:
            call = getattr(client_a, method)
            if body is None:
                response = call(url)
            elif fmt is None:
                response = call(url, body, content_type="application/json")
            else:
                response = call(url, body, format=fmt)
            assert response.status_code < 500, (method, body, response.status_code)
            if response.status_code >= 400 and response.content:
                assert "error" in response.json(), (method, body, response.content[:200])
