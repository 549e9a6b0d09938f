"""Sign-in, sign-out, tokens, cookies with CSRF, the rate limit and lock-out, passwords, users."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest
import sqlalchemy as sa

from hrsys.access import tokens
from hrsys.access.models import AuditEvent, LoginAttempt, User
from hrsys.access.policy import CSRF_COOKIE, SESSION_COOKIE
from tests import factories
from tests.conftest import login

LOGIN = "/api/v1/auth/login"
ME = "/api/v1/auth/me"


def _fail(client, username: str, password: str = "not-the-password-1"):  # type: ignore[no-untyped-def]
    return client.post(LOGIN, json={"username": username, "password": password})


def test_sign_in_gives_a_bearer_token_that_works(anon_client, make_user, session) -> None:
    user = make_user("staff", username="somchai.j", person=factories.person(session, factories.agency(session)))
    body = login(anon_client, "Somchai.J ", user.password)  # names are case- and space-insensitive
    assert body["token_type"] == "bearer"
    assert body["user"]["username"] == "somchai.j" and body["user"]["role"] == "staff"
    me = anon_client.get(ME, headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json()["id"] == user.id
    assert me.json()["last_login_at"] is not None
    events = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "sign_in")).all()
    assert [(e.actor_user_id, e.entity_id) for e in events] == [(user.id, str(user.id))]


def test_unknown_user_wrong_password_and_disabled_user_get_the_same_answer(anon_client, make_user) -> None:
    user = make_user("admin", username="root-admin")
    make_user("admin", username="gone-admin", password=user.password, active=False)
    answers = [
        _fail(anon_client, "nobody-here"),
        _fail(anon_client, "root-admin"),
        _fail(anon_client, "gone-admin", user.password),
    ]
    assert {r.status_code for r in answers} == {401}
    assert len({(r.json()["detail"], r.json()["title"]) for r in answers}) == 1
    assert answers[0].headers["content-type"].startswith("application/problem+json")


def test_no_token_bad_token_and_expired_token_are_401_with_the_reason(anon_client, app, admin_user) -> None:
    assert anon_client.get(ME).status_code == 401
    issued = tokens.issue(app.state.secret_key, admin_user.id, 0, 60)
    header, payload, signature = issued.token.split(".")
    flipped = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    r = anon_client.get(ME, headers={"Authorization": f"Bearer {header}.{flipped}.{signature}"})
    assert r.status_code == 401 and "not valid" in r.json()["detail"]
    forged = tokens.issue("another-key-" * 4, admin_user.id, 0, 60).token
    assert anon_client.get(ME, headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    expired = tokens.issue(app.state.secret_key, admin_user.id, 0, 60, now=past).token
    r = anon_client.get(ME, headers={"Authorization": f"Bearer {expired}"})
    assert r.status_code == 401 and "expired" in r.json()["detail"]


def test_sign_out_revokes_every_token_of_the_user(anon_client, make_user) -> None:
    user = make_user("admin", username="leaving-admin")
    first = login(anon_client, "leaving-admin", user.password)["access_token"]
    second = login(anon_client, "leaving-admin", user.password)["access_token"]
    auth = {"Authorization": f"Bearer {first}"}
    assert anon_client.post("/api/v1/auth/logout", headers=auth).status_code == 204
    for token in (first, second):
        r = anon_client.get(ME, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401 and "revoked" in r.json()["detail"]
    assert login(anon_client, "leaving-admin", user.password)["access_token"]


def test_deactivating_a_user_ends_their_sign_in(client, client_as, make_user) -> None:
    staff = make_user("admin", username="soon-disabled")
    theirs = client_as(staff)
    assert theirs.get(ME).status_code == 200
    assert client.patch(f"/api/v1/users/{staff.id}", json={"active": False}).status_code == 200
    assert theirs.get(ME).status_code == 401


def test_a_change_made_by_another_worker_is_seen_within_the_cache_window(app, client_as, make_user, session) -> None:
    """Workers keep a signed-in user's row for ``auth_cache_seconds``; a direct edit shows after it, never later."""
    import time

    from hrsys.access.guard import auth_cache

    staff = make_user("admin", username="edited-elsewhere")
    theirs = client_as(staff)
    saved = auth_cache.user_seconds
    auth_cache.user_seconds = 0.3
    try:
        assert theirs.get(ME).status_code == 200
        # As another worker (or a database console) would: no ORM event reaches this process.
        session.execute(sa.update(User).where(User.id == staff.id).values(token_generation=User.token_generation + 1))
        session.commit()
        changed = time.monotonic()
        while theirs.get(ME).status_code == 200:
            assert time.monotonic() - changed < 0.3 + 0.5, "the revoked token was still accepted after the window"
            time.sleep(0.05)
    finally:
        auth_cache.user_seconds = saved
    r = theirs.get(ME)
    assert r.status_code == 401 and "revoked" in r.json()["detail"]


