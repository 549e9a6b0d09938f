"""Delivery of the e-mail outbox to a real SMTP server on loopback (aiosmtpd): the mail as read back,
retries with back-off, giving up, the lease, two deliverers at once, and delivery inside the app."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hrsys.app import create_app
from hrsys.config import NotificationSettings, Settings
from hrsys.core import clock
from hrsys.notifications.delivery import Deliverer, backoff
from hrsys.notifications.lease import Lease
from hrsys.notifications.models import MailStatus, NotificationPreference, OutboxMail
from hrsys.notifications.service import notify
from hrsys.notifications.worker import Worker
from tests.mailserver import Inbox, smtp_server

BASE = "https://hr.example.go.th"


@pytest.fixture
def mail() -> Iterator[tuple[Inbox, str]]:
    with smtp_server() as server:
        yield server


def mail_settings(url: str, **kw: object) -> NotificationSettings:
    return NotificationSettings(smtp_url=url, smtp_from="hrsys@example.go.th", base_url=BASE, **kw)  # type: ignore[arg-type]


def recipient(make_user, session: Session, language: str = "th", email: str | None = None):  # type: ignore[no-untyped-def]
    u = make_user("admin")
    u.email = email or f"{u.username}@example.go.th"
    session.add(NotificationPreference(user_id=u.id, language=language))
    session.commit()
    return u


def opened(session: Session, user_ids: list[int], title: str = "แผนพัฒนารายบุคคล ปี 2570") -> None:
    notify(
        session,
        user_ids=user_ids,
        kind="request_opened",
        params={"title": title, "requester": "สมชาย ใจดี", "due": "31 ธ.ค. 2569"},
        link="/requests/12",
    )
    session.commit()


def outbox(db: Engine) -> list[sa.Row]:  # type: ignore[type-arg]
    with db.connect() as conn:
        return conn.execute(sa.select(OutboxMail.__table__).order_by(OutboxMail.id)).all()


def test_a_thai_mail_arrives_with_its_headers_and_a_link_on_the_base_url(db, session, make_user, mail) -> None:  # type: ignore[no-untyped-def]
    inbox, url = mail
    u = recipient(make_user, session)
    opened(session, [u.id])
    done = Deliverer(db, mail_settings(url)).drain()
    assert (done.sent, done.retried, done.failed) == (1, 0, 0)
    [row] = outbox(db)
    [msg] = inbox.messages
    assert msg["Subject"] == "มีคำขอรอการพิจารณา: แผนพัฒนารายบุคคล ปี 2570"
    assert "=?utf-8?" in msg.as_string().split("Subject:", 1)[1].split("\n", 1)[0].lower()  # RFC 2047 on the wire
    assert msg["To"] == u.email and inbox.recipients == [[u.email]]
    assert msg["From"] == "hrsys@example.go.th"
    assert msg["Message-ID"] == row.message_id
    assert msg["Content-Language"] == "th"
    assert msg["Date"] is not None
    assert msg.get_content_type() == "text/plain" and msg.get_content_charset() == "utf-8"
    body = msg.get_content()
    assert "สมชาย ใจดี ขอให้ท่านพิจารณา" in body
    assert f"{BASE}/requests/12" in body.splitlines()
    assert row.status == MailStatus.sent and row.sent_at is not None and row.attempts == 1


def test_an_english_reader_gets_english(db, session, make_user, mail) -> None:  # type: ignore[no-untyped-def]
    inbox, url = mail
    u = recipient(make_user, session, language="en")
    opened(session, [u.id], title="Development plan 2027")
    Deliverer(db, mail_settings(url)).drain()
    [msg] = inbox.messages
    assert msg["Subject"] == "A request waits for you: Development plan 2027"
    assert msg["Content-Language"] == "en"
    assert "asks you to decide" in msg.get_content()


def test_a_refusal_is_retried_with_growing_back_off_then_sent_once(db, session, make_user, mail) -> None:  # type: ignore[no-untyped-def]
    inbox, url = mail
    u = recipient(make_user, session)
    opened(session, [u.id])
    inbox.refuse_data = ["451 4.3.0 try again later", "452 4.3.1 out of room"]
    settings = mail_settings(url, retry_seconds=60)
    deliverer = Deliverer(db, settings)
    start = clock.now()
    with clock.frozen(start):
        assert deliverer.drain().retried == 1
        [row] = outbox(db)
        assert row.status == MailStatus.pending and row.attempts == 1 and "451" in row.last_error
        assert row.next_attempt_at == start + dt.timedelta(seconds=60)
        assert deliverer.drain().sent == 0  # not due yet: nothing is tried
    with clock.frozen(start + dt.timedelta(seconds=61)):
        assert deliverer.drain().retried == 1
        [row] = outbox(db)
        assert row.attempts == 2 and "452" in row.last_error
        assert row.next_attempt_at == start + dt.timedelta(seconds=61 + 120)  # doubled
    with clock.frozen(start + dt.timedelta(seconds=200)):
        assert deliverer.drain().sent == 1
    [row] = outbox(db)
    assert row.status == MailStatus.sent and row.attempts == 3
    assert inbox.count() == 1
    assert backoff(settings, 30) == dt.timedelta(hours=6)  # capped


def test_after_the_last_attempt_the_mail_is_failed_with_its_error(db, session, make_user, mail) -> None:  # type: ignore[no-untyped-def]
    inbox, url = mail
    u = recipient(make_user, session)
    opened(session, [u.id])
    inbox.refuse_data = ["451 4.3.0 busy"] * 3
    deliverer = Deliverer(db, mail_settings(url, max_attempts=3, retry_seconds=0))
    outcomes = [deliverer.drain() for _ in range(4)]
    assert [o.retried for o in outcomes] == [1, 1, 0, 0] and outcomes[2].failed == 1
    [row] = outbox(db)
    assert row.status == MailStatus.failed and row.attempts == 3 and "451 4.3.0 busy" in row.last_error
    assert inbox.count() == 0


def test_a_permanent_refusal_fails_at_once_and_the_others_still_go(db, session, make_user, mail) -> None:  # type: ignore[no-untyped-def]
    inbox, url = mail
    bad = recipient(make_user, session, email="gone@example.go.th")
    good = recipient(make_user, session)
    inbox.refuse_rcpt["gone@example.go.th"] = "550 5.1.1 no such user"
    opened(session, [bad.id, good.id])
    done = Deliverer(db, mail_settings(url)).drain()
    assert (done.sent, done.failed) == (1, 1)
    by_user = {r.user_id: r for r in outbox(db)}
    assert by_user[bad.id].status == MailStatus.failed and "550" in by_user[bad.id].last_error
    assert by_user[good.id].status == MailStatus.sent
    assert inbox.recipients == [[good.email]]


def test_a_server_that_does_not_answer_costs_one_attempt_and_the_round(db, session, make_user) -> None:  # type: ignore[no-untyped-def]
    users = [recipient(make_user, session) for _ in range(3)]
    opened(session, [u.id for u in users])
    with smtp_server() as (_inbox, url):
        pass  # the port is free again: nobody listens
    done = Deliverer(db, mail_settings(url)).drain()
    assert done.retried == 1 and done.errors
    attempts = sorted(r.attempts for r in outbox(db))
    assert attempts == [0, 0, 1] and {r.status for r in outbox(db)} == {MailStatus.pending}


def test_without_a_server_url_mail_stays_pending(db, session, make_user) -> None:  # type: ignore[no-untyped-def]
    u = recipient(make_user, session)
    opened(session, [u.id])
    worker = Worker(db, NotificationSettings())
    try:
        assert worker.round() is not None
    finally:
        worker.lease.release()
    [row] = outbox(db)
    assert row.status == MailStatus.pending and row.attempts == 0


def test_one_lease_holder_at_a_time(db) -> None:  # type: ignore[no-untyped-def]
    first, second = Lease(db), Lease(db)
    assert first.acquire()
    assert not second.acquire()
    assert first.alive()
    first.release()
    assert second.acquire()
    second.release()


def test_two_deliverers_at_once_send_each_mail_once(db, session, make_user, mail) -> None:  # type: ignore[no-untyped-def]
    """On PostgreSQL both drain (no lease): the rows are claimed with SKIP LOCKED. On SQLite the second one
    finds the lease taken while the first delivers."""
    inbox, url = mail
    users = [recipient(make_user, session) for _ in range(20)]
    for k in range(15):
        opened(session, [u.id for u in users], title=f"คำขอที่ {k}")
    total = 300
    barrier = threading.Barrier(2)
    results = []

    def run() -> None:
        deliverer = Deliverer(db, mail_settings(url, batch=25))
        barrier.wait()
        results.append(deliverer.drain())

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    if db.dialect.name == "sqlite":  # the one that lost the lease may have started after the first ended
        leftover = Deliverer(db, mail_settings(url)).drain()
        results.append(leftover)
    ids = inbox.message_ids()
    assert len(ids) == total and max(ids.values()) == 1
    assert sum(r.sent for r in results) == total
    assert {r.status for r in outbox(db)} == {MailStatus.sent}
    if db.dialect.name == "postgresql":
        assert all(r.sent for r in results[:2]), "both deliverers took a share"


def test_the_app_delivers_only_when_asked(db, session, make_user, mail, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    inbox, url = mail
    u = recipient(make_user, session)
    opened(session, [u.id])
    plain = settings.__class__(**{**{f: getattr(settings, f) for f in settings.__struct_fields__}})
    plain.notifications = mail_settings(url, poll_seconds=0.05)
    with TestClient(create_app(plain)):
        time.sleep(0.5)
        assert inbox.count() == 0  # an app made without deliver=True (tests, embedders) leaves the outbox alone
    with TestClient(create_app(plain, deliver=True)):
        deadline = time.monotonic() + 10
        while inbox.count() == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert inbox.count() == 1
        opened(session, [u.id], title="อีกหนึ่งคำขอ")  # written while the app runs: delivered too
        while inbox.count() < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert inbox.count() == 2
    assert {r.status for r in outbox(db)} == {MailStatus.sent}
    assert not any(t.name == "hrsys-delivery" for t in threading.enumerate())  # stopped with the app
