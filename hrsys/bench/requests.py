"""Inbox benchmarks on a generated national-scale database (``make bench``), on the generator's "today".

- The inbox of the HR officer of the ministry with the most pending requests (its whole subtree, following
  escalation): the first page by urgency with the counts per kind, and a page filtered by kind: p95 < 50 ms.
- The inbox of the national administrator (every pending request): the same two pages: p95 < 50 ms.

Each call is the route's work: the two queries (page, counts per kind) and the JSON of the answer.
"""

from __future__ import annotations

import datetime as dt

import msgspec
import sqlalchemy as sa

from hrsys.access.identity import CurrentUser
from hrsys.access.models import UserRole
from hrsys.agencies.models import Agency
from hrsys.bench.context import BenchContext, BenchRow, latency_row, time_calls
from hrsys.core import clock
from hrsys.generate.requests import ANCHOR
from hrsys.requests.inbox import inbox
from hrsys.requests.models import Request, RequestKind, RequestStatus

N = 200


def _busiest_ministry(conn: sa.Connection) -> tuple[int, str, int]:
    paths = dict(conn.execute(sa.select(Agency.id, Agency.path)).tuples().all())
    per_root: dict[int, int] = {}
    for agency_id, n in conn.execute(
        sa.select(Request.agency_id, sa.func.count())
        .where(Request.status == RequestStatus.pending)
        .group_by(Request.agency_id)
    ).tuples():
        if agency_id is not None:
            root = int(paths[agency_id].strip("/").split("/")[0])
            per_root[root] = per_root.get(root, 0) + n
    root = max(per_root, key=lambda k: (per_root[k], -k))
    return root, paths[root], per_root[root]


def benchmarks(ctx: BenchContext) -> list[BenchRow]:
    engine, db = ctx.engine, ctx.database
    with engine.connect() as conn:
        pending = conn.scalar(sa.select(sa.func.count()).where(Request.status == RequestStatus.pending)) or 0
        total = conn.scalar(sa.select(sa.func.count()).select_from(Request)) or 0
        if not pending:
            return [BenchRow("requests", db, "no pending requests generated", note="run hrsys generate first")]
        root, path, in_ministry = _busiest_ministry(conn)
    hr = CurrentUser(id=0, username="bench-hr", role=UserRole.hr_officer, agency_id=root, agency_path=path)
    admin = CurrentUser(id=0, username="bench-admin", role=UserRole.admin)
    kinds = list(RequestKind)
    rows: list[BenchRow] = []
    instant = dt.datetime.combine(ANCHOR, dt.time(3), dt.UTC)
    with clock.frozen(instant), engine.connect() as conn:
        for label, user, what in (
            (f"one ministry's HR officer ({in_ministry:,} pending)", hr, "hr"),
            (f"national administrator ({pending:,} pending of {total:,})", admin, "admin"),
        ):

            def first_page(i: int, u: CurrentUser = user) -> bytes:
                return msgspec.json.encode(inbox(conn, u, limit=50))

            def one_kind(i: int, u: CurrentUser = user) -> bytes:
                page = inbox(conn, u, kind=kinds[i % len(kinds)], sort="oldest", limit=50, offset=100)
                return msgspec.json.encode(page)

            rows.append(
                latency_row(
                    f"requests: inbox of {label}, first page by urgency with counts", db, time_calls(first_page, N), 50
                )
            )
            rows.append(
                latency_row(
                    f"requests: inbox of the {what}, one kind, oldest first, page 3", db, time_calls(one_kind, N), 50
                )
            )
    return rows
