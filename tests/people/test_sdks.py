"""Real analytics SDKs, unchanged, against a live server on 127.0.0.1.

Segment's analytics-python (Basic auth, plain JSON) and RudderStack's (Basic
auth, gzip by default, kept on) send every call type one by one (synchronous
mode, so each call is a request whose errors raise) and then a batch (the
queueing client, flushed). What is stored is checked exactly; event times are
what the SDK sent, moved by the sentAt clock correction of a few milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.signals import request_started
from rudderstack.analytics import Client as RudderClient
from rudderstack.analytics.version import VERSION as RUDDER_VERSION
from segment.analytics import Client as SegmentClient
from segment.analytics.request import APIError as SegmentAPIError
from segment.analytics.version import VERSION as SEGMENT_VERSION

from people.models import Account, Event, Person, PersonAlias
from tests.factories import PersonAliasFactory, PersonFactory

AT = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
SDK_CONTEXT = {"ip": "203.0.113.7", "userAgent": "Mozilla/5.0", "locale": "de-DE"}


@dataclass
class Sdk:
    name: str
    make: Callable[..., Any]
    library: dict[str, str]
    gzip: bool
    # RudderStack sends identify's traits in context.traits only.
    traits_in_context: bool


SDKS = {
    "segment": Sdk(
        "segment",
        SegmentClient,
        {"name": "analytics-python", "version": SEGMENT_VERSION},
        gzip=False,
        traits_in_context=False,
    ),
    "rudderstack": Sdk(
        "rudderstack",
        RudderClient,
        {"name": "analytics-python", "version": RUDDER_VERSION},
        gzip=True,
        traits_in_context=True,
    ),
}


@pytest.fixture(params=list(SDKS))
def sdk(request) -> Sdk:
    return SDKS[request.param]


def loopback(live_server) -> str:
    """The live server by its loopback address: the SDKs send nowhere else."""
    return f"http://127.0.0.1:{live_server.thread.port}"


def sync_client(sdk: Sdk, key: str, host: str) -> Any:
    # gzip=True for RudderStack is its default, passed to make the intent plain.
    return sdk.make(write_key=key, host=host, sync_mode=True, gzip=sdk.gzip, max_retries=0)


@pytest.fixture
def requests_seen() -> list[tuple[str, str, str]]:
    """Each request the live server took: method and path, auth scheme, content encoding."""
    seen: list[tuple[str, str, str]] = []

    def count(sender: Any, environ: dict[str, Any], **_: Any) -> None:
        scheme = environ.get("HTTP_AUTHORIZATION", "").split(" ")[0]
        encoding = environ.get("HTTP_CONTENT_ENCODING", "")
        seen.append((f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}", scheme, encoding))

    request_started.connect(count, dispatch_uid="test-sdks")
    yield seen
    request_started.disconnect(dispatch_uid="test-sdks")


def close_to(stored: datetime, sent: datetime) -> bool:
    return abs(stored - sent) < timedelta(seconds=5)


def test_every_call_type_through_the_sdk(sdk, live_server, workspace, ingest_key, requests_seen):
    anonymous = PersonFactory(workspace=workspace, user_id=None, traits={"referrer": "ad"})
    PersonAliasFactory(person=anonymous, anonymous_id="anon-1")
    client = sync_client(sdk, ingest_key, loopback(live_server))
    context = dict(SDK_CONTEXT)

    client.identify(
        user_id="u_1",
        traits={"email": "a@x.com", "plan": "pro"},
        context=dict(context),
        timestamp=AT,
        message_id="m-identify",
    )
    client.track(
        user_id="u_1",
        event="Pricing Page Viewed",
        properties={"amount": 49.0},
        context=dict(context),
        timestamp=AT,
        message_id="m-track",
    )
    client.page(
        user_id="u_1",
        category="Docs",
        name="Pricing",
        properties={"url": "/pricing"},
        context=dict(context),
        timestamp=AT,
        message_id="m-page",
    )
    client.screen(
        user_id="u_1",
        category="Onboarding",
        name="Welcome",
        properties={"step": 1},
        context=dict(context),
        timestamp=AT,
        message_id="m-screen",
    )
    client.group(
        user_id="u_1",
        group_id="acme",
        traits={"name": "Acme", "employees": 50},
        context=dict(context),
        timestamp=AT,
        message_id="m-group",
    )
    client.alias(previous_id="anon-1", user_id="u_1", context=dict(context), timestamp=AT,
                 message_id="m-alias")  # fmt: skip

    sent = ("POST /v1/batch", "Basic", "gzip" if sdk.gzip else "")
    assert requests_seen == [sent] * 6
    full_context = {**SDK_CONTEXT, "library": sdk.library}
    traits = {"email": "a@x.com", "plan": "pro"}
    identify_context = {**full_context, "traits": traits} if sdk.traits_in_context else full_context
    person = Person.objects.get(workspace=workspace)  # the anonymous person merged in
    assert person.pk != anonymous.pk
    assert person.user_id == "u_1"
    assert person.traits == {"email": "a@x.com", "plan": "pro", "referrer": "ad"}
    assert person.account == Account.objects.get(workspace=workspace, group_id="acme")
    assert person.account.traits == {"name": "Acme", "employees": 50}
    assert list(PersonAlias.objects.values_list("anonymous_id", "person_id")) == [
        ("anon-1", person.pk)
    ]
    events = {e.message_id: e for e in Event.objects.filter(workspace=workspace)}
    assert {m: (e.name, e.properties) for m, e in events.items()} == {
        "m-identify": ("$identify", {**traits, "$context": identify_context}),
        "m-track": ("Pricing Page Viewed", {"amount": 49.0, "$context": full_context}),
        "m-page": (
            "Page Viewed",
            {"url": "/pricing", "name": "Pricing", "category": "Docs", "$context": full_context},
        ),
        "m-screen": (
            "Screen Viewed",
            {"step": 1, "name": "Welcome", "category": "Onboarding", "$context": full_context},
        ),
        "m-group": (
            "$group",
            {
                "groupId": "acme",
                "traits": {"name": "Acme", "employees": 50},
                "$context": full_context,
            },
        ),
        "m-alias": ("$alias", {"previousId": "anon-1", "$context": full_context}),
    }
    assert {e.person_id for e in events.values()} == {person.pk}
    assert all(close_to(e.timestamp, AT) for e in events.values())


def test_a_batch_through_the_sdk_is_one_request(
    sdk, live_server, workspace, ingest_key, requests_seen
):
    errors: list[Any] = []
    client = sdk.make(
        write_key=ingest_key,
        host=loopback(live_server),
        gzip=sdk.gzip,
        max_retries=0,
        upload_size=4,
        upload_interval=2,
        on_error=lambda error, items: errors.append(error),
    )
    client.identify(user_id="u_9", traits={"plan": "free"}, timestamp=AT, message_id="b-1")
    client.track(anonymous_id="anon-9", event="Signed Up", timestamp=AT, message_id="b-2")
    client.alias(previous_id="anon-9", user_id="u_9", timestamp=AT, message_id="b-3")
    client.page(user_id="u_9", name="Home", timestamp=AT, message_id="b-4")
    client.flush()
    client.join()

    assert errors == []
    assert requests_seen == [("POST /v1/batch", "Basic", "gzip" if sdk.gzip else "")]
    person = Person.objects.get(workspace=workspace)
    assert (person.user_id, person.traits) == ("u_9", {"plan": "free"})
    library = {"library": sdk.library}
    assert {
        e.message_id: (e.name, e.properties, e.person_id)
        for e in Event.objects.filter(workspace=workspace)
    } == {
        "b-1": (
            "$identify",
            {
                "plan": "free",
                "$context": {**library, "traits": {"plan": "free"}}
                if sdk.traits_in_context
                else library,
            },
            person.pk,
        ),
        "b-2": ("Signed Up", {"$context": library}, person.pk),
        "b-3": ("$alias", {"previousId": "anon-9", "$context": library}, person.pk),
        "b-4": ("Page Viewed", {"name": "Home", "$context": library}, person.pk),
    }
    assert list(PersonAlias.objects.values_list("anonymous_id", "person_id")) == [
        ("anon-9", person.pk)
    ]


@pytest.mark.django_db(transaction=True)
def test_a_bad_key_reaches_the_sdk_as_a_401_with_code_and_message(live_server):
    client = sync_client(SDKS["segment"], "mk_unknown", loopback(live_server))
    with pytest.raises(SegmentAPIError) as refused:
        client.track(user_id="u_1", event="Signed Up", timestamp=AT)
    assert (refused.value.status, refused.value.code, refused.value.message) == (
        401,
        "authentication_failed",
        "Unknown API key.",
    )
    assert Event.objects.count() == 0
