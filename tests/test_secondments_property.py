"""Random sequences of commands through the secondment service, on the real database.

Hypothesis drives proposals, edits, declarations, decisions and every action of
the state machine (legal or not, in any order, while the clock moves on) under a
small policy so that every rule is reached within a few steps. After each step
the database must show that no rule was ever broken and that every move is in
the history.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hrsys.allocation.rules import Commitment, peak_allocation
from hrsys.core.errors import AppError
from hrsys.notifications.models import Notification
from hrsys.requests.models import Request
from hrsys.secondments import commands as service
from hrsys.secondments import lifecycle, rules
from hrsys.secondments.lifecycle import CLEARED, Action
from hrsys.secondments.models import (
    ConflictOfInterestReview,
    KnowledgeTransfer,
    Secondment,
    SecondmentTransition,
)
from hrsys.secondments.policy import SecondmentPolicy
from hrsys.secondments.rules import Period
from hrsys.secondments.schemas import (
    ActivateInput,
    CoiDecisionInput,
    EndInput,
    EndReportInput,
    ExtendInput,
    InterestsDeclaration,
    SecondmentCreate,
    SecondmentUpdate,
    TransitionInput,
)
from hrsys.skills.assessments.models import Assessment, CurrentSkill
from tests import factories

POLICY = SecondmentPolicy(
    max_first_period_months=4,
    max_extensions=2,
    max_extension_months=2,
    career_cap_months=7,
    continuous_run_months=4,
    cooling_off_months=2,
    continuity_break_days=10,
)
"""Small limits, so that a few random steps reach every rule."""
D0 = dt.date(2030, 1, 1)
DAY = dt.timedelta(days=1)

create_step = st.tuples(
    st.just("create"),
    st.integers(0, 1),  # which person
    st.integers(0, 300),  # start, days after D0
    st.integers(1, 150),  # length in days
    st.sampled_from([40, 60, 100]),  # allocation
)
act_step = st.tuples(st.just("act"), st.integers(0, 5), st.sampled_from(list(Action)), st.integers(-20, 120))
other_step = st.tuples(
    st.sampled_from(["declare", "clear", "block", "agreement", "unagree", "move", "clock", "report"]),
    st.integers(0, 5),
    st.integers(-40, 120),
)
advance_step = st.tuples(st.just("advance"), st.integers(0, 5), st.integers(-20, 120), st.integers(1, 8))
"""Take the natural next move of a secondment up to k times (so that some go the whole way)."""
follow_step = st.tuples(
    st.just("follow"),
    st.integers(0, 1),  # which person
    st.integers(-5, 75),  # days at home after their latest secondment
    st.integers(20, 125),  # length in days
    st.sampled_from([40, 60, 100]),
)
"""A secondment that follows the person's latest one: continuous runs, career totals."""
fast_step = st.tuples(
    st.just("fast"), st.one_of(create_step, follow_step, follow_step), st.integers(3, 8), st.integers(-20, 120)
)
"""Create a secondment and take its first 3 to 8 natural moves (approval is the third, activation the fifth)."""
steps = st.lists(
    st.one_of(create_step, fast_step, fast_step, advance_step, advance_step, act_step, other_step),
    min_size=4,
    max_size=20,
)

NEXT: dict[str, list[str]] = {
    "proposed": ["submit"],
    "under_review": ["clear", "approve"],
    "approved": ["agreement", "activate"],
    "active": ["extend", "complete"],
    "extended": ["extend", "complete", "terminate"],
}
"""The natural next commands from each state (an ``advance`` step takes them in turn)."""


REFUSED: set[str] = set()
"""Rules that refused a command during the run (to show the run reached them)."""


