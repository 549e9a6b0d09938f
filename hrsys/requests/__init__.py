"""Requests: someone asks, someone else decides; the deciding domain applies the decision (see README.md)."""

from hrsys.requests import reminders as _reminders

_reminders.register()  # overdue requests, in the daily reminders (hrsys.notifications.reminders)
