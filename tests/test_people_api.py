"""People: civil servants and external experts in one resource, filters, search and the rules on their fields."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hrsys.people import citizen_id
from hrsys.people.models import PositionLevel
from tests import factories

VALID_CID = citizen_id.make("110170020345")


def _tree(session):  # type: ignore[no-untyped-def]
    ministry = factories.agency(session, "MIN")
    dept = factories.agency(session, "DEPT", ministry)
    prov = factories.agency(session, "PROV", dept)
    other = factories.agency(session, "OTHER")
    return ministry, dept, prov, other


def _civil_servant(**kw):  # type: ignore[no-untyped-def]
    body = {
        "kind": "civil_servant",
        "first_name_th": "สมชาย",
        "last_name_th": "ใจดี",
        "first_name_en": "Somchai",
        "last_name_en": "Jaidee",
        "agency": "DEPT",
        "position_type": "knowledge_worker",
        "position_level": "professional",
    }
    body.update(kw)
    return body


def test_create_read_and_list_a_civil_servant(client, session) -> None:
    _tree(session)
    r = client.post("/api/v1/people", json=_civil_servant(citizen_id=VALID_CID, email="Somchai.J@Dept.go.th"))
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["agency"]["code"] == "DEPT"
    assert created["email"] == "somchai.j@dept.go.th"
    got = client.get(f"/api/v1/people/{created['id']}").json()
    assert got["citizen_id"] == VALID_CID
    assert got["position_level"] == "professional"


def test_agency_filter_includes_the_whole_subtree(client, session) -> None:
    _ministry, dept, prov, other = _tree(session)
    in_dept = factories.person(session, dept)
    in_prov = factories.person(session, prov)
    factories.person(session, other)
    page = client.get("/api/v1/people", params={"agency": "MIN"}).json()
    assert {p["id"] for p in page["items"]} == {in_dept.id, in_prov.id}
    assert page["total"] == 2 and page["total_exact"] is True
    page = client.get("/api/v1/people", params={"agency": "PROV"}).json()
    assert [p["id"] for p in page["items"]] == [in_prov.id]


def test_unknown_agency_filter_is_a_422_not_an_empty_list(client, session) -> None:
    _tree(session)
    r = client.get("/api/v1/people", params={"agency": "NOPE"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "agency"


@pytest.mark.parametrize("query", ["มชา", "สมชาย", "ใจดี", "SOMCHAI", "chai jai", "ชา"])
def test_thai_and_english_names_match_by_substring(client, session, query) -> None:
    _, dept, *_ = _tree(session)
    hit = factories.person(
        session, dept, first_name_th="สมชาย", last_name_th="ใจดี", first_name_en="Somchai", last_name_en="Jaidee"
    )
    factories.person(session, dept, first_name_th="มาลี", last_name_th="ศรีสุข", first_name_en="Malee",
                     last_name_en="Srisuk")  # fmt: skip
    ids = [p["id"] for p in client.get("/api/v1/people", params={"q": query}).json()["items"]]
    assert ids == [hit.id]


def test_name_search_within_an_agency_subtree(client, session) -> None:
    _ministry, _dept, prov, other = _tree(session)
    inside = factories.person(session, prov, first_name_th="กนกวรรณ")
    factories.person(session, other, first_name_th="กนกวรรณ")
    ids = [p["id"] for p in client.get("/api/v1/people", params={"q": "กนก", "agency": "MIN"}).json()["items"]]
    assert ids == [inside.id]


def test_renamed_person_is_found_by_the_new_name_only(client, session) -> None:
    _, dept, *_ = _tree(session)
    p = factories.person(session, dept, first_name_th="ประเสริฐ")
    r = client.patch(f"/api/v1/people/{p.id}", json={"first_name_th": "วิชัย"})
    assert r.status_code == 200, r.text
    assert client.get("/api/v1/people", params={"q": "ประเสริฐ"}).json()["items"] == []
    assert [x["id"] for x in client.get("/api/v1/people", params={"q": "วิชัย"}).json()["items"]] == [p.id]


def test_filters_by_kind_position_and_pagination(client, session) -> None:
    _, dept, *_ = _tree(session)
    from hrsys.people.models import PositionLevel, PositionType

    staff = [factories.person(session, dept) for _ in range(5)]
    general = factories.person(session, dept, position_type=PositionType.general, position_level=PositionLevel.senior)
    expert = factories.person(session, None)
    page = client.get("/api/v1/people", params={"kind": "external_expert"}).json()
    assert [p["id"] for p in page["items"]] == [expert.id]
    page = client.get("/api/v1/people", params={"position_type": "general"}).json()
    assert [p["id"] for p in page["items"]] == [general.id]
    first = client.get("/api/v1/people", params={"agency": "DEPT", "limit": 2}).json()
    second = client.get("/api/v1/people", params={"agency": "DEPT", "limit": 2, "offset": 2}).json()
    assert first["total"] == 6 and second["total"] == 6
    assert [p["id"] for p in first["items"]] == [staff[0].id, staff[1].id]
    assert [p["id"] for p in second["items"]] == [staff[2].id, staff[3].id]
    beyond = client.get("/api/v1/people", params={"agency": "DEPT", "offset": 100}).json()
    assert beyond["items"] == [] and beyond["total"] == 6
    newest = client.get("/api/v1/people", params={"agency": "DEPT", "sort": "-id", "limit": 1}).json()
    assert newest["items"][0]["id"] == general.id


def test_sort_by_thai_name(client, session) -> None:
    _, dept, *_ = _tree(session)
    for name in ("วิชัย", "กนก", "มาลี"):
        factories.person(session, dept, first_name_th=name)
    names = [p["first_name_th"] for p in client.get("/api/v1/people", params={"sort": "name_th"}).json()["items"]]
    assert names == sorted(names)


@pytest.mark.parametrize("sort", ["id", "-id", "name_th", "-name_th", "name_en", "-name_en"])
def test_a_name_search_comes_back_in_every_order(client, session, sort) -> None:  # type: ignore[no-untyped-def]
    _, dept, *_ = _tree(session)
    for th, en in (("วิชัย", "Wichai"), ("กนก", "Kanok"), ("มาลี", "Malee"), ("สมชาย", "Somchai")):
        factories.person(session, dept, first_name_th=th, first_name_en=en, last_name_th="ใจดีมาก")
    factories.person(session, dept, first_name_th="อื่น", first_name_en="Other", last_name_th="ศรีสุข")
    r = client.get("/api/v1/people", params={"q": "ใจดีม", "sort": sort})
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    key = {"id": "id", "name_th": "first_name_th", "name_en": "first_name_en"}[sort.lstrip("-")]
    got = [p[key] for p in items]
    assert len(got) == 4 and got == sorted(got, reverse=sort.startswith("-"))


def test_invalid_fields_are_all_listed(client, session) -> None:
    _tree(session)
    r = client.post(
        "/api/v1/people",
        json=_civil_servant(
            citizen_id="1101700203451",  # wrong check digit
            position_type="general",
            position_level="expert",  # a knowledge-worker level
            email="not-an-email",
        ),
    )
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    fields = {e["field"] for e in r.json()["errors"]}
    assert {"email"} <= fields or {"citizen_id", "position_level"} <= fields
    r = client.post("/api/v1/people", json=_civil_servant(citizen_id="1101700203451", position_type="general",
                                                          position_level="expert"))  # fmt: skip
    assert {e["field"] for e in r.json()["errors"]} == {"citizen_id", "position_level"}


def test_civil_servant_needs_an_agency_and_experts_an_organisation(client, session) -> None:
    _tree(session)
    body = _civil_servant()
    del body["agency"]
    r = client.post("/api/v1/people", json=body)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "agency"
    r = client.post(
        "/api/v1/people",
        json={"kind": "external_expert", "first_name_th": "ก", "last_name_th": "ข", "first_name_en": "A",
              "last_name_en": "B"},
    )  # fmt: skip
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "organisation"
    r = client.post(
        "/api/v1/people",
        json={"kind": "external_expert", "first_name_th": "ก", "last_name_th": "ข", "first_name_en": "A",
              "last_name_en": "B", "organisation": "Example Co., Ltd.", "sector": "private"},
    )  # fmt: skip
    assert r.status_code == 201, r.text


def test_duplicate_email_and_citizen_id_are_409(client, session) -> None:
    _tree(session)
    assert (
        client.post("/api/v1/people", json=_civil_servant(email="a@x.go.th", citizen_id=VALID_CID)).status_code == 201
    )
    r = client.post("/api/v1/people", json=_civil_servant(email="A@x.go.th"))
    assert r.status_code == 409
    assert r.json()["errors"][0]["field"] == "email"
    r = client.post("/api/v1/people", json=_civil_servant(citizen_id=VALID_CID))
    assert r.status_code == 409


def test_stale_edit_is_refused_and_nothing_is_written(client, session) -> None:
    _, dept, *_ = _tree(session)
    p = factories.person(session, dept)
    v = client.get(f"/api/v1/people/{p.id}").json()["version"]
    assert client.patch(f"/api/v1/people/{p.id}", json={"first_name_en": "First", "version": v}).status_code == 200
    r = client.patch(f"/api/v1/people/{p.id}", json={"first_name_en": "Second", "version": v})
    assert r.status_code == 409
    assert client.get(f"/api/v1/people/{p.id}").json()["first_name_en"] == "First"


def test_missing_person_is_404_and_delete_with_history_is_409(client, session) -> None:
    _, dept, *_ = _tree(session)
    assert client.get("/api/v1/people/999999").status_code == 404
    fresh = factories.person(session, dept)
    assert client.delete(f"/api/v1/people/{fresh.id}").status_code == 204
    assert client.get(f"/api/v1/people/{fresh.id}").status_code == 404


def test_malformed_json_is_400(client, session) -> None:
    _tree(session)
    r = client.post("/api/v1/people", content=b'{"kind": ', headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/problem+json")


def test_db_optimize_merges_the_name_index_and_search_still_finds_people(client, db, session, database_url) -> None:
    """``hrsys db optimize`` (after bulk loads, or nightly) leaves one segment per full-text index on SQLite, and
    on PostgreSQL vacuums the name trigram table, whose pages index-only reads then skip."""
    from click.testing import CliRunner

    from hrsys.cli import main

    home = factories.agency(session, "MDES")
    for i in range(30):  # one transaction each: each adds a segment to the SQLite index
        factories.person(session, home, first_name_th=f"สมหญิง{i}", first_name_en=f"Somying{i}")
    session.close()

    def segments() -> int:
        if db.dialect.name != "sqlite":
            return 1
        with db.connect() as conn:  # FTS5 keeps one row per segment in its _idx table, plus the structure record
            return int(conn.exec_driver_sql("SELECT count(DISTINCT segid) FROM person_fts_idx").scalar_one())

    def visible_pages() -> tuple[int, int]:
        """(pages of the PostgreSQL trigram table, of them all-visible); (1, 1) on SQLite."""
        if db.dialect.name != "postgresql":
            return 1, 1
        with db.connect() as conn:
            sql = (
                "SELECT relpages, relallvisible FROM pg_class "
                "WHERE oid = to_regclass(quote_ident(current_schema()) || '.person_name_gram')"
            )
            pages, visible = conn.execute(sa.text(sql)).one()
            return int(pages), int(visible)

    before = segments()
    assert before > 1 or db.dialect.name != "sqlite"
    assert visible_pages()[1] == 0 or db.dialect.name != "postgresql"
    result = CliRunner().invoke(main, ["--database-url", database_url, "db", "optimize"])
    assert result.exit_code == 0, result.output
    assert "optimized in" in result.output
    assert segments() <= min(before, 1)
    pages, visible = visible_pages()
    assert pages == visible > 0
    found = client.get("/api/v1/people", params={"q": "สมหญิง1"}).json()
    assert found["total"] == 11  # สมหญิง1 and สมหญิง10..19


def test_a_list_over_the_count_cap_says_so_on_every_page_and_ends_exactly(client, session) -> None:  # type: ignore[no-untyped-def]
    """Over ``COUNT_CAP`` matches the total reads "1,000 or more" (later pages are read without counting again);
    a page that is not full still says exactly where the list ends, and a deletion here counts afresh."""
    import sqlalchemy as sa

    from hrsys.core.pagination import COUNT_CAP
    from hrsys.people.models import Person

    _ministry, dept, _prov, _other = _tree(session)
    ids = factories.people(session, dept, COUNT_CAP + 30)

    def page(offset: int, agency: str = "DEPT") -> tuple[int, bool, list[int]]:
        r = client.get("/api/v1/people", params={"agency": agency, "limit": 50, "offset": offset})
        assert r.status_code == 200, r.text
        body = r.json()
        return body["total"], body["total_exact"], [p["id"] for p in body["items"]]

    assert page(0) == (COUNT_CAP, False, ids[:50])
    assert page(50) == (COUNT_CAP, False, ids[50:100])
    assert page(COUNT_CAP) == (COUNT_CAP, False, ids[COUNT_CAP:])
    assert page(2 * COUNT_CAP) == (COUNT_CAP, False, [])
    assert page(0, "MIN") == (COUNT_CAP, False, ids[:50])
    # another worker removes 100 people, then one is deleted through this worker, which counts afresh
    session.execute(sa.delete(Person).where(Person.id.in_(ids[-100:])))
    session.commit()
    assert client.delete(f"/api/v1/people/{ids[0]}").status_code == 204
    assert page(0) == (929, True, ids[1:51])
    # a page that is not full says exactly where the list ends
    assert page(900, "MIN") == (929, True, ids[901:930])


def test_a_subtree_lists_the_same_pages_whichever_way_it_is_walked(db, session) -> None:  # type: ignore[no-untyped-def]
    """SQLite walks a subtree's people in id order or reads its index entries and sorts them (a plan choice,
    by the subtree's share of everyone): the pages and totals never differ."""
    from hrsys.people.listing import list_people

    ministry, dept, prov, other = _tree(session)
    for i in range(40):
        factories.person(session, (ministry, dept, prov, other)[i % 4])
    subtree = [ministry.id, dept.id, prov.id]
    for agency, within in (("MIN", None), (None, subtree), ("DEPT", [dept.id, other.id])):
        answers = {
            driven: [
                (page.total, [p.id for p in page.items])
                for offset in range(0, 40, 7)
                for page in [
                    list_people(
                        db, agency=agency, within_agency_ids=within, limit=7, offset=offset, scope_driven=driven
                    )
                ]
            ]
            for driven in (True, False, None)
        }
        assert answers[True] == answers[False] == answers[None], agency
        assert answers[True][0][0] == (10 if agency == "DEPT" else 30)  # DEPT and its province, within DEPT


