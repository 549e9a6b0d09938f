"""Lists of secondments: by state, host agency subtree, person or task force, or ending soon (Core, one
round trip)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hrsys.core.copying import copied
from hrsys.core.db import read_engine
from hrsys.core.errors import FieldError, check
from hrsys.core.pagination import Page, page_errors
from hrsys.secondments import lifecycle
from hrsys.secondments.lifecycle import SecondmentStatus
from hrsys.secondments.lookups import AG, PER, SEC, TF, person_names, require_agency, subtree
from hrsys.secondments.schemas import SecondmentListItem

_ITEM_COLUMNS = (
    SEC.c.id,
    SEC.c.status,
    SEC.c.person_id,
    PER.c.kind,
    PER.c.first_name_th,
    PER.c.last_name_th,
    PER.c.first_name_en,
    PER.c.last_name_en,
    AG.c.code.label("host_code"),
    TF.c.code.label("tf_code"),
    SEC.c.sending_organisation,
    SEC.c.starts_on,
    SEC.c.ends_on,
    SEC.c.allocation,
)

_ITEM_FROM = (
    SEC.join(PER, PER.c.id == SEC.c.person_id)
    .join(AG, AG.c.id == SEC.c.host_agency_id)
    .outerjoin(TF, TF.c.id == SEC.c.taskforce_id)
)


def list_secondments(
    engine: Engine,
    *,
    today: dt.date,
    status: Sequence[SecondmentStatus] | None = None,
    agency: str | None = None,
    person_id: int | None = None,
    taskforce: str | None = None,
    ending_within: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[SecondmentListItem]:
    """Secondments by state, host agency subtree, person or task force; ``ending_within=N`` gives
    those in progress whose last day is within N days, soonest first. One round trip."""
    errors = page_errors(limit, offset)
    if ending_within is not None and not 0 <= ending_within <= 3650:
        errors.append(FieldError("ending_within", "must be between 0 and 3650 days"))
    check(errors)
    conds: list[Any] = []
    if ending_within is not None:
        status = status or sorted(lifecycle.IN_PROGRESS)
        conds += [SEC.c.ends_on >= today, SEC.c.ends_on <= today + dt.timedelta(days=ending_within)]
    if status:
        conds.append(SEC.c.status.in_([str(x) for x in status]))
    if agency is not None:
        conds.append(SEC.c.host_agency_id.in_(subtree(agency)))
    if person_id is not None:
        conds.append(SEC.c.person_id == person_id)
    if taskforce is not None:
        conds.append(TF.c.code == taskforce)
    order = [SEC.c.ends_on, SEC.c.id] if ending_within is not None else [SEC.c.id.desc()]
    stmt = (
        sa.select(*_ITEM_COLUMNS, sa.func.count().over().label("total"))
        .select_from(_ITEM_FROM)
        .where(*conds)
        .order_by(*order)
        .limit(limit)
        .offset(offset)
    )
    with read_engine(engine).connect() as conn:
        rows = conn.execute(stmt).all()
        if not rows:
            require_agency(conn, agency)
            total = conn.scalar(sa.select(sa.func.count()).select_from(_ITEM_FROM).where(*conds)) if offset else 0
        else:
            total = rows[0].total
    items = [
        copied(
            SecondmentListItem,
            r,
            person_kind=r.kind,
            **person_names(r),
            host_agency=r.host_code,
            taskforce=r.tf_code,
            days_left=(r.ends_on - today).days,
        )
        for r in rows
    ]
    return Page(items=items, total=total or 0, total_exact=True, limit=limit, offset=offset)
