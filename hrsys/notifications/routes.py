"""The caller's notifications and preferences: thin handlers over ``reads``."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post, put
from litestar.params import FromPath, JSONBody, QueryParameter

from hrsys.access.identity import User
from hrsys.access.rules import Access
from hrsys.core.handler_params import Db, Limit, Offset
from hrsys.notifications import reads
from hrsys.notifications.schemas import (
    MarkedRead,
    NotificationOut,
    NotificationPage,
    PreferencesIn,
    PreferencesOut,
    UnreadCount,
)


class NotificationController(Controller):
    path = "/api/v1/notifications"
    tags = ["Notifications"]

    @get("/", opt={"access": Access.authenticated}, sync_to_thread=True)
    def list_notifications(
        self,
        db_session: Db,
        current_user: User,
        unread: Annotated[bool | None, QueryParameter(description="true: only unread; false: only read")] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> NotificationPage:
        """Your notifications, newest first, each with the link to the page where you act."""
        return reads.list_notifications(db_session, current_user.id, unread=unread, limit=limit, offset=offset)

    @get("/unread-count", opt={"access": Access.authenticated}, sync_to_thread=True)
    def unread_count(self, db_session: Db, current_user: User) -> UnreadCount:
        return UnreadCount(unread=reads.unread_count(db_session, current_user.id))

    @post("/{notification_id:int}/read", opt={"access": Access.authenticated}, sync_to_thread=True, status_code=200)
    def mark_read(self, db_session: Db, current_user: User, notification_id: FromPath[int]) -> NotificationOut:
        """Mark one of your notifications read (404 for anyone else's)."""
        return reads.mark_read(db_session, current_user.id, notification_id)

    @post("/read-all", opt={"access": Access.authenticated}, sync_to_thread=True, status_code=200)
    def mark_all_read(self, db_session: Db, current_user: User) -> MarkedRead:
        return MarkedRead(marked=reads.mark_all_read(db_session, current_user.id))

    @get("/preferences", opt={"access": Access.authenticated}, sync_to_thread=True)
    def read_preferences(self, db_session: Db, current_user: User) -> PreferencesOut:
        return reads.preferences(db_session, current_user.id)

    @put("/preferences", opt={"access": Access.authenticated}, sync_to_thread=True)
    def update_preferences(self, db_session: Db, current_user: User, data: JSONBody[PreferencesIn]) -> PreferencesOut:
        """Your language (``th``, ``en``) and how mail reaches you (``immediate``, ``digest``, ``off``)."""
        return reads.set_preferences(db_session, current_user.id, data)