def _run(engine: Engine, fn: Callable[[Session], Any]) -> bool:
    """One command in its own transaction, as a request would: committed, or rolled back on a 4xx."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            fn(session)
        except AppError as exc:
            session.rollback()
            REFUSED.add(exc.rule or exc.slug)
            return False
        session.commit()
        return True


class _World:
    """The commands of one example, each in its own transaction, with what the test needs to remember."""

    def __init__(self, engine: Engine, person_ids: list[int]) -> None:
        self.db = engine
        self.person_ids = person_ids
        self.ids: list[int] = []
        self.successes: dict[int, int] = {}
        self.today = D0

    def advance(self, step: tuple[Any, ...]) -> None:
        if not self.ids:
            return
        _, idx, n, _ = step
        sid = self.ids[-1] if idx < 4 else self.ids[idx % len(self.ids)]
        status = _status(self.db, sid)
        plan = NEXT.get(status, [])
        if not plan:
            return
        kind = plan[n % len(plan)] if status in ("active", "extended") else plan[0]
        if status == "under_review" and n % 9 == 5:
            kind = "reject"
        if kind == "extend":
            n = n % 50 + 1  # mostly within the extension limit, so that the count limit is reached too
        if kind == "clear":
            decision = _review_decision(self.db, sid)
            kind = "declare" if decision == "blocked" else "approve" if decision in CLEARED else "clear"
        elif kind == "agreement" and _has_agreement(self.db, sid):
            kind = "activate"
        if kind in {a.value for a in Action}:
            self.apply(("act", sid, Action(kind), n), sid=sid)
        else:
            self.apply((kind, sid, n), sid=sid)

    def apply(self, step: tuple[Any, ...], sid: int | None = None) -> None:
        kind, db, today = step[0], self.db, self.today
        if kind in ("create", "follow"):
            _, who, offset, length, allocation = step
            starts = D0 + offset * DAY
            if kind == "follow":
                starts = _latest_end(db, self.person_ids[who]) + (offset + 1) * DAY
            data = SecondmentCreate(
                person_id=self.person_ids[who],
                host_agency="HOST",
                starts_on=starts,
                ends_on=starts + (length - 1) * DAY,
                host_share_pct=50,
                allocation=allocation,
                interests=InterestsDeclaration(employer="Expert Co."),
                knowledge_transfer=[],
            )
            created: list[int] = []
            if _run(db, lambda s: created.append(service.create(s, data, policy=POLICY).id)):
                self.ids.append(created[0])
                self.successes[created[0]] = 0
            return
        if kind == "clock":
            self.today += max(step[2], 0) * DAY
            return
        if not self.ids:
            return
        sid = sid if sid is not None else self.ids[step[1] % len(self.ids)]
        if kind == "act":
            action, n = step[2], step[3]
            payload: Any = None
            if action is Action.extend:
                payload = ExtendInput(ends_on=_ends_on(db, sid) + max(n, 1) * DAY)
            elif action in (Action.complete, Action.terminate):
                self.today = today = max(today, _starts_on(db, sid) + abs(n) * DAY)  # time passes until it ends
                payload = EndInput(on=min(today - max(-n, 0) * DAY, _ends_on(db, sid)), reason="because")
            elif action is Action.activate:
                payload = ActivateInput()
            elif action in lifecycle.REASON_REQUIRED:
                payload = TransitionInput(reason="because")
            if _run(db, lambda s: service.act(s, sid, action, payload, policy=POLICY, today=today)):
                self.successes[sid] += 1
        elif kind == "declare":
            _run(db, lambda s: service.declare_interests(s, sid, InterestsDeclaration(other_interests="x")))
        elif kind in ("clear", "block"):
            decision = CoiDecisionInput(decision="cleared" if kind == "clear" else "blocked")
            _run(db, lambda s: service.decide_coi(s, sid, decision))
        elif kind in ("agreement", "unagree"):
            ref = SecondmentUpdate(agreement_ref="MOU-1" if kind == "agreement" else None)
            _run(db, lambda s: service.update(s, sid, ref, policy=POLICY))
        elif kind == "move":
            shift = SecondmentUpdate(starts_on=_starts_on(db, sid) + step[2] * DAY)
            _run(db, lambda s: service.update(s, sid, shift, policy=POLICY))
        elif kind == "report":
            report = EndReportInput(summary="Handed over.")
            _run(db, lambda s: service.submit_end_report(s, sid, report, today=today))


def _check_invariants(engine: Engine, successes: dict[int, int]) -> None:
    with Session(engine) as session:
        secondments = session.scalars(sa.select(Secondment).order_by(Secondment.id)).all()
        moves: dict[int, list[SecondmentTransition]] = {}
        for t in session.scalars(sa.select(SecondmentTransition).order_by(SecondmentTransition.id)):
            moves.setdefault(t.secondment_id, []).append(t)
        by_person: dict[int, list[Secondment]] = {}
        for s in secondments:
            chain = moves[s.id]
            # history complete: creation, then every successful move, each from where the last one left off
            assert chain[0].from_status is None and chain[0].to_status == "proposed"
            assert all(b.from_status == a.to_status for a, b in itertools.pairwise(chain))
            assert chain[-1].to_status == s.status
            assert len(chain) == successes[s.id] + 1
            for t in chain[1:]:
                assert lifecycle.next_status(t.from_status, Action(t.details["action"])) == t.to_status
                if t.to_status == "approved":
                    assert t.details.get("coi_decision") in CLEARED
            if s.status in lifecycle.IN_PROGRESS | lifecycle.ENDED:
                assert s.agreement_ref
            if s.status in lifecycle.SECONDED:
                assert rules.check_first_period(POLICY, s.starts_on, s.first_ends_on) is None
                assert s.extensions <= POLICY.max_extensions
                by_person.setdefault(s.person_id, []).append(s)
            if s.end_report_at is not None:
                assert s.status in lifecycle.ENDED
        for person_id, mine in by_person.items():
            periods = [Period(s.starts_on, s.ends_on, f"secondment:{s.id}") for s in mine]
            assert rules.seconded_days(periods) <= rules.months_to_days(POLICY.career_cap_months)
            for p in periods:
                others = [q for q in periods if q is not p]
                assert rules._cooling_off_at(POLICY, [*others, p], p.starts_on) is None, (person_id, periods)
            booking = [Commitment(s.starts_on, s.ends_on, s.allocation) for s in mine if s.status in lifecycle.BOOKING]
            assert peak_allocation(booking).percent <= 100


def test_random_command_sequences_never_break_a_rule(db: Engine, session: Session) -> None:
    factories.agency(session, "HOST")
    other = factories.agency(session, "OTHER")
    people = [factories.person(session, organisation="Expert Co."), factories.person(session, other)]
    person_ids = [p.id for p in people]
    session.close()

    reached: set[str] = set()
    REFUSED.clear()

    @settings(
        max_examples=40,
        deadline=None,
        derandomize=True,  # the same sequences on every run: a failure is reproducible, never flaky
        phases=[Phase.explicit, Phase.generate],  # no shrinking: a failing sequence is short enough to read
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(steps)
    # Sequences that reach every rule whatever the random ones do (the assertions after the run rely on them).
    @example([("fast", ("create", 0, 0, 100, 60), 3, 0), ("fast", ("create", 0, 10, 100, 60), 3, 0)])  # allocation
    @example([("fast", ("follow", 0, 70, 100, 100), 3, 0), ("follow", 0, 70, 120, 100)])  # career cap
    @example([("fast", ("follow", 1, 0, 120, 100), 3, 0)] + [("fast", ("follow", 1, 0, 20, 100), 3, 0)] * 2)
    @example([("fast", ("create", 1, 0, 100, 100), 8, 0), ("create", 0, 0, 30, 40)])  # extension count, proposed
    @example([("fast", ("create", 1, 0, 100, 100), 5, 0), ("act", 0, Action.extend, 120)])  # extension length
    @example([("fast", ("create", 0, 0, 150, 40), 3, 0), ("create", 0, 0, 100, 40), ("act", 0, Action.reject, 0)])
    @example([("fast", ("create", 0, 0, 60, 40), 5, 0), ("act", 0, Action.terminate, 5), ("declare", 0, 0)])
    @example([("fast", ("create", 0, 0, 60, 40), 6, 1)])  # completed
    @example(
        [
            ("create", 1, 0, 30, 40),
            ("act", 0, Action.submit, 0),
            ("block", 0, 0),
            ("act", 0, Action.approve, 0),
            ("declare", 0, 0),
            ("clear", 0, 0),
            ("act", 0, Action.approve, 0),
            ("act", 0, Action.activate, 0),
            ("act", 0, Action.withdraw, 0),
            ("act", 0, Action.submit, 0),
            ("declare", 0, 0),
            ("report", 0, 0),
        ]
    )
    def run(sequence: list[tuple[Any, ...]]) -> None:
        with db.begin() as conn:
            # the requests the moves opened go too (SQLite reuses the secondments' ids after the delete)
            for table in (Notification, Request, KnowledgeTransfer, ConflictOfInterestReview, SecondmentTransition):
                conn.execute(sa.delete(table))
            conn.execute(sa.delete(CurrentSkill))
            conn.execute(sa.delete(Assessment))
            conn.execute(sa.delete(Secondment))
        world = _World(db, person_ids)
        for step in sequence:
            if step[0] == "fast":
                before = len(world.ids)
                world.apply(step[1])
                _check_invariants(db, world.successes)
                for _ in range(step[2] if len(world.ids) > before else 0):
                    world.advance(("advance", 0, step[3], 1))
                    _check_invariants(db, world.successes)
            elif step[0] == "advance":
                for _ in range(step[3]):
                    world.advance(step)
                    _check_invariants(db, world.successes)
            else:
                world.apply(step)
                _check_invariants(db, world.successes)
        ids = world.ids
        for sid in ids:
            reached.add(_status(db, sid))

    run()
    # the run went everywhere: every state, and every rule refused something at least once
    assert reached == {str(x) for x in lifecycle.SecondmentStatus}, reached
    assert {
        "illegal_transition", "coi_clearance", "agreement_required", "allocation_capacity", "career_cap",
        "cooling_off", "max_first_period", "max_extensions", "max_extension_length", "secondment_closed",
    } <= REFUSED, REFUSED  # fmt: skip


def _status(engine: Engine, sid: int) -> str:
    with engine.connect() as conn:
        return str(conn.scalar(sa.select(Secondment.status).where(Secondment.id == sid)))


def _review_decision(engine: Engine, sid: int) -> str | None:
    with engine.connect() as conn:
        decision = conn.scalar(
            sa.select(ConflictOfInterestReview.decision)
            .where(ConflictOfInterestReview.secondment_id == sid)
            .order_by(ConflictOfInterestReview.id.desc())
            .limit(1)
        )
    return None if decision is None else str(decision)


def _has_agreement(engine: Engine, sid: int) -> bool:
    with engine.connect() as conn:
        return bool(conn.scalar(sa.select(Secondment.agreement_ref).where(Secondment.id == sid)))


def _latest_end(engine: Engine, person_id: int) -> dt.date:
    with engine.connect() as conn:
        last = conn.scalar(sa.select(sa.func.max(Secondment.ends_on)).where(Secondment.person_id == person_id))
    return last or D0


def _ends_on(engine: Engine, sid: int) -> dt.date:
    with engine.connect() as conn:
        return conn.scalar(sa.select(Secondment.ends_on).where(Secondment.id == sid))  # type: ignore[return-value]


def _starts_on(engine: Engine, sid: int) -> dt.date:
    with engine.connect() as conn:
        return conn.scalar(sa.select(Secondment.starts_on).where(Secondment.id == sid))  # type: ignore[return-value]
