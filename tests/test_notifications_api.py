"""The notifications API: my notifications, newest first, the unread count, marking read, my preferences."""

from __future__ import annotations

import datetime as dt

from hrsys.notifications.service import notify
from hrsys.notifications.texts import render
from tests import factories


def _notify(session, user, n: int) -> None:  # type: ignore[no-untyped-def]
    for i in range(n):
        notify(
            session, user_ids=[user.id], kind="request_opened",
            params={"title": f"Plan {i}", "requester": "somchai", "due": dt.date(2026, 11, 24)},
            link=f"/hr/plans/{i}",
        )  # fmt: skip
    session.commit()


def test_list_unread_count_and_mark_read(session, make_user, clients) -> None:
    a = factories.agency(session, "M")
    me, other = make_user("hr_officer", agency=a), make_user("hr_officer", agency=a)
    _notify(session, me, 3)
    _notify(session, other, 1)
    c = clients(me)
    body = c.get("/api/v1/notifications").json()
    assert [i["link"] for i in body["items"]] == ["/hr/plans/2", "/hr/plans/1", "/hr/plans/0"]  # newest first
    assert body["total"] == 3 and body["unread"] == 3
    first = body["items"][0]
    assert first["language"] == "th" and "24 พ.ย. 2569" in first["body"]  # Thai, Buddhist Era
    assert c.get("/api/v1/notifications/unread-count").json() == {"unread": 3}
    r = c.post(f"/api/v1/notifications/{first['id']}/read")
    assert r.status_code == 200 and r.json()["read_at"] is not None
    assert c.get("/api/v1/notifications/unread-count").json() == {"unread": 2}
    assert [i["id"] for i in c.get("/api/v1/notifications?unread=false").json()["items"]] == [first["id"]]
    assert len(c.get("/api/v1/notifications?unread=true").json()["items"]) == 2
    page = c.get("/api/v1/notifications?limit=1&offset=1").json()
    assert page["total"] == 3 and [i["link"] for i in page["items"]] == ["/hr/plans/1"]
    theirs = clients(other).get("/api/v1/notifications").json()["items"][0]["id"]
    assert c.post(f"/api/v1/notifications/{theirs}/read").status_code == 404  # someone else's
    assert c.post("/api/v1/notifications/read-all").json() == {"marked": 2}
    assert c.get("/api/v1/notifications/unread-count").json() == {"unread": 0}
    assert clients(other).get("/api/v1/notifications/unread-count").json() == {"unread": 1}
    assert clients().get("/api/v1/notifications").status_code == 401


def test_preferences_language_and_mail_mode(session, make_user, clients) -> None:
    u = make_user("staff", person=factories.person(session, factories.agency(session)), email="u@example.org")
    c = clients(u)
    assert c.get("/api/v1/notifications/preferences").json() == {"language": "th", "mail_mode": "immediate"}
    r = c.put("/api/v1/notifications/preferences", json={"language": "en", "mail_mode": "digest"})
    assert r.status_code == 200 and r.json() == {"language": "en", "mail_mode": "digest"}
    assert c.put("/api/v1/notifications/preferences", json={"mail_mode": "off"}).json() == {
        "language": "en", "mail_mode": "off",
    }  # fmt: skip
    bad = c.put("/api/v1/notifications/preferences", json={"language": "fr", "mail_mode": "weekly"})
    assert bad.status_code in (400, 422)
    _notify(session, u, 1)
    item = c.get("/api/v1/notifications").json()["items"][0]
    assert item["language"] == "en" and "24 Nov 2026" in item["body"]


def test_texts_show_dates_and_decisions_in_the_recipients_language() -> None:
    _, body = render("request_decided", "th", {"title": "x", "decision": "reject", "reason": "r"})
    assert "ไม่อนุมัติ" in body
    _, body = render("request_overdue", "en", {"title": "x", "due": dt.date(2026, 1, 2)})
    assert "2 Jan 2026" in body