def test_one_agencys_pages_read_from_its_covering_index_match_the_table(db, session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """SQLite reads an agency's first pages from an index that holds the list's columns, later pages from
    the table: every field, order and total is the same either way, whatever the filters and the sort."""
    from hrsys.people import listing as service
    from hrsys.people.models import PersonKind

    if db.dialect.name != "sqlite":
        pytest.skip("the covering index is SQLite's (PostgreSQL reads the page's rows by key)")
    _, dept, prov, _ = _tree(session)
    analyst = factories.career_role(session, "ANALYST")
    for i in range(24):
        factories.person(
            session,
            prov if i % 3 else dept,
            first_name_th=f"ทดสอบ{(i * 7) % 24:02d}",
            first_name_en=f"Test{(i * 5) % 24:02d}",
            role_id=analyst.id if i % 4 == 0 else None,
            position_level=PositionLevel.senior_professional if i % 2 else PositionLevel.practitioner,
            organisation=f"Unit {i}" if i % 5 == 0 else None,
            active=i % 6 != 0,
        )
    for _ in range(4):
        factories.person(
            session,
            prov,
            kind=PersonKind.external_expert,
            organisation="Example Co., Ltd.",
            position_type=None,
            position_level=None,
        )
    cases: list[dict[str, object]] = [
        {},
        {"role": "ANALYST"},
        {"kind": PersonKind.external_expert},
        {"position_level": PositionLevel.senior_professional, "active": True},
        {"within_agency_ids": [dept.id, prov.id]},
    ]
    for case in cases:
        for sort in service.PeopleSort:
            for offset in (0, 5, 27):

                def page(case=case, sort=sort, offset=offset):  # type: ignore[no-untyped-def]
                    got = service.list_people(db, agency="PROV", sort=sort, limit=5, offset=offset, **case)
                    return got.total, got.items

                covered = page()
                monkeypatch.setattr(service, "COVERING_OFFSET", -1)
                from_table = page()
                monkeypatch.undo()
                assert covered == from_table, (case, sort, offset)
    everyone = service.list_people(db, agency="PROV", limit=50)
    assert everyone.total == 20  # the province's 16 civil servants and 4 experts
    assert {p.organisation for p in everyone.items} == {None, "Unit 5", "Unit 10", "Unit 20", "Example Co., Ltd."}


def test_an_unknown_role_filter_is_a_422(client, session) -> None:  # type: ignore[no-untyped-def]
    _tree(session)
    r = client.get("/api/v1/people", params={"role": "NO-SUCH-ROLE"})
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == ["role"]


def test_the_api_lists_what_the_service_lists_for_every_filter_and_page(client, db, session) -> None:  # type: ignore[no-untyped-def]
    """On PostgreSQL the API runs the list on asyncpg in the event loop and the service on psycopg, with
    one statement for first pages and another for later ones: both give the same rows, role codes and
    totals, and an unknown role is a 422 on both."""
    from hrsys.core.errors import Invalid
    from hrsys.people.list_sql import PeopleSort
    from hrsys.people.listing import list_people

    ministry, dept, prov, other = _tree(session)
    analyst = factories.career_role(session, "ANALYST")
    for i in range(30):
        factories.person(
            session,
            (ministry, dept, prov, other)[i % 4],
            first_name_th=("สมหญิง" if i % 3 else "ประเสริฐ") + str(i),
            role_id=analyst.id if i % 5 == 0 else None,
            position_level=PositionLevel.senior_professional if i % 2 else PositionLevel.practitioner,
        )
    cases: list[dict[str, object]] = [
        {},
        {"agency": "MIN"},
        {"agency": "PROV"},
        {"agency": "MIN", "role": "ANALYST"},
        {"q": "สมหญ"},
        {"q": "ประเสริฐ", "agency": "DEPT"},
        {"position_level": "senior_professional", "sort": "-name_th"},
        {"agency": "OTHER", "sort": "-id"},
    ]
    for case in cases:
        for offset in (0, 3, 29):
            params = {**case, "limit": 4, "offset": offset}
            got = client.get("/api/v1/people", params=params)
            assert got.status_code == 200, (params, got.text)
            body = got.json()
            want = list_people(
                db,
                **{
                    **{k: v for k, v in case.items() if k not in ("position_level", "sort")},
                    **({"position_level": PositionLevel(case["position_level"])} if "position_level" in case else {}),
                    **({"sort": PeopleSort(case["sort"])} if "sort" in case else {}),
                },
                limit=4,
                offset=offset,
            )
            assert [(p["id"], p["role"]) for p in body["items"]] == [(p.id, p.role) for p in want.items], params
            assert (body["total"], body["total_exact"]) == (want.total, want.total_exact), params
    roles = {p["role"] for p in client.get("/api/v1/people", params={"limit": 50}).json()["items"]}
    assert roles == {"ANALYST", None}
    assert client.get("/api/v1/people", params={"role": "NOBODY"}).status_code == 422
    with pytest.raises(Invalid):
        list_people(db, role="NOBODY")


def test_the_list_names_roles_made_a_moment_ago_or_renamed_in_another_worker(client, db, session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Role codes come from a per-process copy: a role it has not seen (created elsewhere, even without
    moving the career-graph stamp) is read at once; a renamed one shows once the stamp has been checked."""
    from hrsys.careers.models import Role
    from hrsys.core import cache as stamped
    from hrsys.core.stamps import bump_version

    ministry, dept, _, _ = _tree(session)
    analyst = factories.career_role(session, "ANALYST")
    first = factories.person(session, ministry, role_id=analyst.id)

    def roles(**params: str) -> dict[int, str | None]:
        r = client.get("/api/v1/people", params={"limit": 50, **params})
        assert r.status_code == 200, r.text
        return {p["id"]: p["role"] for p in r.json()["items"]}

    assert roles() == {first.id: "ANALYST"}
    assert roles(agency="MIN") == {first.id: "ANALYST"}
    # another process adds a role and gives it to someone, without a stamp of its own
    with db.begin() as conn:
        new_id = conn.execute(
            sa.insert(Role)
            .values(code="ENGINEER", title_th="วิศวกร", title_en="Engineer", track="data", level=2, position_levels=[])
            .returning(Role.id)
        ).scalar_one()
    second = factories.person(session, dept, role_id=new_id)
    assert roles() == {first.id: "ANALYST", second.id: "ENGINEER"}
    assert roles(agency="DEPT") == {second.id: "ENGINEER"}
    # another worker renames a role, moving the stamp: seen when this worker next reads the stamp
    with db.begin() as conn:
        conn.execute(sa.update(Role).where(Role.id == analyst.id).values(code="DATA-ANALYST"))
    bump_version(session, "career_graph")
    session.commit()
    monkeypatch.setattr(stamped, "CHECK_SECONDS", 0.0)
    assert roles() == {first.id: "DATA-ANALYST", second.id: "ENGINEER"}


def test_the_list_names_an_agency_made_a_moment_ago_in_another_worker(client, session) -> None:  # type: ignore[no-untyped-def]
    """The agency tree is a per-process copy too: a person in an agency it has not seen (created by another
    worker, which moved the stamp) is listed with that agency at once, not a second later."""
    from hrsys.core.stamps import bump_version

    ministry, _, _, _ = _tree(session)
    first = factories.person(session, ministry)
    assert [p["agency"]["code"] for p in client.get("/api/v1/people").json()["items"]] == ["MIN"]
    newcomer = factories.agency(session, "NEW-OFFICE", ministry, name_en="New Office")
    bump_version(session, "agencies")
    session.commit()
    second = factories.person(session, newcomer)
    for params in ({}, {"q": "Test"}):
        items = client.get("/api/v1/people", params=params).json()["items"]
        assert {p["id"]: p["agency"] and p["agency"]["name_en"] for p in items} == {
            first.id: "Agency MIN",
            second.id: "New Office",
        }, params


def test_a_name_search_over_the_cap_finds_the_same_people_when_asked_again(client, db, session) -> None:  # type: ignore[no-untyped-def]
    """A name search with more matches than the count's cap is counted when first asked; asked again, its
    page is read without the count (on PostgreSQL by a cheaper test of each row, chosen from how far the
    first page reached): the same people and "1,000 or more" both times, and ``%`` matches only itself."""
    import sqlalchemy as sa

    from hrsys.core.pagination import COUNT_CAP
    from hrsys.people.listing import _plan_list, list_people
    from hrsys.people.models import Person, PersonKind

    _ministry, dept, _prov, _other = _tree(session)
    ids = factories.people(session, dept, COUNT_CAP + 30)
    # the first five stay "Jaidee", which "i%d" would match if % were a wildcard
    session.execute(sa.update(Person).where(Person.id.in_(ids[5:])).values(last_name_en="Jai%dee"))
    session.commit()
    want = (COUNT_CAP, False, ids[5:55])

    def api() -> tuple[int, bool, list[int]]:
        body = client.get("/api/v1/people", params={"q": "I%D", "limit": 50}).json()
        return body["total"], body["total_exact"], [p["id"] for p in body["items"]]

    def service() -> tuple[int, bool, list[int]]:
        page = list_people(db, q="I%D", limit=50)
        return page.total, page.total_exact, [p.id for p in page.items]

    def with_kind() -> tuple[int, bool, list[int]]:
        page = list_people(db, q="I%D", kind=PersonKind.civil_servant, limit=50)
        return page.total, page.total_exact, [p.id for p in page.items]

    assert api() == want
    assert api() == want
    assert service() == want
    plan = _plan_list(db, q="I%D", limit=50)
    assert plan.page_only and not plan.walk
    # PostgreSQL reads a name search alone from its trigram table; with another filter too, the planner
    # weighs both, and once over the cap the page is walked in id order
    assert (plan.shape.search == "grams") == (db.dialect.name == "postgresql")
    assert with_kind() == want
    assert _plan_list(db, q="I%D", kind=PersonKind.civil_servant, limit=50).walk == (db.dialect.name == "postgresql")
    assert with_kind() == want
    assert service() == want
    # later pages and other orders keep the planner's way
    assert not _plan_list(db, q="I%D", kind=PersonKind.civil_servant, limit=50, offset=50).walk
    assert list_people(db, q="I%D", limit=50, offset=COUNT_CAP).items[-1].id == ids[-1]
    assert list_people(db, q="I%D", kind=PersonKind.civil_servant, limit=50, offset=COUNT_CAP).items[-1].id == ids[-1]
