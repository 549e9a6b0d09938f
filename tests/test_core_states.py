"""The shared state-machine mechanism and the refusals of the machines declared with it."""

from __future__ import annotations

import doctest

import hrsys.core.states
from hrsys.core.states import IllegalMove
from hrsys.secondments import lifecycle
from hrsys.secondments.lifecycle import Action, SecondmentStatus
from hrsys.taskforces.states import MEMBERS, PROPOSALS, TASKFORCES, MemberStatus, ProposalStatus, TaskForceStatus
from hrsys.training.flows import ENROLMENTS, PLANS


def test_docstring_examples_hold() -> None:
    result = doctest.testmod(hrsys.core.states)
    assert result.attempted > 0 and result.failed == 0


def _body(err: IllegalMove) -> tuple[str, str | None, list[str] | None, dict[str, object] | None]:
    problem = err.to_problem()
    assert problem.status == 409
    return problem.detail, problem.rule, problem.allowed, problem.extra


def test_each_machine_words_its_refusal_and_lists_the_allowed_moves() -> None:
    S = SecondmentStatus
    assert _body(lifecycle.MACHINE.refusal(S.proposed, Action.approve)) == (
        "cannot approve a secondment that is proposed; allowed: submit, reject, withdraw",
        "illegal_transition",
        ["submit", "reject", "withdraw"],
        {"status": "proposed"},
    )
    assert _body(lifecycle.MACHINE.refusal(S.completed, Action.extend))[0] == (
        "cannot extend a secondment that is completed; allowed: none: the secondment is closed"
    )
    assert _body(TASKFORCES.refusal(TaskForceStatus.active, TaskForceStatus.forming)) == (
        "a task force cannot move from active to forming; allowed: closed",
        "illegal_transition",
        ["closed"],
        None,
    )
    assert _body(TASKFORCES.refusal(TaskForceStatus.closed, TaskForceStatus.active))[0] == (
        "a task force cannot move from closed to active; closed is final"
    )
    assert _body(MEMBERS.refusal(MemberStatus.ended, MemberStatus.active)) == (
        "a membership cannot move from ended to active",
        "illegal_transition",
        [],
        None,
    )
    assert _body(PROPOSALS.refusal(ProposalStatus.accepted, ProposalStatus.discarded, subject=4)) == (
        "proposal 4 is accepted",
        "illegal_transition",
        [],
        None,
    )
    assert _body(ENROLMENTS.refusal("planned", "completed", subject=9)) == (
        "enrolment 9 cannot go from planned to completed; allowed: enrolled, withdrawn",
        "enrolment_flow",
        ["enrolled", "withdrawn"],
        None,
    )
    assert _body(PLANS.refusal("done", "draft", subject=3)) == (
        "plan 3 cannot go from done to draft; allowed: none (final state)",
        "plan_flow",
        [],
        None,
    )


def test_a_legal_move_leads_where_the_table_says() -> None:
    assert lifecycle.next_status(SecondmentStatus.active, Action.extend) is SecondmentStatus.extended
    assert TASKFORCES.next(TaskForceStatus.forming, TaskForceStatus.active) is TaskForceStatus.active
    assert PLANS.next("submitted", "draft") == "draft" and PLANS.allowed("submitted") == [
        "approved",
        "draft",
        "cancelled",
    ]
