"""Requests: someone asks, someone else decides; the deciding domain applies the decision (see README.md)."""

from hrsys.requests import reminders as _reminders

_reminders.register()  # overdue requests, in the daily reminders (hrsys.notifications.reminders)

from hrsys.requests import daily as _daily  # noqa: E402

_daily.register()  # escalation of overdue requests, once per Thai day
