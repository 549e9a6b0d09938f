"""Demo step: secondments that the HR dashboard lists as needing action.

Two external experts are seconded into the National Statistical Office: one has been active
for most of a year and ends within the alert horizon; the other was just submitted and waits
for its conflict-of-interest review. All moves go through the service (rules, history).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from hrsys.demo.context import Demo
from hrsys.secondments import commands, lookups
from hrsys.secondments.lifecycle import Action
from hrsys.secondments.schemas import ActivateInput, CoiDecisionInput, InterestsDeclaration, SecondmentCreate

HOST = "MDES-STAT"


def load(session: Session, demo: Demo) -> str:
    if HOST not in demo.agencies or len(demo.experts) < 2:
        return ""
    policy = demo.settings.secondments.policy()
    today = lookups.bangkok_today()
    first, second = demo.experts[0], demo.experts[1]
    ending = commands.create(
        session,
        SecondmentCreate(
            person_id=first.id, host_agency=HOST, starts_on=today - dt.timedelta(days=300),
            ends_on=today + dt.timedelta(days=20), host_share_pct=60, allocation=80,
            objectives="Set up the census data pipeline and train two statisticians to run it.",
            agreement_ref="MDES-STAT/2569/014", monthly_cost_baht=first.monthly_cost_baht or 150_000,
            interests=InterestsDeclaration(employer=first.organisation),
        ),
        policy=policy,
    )  # fmt: skip
    commands.act(session, ending.id, Action.submit, policy=policy, today=today)
    commands.decide_coi(session, ending.id, CoiDecisionInput(decision="cleared"))
    commands.act(session, ending.id, Action.approve, policy=policy, today=today)
    commands.act(session, ending.id, Action.activate, ActivateInput(on=today - dt.timedelta(days=300)),
                policy=policy, today=today)  # fmt: skip
    waiting = commands.create(
        session,
        SecondmentCreate(
            person_id=second.id, host_agency=HOST, starts_on=today + dt.timedelta(days=30),
            ends_on=today + dt.timedelta(days=395), host_share_pct=100, allocation=50,
            objectives="Advise on the open-data platform and coach the platform team.",
            monthly_cost_baht=second.monthly_cost_baht or 150_000,
            interests=InterestsDeclaration(employer=second.organisation),
        ),
        policy=policy,
    )  # fmt: skip
    commands.act(session, waiting.id, Action.submit, policy=policy, today=today)
    return f"secondments into {HOST}: one ending within 3 weeks, one waiting for its review"
