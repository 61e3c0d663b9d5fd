"""How the demo's latent groups talk: what they were trying to do, why, what holds them
back, what they need and why they downgraded, in their own words; their scores, choices
and priorities. interviews/demo_respondents.py answers with these."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final


@dataclass(frozen=True)
class Voice:
    """How one latent group talks about the product."""

    jobs: tuple[str, ...]  # what they were trying to get done
    reasons: tuple[str, ...]  # the why behind it, told when probed
    blockers: tuple[str, ...]  # what holds them back
    needs: tuple[str, ...]  # what they wish it did
    downgrades: tuple[str, ...]  # why they changed plan (the listening study)
    nps: tuple[int, int]
    options: dict[str, float] = field(default_factory=dict)  # option → preference weight
    priorities: tuple[str, ...] = ("Speed", "Depth of analysis", "Support", "Price")
    yes: float = 0.5
    fillers: tuple[str, ...] = ("", "", "", "honestly, ", "well, ", "I guess ")


VAGUE: Final = (
    "Reports mostly.",
    "Just checking things.",
    "Not sure really.",
    "The usual stuff.",
    "It's fine.",
    "Looking around.",
    "Work.",
    "Nothing much.",
)

VOICES: Final[dict[str, Voice]] = {
    "power": Voice(
        jobs=(
            "I was rebuilding our weekly revenue dashboard with a new SQL query that joins "
            "billing and product events",
            "Automating the Monday board report so nobody has to export CSVs by hand anymore",
            "Setting up alerts on our activation funnel so the growth team hears about a drop "
            "the same morning",
            "Digging into why retention for the March cohort fell, query by query",
        ),
        reasons=(
            "because our whole team reads those dashboards every morning and I own the numbers",
            "because the SQL editor lets me go deeper than any canned report, I live in it",
            "we replaced three tools with it, so every decision meeting starts from my queries",
            "the exports feed our finance model, if they are late the quarter close is late",
        ),
        blockers=(
            "Queries on our biggest event tables get slow, 30 seconds or more at quarter end",
            "Permissions: I can't give finance view-only access to a single dashboard",
            "No version history for saved SQL, we overwrote a key query twice last month",
            "The API rate limits bite when we sync exports into the warehouse",
        ),
        needs=(
            "faster queries on large tables and scheduled exports to our warehouse",
            "version control for saved queries and dashboard permissions per team",
            "an API for exports without the rate limit and alerts on any metric",
        ),
        downgrades=(
            "We moved the heavy analysis into our warehouse, so we need fewer seats",
            "Budget cut at the end of the quarter, we dropped seats we were not using",
        ),
        nps=(8, 10),
        options={
            "Team": 8,
            "Faster queries": 7,
            "Permissions per team": 6,
            "Pro": 2,
            "SQL": 8,
            "Dashboards": 7,
            "Alerts": 5,
            "Exports": 6,
            "Funnels": 2,
            "Cohorts": 3,
        },
        priorities=("Depth of analysis", "Speed", "Support", "Price"),
        yes=0.8,
        fillers=("", "", "", "so ", "basically "),
    ),
    "evaluator": Voice(
        jobs=(
            "I was comparing your plans with two other tools before our budget review",
            "Trying to figure out if the Pro plan is worth the price for a team of five",
            "Checking whether funnels work for our signup flow before I pitch it to my boss",
            "Looking at the pricing page again to see what the Team plan adds for the money",
        ),
        reasons=(
            "because our budget is tight this quarter and I have to justify every tool",
            "the price per seat adds up fast, with eight people it costs more than our CRM",
            "my manager asked for a cheaper option and I'm not sure the extra features pay off",
            "we are a small startup, the free plan almost covers it but not quite",
        ),
        blockers=(
            "The price per seat, it is too expensive for a team our size",
            "I can't tell from the pricing page what I actually get on Pro versus Team",
            "The trial ended before I could show it to my team",
            "Honestly the cost, we'd pay for two seats, not eight",
        ),
        needs=(
            "a cheaper plan for small teams or pricing by usage instead of seats",
            "a longer trial and a clear comparison of the plans",
            "a discount for startups and a demo of funnels with our own data",
        ),
        downgrades=(
            "It got too expensive once the trial discount ended",
            "The price went up at renewal and we could not justify it",
        ),
        nps=(4, 8),
        options={
            "Free": 6,
            "A cheaper small-team plan": 8,
            "A longer trial": 5,
            "Pro": 3,
            "Team": 1,
            "Funnels": 6,
            "Dashboards": 5,
            "Exports": 2,
            "Cohorts": 2,
            "SQL": 1,
            "Alerts": 1,
        },
        priorities=("Price", "Speed", "Support", "Depth of analysis"),
        yes=0.2,
        fillers=("", "", "hmm ", "tbh ", "honestly "),
    ),
    "steady": Voice(
        jobs=(
            "Pulling the monthly retention report for our leadership meeting",
            "Updating the dashboard we share with customers every month",
            "Checking cohort retention after our last release, like every month",
        ),
        reasons=(
            "because it just works and the team trusts the numbers",
            "we have used it for two years, everything we report on lives here",
        ),
        blockers=(
            "Not much, sometimes the dashboards load slowly on Monday mornings",
            "Sharing with people outside the company is clumsy",
        ),
        needs=("scheduled PDF reports by email", "easier sharing with clients"),
        downgrades=("We only need one seat now that the project ended",),
        nps=(7, 10),
        options={
            "Pro": 6,
            "Team": 3,
            "Dashboards": 7,
            "Cohorts": 5,
            "Exports": 4,
            "Permissions per team": 4,
        },
        priorities=("Support", "Speed", "Depth of analysis", "Price"),
        yes=0.5,
    ),
    "light": Voice(
        jobs=(
            "I clicked through from your email to look at one chart",
            "Had a quick look at a dashboard a colleague shared",
            "Checked a number for a meeting",
        ),
        reasons=(
            "I only need it once in a while, when someone asks me for a number",
            "my colleague set it up, I mostly read what she builds",
        ),
        blockers=(
            "I forget how it works between visits",
            "I don't really have time to learn it properly",
        ),
        needs=("a simple weekly summary by email", "a mobile view for quick checks"),
        downgrades=("We were not using it enough to pay for it",),
        nps=(4, 8),
        options={"Free": 6, "Pro": 2, "Dashboards": 7, "Alerts": 3, "A longer trial": 4},
        priorities=("Speed", "Price", "Support", "Depth of analysis"),
        yes=0.3,
    ),
    "fading": Voice(
        jobs=(
            "Trying to get a report working again after our analyst left",
            "Opening a support ticket about a broken funnel",
        ),
        reasons=(
            "since our analyst left nobody knows how the dashboards were built",
            "we had bugs with the funnel numbers and lost trust in them",
        ),
        blockers=(
            "Support took days to answer our ticket",
            "Nobody on the team has time to maintain the dashboards",
        ),
        needs=("onboarding help for a new analyst", "faster support answers"),
        downgrades=(
            "We were not using it enough since our analyst left",
            "Support was too slow when our funnel numbers broke, so we scaled back",
            "We switched most reporting to another tool",
        ),
        nps=(1, 6),
        options={"Pro": 5, "Team": 3, "Funnels": 5, "Cohorts": 4, "Exports": 2},
        priorities=("Support", "Price", "Speed", "Depth of analysis"),
        yes=0.15,
    ),
    "founder": Voice(
        jobs=(
            "Checking signups and revenue on Saturday morning, as every weekend",
            "Looking at which campaign brought paying customers this week",
        ),
        reasons=(
            "I run the company, weekends are when I have time to look at the numbers",
            "every dollar of ad spend matters at our stage",
        ),
        blockers=("Credit packs run out at the worst moment", "The mobile app is limited"),
        needs=("cheaper credits and a better mobile app", "a weekly digest I can read on my phone"),
        downgrades=("Buying credits is cheaper for us than a monthly plan",),
        nps=(6, 9),
        options={
            "Pro": 6,
            "Free": 2,
            "Funnels": 6,
            "Dashboards": 3,
            "Alerts": 3,
            "A cheaper small-team plan": 5,
        },
        priorities=("Price", "Speed", "Depth of analysis", "Support"),
        yes=0.3,
    ),
}
