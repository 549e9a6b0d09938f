"""The delivering process's loop: hold the lease, run the daily jobs due, drain the outbox, wait, again.

:class:`Worker` runs in a thread of ``hrsys serve`` (started and stopped with the app's lifespan, see
``hrsys.app``) or in the foreground of ``hrsys notify run``. Every worker of every server tries the lease
(:mod:`.lease`) at each round; one holds it, the others wait and take over if it goes. Without
``HRSYS_SMTP_URL`` the daily jobs still run (reminders are in-app too) and mail stays pending.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy.engine import Engine

from hrsys.config import NotificationSettings
from hrsys.notifications import digest  # noqa: F401  registers the daily digest with the schedule
from hrsys.notifications.delivery import Deliverer, Round
from hrsys.notifications.lease import Lease
from hrsys.notifications.schedule import run_due

log = logging.getLogger("hrsys.notifications")


class Worker:
    def __init__(self, engine: Engine, settings: NotificationSettings) -> None:
        self.engine = engine
        self.settings = settings
        self.lease = Lease(engine)
        self.deliverer = Deliverer(engine, settings, lease=self.lease) if settings.smtp_url else None
        self.stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def round(self) -> Round | None:
        """One round if this process holds (or takes) the lease: the daily jobs due, then the mail due.
        None when another process holds the lease."""
        if not self.lease.acquire():
            return None
        run_due(self.engine)
        if self.deliverer is None:
            return Round()
        return self.deliverer.drain(stop=self.stopping)

    def run(self) -> None:
        """Rounds until :meth:`stop`; an error is logged and the next round tries again."""
        try:
            while not self.stopping.is_set():
                try:
                    done = self.round()
                except Exception:
                    log.exception("delivery round failed; trying again in %.0f s", self.settings.poll_seconds)
                    done = None
                if done is not None and done.sent and not done.errors:
                    continue  # more may have come while sending: look again at once
                self.stopping.wait(self.settings.poll_seconds)
        finally:
            self.lease.release()

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="hrsys-delivery", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self.stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
