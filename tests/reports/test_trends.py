"""Over time (reports.trends, pure): weekly theme prevalence and scale means per segment,
with planted emerging themes called out and steady ones not."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from reports.analysis import Response
from reports.themes import Coding
from reports.trends import iso_week, over_time, page_context
from tests.factories import ready_report

QUESTIONS = [{"key": "why", "type": "open_ended"}, {"key": "nps", "type": "scale"}]
WEEKS = ["2026-W46", "2026-W47", "2026-W48"]


def build(plan: dict[tuple[str, str], dict[str, int]], per_week: int = 20):
    """`plan[(segment, week)][theme]` respondents mention the theme, out of `per_week`."""
    responses, codings, weeks = [], [], {}
    for (segment, week), mentions in plan.items():
        for index in range(per_week):
            interview = f"{segment}-{week}-{index}"
            weeks[interview] = week
            nps = 6 + WEEKS.index(week) if segment in ("a", "1") else 5
            responses.append(Response(interview, segment, {"why": "…", "nps": nps}))
            for theme, count in mentions.items():
                if index < count:
                    codings.append(Coding(interview, segment, theme, "span"))
    return responses, codings, weeks


PLAN = {
    ("a", "2026-W46"): {"price": 2, "steady": 6},
    ("a", "2026-W47"): {"price": 2, "steady": 6},
    ("a", "2026-W48"): {"price": 12, "steady": 7},
    ("b", "2026-W46"): {"steady": 6},
    ("b", "2026-W47"): {"steady": 5},
    ("b", "2026-W48"): {"alerts": 5, "steady": 6, "price": 1},
}


def test_planted_rising_and_new_themes_are_called_out_and_nothing_else():
    responses, codings, weeks = build(PLAN)

    result = over_time(QUESTIONS, ["a", "b"], responses, codings, weeks)

    assert result["weeks"] == WEEKS
    called = [(e["label"], e["segment"], e["week"], e["reason"]) for e in result["emerging"]]
    assert called == [("alerts", "b", "2026-W48", "new"), ("price", "a", "2026-W48", "rising")]
    rising = result["emerging"][1]
    assert (rising["count"], rising["n"], rising["share"], rising["earlier_share"]) == (
        12,
        20,
        0.6,
        0.1,
    )
    assert rising["ci"][0] > rising["earlier_ci"][1]


def test_weekly_shares_carry_wilson_intervals_and_scale_means_per_week():
    responses, codings, weeks = build(PLAN)

    result = over_time(QUESTIONS, ["a", "b"], responses, codings, weeks)

    price = next(theme for theme in result["themes"] if theme["label"] == "price")
    assert [(p["week"], p["count"], p["n"], p["share"]) for p in price["by_segment"]["a"]] == [
        ("2026-W46", 2, 20, 0.1),
        ("2026-W47", 2, 20, 0.1),
        ("2026-W48", 12, 20, 0.6),
    ]
    # Wilson 95% interval of 12/20, worked by hand: (0.6 + z²/40 ± z·sqrt(0.012 + z²/1600))
    # / (1 + z²/20) with z = 1.96 -> [0.3866, 0.7812].
    assert price["by_segment"]["a"][2]["ci"] == [0.3866, 0.7812]
    nps = result["scales"][0]
    assert nps["key"] == "nps"
    assert [(p["week"], p["mean"]) for p in nps["by_segment"]["a"]] == [
        ("2026-W46", 6.0),
        ("2026-W47", 7.0),
        ("2026-W48", 8.0),
    ]
    assert {p["mean"] for p in nps["by_segment"]["b"]} == {5.0}


def test_a_small_rise_within_the_interval_or_too_few_mentions_is_not_emerging():
    plan = {
        ("a", "2026-W46"): {"price": 4, "rare": 0},
        ("a", "2026-W47"): {"price": 6, "rare": 2},
    }
    responses, codings, weeks = build(plan)

    result = over_time(QUESTIONS, ["a"], responses, codings, weeks)

    assert result["emerging"] == []


def test_one_week_of_data_has_nothing_to_compare():
    responses, codings, weeks = build({("a", "2026-W48"): {"price": 15}})

    result = over_time(QUESTIONS, ["a"], responses, codings, weeks)

    assert result["weeks"] == ["2026-W48"] and result["emerging"] == []


def test_iso_week_follows_iso_years():
    assert iso_week(date(2026, 12, 2)) == "2026-W49"
    assert iso_week(date(2027, 1, 1)) == "2026-W53"
    assert iso_week(date(2025, 12, 29)) == "2026-W01"


# --- on the report page ---------------------------------------------------------------

SEGMENTS = [
    {"id": 1, "name": "Price watchers", "css": "seg-1"},
    {"id": 2, "name": "Integrators", "css": "seg-2"},
]


def planted_over_time() -> dict:
    """PLAN with the segments named "1" (a) and "2" (b), as a report document holds it."""
    ids = {"a": "1", "b": "2"}
    responses, codings, weeks = build({(ids[s], w): m for (s, w), m in PLAN.items()})
    return over_time(QUESTIONS, ["1", "2"], responses, codings, weeks)


def test_the_page_calls_out_emerging_themes_in_plain_words_with_a_table_per_segment():
    shown = page_context(planted_over_time(), SEGMENTS)

    assert shown is not None
    assert shown["emerging"] == [
        "“alerts” is new in Integrators in 2026-W48: 5 of 20 respondents (25%), nobody in "
        "the weeks before.",
        "“price” is rising in Price watchers in 2026-W48: 12 of 20 respondents (60%), against "
        "10% (4% to 23%) in the weeks before, beyond both intervals.",
    ]
    first = shown["tables"][0]
    assert first["segment"]["name"] == "Price watchers"
    assert first["respondents"] == ["20", "20", "20"]
    assert [(row["label"], row["emerging"]) for row in first["rows"]] == [
        ("price", True),
        ("alerts", False),
        ("steady", False),
    ]
    assert first["rows"][0]["cells"] == ["10%", "10%", "60%"]
    assert first["rows"][1]["cells"] == ["0%", "0%", "0%"]
    assert '<svg class="sparkline trend-line"' in first["rows"][0]["chart"]
    assert [row["cells"] for row in shown["scales"][0]["rows"]] == [
        ["6.0 (n = 20)", "7.0 (n = 20)", "8.0 (n = 20)"],
        ["5.0 (n = 20)", "5.0 (n = 20)", "5.0 (n = 20)"],
    ]


def test_no_weekly_view_means_nothing_on_the_page():
    assert page_context(None, SEGMENTS) is None
    assert page_context({"weeks": []}, SEGMENTS) is None


@pytest.mark.django_db
def test_the_report_page_renders_the_weekly_view(client, workspace, owner):
    report = ready_report(workspace, per_segment=12)
    ids = [str(segment["id"]) for segment in report.document["segments"]]
    document = planted_over_time()
    remap = {"1": ids[0], "2": ids[1]}
    for theme in document["themes"]:
        theme["by_segment"] = {remap[k]: v for k, v in theme["by_segment"].items()}
    for scale in document["scales"]:
        scale["by_segment"] = {remap[k]: v for k, v in scale["by_segment"].items()}
    for item in document["emerging"]:
        item["segment"] = remap[item["segment"]]
    report.document = {**report.document, "over_time": document}
    report.save(update_fields=["document"])
    client.force_login(owner)

    html = client.get(reverse("reports:detail", args=[report.pk])).content.decode()

    assert 'data-testid="over-time"' in html
    assert "is rising in Price watchers in 2026-W48" in html
    assert "is new in Integrators in 2026-W48" in html
    assert html.count('class="sparkline trend-line"') == 2 * len(document["themes"])
    assert "Mean of nps by week" in html


@pytest.mark.django_db
def test_a_report_without_a_weekly_view_has_no_over_time_section(client, workspace, owner):
    report = ready_report(workspace, per_segment=12)
    client.force_login(owner)

    html = client.get(reverse("reports:detail", args=[report.pk])).content.decode()

    assert "Over time" not in html