# ---------------------------------------------------------------- cookies and CSRF


@pytest.fixture
def browser(clients):  # type: ignore[no-untyped-def]
    """A client on https (the session cookie is Secure) that is not signed in."""
    return clients(base_url="https://testserver.local")


def test_cookie_sign_in_is_http_only_and_writes_need_the_csrf_token(browser, make_user) -> None:
    user = make_user("admin", username="web-admin")
    body = login(browser, "web-admin", user.password)
    again = browser.post(LOGIN, json={"username": "web-admin", "password": user.password})
    raw = [(k, v) for k, v in again.headers.multi_items() if k == "set-cookie"]
    session_cookie = next(v for k, v in raw if v.startswith(SESSION_COOKIE + "="))
    assert "HttpOnly" in session_cookie and "Secure" in session_cookie and "SameSite=lax" in session_cookie
    assert any(v.startswith(CSRF_COOKIE + "=") and "HttpOnly" not in v for _, v in raw)
    csrf = browser.cookies.get(CSRF_COOKIE)
    assert csrf and csrf != body["csrf_token"]  # the second sign-in replaced it
    # Reads with the cookie alone work; a write without the CSRF token is refused, as a forged form would be.
    assert browser.get(ME).status_code == 200
    new = {"code": "WEB1", "name_th": "ก", "name_en": "Web", "kind": "ministry"}
    r = browser.post("/api/v1/agencies", json=new)
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    r = browser.post("/api/v1/agencies", json=new, headers={"X-CSRF-Token": body["csrf_token"]})
    assert r.status_code == 403  # the token of an older sign-in does not match this cookie
    assert browser.post("/api/v1/agencies", json=new, headers={"X-CSRF-Token": csrf}).status_code == 201


