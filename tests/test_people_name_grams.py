"""A name search finds exactly the people whose names contain the text, whatever path answers it.

On PostgreSQL a name search alone is read from ``person_name_gram`` (each name's trigrams with
their positions, kept by triggers): these tests compare it with a plain substring test of every
person, through inserts one by one and many at once, renames, deletes and a truncate.
"""

from __future__ import annotations

import random

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.people import search
from hrsys.people.list_sql import PeopleSort
from hrsys.people.listing import _plan_list, list_people
from hrsys.people.models import Person, PersonKind
from tests import factories

NAMES = [
    ("วรรณวรรณ", "ศรีสุขวรรณ", "Wanwan", "Sriwan"),  # one trigram twice in a name, and in both names
    ("สมชาย", "ใจดี", "Somchai", "Jaidee"),
    ("สมศรี", "วงศ์สวัสดิ์", "Somsri", "Wongsawat"),
    ("ณัฐ", "พล", "Nat", "Pon"),  # names shorter than a trigram
    ("กิตติพงษ์", "ทองดีศรีสุข", "Kittipong", "Thongdeesrisuk"),
    ("ชัยชัย", "ชัย", "Chaichai", "Chai"),
    ("อรวรรณ", "แก้วมณี", "Orawan", "Kaewmanee"),
    ("ทดลอง", "ทดลอง", "Abcyefg", "Abcxxefg"),  # "abcxefg": its first and last trigrams, but not it
]


def _everyone(db: sa.Engine) -> list[tuple[int, str]]:
    with db.connect() as conn:
        return [(r[0], r[1]) for r in conn.execute(sa.select(Person.id, Person.search_text).order_by(Person.id))]


def _fragments(everyone: list[tuple[int, str]], rng: random.Random, n: int) -> list[str]:
    out = ["ไม่มีใคร", "zzz", "วรรณวรรณศรี", "ย ใจ", "ชัยชัยช", "abcxefg", "abcyefg", "bcxxef"]
    for _ in range(n):
        text = rng.choice(everyone)[1]
        size = rng.randint(1, 9)
        start = rng.randint(0, max(0, len(text) - size))
        out.append(text[start : start + size])
    return out


def _check(db: sa.Engine, fragments: list[str]) -> None:
    everyone = _everyone(db)
    for q in fragments:
        if not q.strip():
            continue
        want = [i for i, text in everyone if q.strip().lower() in text]
        for sort, order in ((PeopleSort.id, want), (PeopleSort.id_desc, want[::-1])):
            for limit, offset in ((50, 0), (2, 0), (2, 3)):
                page = list_people(db, q=q, sort=sort, limit=limit, offset=offset)
                assert (page.total, [p.id for p in page.items]) == (len(want), order[offset : offset + limit]), (
                    q,
                    sort,
                    offset,
                )


def _add(session: Session, agency: object, n: int) -> None:
    for i in range(n):
        th_first, th_last, en_first, en_last = NAMES[i % len(NAMES)]
        factories.person(
            session,
            agency,  # type: ignore[arg-type]
            first_name_th=th_first,
            last_name_th=th_last,
            first_name_en=en_first,
            last_name_en=en_last,
        )


def test_a_name_search_finds_the_same_people_as_a_substring_test_through_every_change(db, session) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(5)
    dept = factories.agency(session, "GRAMS")
    _add(session, dept, 14)  # one by one
    factories.people(session, dept, 12)  # many in one insert
    if db.dialect.name == "postgresql":
        assert _plan_list(db, q="วรรณ", limit=50).shape.search == "grams"
        assert _plan_list(db, q="วรรณ", kind=PersonKind.civil_servant, limit=50).shape.search == "contains"
    _check(db, _fragments(_everyone(db), rng, 60))

    # renamed one by one and many at once, and a change that leaves the names alone
    first = session.scalars(sa.select(Person).order_by(Person.id)).first()
    assert first is not None
    first.last_name_th = "ใหม่เอี่ยม"
    session.commit()
    session.execute(sa.update(Person).where(Person.id % 3 == 0).values(first_name_th=Person.first_name_th + "ศรี"))
    session.execute(sa.update(Person).where(Person.id % 4 == 0).values(active=False))
    session.commit()
    assert list_people(db, q="ใหม่เอี่ยม").total == 1
    assert list_people(db, q="ใจดีx").total == 0
    # deleted one by one and many at once
    session.delete(session.get(Person, first.id))
    session.commit()
    session.execute(sa.delete(Person).where(Person.id % 5 == 0))
    session.commit()
    assert list_people(db, q="ใหม่เอี่ยม").total == 0
    _check(db, _fragments(_everyone(db), rng, 60))


def test_postgresql_trigram_table_equals_a_rebuild_is_filled_when_made_and_emptied_with_people(db, session) -> None:  # type: ignore[no-untyped-def]
    if db.dialect.name != "postgresql":
        pytest.skip("the trigram table is PostgreSQL's (SQLite searches its FTS5 index)")
    dept = factories.agency(session, "GRAMS")
    _add(session, dept, 7)
    session.execute(sa.update(Person).where(Person.id % 2 == 0).values(last_name_en="Renamed"))
    session.commit()
    grams = "SELECT gram, person_id, pos FROM person_name_gram ORDER BY 1, 2, 3"
    trigrams = sum(max(0, len(t) - 2) for _, t in _everyone(db))
    with db.begin() as conn:
        kept = conn.exec_driver_sql(grams).all()
        assert len(kept) == trigrams
        search.rebuild(conn)
        assert conn.exec_driver_sql(grams).all() == kept
        # made over existing people (a database upgraded to migration 0003)
        for stmt in search.PG_GRAM_DROP:
            conn.exec_driver_sql(stmt)
        search.install(conn)
        assert conn.exec_driver_sql(grams).all() == kept
    with db.begin() as conn:
        conn.exec_driver_sql("TRUNCATE person CASCADE")
        assert conn.exec_driver_sql("SELECT count(*) FROM person_name_gram").scalar() == 0


def test_the_name_index_made_again_over_existing_people_finds_them(db, session) -> None:  # type: ignore[no-untyped-def]
    """``search.install`` over people already there (a database upgraded, a bulk load that dropped the index)
    leaves a complete index on either database: its triggers would only see later changes."""
    dept = factories.agency(session, "GRAMS")
    _add(session, dept, 7)
    with db.begin() as conn:
        search.uninstall(conn)
        search.install(conn)
    _check(db, ["วรรณ", "สมชาย", "ศรีสุข", "Kaewmanee", "abcxefg"])
    assert list_people(db, q="วรรณ").total == 2  # วรรณวรรณ, อรวรรณ
