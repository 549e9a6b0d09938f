"""Admin benchmarks on the generated database: building the admin, and the calls its pages make.

The requests go through :func:`admin.writes.handle` in process, as an
administrator, the way the admin's front end calls them (list pages with the
names of what foreign keys point at, the row count, an edit); hrsys's sign-in
middleware and guard (measured with the other endpoints) are left out. Showing
people writes one ``read`` audit event per row, and the edits change one
person's phone number and put it back, each leaving an audit event: the
generated database keeps those events.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any

import httpx
import sqlalchemy as sa

from admin import engine as admin_engine
from admin.site import AdminSite
from admin.writes import handle
from hrsys.access.identity import CurrentUser
from hrsys.access.models import UserRole
from hrsys.bench.context import BenchContext, BenchRow, latency_row
from hrsys.people.models import Person


def _asgi(site: AdminSite, engine: sa.Engine) -> Callable[..., Awaitable[None]]:
    state = SimpleNamespace(engine=engine, access=SimpleNamespace(cookie_secure=True))
    admin = CurrentUser(id=0, username="bench", role=UserRole.admin)

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        scope["user"] = admin
        scope["app"] = SimpleNamespace(state=state)
        await handle(site, scope, receive, send)

    return app


Call = tuple[str, str, dict[str, Any]]
"""``(method, path, keyword arguments of httpx's request)``."""


async def _timed(client: httpx.AsyncClient, calls: list[Call]) -> list[float]:
    """Milliseconds of each call after the first three (warm-up)."""
    samples = []
    for i, (method, path, kw) in enumerate(calls):
        t0 = time.perf_counter()
        (await client.request(method, path, **kw)).raise_for_status()
        if i >= 3:
            samples.append((time.perf_counter() - t0) * 1000)
    return samples


def _pages(table: str, pages: list[int]) -> list[Call]:
    return [
        ("GET", f"/api/tables/{table}/", {"params": {"__readable": "true", "__page_size": 25, "__page": p}})
        for p in pages
    ]


async def _run(ctx: BenchContext, site: AdminSite) -> dict[str, list[float]]:
    await admin_engine.start(site.engine)
    await site.router()
    with ctx.engine.connect() as conn:
        pid = conn.scalar(sa.select(Person.id).order_by(Person.id).limit(1))
        phone = conn.scalar(sa.select(Person.phone).where(Person.id == pid))
    transport = httpx.ASGITransport(app=_asgi(site, ctx.engine))
    out: dict[str, list[float]] = {}
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://admin") as client:
            out["skills"] = await _timed(client, _pages("skill", [1 + i * 7 for i in range(43)]))
            out["people"] = await _timed(client, _pages("person", [1 + i for i in range(23)]))
            out["assessments"] = await _timed(client, _pages("assessment", [1 + i * 97 for i in range(23)]))
            out["count"] = await _timed(client, [("GET", "/api/tables/assessment/count/", {})] * 13)
            edits = [("PATCH", f"/api/tables/person/{pid}/", {"json": {"phone": f"02-000-{i:04d}"}}) for i in range(23)]
            out["edit"] = await _timed(client, edits)
            await client.patch(f"/api/tables/person/{pid}/", json={"phone": phone})
    finally:
        await admin_engine.stop(site.engine)
    return out


def benchmarks(ctx: BenchContext) -> list[BenchRow]:
    t0 = time.perf_counter()
    site = AdminSite(ctx.database_url)
    derived = time.perf_counter() - t0
    t0 = time.perf_counter()
    site.router_sync()
    built = time.perf_counter() - t0
    samples = asyncio.run(_run(ctx, site))
    db = ctx.database
    rows = [
        BenchRow(
            name="admin: build (tables derived from the models, then piccolo-admin's router)",
            database=db,
            value=f"{derived * 1000:.0f} ms + {built:.2f} s",
            target="< 5 s, once per process",
            ok=derived + built < 5,
        ),
        latency_row("admin: page of 25 skills with their framework and group names", db, samples["skills"], 50),
        latency_row("admin: page of 25 people with agency and role names (25 read events)", db, samples["people"], 50),
        latency_row("admin: page of 25 assessments, pages up to ~2,000 deep (OFFSET)", db, samples["assessments"], 200),
        latency_row("admin: count of every assessment (the list's page count)", db, samples["count"], None),
        latency_row("admin: edit one person (row lock, audit event, one transaction)", db, samples["edit"], 50),
    ]
    rows[4].note = "a full count each time the list opens: linear in the table's rows"
    return rows
