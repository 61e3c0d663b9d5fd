"""Simulated respondents for the demo: people answering in character through the real API.

Each invited person answers as their latent group (people/demo_data.py) would: what
they were trying to do, why, what holds them back and what they need differ by group
in substance and in wording. The answers carry the noise of real ones (lower case,
fillers, typos, answers of every length); some first answers are short and vague and
get probed by the moderator; a few respondents give up halfway; a few interviews are
low quality (straight-lining, gibberish, the same text pasted everywhere, far too
fast) so the quality flags have something to flag.

Every answer goes through `POST /api/v1/interviews/<token>/answer`, as a respondent's
browser would send it, each respondent from an address of their own (the per-address
rate limit is for the open internet). A respondent takes their time: the simulation
runs on a clock of its own (`timezone.now` while it runs), starting at the study's
launch, so answer timings and the "too fast" check see people, not a loop.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Final
from unittest import mock

from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from people.demo_data import DEFAULT_SEED, latent_group
from studies.models import Invitation, Study, StudyMode, StudyStatus
from workspaces.models import Workspace

MAX_STEPS: Final = 60
# Who answers: most of a one-off study's invitees, a trickle of a listening study's.
RESPONSE_RATES: Final[dict[str, float]] = {StudyMode.ONE_OFF: 0.65, StudyMode.CONTINUOUS: 0.25}
DROP_OUT_RATE: Final = 0.06
LOW_QUALITY_RATE: Final = 0.06


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
        options={"Pro": 6, "Team": 3, "Dashboards": 7, "Cohorts": 5, "Exports": 4},
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
        options={"Free": 6, "Pro": 2, "Dashboards": 7, "Alerts": 3},
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
        options={"Pro": 6, "Free": 2, "Funnels": 6, "Dashboards": 3, "Alerts": 3},
        priorities=("Price", "Speed", "Depth of analysis", "Support"),
        yes=0.3,
    ),
}


@dataclass
class SimulationResult:
    started: int = 0
    completed: int = 0
    low_quality: int = 0
    followups: int = 0


def simulate_demo_interviews(*, workspace: Workspace, seed: int = DEFAULT_SEED) -> SimulationResult:
    """Walk the invited people of the workspace's live studies through their interviews."""
    result = SimulationResult()
    client = APIClient(HTTP_HOST=_host())
    # One log line per moderator turn is for production; here it would drown the output.
    with _quiet("llm", "interviews"):
        _simulate(client, workspace, seed, result)
    return result


@contextmanager
def _quiet(*names: str) -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _simulate(client: APIClient, workspace: Workspace, seed: int, result: SimulationResult) -> None:
    studies = Study.objects.filter(workspace=workspace, status=StudyStatus.LIVE).order_by("id")
    for study in studies:
        invitations = Invitation.objects.filter(study=study).select_related("person")
        for number, invitation in enumerate(invitations.order_by("id")):
            rng = random.Random(f"{seed}:respondent:{study.key}:{invitation.pk}")  # noqa: S311
            if rng.random() >= RESPONSE_RATES.get(study.mode, 0.5):
                continue
            user_id = invitation.person.user_id or ""
            respondent = _Respondent(
                voice=VOICES[latent_group(seed=seed, user_id=user_id).key],
                rng=rng,
                mode=_mode(rng),
            )
            start = (study.launched_at or timezone.now()) + dt.timedelta(hours=rng.uniform(0.2, 96))
            address = f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}"
            with _clock(start, ceiling=timezone.now()) as clock:
                _walk(client, invitation.token, respondent, clock, address, result)


def _host() -> str:
    """A host name this deployment accepts, for the requests the simulation sends."""
    for host in settings.ALLOWED_HOSTS:
        name = host.lstrip(".")
        if name and "*" not in name:
            return name
    return "localhost"


class SimulationError(RuntimeError):
    """The API answered a simulated respondent in a way no respondent should see."""


# Answers a respondent may legitimately get: the link is closed, paused or gone.
EXPECTED_REFUSALS: Final = frozenset({409, 410})


def _check(response: Any) -> bool:
    if response.status_code == 200:
        return True
    if response.status_code in EXPECTED_REFUSALS:
        return False
    raise SimulationError(f"{response.status_code}: {response.content[:500]!r}")


def _mode(rng: random.Random) -> str:
    roll = rng.random()
    if roll < LOW_QUALITY_RATE:
        return rng.choice(("straight", "gibberish", "paste", "rush"))
    if roll < LOW_QUALITY_RATE + DROP_OUT_RATE:
        return "drop_out"
    return "normal"


class _Clock:
    def __init__(self, start: dt.datetime, ceiling: dt.datetime) -> None:
        self.now = min(start, ceiling)
        self.ceiling = ceiling

    def advance(self, seconds: float) -> None:
        self.now = min(self.now + dt.timedelta(seconds=seconds), self.ceiling)

    def __call__(self) -> dt.datetime:
        return self.now


@contextmanager
def _clock(start: dt.datetime, *, ceiling: dt.datetime) -> Iterator[_Clock]:
    """`timezone.now` reads the respondent's clock while they answer."""
    clock = _Clock(start, ceiling)
    with mock.patch.object(timezone, "now", clock):
        yield clock


