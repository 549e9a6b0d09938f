"""Synthetic requests for ``hrsys generate`` (after the other areas): about one per 50 civil servants.

Each request is about one civil servant (drawn at random, ordered by id) and decided by the HR officers of
the person's home agency: kinds in the proportions below, asked 0 to 60 days before :data:`ANCHOR`, due 7
days after asking. A third is still pending (its ``open_key`` set, one per subject); a pending request more
than ``DAYS`` days past due carries the escalation level the rule gives
(:func:`hrsys.requests.escalation.level_for`); the others are approved, rejected (with a reason), returned
or cancelled. Subjects are synthetic (``subject_id`` is the request's own id): the benchmark reads the inbox,
which never follows them. No requester user is generated (the generator makes no users): SoD is checked
against the person concerned.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import sqlalchemy as sa

from hrsys.agencies.models import Agency
from hrsys.generate.context import GenerateContext
from hrsys.people.models import Person, PersonKind
from hrsys.requests.escalation import DEFAULT_DAYS, level_for
from hrsys.requests.models import Decision, Request, RequestKind, RequestStatus

ANCHOR = dt.date(2026, 10, 1)
DAYS = DEFAULT_DAYS
PER_STAFF = 50
CHUNK = 5_000
KINDS = [
    (RequestKind.completion_confirmation, 0.30), (RequestKind.enrolment, 0.25),
    (RequestKind.development_plan, 0.20), (RequestKind.assessment, 0.15), (RequestKind.secondment_step, 0.10),
]  # fmt: skip
SUBJECT = {
    RequestKind.completion_confirmation: "enrolment", RequestKind.enrolment: "enrolment",
    RequestKind.development_plan: "development_plan", RequestKind.assessment: "assessment",
    RequestKind.secondment_step: "secondment",
}  # fmt: skip
TITLE = {
    RequestKind.completion_confirmation: "Confirm a completed course", RequestKind.enrolment: "Enrol in a course",
    RequestKind.development_plan: "Approve a development plan", RequestKind.assessment: "Assess a skill",
    RequestKind.secondment_step: "Approve a secondment step",
}  # fmt: skip
ENDED = [
    (RequestStatus.approved, 0.7), (RequestStatus.rejected, 0.12), (RequestStatus.returned, 0.1),
    (RequestStatus.cancelled, 0.08),
]  # fmt: skip
DECISION = {RequestStatus.approved: Decision.approve, RequestStatus.rejected: Decision.reject,
            RequestStatus.returned: Decision.return_for_changes}  # fmt: skip


def generate(ctx: GenerateContext) -> int:
    """The requests; returns the rows written."""
    rng = ctx.rng("requests")
    with ctx.engine.begin() as conn:
        depth = dict(conn.execute(sa.select(Agency.id, Agency.depth).order_by(Agency.id)).tuples().all())
        people = conn.execute(
            sa.select(Person.id, Person.agency_id)
            .where(Person.kind == PersonKind.civil_servant, Person.agency_id.is_not(None))
            .order_by(Person.id)
        ).all()
        if not people:
            return 0
        n = max(1, len(people) // PER_STAFF)
        picks = sorted(rng.sample(range(len(people)), min(n, len(people))))
        start = (conn.scalar(sa.select(sa.func.max(Request.id))) or 0) + 1
        kinds, weights = zip(*KINDS, strict=True)
        ended, ended_w = zip(*ENDED, strict=True)
        rows: list[dict[str, Any]] = []
        for i, k in enumerate(picks):
            pid, agency_id = people[k]
            rid = start + i
            kind = rng.choices(kinds, weights)[0]
            asked_on = ANCHOR - dt.timedelta(days=rng.randint(0, 60))
            asked = dt.datetime.combine(asked_on, dt.time(2 + rng.randint(0, 8), rng.randint(0, 59)), dt.UTC)
            due = asked_on + dt.timedelta(days=7)
            pending = rng.random() < 1 / 3
            status = RequestStatus.pending if pending else rng.choices(ended, ended_w)[0]
            row: dict[str, Any] = {
                "id": rid, "kind": kind, "subject_type": SUBJECT[kind], "subject_id": rid,
                "title": f"{TITLE[kind]} #{rid}", "requester_user_id": None, "person_id": pid,
                "agency_id": agency_id, "decider_role": "hr_officer", "decider_user_id": None, "status": status,
                "asked_at": asked, "due_on": due, "escalation_level": 0, "decided_by_user_id": None,
                "decided_at": None, "decision": None, "reason": None, "payload": {}, "group_key": None,
                "open_key": None, "version": 1, "created_at": asked, "updated_at": asked,
            }  # fmt: skip
            if pending:
                row["open_key"] = f"{kind.value}:{SUBJECT[kind]}:{rid}:role:hr_officer"
                row["escalation_level"] = level_for(due, ANCHOR, DAYS, depth.get(agency_id, 0))
            else:
                decided = asked + dt.timedelta(days=rng.randint(0, 10), hours=rng.randint(0, 8))
                row.update(decided_at=decided, decision=DECISION.get(status), updated_at=decided)
                if status in (RequestStatus.rejected, RequestStatus.returned):
                    row["reason"] = "Synthetic reason"
            rows.append(row)
        table = cast(sa.Table, Request.__table__)
        for j in range(0, len(rows), CHUNK):
            conn.execute(sa.insert(table), rows[j : j + CHUNK])
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('request', 'id'), (SELECT max(id) FROM request))"
            )
    ctx.info["requests"] = len(rows)
    return len(rows)
