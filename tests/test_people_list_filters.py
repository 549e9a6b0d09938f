"""Every declared filter of the people list, alone, with every other and with a name search, gives what a
plain ORM query gives (both databases): no fast path may skip a filter.

The oracle below holds one plain query per declared filter; a filter declared without one fails here, so a
new filter is tested with every other as soon as it is declared.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from hrsys.agencies.models import Agency
from hrsys.careers.models import Role
from hrsys.core import clock
from hrsys.people import list_filters
from hrsys.people.list_sql import PeopleSort
from hrsys.people.listing import list_people
from hrsys.people.models import Person, PersonKind, PositionLevel, PositionType
from hrsys.skills.assessments.models import CurrentSkill
from tests import factories

Condition = Callable[[Any], sa.ColumnElement[bool]]
NAMES = ["สมหญิง", "ประเสริฐ", "วรรณา", "สมชาย"]
SEARCHES = [None, "สมหญ", "ประเสริฐ", "วร", "test1"]
"""No search; Thai fragments of three or more characters (the trigram indexes), one of two characters (a
plain scan), and an English one."""


def _subtree(code: str) -> sa.ColumnElement[bool]:
    path = sa.select(Agency.path).where(Agency.code == code).scalar_subquery()
    within = sa.select(Agency.id).where(Agency.path.startswith(path))
    return Person.agency_id.in_(within)


def _holds(pairs: list[tuple[int, int]]) -> sa.ColumnElement[bool]:
    today = clock.today()
    held = [
        sa.exists().where(
            CurrentSkill.person_id == Person.id,
            CurrentSkill.skill_id == skill_id,
            CurrentSkill.level >= level,
            sa.or_(CurrentSkill.valid_until.is_(None), CurrentSkill.valid_until >= today),
        )
        for skill_id, level in pairs
    ]
    return sa.and_(*held)


ORACLE: dict[str, Condition] = {
    "agency": _subtree,
    "within_agency_ids": lambda ids: Person.agency_id.in_(ids),
    "kind": lambda v: Person.kind == v,
    "position_type": lambda v: Person.position_type == v,
    "position_level": lambda v: Person.position_level == v,
    "role": lambda code: Person.role_id == sa.select(Role.id).where(Role.code == code).scalar_subquery(),
    "active": lambda v: Person.active.is_(v),
    "skills": _holds,
}
"""The plain query of each declared filter (a new filter needs one here)."""


@pytest.fixture
def people(session: Session) -> dict[str, list[Any]]:
    """About sixty people over a small tree, with every filter's values mixed; ``{filter: sample values}``."""
    ministry = factories.agency(session, "MIN")
    dept = factories.agency(session, "DEPT", parent=ministry)
    prov = factories.agency(session, "PROV", parent=dept)
    other = factories.agency(session, "OTHER")
    roles = [factories.career_role(session, "R1"), factories.career_role(session, "R2", level=2)]
    skills = factories.career_skills(session, ["A", "B"])
    expired = clock.today() - dt.timedelta(days=1)
    for i in range(60):
        home = (ministry, dept, prov, other, None)[i % 5]
        position: dict[str, Any] = {}
        if home is not None:
            position = (
                {"position_type": PositionType.knowledge_worker, "position_level": PositionLevel.practitioner},
                {"position_type": PositionType.knowledge_worker, "position_level": PositionLevel.professional},
                {"position_type": PositionType.general, "position_level": PositionLevel.operational},
            )[i % 3]
        p = factories.person(
            session,
            home,
            first_name_th=NAMES[i % 4] + str(i),
            first_name_en=f"Test{i}",
            role_id=roles[i % 3].id if i % 3 < 2 else None,
            active=i % 7 != 0,
            **position,
        )
        if i % 2:
            factories.set_skill_level(session, p, skills["A"], 1 + i % 4, valid_until=expired if i % 9 == 1 else None)
        if i % 3 == 1:
            factories.set_skill_level(session, p, skills["B"], 2 + i % 2)
    a, b = skills["A"].id, skills["B"].id
    return {
        "agency": ["MIN", "PROV", "OTHER"],
        "within_agency_ids": [[dept.id, prov.id], []],
        "kind": [PersonKind.civil_servant, PersonKind.external_expert],
        "position_type": [PositionType.knowledge_worker, PositionType.general],
        "position_level": [PositionLevel.professional, PositionLevel.operational],
        "role": ["R1", "R2"],
        "active": [True, False],
        "skills": [[(a, 2)], [(b, 2), (a, 1)]],
    }


def _wanted(session: Session, filters: dict[str, Any], q: str | None) -> list[int]:
    conds = [ORACLE[name](value) for name, value in filters.items()]
    if q is not None:
        conds.append(Person.search_text.contains(q.strip().lower(), autoescape=True))
    return list(session.scalars(sa.select(Person.id).where(*conds).order_by(Person.id)))


def _check(db: Any, session: Session, filters: dict[str, Any], q: str | None) -> None:
    want = _wanted(session, filters, q)
    whole = list_people(db, **filters, q=q, limit=200)
    assert ([p.id for p in whole.items], whole.total) == (want, len(want)), (filters, q)
    page = list_people(db, **filters, q=q, limit=4, offset=4)  # a later page: the two-phase statement
    assert [p.id for p in page.items] == want[4:8], (filters, q)
    by_name = list_people(db, **filters, q=q, sort=PeopleSort.name_th_desc, limit=200)
    assert sorted(p.id for p in by_name.items) == want, (filters, q)


def test_every_declared_filter_has_a_plain_query() -> None:
    assert {f.name for f in list_filters.declared()} == set(ORACLE)


def test_every_filter_narrows_the_list_and_a_name_search(db, session, people) -> None:  # type: ignore[no-untyped-def]
    """The data can tell a skipped filter: each filter leaves out someone, also among a name's matches."""
    everyone = _wanted(session, {}, None)
    for name, values in people.items():
        assert any(_wanted(session, {name: v}, None) != everyone for v in values), name
        for q in SEARCHES[1:]:
            found = _wanted(session, {}, q)
            assert found, q
            assert any(_wanted(session, {name: v}, q) != found for v in values), (name, q)


def test_every_filter_with_every_other_and_a_name_search(db, session, people) -> None:  # type: ignore[no-untyped-def]
    names = list(people)
    pairs = [(n,) for n in names] + list(itertools.combinations(names, 2))
    for chosen in pairs:
        for values in itertools.product(*(people[n] for n in chosen)):
            for q in SEARCHES:
                _check(db, session, dict(zip(chosen, values, strict=True)), q)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_filters_together(db, session, people, data) -> None:  # type: ignore[no-untyped-def]
    """Three filters or more at once, and a name search (the over-cap memory plays no part: under 1,000)."""
    chosen = data.draw(st.lists(st.sampled_from(list(people)), min_size=3, max_size=len(people), unique=True))
    filters = {name: data.draw(st.sampled_from(people[name])) for name in chosen}
    _check(db, session, filters, data.draw(st.sampled_from(SEARCHES)))


def test_the_route_takes_every_declared_parameter(client) -> None:  # type: ignore[no-untyped-def]
    document = client.get("/schema/openapi.json").json()
    listed = [p["name"] for p in document["paths"]["/api/v1/people"]["get"]["parameters"]]
    declared = [p.name for f in list_filters.declared() for p in f.params]
    assert set(declared) <= set(listed)
    assert set(listed) - set(declared) == {"q", "sort", "limit", "offset"}