def _walk(
    client: APIClient,
    token: str,
    respondent: _Respondent,
    clock: _Clock,
    address: str,
    result: SimulationResult,
) -> None:
    url = f"/api/v1/interviews/{token}/"
    response = client.get(url, REMOTE_ADDR=address)
    if not _check(response):
        return
    result.started += 1
    state = response.json()
    for _ in range(MAX_STEPS):
        step = state["step"]
        if step["kind"] == "done":
            result.completed += 1
            result.low_quality += respondent.mode not in ("normal", "drop_out")
            return
        if respondent.mode == "drop_out" and state["progress"]["answered"] >= 3:
            return  # closed the tab
        value = respondent.answer(step)
        result.followups += step["kind"] == "followup"
        clock.advance(respondent.seconds(value))
        response = client.post(
            f"{url}answer", {"step": step["id"], "value": value}, format="json", REMOTE_ADDR=address
        )
        if not _check(response):
            return
        state = response.json()


class _Respondent:
    def __init__(self, *, voice: Voice, rng: random.Random, mode: str) -> None:
        self.voice = voice
        self.rng = rng
        self.mode = mode
        self.pasted = self._noisy(rng.choice(voice.jobs))
        self.vague_first = rng.random() < 0.3

    # --- what they say ---------------------------------------------------------------

    def answer(self, step: dict[str, Any]) -> Any:
        question = step.get("question") or {}
        if step["kind"] == "followup":
            return self._text(self._followup())
        kind = question.get("type")
        if kind == "open_ended":
            return self._text(self._open(question.get("key", "")))
        if kind == "scale":
            return self._scale(question)
        if kind == "single_choice":
            return self._single(question)
        if kind == "multiple_choice":
            return self._multiple(question)
        if kind == "ranking":
            return self._ranking(question.get("options", []))
        if kind == "yes_no":
            return False if self.mode == "straight" else self.rng.random() < self.voice.yes
        return None

    def _open(self, key: str) -> str:
        rng, voice = self.rng, self.voice
        if self.vague_first and key != "why":
            self.vague_first = False
            return rng.choice(VAGUE)
        if key == "blocker":
            text = rng.choice(voice.blockers)
            if rng.random() < 0.5:
                text += f". I wish it had {rng.choice(voice.needs)}"
            return text
        if key == "why":  # the listening study: why they changed plan
            return rng.choice(voice.downgrades)
        text = rng.choice(voice.jobs)
        if rng.random() < 0.4:
            text += f", {rng.choice(voice.reasons)}"
        return text

    def _followup(self) -> str:
        rng, voice = self.rng, self.voice
        text = rng.choice(voice.reasons)
        if rng.random() < 0.5:
            text += f". What would help is {rng.choice(voice.needs)}"
        return text[0].upper() + text[1:]

    def _text(self, text: str) -> str:
        if self.mode == "gibberish":
            return " ".join(
                "".join(self.rng.choice("asdfjklqwerzxcv") for _ in range(self.rng.randint(3, 7)))
                for _ in range(self.rng.randint(1, 3))
            )
        if self.mode == "paste":
            return self.pasted
        if self.mode in ("straight", "rush"):
            return self.rng.choice(("ok", "fine", "good", "no"))
        return self._noisy(text)

    def _noisy(self, text: str) -> str:
        rng = self.rng
        text = rng.choice(self.voice.fillers) + text
        if rng.random() < 0.3:
            text = text.lower()
        if rng.random() < 0.15:
            words = text.split()
            index = rng.randrange(len(words))
            word = words[index]
            if len(word) > 4:
                at = rng.randrange(1, len(word) - 2)
                words[index] = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
            text = " ".join(words)
        if rng.random() < 0.7 and not text.endswith((".", "!", "?")):
            text += "."
        return text[0].upper() + text[1:] if rng.random() < 0.8 else text

    def _scale(self, question: dict[str, Any]) -> int:
        low, high = int(question.get("min", 0)), int(question.get("max", 10))
        if self.mode == "straight":
            return low
        a, b = self.voice.nps
        value = self.rng.randint(a, b) if (low, high) == (0, 10) else self.rng.randint(low, high)
        return max(low, min(high, value))

    def _weights(self, options: Sequence[str]) -> list[float]:
        return [self.voice.options.get(option, 1.0) for option in options]

    def _single(self, question: dict[str, Any]) -> Any:
        options = list(question.get("options", []))
        if self.mode == "straight":
            return options[0]
        if question.get("allow_other") and self.rng.random() < 0.05:
            return {"other": self.rng.choice(("A startup plan", "Whatever my boss picks"))}
        return self.rng.choices(options, weights=self._weights(options))[0]

    def _multiple(self, question: dict[str, Any]) -> list[str]:
        options = list(question.get("options", []))
        low = int(question.get("min_selected") or 1)
        high = int(question.get("max_selected") or len(options))
        if self.mode == "straight":
            return options[:low]
        count = self.rng.randint(low, min(high, len(options)))
        chosen: list[str] = []
        weights = self._weights(options)
        while len(chosen) < count:
            pick = self.rng.choices(options, weights=weights)[0]
            if pick not in chosen:
                chosen.append(pick)
        return chosen

    def _ranking(self, options: Sequence[str]) -> list[str]:
        if self.mode == "straight":
            return list(options)
        preferred = [o for o in self.voice.priorities if o in options]
        order = preferred + [o for o in options if o not in preferred]
        for index in range(len(order) - 1):  # people disagree with their group a little
            if self.rng.random() < 0.2:
                order[index], order[index + 1] = order[index + 1], order[index]
        return order

    # --- how long they take ----------------------------------------------------------

    def seconds(self, value: Any) -> float:
        if self.mode == "rush":
            return self.rng.uniform(0.3, 1.0)
        if isinstance(value, str):
            return 6 + len(value) / self.rng.uniform(3.0, 5.0)  # reading, then typing
        return self.rng.uniform(4, 15)
