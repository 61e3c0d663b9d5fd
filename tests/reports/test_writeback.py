"""Coded themes written back to people as `motive.<study key>.themes` when a report is
generated, through the people app's identify path, so a rule segment can select on them
(the write-back itself is reports/writeback.py; see also tests/reports/test_generation.py)."""

from __future__ import annotations

import pytest

from interviews.models import Interview
from people.models import Event, Person
from reports import generation, services, writeback
from reports.models import ReportStatus
from segments import services as segment_services
from segments.models import SegmentMembership
from tests.factories import PersonAliasFactory
from tests.reports.studies import study_with_interviews

pytestmark = pytest.mark.django_db


def generate(workspace, study, segments, capture):
    with capture(execute=True):
        report = services.report_create(
            workspace=workspace, study_id=study.pk, segment_ids=segments
        )
    report.refresh_from_db()
    assert report.status == ReportStatus.READY, report.error
    return report


def test_generation_writes_each_respondents_themes_and_a_rule_segment_matches_them(
    workspace, django_capture_on_commit_callbacks
):
    study, segments = study_with_interviews(workspace, per_segment=40, flagged=2)
    report = generate(workspace, study, segments, django_capture_on_commit_callbacks)
    key = f"motive.{study.key}.themes"
    labels = {theme["label"] for theme in report.document["themes"]}

    counted = Interview.objects.filter(study=study, low_quality=False)
    people = Person.objects.filter(pk__in=counted.values("person_id"))
    assert people.count() == 80
    assert all(isinstance(person.traits.get(key), list) for person in people)
    assert set().union(*(person.traits[key] for person in people)) == labels
    # Flagged interviews are not in the report: their people get no themes trait.
    flagged = Person.objects.filter(
        pk__in=Interview.objects.filter(low_quality=True).values("person_id")
    )
    assert all(key not in person.traits for person in flagged)

    # The price theme is what the "Price watchers" talk about: pick the theme a segment
    # rule on the trait should find, and check the segment holds exactly its tellers.
    price = next(label for label in labels if "price" in label or "cost" in label)
    tellers = {person.pk for person in people if price in person.traits[key]}
    assert 0 < len(tellers) < 80
    segment = segment_services.segment_create(
        workspace=workspace,
        name="Talk about price",
        kind="rule",
        definition={"trait": key, "op": "contains", "value": price},
    )
    segment_services.segment_compute(segment=segment)
    members = set(
        SegmentMembership.objects.filter(segment=segment, exited_at__isnull=True).values_list(
            "person_id", flat=True
        )
    )
    assert members == tellers
    price_segment = next(s for s in report.document["segments"] if s["name"] == "Price watchers")
    in_price_segment = set(
        counted.filter(segment_id=price_segment["id"]).values_list("person_id", flat=True)
    )
    assert len(members & in_price_segment) > len(members - in_price_segment)


def test_regenerating_writes_again_under_a_new_message_and_same_generation_writes_once(
    workspace, django_capture_on_commit_callbacks
):
    study, segments = study_with_interviews(workspace, per_segment=12)
    report = generate(workspace, study, segments, django_capture_on_commit_callbacks)
    identifies = Event.objects.filter(workspace=workspace, name="$identify")
    after_first = identifies.count()
    assert after_first >= 24

    ids = Interview.objects.filter(study=study).values_list("pk", flat=True)
    # The same generation again: duplicates, nothing stored.
    writeback.themes_write_back(report=report, themes={str(pk): [] for pk in ids})
    assert identifies.count() == after_first

    with django_capture_on_commit_callbacks(execute=True):
        services.report_regenerate(report=report)
    report.refresh_from_db()
    assert report.generation == 2
    assert identifies.count() == after_first + 24


def test_a_person_known_only_by_an_anonymous_id_gets_their_themes(
    workspace, django_capture_on_commit_callbacks
):
    study, segments = study_with_interviews(workspace, per_segment=12)
    interview = Interview.objects.filter(study=study).order_by("pk").first()
    person = interview.person
    Person.objects.filter(pk=person.pk).update(user_id=None)
    PersonAliasFactory(person=person, workspace=workspace, anonymous_id="anon-first")
    PersonAliasFactory(person=person, workspace=workspace, anonymous_id="anon-later")

    generate(workspace, study, segments, django_capture_on_commit_callbacks)

    person.refresh_from_db()
    assert isinstance(person.traits.get(f"motive.{study.key}.themes"), list)
    assert Person.objects.filter(workspace=workspace).count() == 24  # no one new made
    assert Event.objects.filter(person=person, name="$identify").exists()


def test_a_failing_write_back_leaves_the_report_ready(
    workspace, django_capture_on_commit_callbacks, monkeypatch
):
    def broken(**kwargs):
        raise RuntimeError("people app down")

    monkeypatch.setattr(writeback, "themes_write_back", broken)
    study, segments = study_with_interviews(workspace, per_segment=12)

    report = generate(workspace, study, segments, django_capture_on_commit_callbacks)

    assert report.status == ReportStatus.READY and report.document
    assert generation.run_generation(report_id=report.pk) is None
