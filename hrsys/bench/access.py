"""Access-control benchmarks: what authentication, scope checks and the audit trail cost per request.

Figures (on a generated database; see :mod:`hrsys.generate.context`):

- sign-in at the production argon2id cost (one verify, the rate-limit reads and writes);
- authenticating a request: token check plus the one-row user lookup the middleware makes;
- the person scope check of an HR officer (what every ``/people/{id}/...`` route pays);
- the people list restricted to an HR officer's subtree, next to the same page unrestricted;
- an ORM change with its audit event, in a transaction that is rolled back (nothing is kept);
- the admin's audit query by person.

The bench users (``bench-hr``, ``bench-signin``) are created once and kept with the dataset.
"""

from __future__ import annotations

import types
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.access import audit, guard, scope, service, tokens
from hrsys.access.identity import CurrentUser
from hrsys.access.models import User, UserRole
from hrsys.agencies.models import Agency
from hrsys.bench.context import BenchContext, BenchRow, latency_row, time_calls
from hrsys.people import listing as people
from hrsys.people.models import Person

SIGNIN_PASSWORD = "bench-sign-in-password-2025"
KEY = "bench-signing-key-" * 3


def _user(engine: sa.Engine, username: str, role: UserRole, agency_id: int | None, password_hash: str) -> int:
    with engine.begin() as conn:
        uid = conn.scalar(sa.select(User.id).where(User.username == username))
        if uid is None:
            conn.execute(
                sa.insert(User).values(
                    username=username, password_hash=password_hash, role=role, agency_id=agency_id, active=True
                )
            )
            uid = conn.scalar(sa.select(User.id).where(User.username == username))
    assert uid is not None
    return uid


def _hr_user(ctx: BenchContext) -> CurrentUser:
    """An HR officer on the ministry with the most people (the widest subtree: the slowest scope)."""
    with ctx.engine.connect() as conn:
        paths = dict(conn.execute(sa.select(Agency.id, Agency.path)).tuples().all())
        counts = conn.execute(sa.select(Person.agency_id, sa.func.count()).group_by(Person.agency_id)).tuples().all()
    per_root: dict[int, int] = {}
    for agency_id, n in counts:
        if agency_id is not None:
            root = int(paths[agency_id].strip("/").split("/")[0])
            per_root[root] = per_root.get(root, 0) + n
    root_id = max(per_root, key=lambda k: per_root[k])
    uid = _user(ctx.engine, "bench-hr", UserRole.hr_officer, root_id, "!unusable")
    return CurrentUser(
        id=uid, username="bench-hr", role=UserRole.hr_officer, agency_id=root_id, agency_path=paths[root_id]
    )


def benchmarks(ctx: BenchContext) -> list[BenchRow]:
    e = ctx.engine
    rng = ctx.rng("access")
    access = ctx.settings.access
    rows: list[BenchRow] = []

    # Sign-in at the real argon2id cost.
    _user(e, "bench-signin", UserRole.admin, None, access.hasher.hash(SIGNIN_PASSWORD))
    rows.append(
        latency_row(
            f"sign-in, argon2id m={access.argon2_memory_kib // 1024} MiB t={access.argon2_time_cost}",
            ctx.database,
            time_calls(
                lambda i: service.sign_in(
                    e,
                    access,
                    key=KEY,
                    token_minutes=60,
                    username="bench-signin",
                    password=SIGNIN_PASSWORD,
                    address=f"10.0.{i // 250}.{i % 250}",
                ),
                n=20,
                warmup=2,
            ),
            250,
        )
    )

    # Authenticating one request: the middleware's work.
    with e.connect() as conn:
        uid, generation = conn.execute(
            sa.select(User.id, User.token_generation).where(User.username == "bench-signin")
        ).one()
    token = tokens.issue(KEY, uid, generation, 60).token
    app = types.SimpleNamespace(state=types.SimpleNamespace(secret_key=KEY, engine=e))
    req_scope: dict[str, Any] = {"app": app, "headers": [(b"authorization", f"Bearer {token}".encode())]}
    assert guard.authenticate(req_scope)[0] is not None  # type: ignore[arg-type]
    rows.append(
        latency_row(
            "authenticate a request (JWT check + user lookup)",
            ctx.database,
            time_calls(lambda i: guard.authenticate(req_scope), n=2000),  # type: ignore[arg-type]
            1,
        )
    )

    # Person scope check of an HR officer, on random people (in and out of scope).
    hr = _hr_user(ctx)
    with e.connect() as conn:
        top = conn.scalar(sa.select(sa.func.max(Person.id))) or 1
    ids = [rng.randint(1, top) for _ in range(1000)]
    with e.connect() as conn:
        rows.append(
            latency_row(
                "person scope check, HR officer (in-process)",
                ctx.database,
                time_calls(lambda i: scope.person_visibility(conn, hr, ids[i % 1000]), n=1000),
                2,
            )
        )

    # People list: HR-scoped page (as the API route asks for it) against the same page for an admin.
    rows.append(
        latency_row(
            "people list, page of 50, HR officer's subtree (in-process)",
            ctx.database,
            time_calls(lambda i: people.list_people_for(e, hr, offset=50 * (i % 20)), n=300),
            5,
        )
    )
    rows.append(
        latency_row(
            "people list, page of 50, admin (in-process, for comparison)",
            ctx.database,
            time_calls(lambda i: people.list_people(e, offset=50 * (i % 20)), n=300),
            None,
        )
    )

    # An audited ORM change, rolled back.
    def change(i: int) -> None:
        with Session(e) as s, audit.acting_as("bench"):
            p = s.get(Person, ids[i % 1000])
            if p is not None:
                p.hired_on = None if p.hired_on else p.role_since
                p.phone = f"02{i:07d}"
                s.flush()
            s.rollback()

    rows.append(
        latency_row("person update with its audit event (rolled back)", ctx.database, time_calls(change, n=300), 5)
    )

    rows.append(
        latency_row(
            "audit trail by person, newest 50 (in-process)",
            ctx.database,
            time_calls(lambda i: service.list_audit(e, person=ids[i % 1000]), n=300),
            5,
        )
    )
    return rows
