"""Delivery of the e-mail outbox to a local SMTP server (aiosmtpd, a dev dependency) on the bench dataset.

- the rate of :class:`hrsys.notifications.delivery.Deliverer` over :data:`RATE_ROWS` mails (one transaction
  a mail, one SMTP connection a batch), against the issue's 50 mails a second;
- (late) ``hrsys notify run`` killed with SIGKILL in the middle of :data:`KILL_ROWS` mails, then run again
  with ``--once``: every Message-ID must arrive, and at most the mail in flight at the kill twice.

The rows are written for the benchmark and deleted after it: the dataset stays as generated.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from typing import Any, cast

import sqlalchemy as sa

from hrsys.bench.context import BenchContext, BenchRow
from hrsys.config import NotificationSettings
from hrsys.core import clock
from hrsys.notifications.delivery import Deliverer
from hrsys.notifications.models import MailStatus, OutboxMail

RATE_ROWS = 3_000
KILL_ROWS = 10_000
TARGET_RATE = 50.0
_T = cast(sa.Table, OutboxMail.__table__)
_TAG = "bench-delivery"


class _Sink:
    def __init__(self) -> None:
        self.ids: Counter[str] = Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        head = bytes(envelope.content).split(b"\r\n\r\n", 1)[0]
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"message-id:"):
                with self.lock:
                    self.ids[line.split(b":", 1)[1].strip().decode()] += 1
        return "250 OK"

    def count(self) -> int:
        with self.lock:
            return sum(self.ids.values())


def _server() -> tuple[Any, _Sink, str]:
    import socket

    from aiosmtpd.controller import Controller  # a dev dependency: imported when the benchmark runs

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sink = _Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port, decode_data=False)
    controller.start()
    return controller, sink, f"smtp://127.0.0.1:{port}"


def _fill(ctx: BenchContext, n: int) -> set[str]:
    now = clock.now()
    ids = [f"<{uuid.uuid4().hex}.{_TAG}@hrsys>" for _ in range(n)]
    with ctx.engine.begin() as conn:
        for start in range(0, n, 2_000):
            conn.execute(
                _T.insert(),
                [
                    {"to_address": f"staff{i}@example.go.th", "language": "th", "subject": f"การแจ้งเตือนที่ {i}",
                     "body": f"มีคำขอรอการพิจารณา {i}\n\n/requests/{i}", "message_id": mid,
                     "status": MailStatus.pending.value, "attempts": 0, "next_attempt_at": now, "created_at": now}
                    for i, mid in enumerate(ids[start : start + 2_000], start)
                ],
            )  # fmt: skip
    return set(ids)


def _clean(ctx: BenchContext) -> None:
    with ctx.engine.begin() as conn:
        conn.execute(_T.delete().where(_T.c.message_id.like(f"%.{_TAG}@hrsys>")))


def benchmarks(ctx: BenchContext) -> list[BenchRow]:
    _clean(ctx)
    controller, sink, url = _server()
    try:
        _fill(ctx, RATE_ROWS)
        deliverer = Deliverer(ctx.engine, NotificationSettings(smtp_url=url, batch=200))
        started = time.perf_counter()
        done = deliverer.drain()
        seconds = time.perf_counter() - started
    finally:
        controller.stop()
        _clean(ctx)
    rate = done.sent / seconds if seconds else 0.0
    ok = rate >= TARGET_RATE and done.sent == RATE_ROWS and len(sink.ids) == RATE_ROWS
    return [
        BenchRow(
            f"mail delivery to a local SMTP server, {RATE_ROWS:,} mails",
            ctx.database,
            f"{rate:,.0f} mails/s ({done.sent:,} sent in {seconds:.1f} s, each its own transaction)",
            target=f">= {TARGET_RATE:g} mails/s",
            ok=ok,
        )
    ]


def late_benchmarks(ctx: BenchContext) -> list[BenchRow]:
    _clean(ctx)
    controller, sink, url = _server()
    env = {**os.environ, "HRSYS_DATABASE_URL": ctx.database_url, "HRSYS_SMTP_URL": url,
           "HRSYS_DELIVERY_POLL_SECONDS": "0.2"}  # fmt: skip
    command = [sys.executable, "-m", "hrsys.cli", "notify", "run"]
    try:
        expected = _fill(ctx, KILL_ROWS)
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 600
        while sink.count() < KILL_ROWS // 2 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        at_kill = sink.count()
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        subprocess.run([*command, "--once"], env=env, check=True, timeout=900, capture_output=True)
    finally:
        controller.stop()
        with ctx.engine.connect() as conn:
            pending = conn.execute(
                sa.select(sa.func.count())
                .select_from(_T)
                .where(_T.c.message_id.like(f"%.{_TAG}@hrsys>"), _T.c.status != MailStatus.sent.value)
            ).scalar()
        _clean(ctx)
    lost = len(expected - set(sink.ids))
    twice = sum(1 for n in sink.ids.values() if n > 1)
    return [
        BenchRow(
            f"kill -9 of hrsys notify run after {at_kill:,} of {KILL_ROWS:,} mails, then --once",
            ctx.database,
            f"{lost} lost, {twice} sent twice, {pending} not marked sent",
            target="0 lost; at most the 1 in flight twice",
            ok=lost == 0 and twice <= 1 and pending == 0,
        )
    ]
