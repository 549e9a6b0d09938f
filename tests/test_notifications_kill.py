"""kill -9 of the delivering process (``hrsys notify run``) during a batch, against a real SMTP server.

What the protocol promises (hrsys/notifications/README.md, "Delivery"): no mail is lost; a mail is sent
again only if the process died between the server's acceptance of its final "." and the commit of its row
(one mail at most per kill, with the same Message-ID). The test holds it to exactly that.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hrsys.core import clock
from hrsys.notifications.models import MailStatus, OutboxMail
from tests.mailserver import Inbox, smtp_server

ROWS = 2_000
KILLS = 3


def fill(db: Engine, n: int) -> set[str]:
    now = clock.now()
    ids = [f"<{uuid.uuid4().hex}@hrsys>" for _ in range(n)]
    with db.begin() as conn:
        conn.execute(
            OutboxMail.__table__.insert(),
            [
                {
                    "to_address": f"person{i}@example.go.th",
                    "language": "th",
                    "subject": f"การแจ้งเตือนที่ {i}",
                    "body": f"ข้อความที่ {i}\n\n/requests/{i}",
                    "message_id": mid,
                    "status": MailStatus.pending.value,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
                for i, mid in enumerate(ids)
            ],
        )
    return set(ids)


def deliverer(database_url: str, smtp_url: str, *args: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "HRSYS_DATABASE_URL": database_url,
        "HRSYS_SMTP_URL": smtp_url,
        "HRSYS_DELIVERY_POLL_SECONDS": "0.2",
        "HRSYS_DELIVERY_BATCH": "100",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "hrsys.cli", "notify", "run", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def wait_for(inbox: Inbox, count: int, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while inbox.count() < count:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        assert time.monotonic() < deadline, f"only {inbox.count()} mails after {timeout} s"
        time.sleep(0.01)


def test_kill_9_mid_batch_loses_nothing_and_resends_at_most_the_mail_in_flight(db, database_url) -> None:  # type: ignore[no-untyped-def]
    expected = fill(db, ROWS)
    with smtp_server() as (inbox, url):
        for k in range(1, KILLS + 1):
            proc = deliverer(database_url, url)
            wait_for(inbox, k * ROWS // (KILLS + 1), proc)
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
        final = deliverer(database_url, url, "--once")
        out, err = final.communicate(timeout=300)
        assert final.returncode == 0, err.decode()
        received = inbox.message_ids()
    assert set(received) == expected  # none lost
    resent = {mid: n for mid, n in received.items() if n > 1}
    assert len(resent) <= KILLS and all(n == 2 for n in resent.values()), resent  # at most the one in flight
    with db.connect() as conn:
        statuses = conn.execute(sa.select(OutboxMail.status, sa.func.count()).group_by(OutboxMail.status)).all()
    assert dict(statuses) == {MailStatus.sent: ROWS}
    print(f"kill -9 x{KILLS} during {ROWS} mails: {len(resent)} sent twice; {out.decode().strip()}")
