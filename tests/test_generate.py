"""The synthetic national dataset: deterministic, believable distributions, valid identifiers."""

from __future__ import annotations

import random
import uuid
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


def _table_contents(engine: sa.Engine) -> dict[str, tuple[int, int]]:
    """Every table's row count and a fingerprint of its rows in key order, timestamps left out, values
    written as both databases give them back (booleans as numbers, JSON with sorted keys)."""
    import datetime as dt
    import decimal
    import json
    import zlib

    from advanced_alchemy.types import DateTimeUTC

    import hrsys.models

    def plain(v: object) -> object:
        if isinstance(v, bool):
            return int(v)
        if isinstance(v, float | decimal.Decimal):
            return round(float(v), 6)
        if isinstance(v, dict | list):
            return json.dumps(v, sort_keys=True)
        if isinstance(v, dt.date):
            return v.isoformat()
        return getattr(v, "value", v)

    out = {}
    with engine.connect() as conn:
        for t in hrsys.models.metadata.sorted_tables:
            cols = [c for c in t.columns if not isinstance(c.type, sa.DateTime | DateTimeUTC)]
            if t.name in {"audit_event", "catalog_import"}:
                cols = []  # the SQL text of each database; the temporary file the synthetic taxonomy came from
            rows = conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            digest = 0
            if cols:
                for r in conn.execute(sa.select(*cols).order_by(*(t.primary_key.columns or cols))):
                    digest = zlib.crc32(repr(tuple(plain(v) for v in r)).encode(), digest)
            out[t.name] = (rows, digest)
    return out


def test_the_same_seed_gives_the_same_dataset_on_sqlite_and_postgresql(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``hrsys generate --staff N --seed S`` on both databases: the same rows in every table (the domain
    steps used to read unordered query results, which each database returns in its own order)."""
    import hrsys.models
    from hrsys.core.db import make_engine, normalise_url
    from hrsys.core.migrate import install_extra_objects
    from tests.conftest import PG_URL

    admin = sa.create_engine(normalise_url(PG_URL), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    name = f"hrsys_gen_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError:
        pytest.skip(f"no PostgreSQL at {PG_URL}")
    urls = [
        f"sqlite:///{tmp_path / 'generated.db'}",
        sa.engine.make_url(normalise_url(PG_URL)).set(database=name).render_as_string(hide_password=False),
    ]
    contents = []
    try:
        for url in urls:
            engine = make_engine(url)
            try:
                hrsys.models.metadata.create_all(engine)
                with engine.begin() as conn:
                    install_extra_objects(conn)
                generate_into(engine, staff=STAFF, seed=11, echo=lambda _: None)
                contents.append(_table_contents(engine))
            finally:
                engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
    on_sqlite, on_postgresql = contents
    assert sum(n for n, _ in on_sqlite.values()) > 10 * STAFF
    for table in ("person", "secondment", "knowledge_transfer", "taskforce_member", "development_plan_item"):
        assert on_sqlite[table][0] > 0, table
    differ = {t: (on_sqlite[t], on_postgresql[t]) for t in on_sqlite if on_sqlite[t] != on_postgresql[t]}
    assert not differ


STAFF = 2500