def test_csrf_token_in_a_form_field_and_bearer_requests_need_none(browser, anon_client, make_user) -> None:
    user = make_user("admin", username="form-admin")
    body = login(browser, "form-admin", user.password)
    assert browser.post("/api/v1/auth/logout", data={"_csrf": "wrong"}).status_code == 403
    assert browser.post("/api/v1/auth/logout", data={"_csrf": body["csrf_token"]}).status_code == 204
    assert browser.get(ME).status_code == 401  # signed out, cookie cleared
    token = login(anon_client, "form-admin", user.password)["access_token"]
    r = anon_client.post(
        "/api/v1/agencies",
        json={"code": "B1", "name_th": "ข", "name_en": "B", "kind": "ministry"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 201


# ---------------------------------------------------------------- rate limit and lock-out


def _age_attempts(session, minutes: int) -> None:  # type: ignore[no-untyped-def]
    for attempt in session.scalars(sa.select(LoginAttempt)):
        attempt.at = attempt.at - dt.timedelta(minutes=minutes)
    session.commit()


def test_five_failures_lock_the_account_even_for_the_right_password(anon_client, make_user, session) -> None:
    user = make_user("admin", username="target-admin")
    for _ in range(5):
        assert _fail(anon_client, "target-admin").status_code == 401
    r = anon_client.post(LOGIN, json={"username": "target-admin", "password": user.password})
    assert r.status_code == 429
    assert 0 < int(r.headers["Retry-After"]) <= 15 * 60
    assert r.json()["extra"]["retry_after_seconds"] == int(r.headers["Retry-After"])
    locked = session.get(User, user.id)
    session.refresh(locked)
    assert locked.failed_logins == 5 and locked.locked_until is not None
    session.rollback()  # end the read (on SQLite every transaction holds the write lock)
    # An unknown name locks the same way: no difference tells whether an account exists.
    for _ in range(5):
        assert _fail(anon_client, "no-such-admin").status_code == 401
    assert _fail(anon_client, "no-such-admin").json()["detail"] == r.json()["detail"]
    # Blocked attempts do not extend the lock: 15 minutes after the last real failure it opens.
    _age_attempts(session, 15)
    assert login(anon_client, "target-admin", user.password)["user"]["id"] == user.id


def test_admin_can_lift_a_lock(client, anon_client, make_user) -> None:
    user = make_user("admin", username="locked-admin")
    for _ in range(5):
        _fail(anon_client, "locked-admin")
    assert anon_client.post(LOGIN, json={"username": "locked-admin", "password": user.password}).status_code == 429
    r = client.post(f"/api/v1/users/{user.id}/unlock")
    assert r.status_code == 200 and r.json()["locked_until"] is None
    assert login(anon_client, "locked-admin", user.password)


def test_one_address_trying_many_accounts_is_limited(app, anon_client, make_user) -> None:
    app.state.access = msgspec.structs.replace(app.state.access, login_address_max_failures=4)
    user = make_user("admin", username="sprayed-admin")
    for i in range(4):
        assert _fail(anon_client, f"victim-{i}").status_code == 401
    r = anon_client.post(LOGIN, json={"username": "sprayed-admin", "password": user.password})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0


# ---------------------------------------------------------------- passwords and users


def test_change_password_checks_the_old_one_and_the_policy_and_signs_out_elsewhere(anon_client, make_user) -> None:
    user = make_user("admin", username="pw-admin")
    other = login(anon_client, "pw-admin", user.password)["access_token"]
    mine = {"Authorization": f"Bearer {login(anon_client, 'pw-admin', user.password)['access_token']}"}
    url = "/api/v1/auth/password"
    r = anon_client.post(url, json={"current_password": "wrong-one-123", "new_password": "short"}, headers=mine)
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"new_password"}
    r = anon_client.post(
        url, json={"current_password": "wrong-one-123", "new_password": "fresh-lychee-77"}, headers=mine
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "current_password"
    r = anon_client.post(url, json={"current_password": user.password, "new_password": "fresh-lychee-77"}, headers=mine)
    assert r.status_code == 200
    new_token = r.json()["access_token"]
    assert anon_client.get(ME, headers={"Authorization": f"Bearer {other}"}).status_code == 401
    assert anon_client.get(ME, headers={"Authorization": f"Bearer {new_token}"}).status_code == 200
    assert _fail(anon_client, "pw-admin", user.password).status_code == 401
    assert login(anon_client, "pw-admin", "fresh-lychee-77")


def test_create_user_lists_every_problem_and_refuses_duplicates(client, session) -> None:
    r = client.post("/api/v1/users", json={"username": "hr-one", "password": "password1234", "role": "hr_officer"})
    assert r.status_code == 422
    fields = sorted(e["field"] for e in r.json()["errors"])
    assert fields == ["agency", "password"]
    dep = factories.agency(session, "DEP")
    body = {"username": "HR-One", "password": "mango-sticky-rice-9", "role": "hr_officer", "agency": "DEP"}
    r = client.post("/api/v1/users", json=body)
    assert r.status_code == 201, r.text
    assert r.json()["username"] == "hr-one" and r.json()["agency"] == dep.code
    assert "password" not in r.text and "argon2" not in r.text
    assert client.post("/api/v1/users", json=body).status_code == 409
    staff = {"username": "someone", "password": "mango-sticky-rice-9", "role": "staff"}
    r = client.post("/api/v1/users", json=staff)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "person_id"
    listed = client.get("/api/v1/users", params={"role": "hr_officer"}).json()
    assert [u["username"] for u in listed["items"]] == ["hr-one"]


def test_changing_a_role_signs_the_user_out(client, client_as, make_user, session) -> None:
    hr = make_user("hr_officer", agency=factories.agency(session))
    theirs = client_as(hr)
    assert theirs.get(ME).status_code == 200
    assert client.patch(f"/api/v1/users/{hr.id}", json={"role": "admin", "agency": None}).status_code == 200
    assert theirs.get(ME).status_code == 401


def test_create_admin_command_takes_the_password_from_the_environment(settings, db, monkeypatch) -> None:
    from click.testing import CliRunner

    from hrsys.cli import main

    monkeypatch.setenv("HRSYS_DATABASE_URL", settings.database_url)
    runner = CliRunner()
    weak = runner.invoke(main, ["users", "create-admin", "--username", "boss"], env={"HRSYS_ADMIN_PASSWORD": "short"})
    assert weak.exit_code != 0 and "at least 12" in weak.output
    ok = runner.invoke(
        main, ["users", "create-admin", "--username", "boss"], env={"HRSYS_ADMIN_PASSWORD": "durian-season-2025"}
    )
    assert ok.exit_code == 0, ok.output
    again = runner.invoke(
        main, ["users", "create-admin", "--username", "boss"], env={"HRSYS_ADMIN_PASSWORD": "durian-season-2025"}
    )
    assert again.exit_code != 0 and "taken" in again.output
    with db.connect() as conn:
        row = conn.execute(sa.select(User.role, User.password_hash).where(User.username == "boss")).one()
    assert row.role == "admin" and row.password_hash.startswith("$argon2id$")
