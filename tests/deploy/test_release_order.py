"""The release-order check of the end-to-end deployment test (tests/deploy/load.py): it
catches an answer from an older release once a switch has completed, and only then (runs in
``make test``: no process is started)."""

from __future__ import annotations

from tests.deploy.load import Answer, Switch, stale_answers

SWITCHES = [Switch("B", 10.0, 12.0), Switch("A", 20.0, 21.0)]  # publish B, roll back to A


def _answer(sent: float, release: str | None, received: float | None = None) -> Answer:
    return Answer(0, sent, sent + 0.1 if received is None else received, 200, release)


def test_before_a_switch_completes_either_release_may_answer() -> None:
    answers = [_answer(5.0, "A"), _answer(11.0, "A"), _answer(11.5, "B"), _answer(20.5, "B")]
    assert stale_answers(answers, SWITCHES) == []


def test_after_a_switch_completes_the_older_release_is_stale() -> None:
    late = [_answer(13.0, "A"), _answer(22.0, "B")]
    assert stale_answers([_answer(14.0, "B"), *late, _answer(23.0, "A")], SWITCHES) == late


def test_an_answer_overlapping_the_next_switch_is_not_judged() -> None:
    # sent after B was everywhere, answered after the rollback had started
    assert stale_answers([_answer(19.0, "A", received=20.2)], SWITCHES) == []


def test_answers_without_a_release_are_left_to_the_status_checks() -> None:
    assert stale_answers([_answer(13.0, None)], SWITCHES) == []
