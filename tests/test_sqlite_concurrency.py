"""SQLite under ordinary concurrent use: a real uvicorn server (one worker, then two) on a migrated
database file, driven by a few dozen clients at once. HR officers read other people's records (each read
leaves an audit event), record assessments and appoint task-force members while ``/health`` is polled.

No request may answer 5xx or take longer than 2 s: a write that waits for SQLite's lock on the event loop
stalls every request of its worker until the busy timeout, then fails with "database is locked". And every
successful read of someone else's record has its audit event once the answer has been sent.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import os
import random
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.access import tokens
from hrsys.access.models import AuditEvent
from hrsys.core import migrate
from hrsys.core.db import make_engine, read_engine
from tests import factories
from tests.conftest import TEST_DB

# ``serial``: its 2-second bound is a timed check, so `make test` runs it alone, before the parallel run.
pytestmark = [pytest.mark.skipif(TEST_DB != "sqlite", reason="SQLite's single write lock"), pytest.mark.serial]

SECRET = "concurrency-test-secret-key-long-enough-for-hs256"
CLIENTS = 30
SECONDS = 4.0
SLOW = 2.0
D = dt.date


@dataclasses.dataclass
class Dataset:
    url: str
    hr_tokens: list[str]
    people: list[int]
    taskforces: list[int]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dataset]:
    """A migrated database file: one agency, its people, HR officers, a skill scale and task forces."""
    path: Path = tmp_path_factory.mktemp("concurrency") / "hrsys.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with Session(engine, expire_on_commit=False) as s:
            agency = factories.agency(s, "DGA")
            people = factories.people(s, agency, 60)
            factories.kt_skills(s, ["DATA", "CODE"])
            hrs = [factories.user(s, "hr_officer", agency=agency) for _ in range(4)]
            tfs = [factories.taskforce(s, agency, D(2031, 1, 1), D(2031, 12, 31)).id for _ in range(12)]
            hr_tokens = [tokens.issue(SECRET, u.id, u.token_generation, 60).token for u in hrs]
    finally:
        engine.dispose()
    yield Dataset(url=url, hr_tokens=hr_tokens, people=people, taskforces=tfs)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(params=[1, 2], ids=["one-worker", "two-workers"])
def server(request: pytest.FixtureRequest, dataset: Dataset, tmp_path: Path) -> Iterator[str]:
    """``uvicorn --factory hrsys.app:create_app`` with 1 or 2 worker processes on a free loopback port."""
    workers: int = request.param
    port = _free_port()
    env = {
        **os.environ,
        "HRSYS_DATABASE_URL": dataset.url,
        "HRSYS_SECRET_KEY": SECRET,
        "HRSYS_DEMO_CREDENTIALS_FILE": str(tmp_path / "credentials.txt"),
    }
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "hrsys.app:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90  # importing the app takes seconds; more on a busy machine
        while True:
            try:
                if httpx.get(f"{base}/api/v1/ping", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start: {(tmp_path / 'server.log').read_text()[-2000:]}")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:  # pragma: no cover - a hung worker
            proc.kill()
            proc.wait()
        log.close()


@dataclasses.dataclass(frozen=True)
class Outcome:
    kind: str
    status: int
    seconds: float


async def _drive(base: str, data: Dataset, seconds: float, *, seed: int) -> list[Outcome]:
    """``CLIENTS`` clients, each looping over one kind of request for ``seconds``."""
    rng = random.Random(seed)
    kinds = ["read"] * 14 + ["guarded_read"] * 4 + ["assess"] * 5 + ["appoint"] * 4 + ["health"] * 3
    outcomes: list[Outcome] = []
    stop = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)

    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as http:

        async def one(kind: str, token: str) -> None:
            headers = {"Authorization": f"Bearer {token}"}
            person = rng.choice(data.people)
            started = time.monotonic()
            if kind == "read":
                r = await http.get(f"/api/v1/people/{person}", headers=headers)
            elif kind == "guarded_read":
                r = await http.get(f"/api/v1/people/{person}/enrolments", headers=headers)
            elif kind == "assess":
                body = {
                    "skill": rng.choice(["KT:DATA", "KT:CODE"]),
                    "level": rng.randint(1, 4),
                    "source": "manager",
                    "assessed_on": (D(2026, 1, 1) + dt.timedelta(days=rng.randint(0, 300))).isoformat(),
                }
                r = await http.post(f"/api/v1/people/{person}/assessments", json=body, headers=headers)
            elif kind == "appoint":
                tf = rng.choice(data.taskforces)
                body = {"person_id": person, "allocation": 5}
                r = await http.post(f"/api/v1/taskforces/{tf}/members", json=body, headers=headers)
            else:
                r = await http.get("/health")
            outcomes.append(Outcome(kind, r.status_code, time.monotonic() - started))

        async def client(k: int) -> None:
            kind = kinds[k % len(kinds)]
            token = data.hr_tokens[k % len(data.hr_tokens)]
            while time.monotonic() < stop:
                await one(kind, token)

        await asyncio.gather(*(client(k) for k in range(CLIENTS)))
    return outcomes


def _read_events(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "read"))
    finally:
        engine.dispose()


def test_concurrent_reads_audits_and_writes_never_stall_or_fail(server: str, dataset: Dataset) -> None:
    asyncio.run(_drive(server, dataset, 1.0, seed=1))  # warm up each worker (first requests import and compile)
    before = _read_events(dataset.url)
    outcomes = asyncio.run(_drive(server, dataset, SECONDS, seed=2))
    after = _read_events(dataset.url)

    by_kind = Counter((o.kind, o.status) for o in outcomes)
    failed = [o for o in outcomes if o.status >= 500]
    slow = sorted((o for o in outcomes if o.seconds > SLOW), key=lambda o: -o.seconds)
    assert not failed, f"{len(failed)} of {len(outcomes)} requests failed: {Counter(failed)}"
    assert not slow, f"{len(slow)} of {len(outcomes)} requests took over {SLOW} s, e.g. {slow[:5]}"
    # Each kind was exercised: reads and /health succeed, writes succeed or are refused as conflicts.
    assert by_kind[("read", 200)] > 0 and by_kind[("guarded_read", 200)] > 0 and by_kind[("health", 200)] > 0
    assert by_kind[("assess", 201)] > 0 and by_kind[("appoint", 201)] > 0
    assert {s for k, s in by_kind if k in ("read", "guarded_read", "health")} == {200}, by_kind
    assert {s for k, s in by_kind if k == "assess"} == {201}, by_kind
    assert {s for k, s in by_kind if k == "appoint"} <= {201, 409}, by_kind
    # Not lost: every read answered was audited by the time its answer arrived (and nothing more).
    assert after - before == by_kind[("read", 200)] + by_kind[("guarded_read", 200)]


def _audited_reads(engine: sa.Engine) -> int:
    with read_engine(engine).connect() as conn:  # a plain read: the test's own engine may hold the write lock
        return conn.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "read"))


@pytest.mark.parametrize("path", ["/api/v1/people/{id}", "/api/v1/people/{id}/enrolments"])
def test_a_read_is_answered_only_once_its_audit_event_is_committed(db, session, make_user, client_as, path) -> None:  # type: ignore[no-untyped-def]
    """While another writer holds the write lock, the read itself runs (it takes no lock), and its answer
    waits for its audit event: it arrives after the lock is released, with the event in the database."""
    agency = factories.agency(session, "DGA")
    other = factories.person(session, agency)
    client = client_as(make_user("hr_officer", agency=agency))
    answer: list[httpx.Response] = []
    with db.connect() as holder:
        holder.exec_driver_sql("INSERT INTO version_stamp (name, version) VALUES ('lock-holder', 1)")  # BEGIN IMMEDIATE
        reader = threading.Thread(target=lambda: answer.append(client.get(path.format(id=other.id))))
        reader.start()
        reader.join(timeout=0.5)
        assert not answer, "answered before its audit event could be written"
        assert _audited_reads(db) == 0
        holder.rollback()
    reader.join(timeout=10)
    assert answer and answer[0].status_code == 200, answer
    assert _audited_reads(db) == 1


def test_a_read_whose_audit_event_cannot_be_written_shows_nothing(db, session, make_user, settings) -> None:  # type: ignore[no-untyped-def]
    """The write lock held past the busy timeout: the read answers 500 without the person's data, rather
    than the data without its trace."""
    from litestar.testing import TestClient

    from hrsys.app import create_app
    from tests.conftest import bearer

    agency = factories.agency(session, "DGA")
    other = factories.person(session, agency, first_name_en="Findable")
    hr = make_user("hr_officer", agency=agency)
    settings.sqlite_busy_timeout_ms = 200
    app = create_app(settings)
    with TestClient(app) as client, db.connect() as holder:
        holder.exec_driver_sql("INSERT INTO version_stamp (name, version) VALUES ('lock-holder', 1)")
        r = client.get(f"/api/v1/people/{other.id}", headers=bearer(app, hr))
        holder.rollback()
    assert r.status_code == 500
    assert "Findable" not in r.text
    assert _audited_reads(db) == 0


def test_writers_of_one_process_take_the_lock_in_turn_and_always_give_it_back(tmp_path: Path) -> None:
    """The in-process write gate is given back however the first writer ends (commit, rollback, or its
    connection closed mid-transaction): the second starts at once, not after the busy timeout."""
    engine = make_engine(f"sqlite:///{tmp_path / 'gate.db'}", busy_timeout_ms=5000)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE t (k INTEGER)")
        for end in ("commit", "rollback", "close"):
            holder = engine.connect()
            holder.exec_driver_sql("INSERT INTO t VALUES (1)")  # BEGIN IMMEDIATE: holds the lock
            started: list[float] = []

            def second(started: list[float]) -> None:
                with engine.begin() as conn:
                    started.append(time.monotonic())
                    conn.exec_driver_sql("INSERT INTO t VALUES (2)")

            thread = threading.Thread(target=second, args=(started,))
            thread.start()
            thread.join(timeout=0.3)
            assert not started, "the second writer did not wait for the first"
            ended = time.monotonic()
            if end == "commit":
                holder.commit()
            elif end == "rollback":
                holder.rollback()
            holder.close()
            thread.join(timeout=10)
            assert started and started[0] - ended < 0.5, (end, started and started[0] - ended)
        with read_engine(engine).connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar() == 4  # 1 kept + 3 second writers
    finally:
        engine.dispose()
