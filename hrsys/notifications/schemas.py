"""Answers and bodies of the notifications API."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from hrsys.core.schemas import Input, Output
from hrsys.notifications.models import MailMode


class NotificationOut(Output):
    id: int
    kind: str
    language: str
    subject: str
    body: str
    link: str
    """The page where you act on it."""
    request_id: int | None
    created_at: dt.datetime
    read_at: dt.datetime | None


class NotificationPage(Output):
    items: list[NotificationOut]
    total: int
    total_exact: bool
    limit: int
    offset: int
    unread: int


class UnreadCount(Output):
    unread: int


class MarkedRead(Output):
    marked: int
    """Notifications marked read by this call."""


class PreferencesOut(Output):
    language: Literal["th", "en"]
    mail_mode: MailMode


class PreferencesIn(Input):
    language: Literal["th", "en"] | None = None
    """The language of your notifications and mails."""
    mail_mode: MailMode | None = None
    """``immediate``: a mail per notification; ``digest``: one a day; ``off``: in-app only."""
