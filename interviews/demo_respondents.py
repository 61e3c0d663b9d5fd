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
from dataclasses import dataclass
from typing import Any, Final
from unittest import mock

from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from interviews.demo_voices import VAGUE, VOICES, Voice
from people.demo_data import DEFAULT_SEED
from people.demo_groups import latent_group
from studies.models import Invitation, Study, StudyMode, StudyStatus
from workspaces.models import Workspace

MAX_STEPS: Final = 60
# Who answers: most of a one-off study's invitees, a trickle of a listening study's.
RESPONSE_RATES: Final[dict[str, float]] = {StudyMode.ONE_OFF: 0.65, StudyMode.CONTINUOUS: 0.25}
DROP_OUT_RATE: Final = 0.06
LOW_QUALITY_RATE: Final = 0.06


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
    # A study that has interviews was simulated (or answered for real): left alone.
    for study in studies.exclude(interviews__isnull=False):
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
            launched = study.launched_at or timezone.now()
            window = min(96.0, 0.8 * (timezone.now() - launched).total_seconds() / 3600)
            start = launched + dt.timedelta(hours=rng.uniform(0.1, max(0.2, window)))
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
        if key == "what_it_takes":  # the follow-up study
            return f"{rng.choice(voice.needs)}, {rng.choice(voice.reasons)}"
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
        # Every scale leans the way the group's recommendation score does.
        a, b = self.voice.nps
        value = low + round(self.rng.randint(a, b) / 10 * (high - low))
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
