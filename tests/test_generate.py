"""The synthetic national dataset: deterministic, believable distributions, valid identifiers."""

from __future__ import annotations

import random
from collections import Counter
from itertools import islice

import pytest
import sqlalchemy as sa

from hrsys.generate.national import _person_rows, build_agencies, generate_into
from hrsys.people import citizen_id
from hrsys.people.models import Person


def test_agency_tree_has_about_300_agencies_of_every_kind() -> None:
    agencies = build_agencies(random.Random("1:agencies"), 500_000)
    assert 250 <= len(agencies) <= 350
    kinds = Counter(a.kind for a in agencies)
    assert set(kinds) == {"ministry", "department", "provincial_office", "local_government", "public_organisation"}
    by_id = {a.id: a for a in agencies}
    for a in agencies:
        if a.parent_id is not None:
            assert a.path.startswith(by_id[a.parent_id].path) and a.depth == by_id[a.parent_id].depth + 1
    assert len({a.code for a in agencies}) == len(agencies)


def test_generated_people_are_deterministic_and_plausible(db) -> None:
    summary = generate_into(db, staff=3000, seed=7, echo=lambda _: None)
    assert summary.staff == 3000
    with db.connect() as conn:
        rows = conn.execute(
            sa.select(Person.id, Person.first_name_th, Person.citizen_id, Person.position_type, Person.email).order_by(
                Person.id
            )
        ).all()
        found = conn.execute(
            sa.text("SELECT count(*) FROM person WHERE search_text LIKE :q"), {"q": f"%{rows[0][1]}%"}
        ).scalar()
    assert len(rows) >= 3000
    civil = rows[:3000]
    assert all(citizen_id.is_valid(r[2]) for r in civil)
    assert len({r[4] for r in civil}) == 3000
    shares = Counter(r[3] for r in civil)
    assert shares["knowledge_worker"] > shares["general"] > shares["managerial"] > shares["executive"] > 0
    assert found >= 1
    with pytest.raises(SystemExit):
        generate_into(db, staff=10, seed=7, echo=lambda _: None)
    # The same seed gives the same people: regenerate the stream and compare with what was stored.
    agencies = build_agencies(random.Random("7:agencies"), 3000)
    assert len(agencies) == summary.agencies
    again = list(islice(_person_rows(random.Random("7:people"), 3000, agencies), 20))
    assert [(r[0], r[3], r[8]) for r in again] == [(r[0], r[1], r[2]) for r in civil[:20]]
