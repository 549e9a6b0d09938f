"""The allocation rule holds under concurrency: N simultaneous requests that together over-book one
person give exactly one success and N-1 conflicts, on SQLite and PostgreSQL.

Two ways in: threads each with their own session calling the service, and threads sending HTTP
requests to the real app served by uvicorn (the same transactions the API runs).
"""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from collections import Counter

import httpx
import pytest
import uvicorn
from sqlalchemy.orm import Session

from hrsys.core.errors import Conflict
from hrsys.taskforces import members as service
from hrsys.taskforces.schemas import MemberCreate
from tests import factories
from tests.conftest import bearer

N = 12
"""More than the server's worker threads (min(32, cores + 4)): a lock holder must still get to commit."""
D = dt.date


@pytest.fixture
def contested(session):  # type: ignore[no-untyped-def]
    """One person and N task forces over overlapping periods; 60% in any two of them is too much."""
    agency = factories.agency(session, "DGA")
    person = factories.person(session, agency)
    tfs = [
        factories.taskforce(session, agency, D(2030, 1, 1) + dt.timedelta(days=10 * k), D(2030, 12, 31))
        for k in range(N)
    ]
    return person.id, [tf.id for tf in tfs]


def _race(worker, n: int) -> list[str]:  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(n)
    results: list[str] = []
    lock = threading.Lock()

    def run(k: int) -> None:
        barrier.wait()
        outcome = worker(k)
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_concurrent_sessions_over_booking_one_person(db, contested) -> None:
    person_id, tf_ids = contested

    def worker(k: int) -> str:
        with Session(db, expire_on_commit=False) as s:
            try:
                service.add_member(s, tf_ids[k], MemberCreate(person_id=person_id, allocation=60))
                time.sleep(0.05)  # hold the transaction open: without the lock, the others would all pass
                s.commit()
                return "ok"
            except Conflict as exc:
                s.rollback()
                return f"409:{exc.rule}"

    results = _race(worker, N)
    assert Counter(results) == {"ok": 1, "409:allocation_capacity": N - 1}
    with Session(db) as s:
        total = sum(len(service.members_out(s, t)) for t in tf_ids)
    assert total == 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(app):  # type: ignore[no-untyped-def]
    """The app served by uvicorn on a free local port, for real concurrent HTTP requests."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=20)


def test_concurrent_http_requests_over_booking_one_person(app, served, admin_user, contested) -> None:
    person_id, tf_ids = contested
    headers = bearer(app, admin_user)

    def worker(k: int) -> str:
        with httpx.Client(base_url=served, headers=headers, timeout=60) as c:
            r = c.post(f"/api/v1/taskforces/{tf_ids[k]}/members", json={"person_id": person_id, "allocation": 60})
            return f"{r.status_code}:{r.json().get('rule', '')}"

    results = _race(worker, N)
    assert Counter(results) == {"201:": 1, "409:allocation_capacity": N - 1}
    with httpx.Client(base_url=served, headers=headers) as c:
        members = [len(c.get(f"/api/v1/taskforces/{t}").json()["members"]) for t in tf_ids]
    assert sum(members) == 1


def test_concurrent_proposal_acceptance_writes_one_team(app, served, admin_user, session) -> None:
    """Two proposals for two task forces that both want the same full-time person: one accept wins, the
    other is a 409 and writes nothing."""
    agency = factories.agency(session, "DGA")
    skill = factories.career_skills(session, ["DATA"])["DATA"]
    person = factories.person(session, agency, monthly_cost_baht=30_000)
    factories.set_skill_level(session, person, skill, 4)
    tfs = [factories.taskforce(session, agency, D(2030, 1, 1), D(2030, 12, 31)) for _ in range(2)]
    for tf in tfs:
        factories.taskforce_need(session, tf, skill, min_level=3, allocation=100)
    headers = bearer(app, admin_user)
    with httpx.Client(base_url=served, headers=headers, timeout=60) as c:
        pids = []
        for tf in tfs:
            r = c.post(f"/api/v1/taskforces/{tf.id}/proposals", json={})
            assert r.status_code == 201, r.text
            assert [m["person_id"] for m in r.json()["team"]["members"]] == [person.id]
            pids.append(r.json()["id"])

    def worker(k: int) -> str:
        with httpx.Client(base_url=served, headers=headers, timeout=60) as c:
            r = c.post(f"/api/v1/taskforces/{tfs[k].id}/proposals/{pids[k]}/accept")
            return str(r.status_code)

    assert Counter(_race(worker, 2)) == {"200": 1, "409": 1}
