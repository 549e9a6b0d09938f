"""Delivering the outbox: each pending mail that is due, sent once, retried with back-off, given up on.

One mail, one transaction (README.md, "Delivery", gives the reasons and the window that remains):

- PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED`` of the row (still pending and due), the SMTP exchange
  up to the end of the content, ``UPDATE ... status = 'sent'``, the final ``.``, and ``COMMIT`` as soon as
  the server answered 250. Another deliverer skips the locked row; a deliverer that dies drops its
  connection, its transaction rolls back and the row is pending again.
- SQLite: the row read without a write lock (one deliverer holds the lease, :mod:`.lease`), the exchange up
  to the end of the content, then ``BEGIN IMMEDIATE`` and the same ``UPDATE`` guarded by ``status =
  'pending'``, the ``.``, ``COMMIT``. The write lock is held only for the final reply, not for the whole
  exchange, so the web app's writers never wait on the SMTP server.

Batches are for the SMTP connection and the reading: the ids of up to ``batch`` due mails are read at once
and sent over one connection, each committed on its own.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass, field
from typing import cast

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hrsys.config import NotificationSettings
from hrsys.core import clock
from hrsys.notifications.lease import Lease
from hrsys.notifications.models import MailStatus, OutboxMail
from hrsys.notifications.smtp import Connection, Permanent, Server, Transient, build_message

log = logging.getLogger("hrsys.notifications")

MAX_BACKOFF = dt.timedelta(hours=6)
_T = cast(sa.Table, OutboxMail.__table__)


@dataclass
class Round:
    """What one :meth:`Deliverer.drain` did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    """Rows another deliverer held or had sent meanwhile."""
    errors: list[str] = field(default_factory=list)


def backoff(settings: NotificationSettings, attempts: int) -> dt.timedelta:
    """The wait after the ``attempts``-th failed try: ``retry_seconds``, doubled each time, at most 6 hours."""
    seconds = settings.retry_seconds * 2 ** max(0, attempts - 1)
    return min(dt.timedelta(seconds=seconds), MAX_BACKOFF)


class Deliverer:
    """Sends the outbox of ``engine`` to the server of ``settings.smtp_url``.

    On SQLite a drain runs under the delivery lease (``lease``, or one taken for the drain): the lease is
    what keeps two SQLite deliverers from sending one mail twice."""

    def __init__(self, engine: Engine, settings: NotificationSettings, *, lease: Lease | None = None) -> None:
        if not settings.smtp_url:
            raise ValueError("HRSYS_SMTP_URL is not set: there is no server to deliver to")
        self.engine = engine
        self.settings = settings
        self.server = Server.from_url(settings.smtp_url)
        self.lease = lease
        self.pg = engine.dialect.name == "postgresql"

    def due_ids(self, limit: int) -> list[int]:
        now = clock.now()
        with self.engine.connect().execution_options(sqlite_begin=None) as conn:
            return list(
                conn.execute(
                    sa.select(_T.c.id)
                    .where(_T.c.status == MailStatus.pending.value, _T.c.next_attempt_at <= now)
                    .order_by(_T.c.next_attempt_at, _T.c.id)
                    .limit(limit)
                ).scalars()
            )

    def drain(self, *, stop: threading.Event | None = None, limit: int | None = None) -> Round:
        """Send every mail due now (or ``limit`` of them), batch after batch, until none is due, the server
        is unreachable, or ``stop`` is set."""
        own_lease = None
        if not self.pg and self.lease is None:
            own_lease = Lease(self.engine)
            if not own_lease.acquire():
                log.info("another process delivers the outbox of this database")
                return Round()
        try:
            return self._drain(stop, limit)
        finally:
            if own_lease is not None:
                own_lease.release()

    def _drain(self, stop: threading.Event | None, limit: int | None) -> Round:
        done = Round()
        smtp = Connection(self.server, timeout=self.settings.smtp_timeout_seconds)
        seen: set[int] = set()
        try:
            while stop is None or not stop.is_set():
                want = self.settings.batch if limit is None else min(self.settings.batch, limit - _count(done))
                if want <= 0:
                    break
                ids = [i for i in self.due_ids(want) if i not in seen]
                if not ids:
                    break
                for mail_id in ids:
                    if stop is not None and stop.is_set():
                        break
                    seen.add(mail_id)
                    try:
                        outcome = self.deliver_one(smtp, mail_id)
                    except Transient as exc:  # the server, not this mail: stop the round, back off all
                        done.retried += 1
                        done.errors.append(str(exc))
                        return done
                    setattr(done, outcome, getattr(done, outcome) + 1)
        finally:
            smtp.close()
        return done

    def deliver_one(self, smtp: Connection, mail_id: int) -> str:
        """Send one mail; ``sent``, ``retried``, ``failed`` or ``skipped``. A :class:`Transient` error of the
        connection is recorded on the mail and raised again, so that the round stops."""
        now = clock.now()
        read = sa.select(_T).where(
            _T.c.id == mail_id, _T.c.status == MailStatus.pending.value, _T.c.next_attempt_at <= now
        )
        if self.pg:  # the row lock from here to the commit; a deliverer that dies drops it with its connection
            write = self.engine.connect()
            write.begin()
            row = write.execute(read.with_for_update(skip_locked=True)).first()
            if row is None:
                write.close()
                return "skipped"
        else:  # no lock while talking to the server: the lease makes this the only SQLite deliverer
            with self.engine.connect().execution_options(sqlite_begin=None) as conn:
                row = conn.execute(read).first()
            if row is None:
                return "skipped"
            write = self.engine.connect()
        try:
            data = build_message(
                message_id=row.message_id,
                sender=self.settings.smtp_from,
                to=row.to_address,
                subject=row.subject,
                body=row.body,
                language=row.language,
                base_url=self.settings.base_url,
                date=row.created_at,
            )

            def mark_sent() -> bool:
                # SQLite: BEGIN IMMEDIATE here, so the write lock is held for one reply of the server
                marked = write.execute(
                    _T.update()
                    .where(_T.c.id == mail_id, _T.c.status == MailStatus.pending.value)
                    .values(status=MailStatus.sent.value, sent_at=clock.now(), attempts=_T.c.attempts + 1)
                )
                return marked.rowcount == 1

            try:
                smtp.send(self.settings.smtp_from, row.to_address, data, mark_sent)
            except (Transient, Permanent) as exc:
                write.rollback()
                outcome = self._record_failure(row, str(exc), permanent=isinstance(exc, Permanent))
                if isinstance(exc, Transient) and smtp.closed:
                    raise
                return outcome
            if not smtp.sent_last:  # mark_sent found the row sent meanwhile: abandoned before the "."
                write.rollback()
                return "skipped"
            write.commit()
            return "sent"
        finally:
            write.close()

    def _record_failure(self, row: sa.Row, error: str, *, permanent: bool) -> str:  # type: ignore[type-arg]
        attempts = row.attempts + 1
        give_up = permanent or attempts >= self.settings.max_attempts
        values: dict[str, object] = {"attempts": attempts, "last_error": error[:2000]}
        if give_up:
            values["status"] = MailStatus.failed.value
        else:
            values["next_attempt_at"] = clock.now() + backoff(self.settings, attempts)
        with self.engine.begin() as conn:
            conn.execute(_T.update().where(_T.c.id == row.id, _T.c.status == MailStatus.pending.value).values(values))
        log.warning("mail %s to %s: %s (%s)", row.message_id, row.to_address, error, "failed" if give_up else "retry")
        return "failed" if give_up else "retried"


def _count(done: Round) -> int:
    return done.sent + done.retried + done.failed + done.skipped
