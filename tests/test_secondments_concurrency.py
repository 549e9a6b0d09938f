"""Concurrent commands on secondments: the rules hold inside the transaction, not only before it."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from hrsys.core.errors import AppError
from hrsys.secondments import commands as service
from hrsys.secondments.lifecycle import Action
from hrsys.secondments.models import Secondment, SecondmentTransition
from hrsys.secondments.policy import SecondmentPolicy
from hrsys.secondments.schemas import CoiDecisionInput, InterestsDeclaration, SecondmentCreate
from tests import factories

POLICY = SecondmentPolicy()
D = dt.date(2031, 1, 1)


def _in_threads(engine: Engine, commands: list[Callable[[Session], Any]]) -> list[str]:
    """Run each command in its own thread and transaction, all released at once; 'ok' or the refusal's rule."""
    barrier = threading.Barrier(len(commands))
    results: list[str] = [""] * len(commands)

    def worker(n: int) -> None:
        with Session(engine, expire_on_commit=False) as session:
            barrier.wait()
            try:
                commands[n](session)
                session.commit()
                results[n] = "ok"
            except AppError as exc:
                session.rollback()
                results[n] = exc.rule or exc.slug
            except StaleDataError:  # the API answers 409 stale_edit
                session.rollback()
                results[n] = "stale_edit"

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(len(commands))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def _under_review(engine: Engine, person_id: int, host: str, allocation: int) -> int:
    data = SecondmentCreate(
        person_id=person_id,
        host_agency=host,
        starts_on=D,
        ends_on=D + dt.timedelta(days=180),
        host_share_pct=100,
        allocation=allocation,
        interests=InterestsDeclaration(employer="Expert Co."),
    )
    with Session(engine) as s:
        sid = service.create(s, data, policy=POLICY).id
        service.act(s, sid, Action.submit, policy=POLICY, today=D)
        service.decide_coi(s, sid, CoiDecisionInput(decision="cleared"))
        s.commit()
    return sid


def test_two_approvals_that_together_overbook_a_person_give_one_success(db: Engine, session: Session) -> None:
    factories.agency(session, "H1")
    factories.agency(session, "H2")
    factories.agency(session, "H3")
    expert = factories.person(session, organisation="Expert Co.")
    session.close()
    ids = [_under_review(db, expert.id, host, 60) for host in ("H1", "H2", "H3")]
    results = _in_threads(
        db, [lambda s, sid=sid: service.act(s, sid, Action.approve, policy=POLICY, today=D) for sid in ids]
    )
    assert sorted(results) == ["allocation_capacity", "allocation_capacity", "ok"]
    with db.connect() as conn:
        approved = conn.scalar(sa.select(sa.func.count()).where(Secondment.status == "approved"))
    assert approved == 1


def test_two_moves_of_one_secondment_at_once_leave_one_move_in_the_history(db: Engine, session: Session) -> None:
    factories.agency(session, "H1")
    expert = factories.person(session, organisation="Expert Co.")
    session.close()
    sid = _under_review(db, expert.id, "H1", 50)
    results = _in_threads(
        db,
        [
            lambda s: service.act(s, sid, Action.approve, policy=POLICY, today=D),
            lambda s: service.act(s, sid, Action.approve, policy=POLICY, today=D),
        ],
    )
    assert results.count("ok") == 1, results
    assert {r for r in results if r != "ok"} <= {"illegal_transition", "stale_edit"}, results
    with db.connect() as conn:
        moves = conn.scalar(
            sa.select(sa.func.count()).where(
                SecondmentTransition.secondment_id == sid, SecondmentTransition.to_status == "approved"
            )
        )
    assert moves == 1
