"""The daily digest (one mail per Thai day, Buddhist-Era dates in Thai) and the daily-job schedule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hrsys.core import clock
from hrsys.notifications import schedule
from hrsys.notifications.delivery import Deliverer
from hrsys.notifications.digest import send_digests
from hrsys.notifications.models import DailyJobRun, MailMode, NotificationPreference, OutboxMail
from hrsys.notifications.service import notify
from tests.mailserver import smtp_server
from tests.test_notifications_delivery import BASE, mail_settings

BANGKOK = dt.timezone(dt.timedelta(hours=7))
DAY = dt.date(2026, 12, 7)  # 7 ธ.ค. 2569


def digest_user(make_user, session: Session, language: str):  # type: ignore[no-untyped-def]
    u = make_user("admin")
    u.email = f"{u.username}@example.go.th"
    session.add(NotificationPreference(user_id=u.id, language=language, mail_mode=MailMode.digest))
    session.commit()
    return u


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=BANGKOK)


def opened(session: Session, user_ids: list[int], title: str, link: str) -> None:
    notify(session, user_ids=user_ids, kind="request_opened", params={"title": title}, link=link)
    session.commit()


def rows(db: Engine) -> list[sa.Row]:  # type: ignore[type-arg]
    with db.connect() as conn:
        return conn.execute(sa.select(OutboxMail.__table__).order_by(OutboxMail.id)).all()


def test_one_digest_a_day_in_the_readers_language_with_be_dates(db, session, make_user) -> None:  # type: ignore[no-untyped-def]
    th = digest_user(make_user, session, "th")
    en = digest_user(make_user, session, "en")
    with clock.frozen(at(DAY, 9)):
        opened(session, [th.id, en.id], "แผนพัฒนา ก", "/requests/1")
    with clock.frozen(at(DAY, 23)):  # 23:00 in Bangkok is still the 7th (16:00 UTC)
        opened(session, [th.id, en.id], "แผนพัฒนา ข", "/requests/2")
    assert rows(db) == []  # digest readers get no mail at once
    next_day = DAY + dt.timedelta(days=1)
    with clock.frozen(at(next_day, 0)):
        opened(session, [th.id], "ของวันใหม่", "/requests/3")  # the 8th: tomorrow's digest
        assert send_digests(db, next_day) == 2
        assert send_digests(db, next_day) == 0  # digest_sent_on: not twice on one day
    with smtp_server() as (inbox, url), clock.frozen(at(next_day, 1)):
        assert Deliverer(db, mail_settings(url)).drain().sent == 2
    by_to = {str(m["To"]): m for m in inbox.messages}
    thai, english = by_to[th.email], by_to[en.email]
    assert thai["Subject"] == "สรุปการแจ้งเตือนประจำวันที่ 7 ธ.ค. 2569"
    assert thai["Content-Language"] == "th"
    body = thai.get_content()
    assert "การแจ้งเตือนของท่าน 2 รายการ" in body
    assert "แผนพัฒนา ก" in body and "แผนพัฒนา ข" in body and "ของวันใหม่" not in body
    assert f"{BASE}/requests/1" in body and f"{BASE}/requests/2" in body
    assert english["Subject"] == "Your notifications of 7 Dec 2026"
    assert english["Content-Language"] == "en"
    with session.begin():
        pref = session.get(NotificationPreference, th.id)
        assert pref is not None and pref.digest_sent_on == next_day
    day_after = next_day + dt.timedelta(days=1)
    with clock.frozen(at(day_after, 0)):
        assert send_digests(db, day_after) == 1  # the Thai reader's notification of the 8th, and nothing again
    assert "ของวันใหม่" in rows(db)[-1].body and "แผนพัฒนา" not in rows(db)[-1].body


@pytest.fixture
def job() -> Iterator[list[dt.date]]:
    calls: list[dt.date] = []
    fail = {"now": False}

    def run(engine: Engine, today: dt.date) -> None:
        if fail["now"]:
            raise RuntimeError("broken")
        calls.append(today)

    schedule.register_daily("test.counter", run)
    run.fail = fail  # type: ignore[attr-defined]
    yield calls
    schedule._JOBS.pop("test.counter", None)
    schedule._RETRY_AT.pop("test.counter", None)


def test_a_daily_job_runs_once_a_day_and_remembers_it_in_the_database(db, job) -> None:  # type: ignore[no-untyped-def]
    assert "test.counter" in schedule.run_due(db, DAY)
    assert "test.counter" not in schedule.run_due(db, DAY)  # again the same day: not run
    assert schedule.last_runs(db)["test.counter"] == DAY
    schedule._RETRY_AT.clear()  # a restarted process knows only what the table says
    assert "test.counter" not in schedule.run_due(db, DAY)
    assert "test.counter" in schedule.run_due(db, DAY + dt.timedelta(days=1))
    assert job == [DAY, DAY + dt.timedelta(days=1)]
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(DailyJobRun)).scalar() >= 1


def test_a_failed_job_is_not_marked_and_runs_again(db, job) -> None:  # type: ignore[no-untyped-def]
    schedule._JOBS["test.counter"].fail["now"] = True  # type: ignore[attr-defined]
    assert "test.counter" not in schedule.run_due(db, DAY)
    assert "test.counter" not in schedule.last_runs(db)
    schedule._JOBS["test.counter"].fail["now"] = False  # type: ignore[attr-defined]
    schedule._RETRY_AT.clear()  # the retry delay passed
    assert "test.counter" in schedule.run_due(db, DAY)
    assert job == [DAY]
