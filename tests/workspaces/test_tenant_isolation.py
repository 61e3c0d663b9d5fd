"""Walk every registered API route with a second workspace's key: nothing of the first shows.

Written over the URL configuration, so each new endpoint is covered as soon as
it is routed, with each of the methods it answers (a viewset's actions, a view's
handlers: `compute`, `webhook-secret`, `preview`, ingestion, not only GET), and with
keys of both scopes; every row of the first workspace is compared before and
after. A model served by the API needs a builder in tests/factories.WORKSPACE_FACTORIES,
or this test fails and says so.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.core.cache import cache
from django.db.models import Model
from django.urls import URLPattern, resolve, reverse
from django.urls.resolvers import RegexPattern, RoutePattern
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from interviews import services as interview_services
from interviews.api import AnswerApi, InterviewApi
from interviews.state import interview_state
from people.models import Account, Person
from segments.api import SegmentWebhookApi
from segments.inbound import sign
from segments.models import Segment
from studies.models import Invitation
from tests import hostile
from tests.conftest import bearer_client
from tests.factories import (
    WORKSPACE_FACTORIES,
    SegmentFactory,
    WorkspaceFactory,
    live_study_with_invitation,
    make_api_key,
)
from workspaces.checks import DOC_VIEWS, iter_api_views
from workspaces.models import KeyScope, Workspace
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


def ids_in_workspace(model, workspace) -> set[object]:
    if model is Workspace:
        return {workspace.pk}
    return set(model.objects.filter(workspace=workspace).values_list("pk", flat=True))


def _ids_in(body: object) -> set[object]:
    if isinstance(body, dict) and isinstance(body.get("results"), list):
        return {row.get("id") for row in body["results"] if isinstance(row, dict)}
    return set()


def route_methods(pattern: URLPattern, view_class: type) -> list[str]:
    """The HTTP methods a route answers (a viewset's actions, or a view's handlers)."""
    actions = getattr(pattern.callback, "actions", None)
    if actions:
        methods = set(actions)
    else:
        methods = {m for m in view_class.http_method_names if hasattr(view_class, m)}
    return [m for m in WALK_METHODS if m in methods]


# GET first, DELETE last: a delete that got through would hide what the others do.
WALK_METHODS = ("get", "post", "put", "patch", "delete")


def scoped_route_methods() -> list[tuple[str, URLPattern, type, str]]:
    return [
        (route, pattern, view_class, method)
        for route, pattern, view_class in scoped_routes()
        for method in route_methods(pattern, view_class)
    ]


def _label(value: object) -> str:
    return str(value)[:60] if isinstance(value, str) else ""


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


def _path_to_workspace(model: type[Model], depth: int = 3) -> str | None:
    """The lookup from `model` to its workspace id ("workspace_id", "segment__workspace_id",
    ...), following foreign keys; None for rows that belong to no workspace."""
    if model is Workspace:
        return "pk"
    names = {f.name for f in model._meta.concrete_fields}
    if "workspace" in names:
        return "workspace_id"
    if depth == 0:
        return None
    for field in model._meta.concrete_fields:
        if field.is_relation and field.related_model is not None:
            inner = _path_to_workspace(field.related_model, depth - 1)
            if inner is not None:
                return f"{field.name}__{inner}"
    return None


def tenant_rows(workspace: Workspace) -> dict[str, list[dict[str, Any]]]:
    """Every row of every model that belongs to `workspace`, as plain values."""
    rows = {}
    for model in apps.get_models():
        lookup = _path_to_workspace(model)
        if lookup is None:
            continue
        found = model.objects.filter(**{lookup: workspace.pk}).order_by("pk").values()
        rows[model._meta.label] = list(found)
    return rows


def test_the_snapshot_reaches_rows_through_their_relations(two_workspaces):
    tenant_a, _objects, _client_a, _client_b = two_workspaces
    rows = tenant_rows(tenant_a)
    for label in ("segments.SegmentMembership", "studies.Question", "people.Event"):
        assert rows[label], f"the walk's workspace has no {label} to guard"
    assert rows["workspaces.Workspace"] == [Workspace.objects.filter(pk=tenant_a.pk).values()[0]]


def _secrets(workspace: Workspace) -> set[str]:
    """Strings only the first workspace's data holds: none may show in another's answers."""
    user_ids = Person.objects.filter(workspace=workspace).values_list("user_id", flat=True)
    return {MARKER, *user_ids}


# Valid bodies per (URL name, method) for the walk with another workspace's key, built
# from the first workspace's rows so that they name its objects (a segment to nest, a
# person to alias). A route without one gets an empty body.
def _a_segment(objects: dict[type, Any]) -> int:
    return int(objects[Segment].pk)


def _a_user(objects: dict[type, Any]) -> str:
    return str(objects[Person].user_id)


def _ingest_bodies(objects: dict[type, Any]) -> list[Any]:
    user = _a_user(objects)
    items = [
        {"type": "identify", "userId": user, "traits": {"plan": "stolen"}},
        {"type": "track", "userId": user, "event": "Order Completed", "messageId": "m-walk"},
        {"type": "group", "userId": user, "groupId": objects[Account].group_id},
        {"type": "alias", "previousId": user, "userId": "u_walker"},
        {"type": "page", "userId": user, "name": "Pricing"},
        {"type": "screen", "userId": user, "name": "Home"},
    ]
    return [{"batch": items}, *items]


WALK_BODIES: dict[tuple[str, str], Callable[[dict[type, Any]], list[Any]]] = {
    ("segment-list", "post"): lambda o: [
        {"name": "Walk", "kind": "rule", "definition": {"segment": _a_segment(o)}}
    ],
    ("segment-preview", "post"): lambda o: [
        {"kind": "rule", "definition": {"segment": _a_segment(o)}, "as_of": AS_OF},
        {"kind": "static", "definition": {"user_ids": [_a_user(o)]}, "as_of": AS_OF},
    ],
    ("segment-detail", "patch"): lambda o: [{"name": "Walk", "is_active": False}],
    ("segment-detail", "put"): lambda o: [
        {"name": "Walk", "kind": "rule", "definition": {"event": "Walked"}}
    ],
    ("segment-compute", "post"): lambda o: [{"as_of": AS_OF}],
    ("segment-members", "post"): lambda o: [{"add": [_a_user(o)], "remove": []}],
    ("study-list", "post"): lambda o: [
        {
            "title": "Walk",
            "segments": [_a_segment(o)],
            "questions": [{"key": "why", "type": "open_ended", "prompt": "Why?"}],
        }
    ],
    ("api-key-detail", "patch"): lambda o: [{"name": "Walk"}],
    ("member-detail", "patch"): lambda o: [{"role": "viewer"}],
    **{
        (f"{prefix}-{kind}", "post"): _ingest_bodies
        for prefix in ("ingest", "sdk")
        for kind in ("batch", "track", "identify", "group", "page", "screen", "alias")
    },
}


def walk_bodies(name: str, method: str, objects: dict[type, Any]) -> list[Any]:
    if method == "get":
        return [None]
    build = WALK_BODIES.get((name, method))
    return build(objects) if build else [{}]


def _call(client: APIClient, method: str, url: str, body: Any) -> Any:
    if body is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, body, format="json")


@pytest.mark.parametrize("scope", [KeyScope.FULL, KeyScope.INGEST])
@pytest.mark.parametrize("route,pattern,view_class,method", scoped_route_methods(), ids=_label)
def test_other_workspace_sees_and_changes_nothing(
    two_workspaces, route, pattern, view_class, method, scope
):
    """Each method of each route, sent with another workspace's key (of either scope):
    a row of the first workspace answers exactly as a row that does not exist (404, or
    the scope's 403 before any lookup), no answer shows the first workspace's data,
    and nothing of the first workspace changes."""
    tenant_a, objects, client_a, _client_b = two_workspaces
    client_b = bearer_client(make_api_key(WorkspaceFactory(name="Tenant C"), scope)[1])
    model = model_of(view_class)
    assert model is not None, f"{view_class.__name__} declares no queryset; scoping needs one"
    assert model in WORKSPACE_FACTORIES, (
        f"Register a builder for {model.__name__} in tests/factories.WORKSPACE_FACTORIES"
    )
    params = kwarg_names(pattern)
    if params not in (set(), {"pk"}):
        pytest.fail(f"Teach the isolation walk the URL parameters {params} of /{route}")
    row = objects[model]
    url = reverse(pattern.name, kwargs={"pk": row.pk} if params else {})
    missing_url = reverse(pattern.name, kwargs={"pk": 10**12}) if params else None
    if params and method == "get":
        assert client_a.get(url).status_code == 200, "the owner workspace must see its own row"
    secrets = _secrets(tenant_a)
    before = tenant_rows(tenant_a)

    for body in walk_bodies(pattern.name, method, objects):
        answer = _call(client_b, method, url, body)
        assert answer.status_code < 500, (method, body, answer.content)
        text = answer.content.decode()
        assert not [s for s in secrets if s in text], (method, body, text[:300])
        if missing_url is not None:
            control = _call(client_b, method, missing_url, body)
            assert answer.status_code in (403, 404), (method, answer.status_code, answer.content)
            assert (answer.status_code, answer.json()) == (control.status_code, control.json())
        elif method == "get" and answer.status_code == 200:
            body_b = answer.json()
            assert not (_ids_in(body_b) & ids_in_workspace(model, tenant_a))
            if isinstance(body_b, dict) and "id" in body_b:
                assert body_b["id"] not in ids_in_workspace(model, tenant_a)
    assert tenant_rows(tenant_a) == before


def test_every_api_view_is_scoped_by_the_system_check():
    from workspaces.checks import check_api_views_are_scoped

    assert check_api_views_are_scoped() == []


# --- hostile input: no route answers a 500 -------------------------------------------


Signer = Callable[[bytes], dict[str, str]]


def exempt_webhook(workspace: Workspace) -> tuple[dict[str, Any], Signer]:
    segment = SegmentFactory(
        workspace=workspace, kind="external", definition={}, webhook_secret="whsec_walk"
    )

    def headers(body: bytes) -> dict[str, str]:
        now = int(time.time())
        return {
            "HTTP_X_MOTIVE_TIMESTAMP": str(now),
            "HTTP_X_MOTIVE_SIGNATURE": sign(secret="whsec_walk", timestamp=now, body=body),
        }

    return {"pk": segment.pk}, headers


def exempt_interview(workspace: Workspace) -> tuple[dict[str, Any], Signer]:
    """A respondent's token (the credential is in the path), with the current step as the
    answer's seed body. Each request starts with fresh rate limits, so hostile bodies reach
    the parsing rather than the 429 (tests/interviews covers the limits)."""
    invitation = Invitation.objects.filter(workspace=workspace).first()
    if invitation is None:
        invitation = live_study_with_invitation(workspace).invitations.get()
    interview = interview_services.interview_open(token=invitation.token)
    current = interview_state(interview).as_data()["step"]["id"]
    SEED_BODIES[("interview-answer", "post")] = [{"step": current, "value": "Walk"}]

    def headers(body: bytes) -> dict[str, str]:
        cache.clear()
        return {}

    return {"token": invitation.token}, headers


# Routes whose credential is not a workspace key: how to reach one (URL kwargs) and how
# to sign a body for it, so hostile bodies get past the signature to the parsing.
EXEMPT_ROUTES: dict[type, Callable[[Workspace], tuple[dict[str, Any], Signer]]] = {
    SegmentWebhookApi: exempt_webhook,
    InterviewApi: exempt_interview,
    AnswerApi: exempt_interview,
}

RULE_SEED = {
    "all": [
        {"trait": "plan", "op": "in", "value": ["pro", 2]},
        {"account_trait": "tier", "op": "eq", "value": "gold"},
        {
            "event": "Order Completed",
            "agg": "sum",
            "property": "amount",
            "value": {"gte": 1},
            "within_days": 30,
            "where": [{"property": "$hour", "op": "lt", "value": 9}],
        },
        {"not": {"segment": 1}},
    ]
}
DEFINITION_SEEDS = [
    ("rule", RULE_SEED),
    ("rfm", {"event": "Order Completed", "monetary_property": "amount", "window_days": 30}),
    ("cluster", {"features": [{"event": "Logged In", "within_days": 7}], "k": 2, "seed": 0}),
    ("static", {"user_ids": ["u_1", "u_2"]}),
    ("external", {"source": "HubSpot"}),
]
AS_OF = "2026-11-28T00:00:00Z"

# Valid bodies per (URL name, method) that hostile values are swapped into one leaf at a
# time, to reach the validators below the first level. A route without a seed still gets
# the schema-driven bodies.
SEED_BODIES: dict[tuple[str, str], list[Any]] = {
    ("segment-list", "post"): [
        {"name": "Walk", "kind": kind, "definition": definition, "playbook": "Call"}
        for kind, definition in DEFINITION_SEEDS
    ],
    ("segment-preview", "post"): [
        {"kind": kind, "definition": definition, "as_of": AS_OF}
        for kind, definition in DEFINITION_SEEDS
        if kind != "external"
    ],
    ("segment-detail", "patch"): [{"name": "Walk", "definition": RULE_SEED, "is_active": True}],
    ("segment-compute", "post"): [{"as_of": AS_OF}],
    ("segment-members", "post"): [{"add": ["u_1"], "remove": ["u_2"]}],
    ("segment-webhook", "post"): [
        {"add": ["u_1"], "remove": ["u_2"]},
        [{"properties": {"user_id": {"value": "u_1"}}, "objectId": 1}],
    ],
    ("api-key-list", "post"): [{"name": "Walk", "scope": "ingest"}],
}

METHODS = ("get", "post", "put", "patch", "options", "delete")  # delete last: it may remove the row


def api_routes() -> list[tuple[str, URLPattern, type]]:
    """Every API route but the documentation: scoped ones and exempt ones alike."""
    return [
        (route, pattern, view_class)
        for route, pattern, view_class in iter_api_views()
        if view_class.__name__ not in DOC_VIEWS
    ]


@functools.cache
def _operations() -> dict[tuple[str, str], dict[str, set[str]]]:
    """(URL name, method) -> the query parameter and body property names of the schema."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    found: dict[tuple[str, str], dict[str, set[str]]] = {}
    for path, operations in schema["paths"].items():
        name = resolve(path.replace("{id}", "1")).url_name
        for method, operation in operations.items():
            query = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
            body: set[str] = set()
            for content in operation.get("requestBody", {}).get("content", {}).values():
                ref = content["schema"].get("$ref", "")
                body |= set(components.get(ref.rsplit("/", 1)[-1], {}).get("properties", {}))
            found[(name, method)] = {"query": query, "body": body}
    return found


def hostile_requests(name: str, method: str) -> Iterator[tuple[dict[str, str], Any]]:
    """(query, body) pairs for one method of one route; body None means no body, a str
    is sent as it is (raw JSON text)."""
    schema = _operations().get((name, method), {"query": set(), "body": set()})
    query_keys = schema["query"] | {"as_of", "page", hostile.NUL}
    for value in hostile.TEXT_VALUES:
        yield {key: value for key in query_keys}, None
    if method not in ("post", "put", "patch"):
        return
    yield {}, '{"a": ' * 3 + '"' + hostile.NUL + '"' + "}" * 3  # a raw NUL: invalid JSON
    yield {}, "[" * hostile.DEPTH + "]" * hostile.DEPTH
    yield {}, hostile.deep_json()
    yield {}, {hostile.NUL: hostile.NUL, "as_of": hostile.NUL}
    for value in hostile.JSON_VALUES:
        yield {}, {key: value for key in schema["body"] | {"as_of"}}
        yield {}, [value]
    for seed in SEED_BODIES.get((name, method), []):
        for body in hostile.mutations(seed, hostile.JSON_VALUES):
            yield {}, body


def _send(
    client: APIClient,
    method: str,
    url: str,
    query: dict[str, str],
    body: Any,
    sign: Signer | None,
) -> Any:
    target = url + ("?" + urlencode(query) if query else "")
    if body is None:
        return getattr(client, method)(target, **(sign(b"") if sign else {}))
    text = body if isinstance(body, str) else hostile.json_body(body)
    headers = sign(text.encode("utf-8", "surrogatepass")) if sign else {}
    return getattr(client, method)(target, text, content_type="application/json", **headers)


@pytest.mark.parametrize(
    "route,pattern,view_class",
    api_routes(),
    ids=lambda v: str(v)[:60] if isinstance(v, str) else "",
)
def test_no_method_or_body_gives_a_server_error(two_workspaces, route, pattern, view_class):
    """Every method, with empty, wrong-shaped and hostile bodies and query strings (NUL
    in keys and values, dates at the ends of the calendar, non-ASCII digits, nesting
    thousands deep, lone surrogates), answers below 500, and its errors are JSON."""
    tenant_a, objects, client_a, _client_b = two_workspaces
    signer = None
    if view_class in EXEMPT_ROUTES:
        kwargs, signer = EXEMPT_ROUTES[view_class](tenant_a)
    elif kwarg_names(pattern) == {"pk"}:
        kwargs = {"pk": objects[model_of(view_class)].pk}
    else:
        assert not kwarg_names(pattern), f"Teach the walk the URL parameters of /{route}"
        kwargs = {}
    url = reverse(pattern.name, kwargs=kwargs)
    client_a.raise_request_exception = False  # collect every failure, not just the first
    plain = [(None, None), ({}, "json"), ([1, "x"], "json"), ("not json", None)]
    failures = []
    for method in METHODS:
        cases = [({}, body) for body, _ in plain[1:]] if method in ("post", "put", "patch") else []
        for query, body in [({}, None), *cases, *hostile_requests(pattern.name, method)]:
            response = _send(client_a, method, url, query, body, signer)
            problem = _problem(response)
            if problem:
                failures.append(
                    f"{method.upper()} {url} query={query!r:.80} body={body!r:.120}: {problem}"
                )
    assert not failures, f"{len(failures)} requests failed:\n" + "\n".join(failures[:30])


def _problem(response: Any) -> str:
    if response.status_code >= 500:
        return f"{response.status_code}"
    if response.status_code >= 400 and response.content:
        try:
            body = response.json()
        except ValueError:
            return f"{response.status_code} with a body that is not JSON"
        if not isinstance(body, dict) or "error" not in body:
            return f"{response.status_code} without an error message: {response.content[:200]!r}"
    return ""
