"""The offline moderator against answers labeled by hand (tests/interviews/moderator_labels.py)."""

from __future__ import annotations

from interviews.moderator import Exchange, ProbeContext, check_followup, decide
from studies.question_types import QuestionSpec
from tests.interviews.moderator_labels import LABELED, Labeled

REQUIRED = 0.85


def probes(item: Labeled) -> bool:
    question = QuestionSpec(key="q", type="open_ended", prompt=item.topic, probe_max_followups=2)
    decision = decide(
        ProbeContext(
            objective="Understand why customers buy, stay and leave.",
            language=item.language,
            tone="neutral",
            probe_structured=False,
            question=question,
            value=item.answer,
            exchanges=[Exchange(asked=item.topic, answer=item.answer)],
        )
    )
    if decision.probe:
        # Every follow-up the labeled set provokes passes the server-side checks.
        assert check_followup(decision.followup, item.language) == "", decision.followup
    return decision.probe


def test_the_labeled_set_is_large_and_mixed() -> None:
    assert len(LABELED) >= 60
    assert sum(item.should_probe for item in LABELED) >= 25
    assert sum(not item.should_probe for item in LABELED) >= 25
    assert sum(item.language == "de" for item in LABELED) >= 15
    assert len({item.topic for item in LABELED}) >= 8


def test_should_probe_precision_and_recall() -> None:
    predicted = [(item, probes(item)) for item in LABELED]
    true_pos = sum(1 for item, probe in predicted if probe and item.should_probe)
    false_pos = [item.answer for item, probe in predicted if probe and not item.should_probe]
    false_neg = [item.answer for item, probe in predicted if not probe and item.should_probe]
    precision = true_pos / (true_pos + len(false_pos))
    recall = true_pos / (true_pos + len(false_neg))

    print(
        f"\nshould probe: precision {precision:.3f}, recall {recall:.3f} "
        f"on {len(LABELED)} labeled answers"
    )
    print("probed though informative:", false_pos)
    print("not probed though vague:", false_neg)
    assert precision >= REQUIRED
    assert recall >= REQUIRED
