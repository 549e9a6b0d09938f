"""Web pages with the demo data: each page for the right role, sign-in, errors as pages, Thai and English."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.orm import Session

from hrsys.access.models import AuditEvent, User, UserRole
from hrsys.agencies.models import Agency
from hrsys.app import create_app
from hrsys.config import Settings, WebSettings
from hrsys.demo.load import load_into
from hrsys.people.models import Person
from hrsys.skills.assessments.models import CurrentSkill
from hrsys.taskforces.models import TaskForce, TaskForceMember
from tests import factories
from tests.conftest import bearer

TRACEBACK = re.compile(r"Traceback|File \"|sqlalchemy\.|Internal Server Error")


@pytest.fixture
def demo(session: Session, settings: Settings) -> dict[str, Any]:
    """The demo in the test database; users by role and their passwords (from the credentials file)."""
    with session.begin():
        load_into(session, settings)
    passwords = {}
    with open(settings.demo_credentials_file, encoding="utf-8") as f:
        lines = f.readlines()
    for line in lines:
        parts = line.split()
        if len(parts) == 3 and not line.startswith("#"):
            passwords[parts[0]] = parts[1]
    users: dict[str, list[User]] = {}
    for u in session.scalars(sa.select(User).order_by(User.id)):
        users.setdefault(u.role.value, []).append(u)
    return {"users": users, "passwords": passwords}


def _user(demo: dict[str, Any], role: str, i: int = 0) -> User:
    return demo["users"][role][i]


def _person(session: Session, user: User) -> Person:
    p = session.get(Person, user.person_id)
    assert p is not None
    return p


def _clean(html: str) -> None:
    assert not TRACEBACK.search(html), html[:2000]


def test_visitor_is_sent_to_sign_in_and_signs_in_with_the_form(app, demo, session: Session) -> None:  # type: ignore[no-untyped-def]
    staff = _user(demo, "staff")
    with TestClient(app, base_url="https://testserver") as c:
        r = c.get("/me", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/sign-in?next=/me"
        page = c.get("/sign-in?next=/me")
        assert page.status_code == 200
        assert '<label for="username">' in page.text and '<label for="password">' in page.text
        bad = c.post("/sign-in", data={"username": staff.username, "password": "wrong-password-x", "next": "/me"})
        assert bad.status_code == 401 and "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง" in bad.text
        ok = c.post(
            "/sign-in",
            data={"username": staff.username, "password": demo["passwords"][staff.username], "next": "/me"},
            follow_redirects=False,
        )
        assert ok.status_code == 303 and ok.headers["location"] == "/me"
        assert "hrsys_session" in ok.headers.get("set-cookie", "")
        me = c.get("/me")
        assert me.status_code == 200
        person = _person(session, staff)
        assert person.first_name_th in me.text
        # a form posted without the CSRF secret is refused with a readable page, not a stack trace
        forged = c.post("/sign-out", data={})
        assert forged.status_code == 403 and "แบบฟอร์มนี้หมดอายุ" in forged.text
        assert c.get("/me").status_code == 200  # and the user is still signed in
        _clean(forged.text)
        csrf = c.cookies.get("hrsys_csrf")
        out = c.post("/sign-out", data={"_csrf": csrf}, follow_redirects=False)
        assert out.status_code == 303 and out.headers["location"] == "/sign-in"
        c.cookies.clear()
        assert c.get("/me", follow_redirects=False).status_code == 303


def test_open_redirects_are_refused(app, session: Session, make_user) -> None:  # type: ignore[no-untyped-def]
    agency = factories.agency(session)
    staff = make_user("staff", person=factories.person(session, agency=agency))
    session.commit()
    with TestClient(app, base_url="https://testserver") as c:
        r = c.post(
            "/sign-in",
            data={"username": staff.username, "password": staff.password, "next": "//evil.example"},
            follow_redirects=False,
        )
        assert r.status_code == 303 and r.headers["location"] == "/"
        assert c.get("/lang/en?next=https://evil.example", follow_redirects=False).headers["location"] == "/"
        # a staff member without skills, role or plans still gets a readable page
        page = c.get("/me")
        assert page.status_code == 200 and "No skills recorded yet." in page.text and "No role recorded" in page.text
        _clean(page.text)


def test_staff_page_shows_profile_gap_paths_plan_in_thai_and_english(
    app, demo, session: Session, clients: Callable[..., TestClient]
) -> None:  # type: ignore[no-untyped-def]
    staff = _user(demo, "staff", 1)
    person = _person(session, staff)
    c = clients(staff)
    r = c.get("/me")
    assert r.status_code == 200, r.text[:500]
    html = r.text
    _clean(html)
    assert f"{person.first_name_th} {person.last_name_th}" in html
    levels = session.execute(sa.select(CurrentSkill.level).where(CurrentSkill.person_id == person.id)).scalars().all()
    assert levels, "the demo gives staff skills"
    # Buddhist-Era years in Thai (the demo's assessments are from CE 2015-2026)
    assert re.search(
        r"\d{1,2} (ม\.ค\.|ก\.พ\.|มี\.ค\.|เม\.ย\.|พ\.ค\.|มิ\.ย\.|ก\.ค\.|ส\.ค\.|ก\.ย\.|ต\.ค\.|พ\.ย\.|ธ\.ค\.) 25[5-7]\d",
        html,
    )
    assert 'id="h-gap"' in html and "<svg" in html and 'role="img"' in html
    assert re.search(r'id="readiness">\d+%<', html)
    assert "บาท" in html  # the training plan's cost, in baht the Thai way
    # switch to English: remembered in a cookie, Christian-Era dates and ฿ amounts
    sw = c.get("/lang/en?next=/me", follow_redirects=False)
    assert sw.status_code == 303 and "hrsys_lang=en" in sw.headers["set-cookie"]
    en = c.get("/me").text
    assert '<html lang="en">' in en and "My profile" in en
    assert re.search(r"\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) 20[12]\d", en)
    assert not re.search(r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) 25[5-7]\d", en)
    # the career path diagram for a role two steps up
    target = next(iter(re.findall(r'<option value="([A-Z0-9-]+)"', en)))
    assert c.get(f"/me?target={target}").status_code == 200


def test_self_assessment_is_recorded_and_bad_input_is_explained(
    app, demo, session: Session, clients: Callable[..., TestClient]
) -> None:  # type: ignore[no-untyped-def]
    staff = _user(demo, "staff")
    c = clients(staff)
    html = c.get("/me").text
    skill = re.search(r'<select id="sa-skill" name="skill" required><option value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    r = c.post(
        "/me/assessments", data={"skill": skill, "level": "4", "evidence": "led the survey"}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == "/me?saved=true"
    page = c.get("/me?saved=true").text
    assert "บันทึกแล้ว" in page
    history = page.split("ประวัติการประเมิน")[1]
    assert re.search(r'<td class="num">4</td><td>ประเมินตนเอง</td><td>ใช้ได้</td>', history)  # newest in the history
    bad = c.post("/me/assessments", data={"skill": "NOPE:NOTHING", "level": "x"})
    assert bad.status_code == 422
    assert "level" in bad.text and "โปรดแก้ไขข้อมูล" in bad.text
    _clean(bad.text)


def test_hr_dashboard_search_and_wrong_roles(app, demo, session: Session, clients: Callable[..., TestClient]) -> None:  # type: ignore[no-untyped-def]
    hr = _user(demo, "hr_officer")
    c = clients(hr)
    r = c.get("/hr")
    assert r.status_code == 200
    html = r.text
    _clean(html)
    heat = re.search(r'<table class="heat" id="heat-map">(.*?)</table>', html, re.S)
    assert heat and re.search(r"\d+ / \d+", heat.group(1))
    assert 'id="bench"' in html and 'id="training-needs"' in html
    assert re.search(r'id="as-of">ข้อมูล ณ \d{1,2} \S+ 25\d\d \d\d:\d\d<', html)  # how old the figures are
    # the statistics office's HR officer sees the demo's secondments that need action
    stat_hr = clients(_user(demo, "hr_officer", 1))
    stat = stat_hr.get("/hr").text
    assert "ใกล้สิ้นสุด (1)" in stat and "รอการพิจารณา (1)" in stat
    assert "ใกล้สิ้นสุด (1)" not in html  # not in the other officer's subtree
    assert '<option value="STAT-CMI">' in stat  # the officer may look at a sub-agency
    province = stat_hr.get("/hr?agency=STAT-CMI").text
    assert re.search(r'<th scope="col" title="[^"]+">STAT-CMI</th>', province)
    assert c.get("/hr?agency=STAT-CMI").status_code == 404  # not in the other officer's subtree
    found = c.get("/hr/people?skill=TH-DG:DL03&min_level=1")
    assert found.status_code == 200
    count = re.search(r'id="result-count">(\d+) คน<', found.text)
    assert count and int(count.group(1)) > 0
    # from a search result to the person's development page (a read the audit trail records)
    first = re.search(r'<a href="/people/(\d+)">([^<]+)</a>', found.text)
    assert first
    theirs = c.get(f"/people/{first.group(1)}")
    assert theirs.status_code == 200 and first.group(2) in theirs.text
    assert 'action="/me/assessments"' not in theirs.text  # nobody self-assesses for someone else
    session.rollback()
    reads = session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "read", AuditEvent.person_id == int(first.group(1)))
    )
    assert reads == 1
    met = session.scalar(sa.select(Agency.id).where(Agency.code == "MDES-MET"))
    outsider = session.scalar(sa.select(Person.id).where(Person.agency_id == met).limit(1))
    assert hr.agency_id != met
    hidden = c.get(f"/people/{outsider}")  # another department's staff: as if they did not exist
    assert hidden.status_code == 404 and "ไม่พบ" in hidden.text
    # a staff member gets a readable 403 page; an unknown agency is a readable 404
    staff = clients(_user(demo, "staff"))
    denied = staff.get("/hr")
    assert (
        denied.status_code == 403
        and "บทบาทของคุณไม่มีสิทธิ์" in denied.text
        and "text/html" in denied.headers["content-type"]
    )
    assert staff.get("/lead").status_code == 403
    missing = c.get("/hr?agency=NOWHERE")
    assert missing.status_code == 404 and "ไม่พบ" in missing.text


def test_upload_shows_row_errors_on_the_page(app, demo, session: Session, clients: Callable[..., TestClient]) -> None:  # type: ignore[no-untyped-def]
    hr = _user(demo, "hr_officer")
    person = session.scalars(sa.select(Person).where(Person.agency_id == hr.agency_id).limit(1)).one()
    csv = (
        "person_id,skill,level,source,assessed_on\n"
        f"{person.id},TH-DG:DL03,3,manager,2026-01-05\n"
        f"{person.id},TH-DG:NOPE,3,manager,2026-01-05\n"
    )
    c = clients(hr)
    form = c.get("/hr/upload")
    assert form.status_code == 200 and "citizen_id" in form.text and "first_name_th" in form.text  # columns listed
    r = c.post("/hr/upload", data={"kind": "assessments"}, files={"file": ("scores.csv", csv.encode(), "text/csv")})
    assert r.status_code == 422
    assert 'id="import-problems"' in r.text and '<td class="num">3</td>' in r.text
    good = c.post(
        "/hr/upload",
        data={"kind": "assessments"},
        files={"file": ("scores.csv", csv.encode()[: -len(csv.splitlines()[-1]) - 1], "text/csv")},
    )
    assert good.status_code == 200 and 'id="import-result"' in good.text and "บันทึก 1 แถวจาก 1 แถว" in good.text


def test_lead_proposes_accepts_and_sees_members_and_kpis(
    app, demo, session: Session, clients: Callable[..., TestClient]
) -> None:  # type: ignore[no-untyped-def]
    lead = _user(demo, "taskforce_lead")
    c = clients(lead)
    listing = c.get("/lead")
    assert listing.status_code == 200 and "TF-DGA-OPENDATA" in listing.text
    tf = session.scalars(sa.select(TaskForce)).one()
    page = c.get(f"/lead/taskforces/{tf.id}").text
    _clean(page)
    assert 'id="needs"' in page and "ยังไม่มีสมาชิก" in page
    assert "<svg" in page and "ต่ำกว่าเป้า" in page  # a KPI behind its target, drawn and listed
    bad = c.post(f"/lead/taskforces/{tf.id}/proposals", data={"prefer_internal": "1", "max_externals": "-2"})
    assert bad.status_code == 422 and "max_externals" in bad.text and "between 0 and 200" in bad.text
    r = c.post(
        f"/lead/taskforces/{tf.id}/proposals", data={"prefer_internal": "1", "max_externals": ""}, follow_redirects=True
    )
    assert r.status_code == 200 and 'id="proposal-members"' in r.text
    proposed = re.findall(r'<tr><td>([^<]+)</td><td class="num">\d+%</td>', r.text.split('id="proposal-members"')[1])
    assert proposed
    accept = re.search(rf"/lead/taskforces/{tf.id}/proposals/(\d+)/accept", r.text)
    assert accept
    done = c.post(accept.group(0), follow_redirects=True)
    assert done.status_code == 200 and 'id="accepted"' in done.text
    members = done.text.split('id="member-list"')[1]
    session.rollback()  # a fresh snapshot: the app committed
    active = session.scalar(
        sa.select(sa.func.count()).select_from(TaskForceMember).where(TaskForceMember.taskforce_id == tf.id)
    )
    assert active and active >= len(proposed)
    # accepting twice is a readable conflict page
    again = c.post(accept.group(0))
    assert again.status_code == 409 and "ไม่สามารถดำเนินการได้" in again.text
    _clean(again.text)
    for name in proposed:
        assert name in members or name.split()[0] in members
    # a lead of nothing else: another task force is a 404 page
    assert c.get("/lead/taskforces/999999").status_code == 404


def test_roles_land_on_their_start_page(app, demo, clients: Callable[..., TestClient]) -> None:  # type: ignore[no-untyped-def]
    for role, home in (("staff", "/me"), ("hr_officer", "/hr"), ("taskforce_lead", "/lead"), ("admin", "/hr")):
        r = clients(_user(demo, role)).get("/", follow_redirects=False)
        assert r.headers["location"] == home, role
    assert clients().get("/", follow_redirects=False).headers["location"] == "/sign-in"
    assert UserRole.staff.value == "staff"


def test_static_font_and_css_are_served(app, clients: Callable[..., TestClient]) -> None:  # type: ignore[no-untyped-def]
    c = clients()
    css = c.get("/static/app.css")
    assert css.status_code == 200 and "sarabun-thai-400-normal.woff2" in css.text
    font = c.get("/static/fonts/sarabun-thai-400-normal.woff2")
    assert font.status_code == 200 and font.content[:4] == b"wOF2"


@pytest.mark.parametrize("ttl", [300.0, 0.0])
def test_hr_dashboard_keeps_its_figures_for_the_configured_time(
    demo: dict[str, Any], session: Session, settings: Settings, ttl: float
) -> None:
    """``HRSYS_WEB_DASHBOARD_TTL`` (``settings.web.dashboard_ttl``): a new role holder in the officer's subtree
    shows in the heat map's demand at once when it is 0, and only after the kept figures expire otherwise."""
    app = create_app(msgspec.structs.replace(settings, web=WebSettings(dashboard_ttl=ttl)))
    hr = _user(demo, "hr_officer")
    with TestClient(app) as c:
        c.headers.update(bearer(app, hr))

        def heat() -> str:
            page = c.get("/hr")
            assert page.status_code == 200
            found = re.search(r'<table class="heat" id="heat-map">(.*?)</table>', page.text, re.S)
            assert found
            return found.group(1)

        before = heat()
        holder = session.scalars(
            sa.select(Person).where(Person.agency_id == hr.agency_id, Person.role_id.is_not(None)).limit(1)
        ).one()
        factories.person(session, session.get(Agency, hr.agency_id), role_id=holder.role_id)
        session.commit()
        after = heat()
    assert (after == before) is (ttl > 0)
