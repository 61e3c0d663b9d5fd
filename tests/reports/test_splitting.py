"""“Split this segment”: a segment whose respondents tell distinct stories becomes one rule
segment per story, defined on the written-back theme traits, from the report page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from reports.models import Report, ReportStatus
from segments import services as segment_services
from segments.models import Segment, SegmentMembership
from tests.factories import (
    MembershipFactory,
    PersonFactory,
    ReportFactory,
    ReportSegmentFactory,
    StudyFactory,
    WorkspaceFactory,
)
from workspaces.models import Role

pytestmark = pytest.mark.django_db

STORIES = [
    {"size": 3, "themes": ["price", "cost"], "quotes": []},
    {"size": 3, "themes": ["slack", "crm"], "quotes": []},
]


@pytest.fixture
def world(workspace):
    """Pro users (the segment) who said price things, integration things, both or nothing,
    and a free user who said price things; a ready report that found two stories."""
    study = StudyFactory(workspace=workspace, title="Why do they stall?")
    key = f"motive.{study.key}.themes"
    said = {
        "p1": ["cost", "price"],
        "p2": ["price"],
        "p3": ["crm", "slack"],
        "p4": ["slack"],
        "p5": ["price", "slack"],
        "p6": [],
    }
    people = {
        user: PersonFactory(workspace=workspace, user_id=user, traits={"plan": "pro", key: labels})
        for user, labels in said.items()
    }
    people["free"] = PersonFactory(
        workspace=workspace, user_id="free", traits={"plan": "free", key: ["price"]}
    )
    pro = segment_services.segment_create(
        workspace=workspace,
        name="Pro users",
        kind="rule",
        definition={"trait": "plan", "op": "eq", "value": "pro"},
    )
    segment_services.segment_compute(segment=pro)
    report = ReportFactory(study=study, status=ReportStatus.READY)
    ReportSegmentFactory(report=report, segment=pro, position=0)
    other = ReportSegmentFactory(report=report, position=1).segment
    report.document = {
        "segments": [
            {"id": s.pk, "name": s.name, "invited": 30, "completed": 20, "excluded": 0}
            for s in (pro, other)
        ],
        "questions": [],
        "themes": [],
        "subgroups": {str(pro.pk): STORIES},
    }
    report.save()
    return report, pro, other, people


@pytest.fixture
def client_in(workspace, owner) -> Client:
    client = Client()
    client.force_login(owner)
    return client


def members(segment: Segment) -> set[str]:
    return set(
        SegmentMembership.objects.filter(segment=segment, exited_at__isnull=True).values_list(
            "person__user_id", flat=True
        )
    )


def test_split_makes_one_segment_per_story_on_the_theme_traits(
    client_in, world, django_capture_on_commit_callbacks
):
    report, pro, _, _ = world
    page = client_in.get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert "Split this segment" in page

    with django_capture_on_commit_callbacks(execute=True):  # the compute jobs run eagerly
        response = client_in.post(
            reverse("reports:split", args=[report.pk]), {"segment": pro.pk}, follow=True
        )

    assert response.status_code == 200
    made = Segment.objects.filter(name__startswith="Pro users: ").order_by("pk")
    assert [segment.name for segment in made] == ["Pro users: price; cost", "Pro users: slack; crm"]
    assert "Made 2 segments" in response.content.decode()
    key = f"motive.{report.study.key}.themes"
    assert made[0].definition == {
        "all": [
            {"segment": pro.pk},
            {
                "any": [
                    {"trait": key, "op": "contains", "value": "price"},
                    {"trait": key, "op": "contains", "value": "cost"},
                ]
            },
        ]
    }
    # Members of the split segment who said any of the story's themes; the free user who
    # talks price is not in "Pro users", the pro user who said nothing is in neither.
    assert members(made[0]) == {"p1", "p2", "p5"}
    assert members(made[1]) == {"p3", "p4", "p5"}


def test_a_segment_with_one_story_is_not_split(client_in, world):
    report, _, other, _ = world

    response = client_in.post(
        reverse("reports:split", args=[report.pk]), {"segment": other.pk}, follow=True
    )

    assert "there is nothing to split" in response.content.decode()
    assert not Segment.objects.filter(name__contains=": price").exists()


@pytest.mark.parametrize("segment", ["", "abc", "999999"])
def test_a_segment_the_report_does_not_compare_is_refused(client_in, world, segment):
    report, *_ = world
    before = Segment.objects.count()

    response = client_in.post(
        reverse("reports:split", args=[report.pk]), {"segment": segment}, follow=True
    )

    assert response.status_code == 200
    assert "not one this report compares" in response.content.decode()
    assert Segment.objects.count() == before


def test_a_report_not_ready_is_not_split(client_in, world):
    report, pro, _, _ = world
    Report.objects.filter(pk=report.pk).update(status=ReportStatus.RUNNING)

    response = client_in.post(
        reverse("reports:split", args=[report.pk]), {"segment": pro.pk}, follow=True
    )

    assert "not ready yet" in response.content.decode()


def test_viewers_other_workspaces_and_share_links_cannot_split(world, workspace):
    report, pro, _, _ = world
    before = Segment.objects.count()
    viewer = Client()
    viewer.force_login(MembershipFactory(workspace=workspace, role=Role.VIEWER).user)
    stranger = Client()
    stranger.force_login(MembershipFactory(workspace=WorkspaceFactory(), role=Role.OWNER).user)
    url = reverse("reports:split", args=[report.pk])

    assert viewer.post(url, {"segment": pro.pk}).status_code == 403
    assert stranger.post(url, {"segment": pro.pk}).status_code == 404
    assert Segment.objects.count() == before
    report.share_token = "t" * 32
    report.save(update_fields=["share_token"])
    shared = Client().get(reverse("reports:shared", args=[report.share_token])).content.decode()
    assert "Segments that hold more than one story" in shared
    assert "Split this segment" not in shared
