"""The assessments import at work on the database: chunked merges, bulk mode, refusals (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from pathlib import Path

import pytest
import sqlalchemy as sa

from hrsys.core import clock
from hrsys.core.table_reader import read_table
from hrsys.people import citizen_id
from hrsys.people.models import Person
from hrsys.skills.assessments import importer as assessment_import
from hrsys.skills.assessments.importer import import_assessments, validate_keys
from hrsys.skills.assessments.models import Assessment
from hrsys.skills.assessments.service import rebuild_profiles
from tests import factories

TODAY = clock.today()
CID = [citizen_id.make(f"3100{i:08d}") for i in range(1, 9)]
HEADER = "citizen_id,skill,level,source,assessed_on,valid_until,assessor_name,evidence\n"


def ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


def current_rows(session) -> list[tuple]:  # type: ignore[no-untyped-def,type-arg]
    session.expire_all()
    return [
        tuple(r)
        for r in session.execute(
            sa.text(
                "SELECT person_id, skill_id, level, source, assessment_id, assessed_on, valid_until "
                "FROM current_skill ORDER BY person_id, skill_id"
            )
        )
    ]


def schema_objects(session) -> list[tuple]:  # type: ignore[no-untyped-def,type-arg]
    """Index and foreign-key definitions of the two tables the bulk mode rebuilds (sorted by name, then
    definition: on PostgreSQL a primary key is listed twice under one name, as an index and a constraint)."""
    if session.get_bind().dialect.name == "sqlite":
        sql = (
            "SELECT name, sql FROM sqlite_master WHERE tbl_name IN ('assessment', 'current_skill') "
            "AND type = 'index' UNION ALL SELECT 'fk ' || m.name || ' ' || f.\"from\", f.\"table\" || f.\"to\" "
            "FROM sqlite_master m, pragma_foreign_key_list(m.name) f "
            "WHERE m.name IN ('assessment', 'current_skill') ORDER BY 1, 2"
        )
    else:
        sql = (
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('assessment', 'current_skill') "
            "UNION ALL SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid IN ('assessment'::regclass, 'current_skill'::regclass) ORDER BY 1, 2"
        )
    return [tuple(r) for r in session.execute(sa.text(sql))]


@pytest.fixture
def people(session):  # type: ignore[no-untyped-def]
    factories.shipped_catalog(session)
    agency = factories.agency(session, "DGA")
    return [factories.person(session, agency, citizen_id=c) for c in CID]


def write_csv(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "assessments.csv"
    path.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "bulk,sort",
    [(False, False), (True, False), (False, True), (True, True)],
    ids=["live-indexes", "bulk-mode", "sorted-runs", "bulk-mode-sorted-runs"],
)
def test_chunked_import_keeps_current_profiles_equal_to_a_full_rebuild(
    session, people, tmp_path, monkeypatch, bulk, sort
) -> None:  # type: ignore[no-untyped-def]
    """People spread over many small chunks, equivalent skills, a lapsed winner, same-day corrections.

    ``sorted-runs``: the file is taken as out of person order, so its rows are put in order through
    sorted runs on disk (several, merged) before they are merged (in bulk mode they are appended first,
    in file order)."""
    a, b = people[0], people[1]
    factories.assessment(session, a, "TH-DG:DU02", 2, "manager", assessed_on=ago(200))
    factories.assessment(
        session, a, "DDAT:USER-RESEARCH", 4, "certification", assessed_on=ago(500), valid_until=ago(10)
    )
    factories.assessment(session, b, "DDAT:DATA-ANALYSIS", 3, "assessment_centre", assessed_on=ago(300))
    rebuild_profiles(session, as_of=ago(60))  # profiles as they were two months ago: a's certification still counts
    session.commit()

    rng = random.Random(7)
    skills = ["TH-DG:DU02", "DDAT:DATA-ANALYSIS", "DDAT:USER-RESEARCH", "TH-DG:DL01", "TH-DG:CS02", "DDAT:SECURITY"]
    sources = ["self", "manager", "training", "assessment_centre", "knowledge_transfer"]
    lines = [
        f"{rng.choice(CID)},{rng.choice(skills)},{rng.randint(1, 4)},{rng.choice(sources)},"
        f"{ago(rng.randint(0, 900)).isoformat()},,,"
        for _ in range(60)
    ]
    lines += [
        f"{CID[0]},DDAT:USER-RESEARCH,1,self,{ago(5)},,,",  # touches a's lapsed certification
        f"{CID[2]},TH-DG:LD02,2,manager,{ago(3)},,,first",
        f"{CID[2]},TH-DG:LD02,4,manager,{ago(3)},,,correction",  # same day and source: the later line wins
        f"{CID[3]},DDAT:SECURITY,3,certification,{ago(100)},{(TODAY + dt.timedelta(days=600)).isoformat()},,",
    ]
    monkeypatch.setattr(assessment_import, "CHUNK", 7)
    if sort:
        monkeypatch.setattr(assessment_import, "in_person_order", lambda rows: False)
        monkeypatch.setattr(assessment_import, "RUN_ROWS", 10)
    report = import_assessments(session, write_csv(tmp_path, lines), bulk_mode=bulk)
    assert (report.committed, report.written, report.problems) == (True, 64, [])
    session.commit()
    imported = current_rows(session)

    rebuild_profiles(session)
    session.commit()
    assert imported == current_rows(session)
    ld02 = session.execute(
        sa.text(
            "SELECT a.level, a.evidence FROM current_skill cs JOIN assessment a ON a.id = cs.assessment_id "
            "JOIN skill s ON s.id = cs.skill_id WHERE cs.person_id = :p AND s.code = 'LD02'"
        ),
        {"p": people[2].id},
    ).one()
    assert tuple(ld02) == (4, "correction")


def test_bulk_mode_puts_back_every_index_and_key_and_a_refused_file_leaves_no_trace(
    session, people, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    factories.assessment(session, people[0], "TH-DG:DU02", 2, "manager", assessed_on=ago(20))
    before_schema, before_rows = schema_objects(session), current_rows(session)
    session.rollback()
    monkeypatch.setattr(assessment_import, "CHUNK", 3)
    good = [f"{c},TH-DG:DL01,2,self,{ago(1)},,," for c in CID]
    later = [f"{c},TH-DG:DL01,3,self,{ago(1)},,," for c in CID]  # not repeats of good: those would be skipped
    bad = [*good, f"{CID[0]},TH-DG:NOPE,2,self,{ago(1)},,,", *later]

    refused = import_assessments(session, write_csv(tmp_path, bad), bulk_mode=True)
    assert (refused.committed, refused.written, refused.rows, refused.rejected_rows) == (False, 0, 17, 1)
    assert [(p.line, p.column) for p in refused.problems] == [(10, "skill")]
    session.rollback()
    assert schema_objects(session) == before_schema and current_rows(session) == before_rows
    session.rollback()

    partial = import_assessments(session, write_csv(tmp_path, bad), bulk_mode=True, partial=True)
    assert (partial.committed, partial.written, partial.rejected_rows) == (True, 16, 1)
    session.commit()
    postgres = session.get_bind().dialect.name == "postgresql"
    # PostgreSQL: the keys are back NOT VALID, and hold for every new row at once ...
    if postgres:
        with pytest.raises(sa.exc.IntegrityError):
            session.execute(
                sa.text("INSERT INTO assessment (person_id, skill_id, level, source, assessed_on, recorded_at) "
                        "SELECT 999999, skill_id, level, source, assessed_on, recorded_at FROM assessment LIMIT 1")
            )  # fmt: skip
        session.rollback()
    # ... until validate_keys checks the rows already there (nothing to do on SQLite)
    names = validate_keys(session.get_bind())
    assert len(names) == (5 if postgres else 0)
    assert validate_keys(session.get_bind()) == []
    assert schema_objects(session) == before_schema
    assert session.scalar(sa.select(sa.func.count()).select_from(Assessment)) == 17
    dl01 = [r for r in current_rows(session) if r[3] == "self"]
    assert len({r[0] for r in dl01}) == len(CID)  # everyone holds DL01 (and its equivalents, if any) now


def test_a_dry_run_checks_everything_and_writes_nothing(session, people, tmp_path) -> None:  # type: ignore[no-untyped-def]
    report = import_assessments(
        session, write_csv(tmp_path, [f"{CID[0]},TH-DG:DU02,3,self,{ago(1)},,,", "1,TH-DG:DU02,3,self,,,,"]),
        dry_run=True,
    )  # fmt: skip
    assert (report.rows, report.written, report.committed, report.rejected_rows) == (2, 0, False, 1)
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(Assessment)) == 0


def test_text_cells_with_tabs_backslashes_and_newlines_survive_the_bulk_path(session, people, tmp_path) -> None:  # type: ignore[no-untyped-def]
    evidence = 'line one\nline\ttwo \\ "quoted" \\N'
    path = tmp_path / "text.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER.strip().split(","))
        w.writerow([CID[0], "TH-DG:DU02", "3", "self", ago(1).isoformat(), "", "ผอ. กอง\\ก", evidence])
    report = import_assessments(session, path, bulk_mode=True)
    assert report.committed, report.problems
    session.commit()
    row = session.execute(sa.select(Assessment.assessor_name, Assessment.evidence)).one()
    assert tuple(row) == ("ผอ. กอง\\ก", evidence)


def test_the_row_estimate_is_known_before_reading() -> None:
    body = HEADER + "".join(f"{CID[0]},TH-DG:DU02,3,self,2025-01-01,,,\n" for _ in range(5000))
    table = read_table(io.BytesIO(body.encode()), "a.csv")
    assert table.row_estimate is not None and 4900 <= table.row_estimate <= 5100


def test_the_command_takes_a_bulk_choice_and_reports_what_it_wrote(session, settings, people, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from hrsys.cli import main

    before = schema_objects(session)
    session.rollback()  # SQLite: let the command write
    path = write_csv(tmp_path, [f"{c},TH-DG:DU02,3,manager,{ago(2)},,," for c in CID])
    result = CliRunner().invoke(
        main, ["--database-url", settings.database_url, "assessments", "import", str(path), "--bulk", "on"]
    )
    assert result.exit_code == 0, result.output
    assert "8 rows read, 8 written, 0 rejected" in result.output
    assert schema_objects(session) == before
    assert len([r for r in current_rows(session) if r[3] == "manager"]) >= len(CID)


def test_an_upload_with_a_bad_row_is_422_listing_it_and_writes_nothing(client, session, people) -> None:  # type: ignore[no-untyped-def]
    body = HEADER + f"{CID[0]},TH-DG:DU02,3,self,{ago(1)},,,\n{CID[1]},TH-DG:DU02,9,self,{ago(1)},,,\n"
    session.rollback()
    r = client.post("/api/v1/assessments/import", files={"data": ("a.csv", body.encode(), "text/csv")})
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    assert [e["field"] for e in errors] == ["line 3, column level"]
    assert errors[0]["reason"].startswith("'9' is not a level of TH-DG: 1 (")
    assert r.json()["extra"]["report"]["committed"] is False
    assert session.scalar(sa.select(sa.func.count()).select_from(Assessment)) == 0
    session.rollback()  # SQLite: let the app write
    ok = client.post(
        "/api/v1/assessments/import", files={"data": ("a.csv", body.encode(), "text/csv")}, params={"partial": True}
    )
    assert ok.status_code == 200 and ok.json()["written"] == 1


@pytest.mark.parametrize("partial", [False, True])
def test_a_file_that_cannot_be_read_to_the_end_is_refused_on_the_line_where_it_breaks(
    session, people, tmp_path, partial
) -> None:  # type: ignore[no-untyped-def]
    good = f"{CID[0]},TH-DG:DU02,3,self,{ago(1)},,,\n".encode()
    n = (1 << 20) // len(good) + 10  # past the part read to guess the encoding
    path = tmp_path / "broken.csv"
    path.write_bytes(
        HEADER.encode() + good * n + b"\xff\xfe broken\n" + good + f'{CID[1]},"{"x" * 200_000}",1\n'.encode()
    )
    report = import_assessments(session, path, partial=partial)
    assert (report.committed, report.written) == (False, 0)
    assert [(p.line, p.column) for p in report.problems] == [(n + 2, "file")]
    assert "not UTF-8 text" in report.problems[0].reason
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(Assessment)) == 0
    too_long = tmp_path / "long.csv"
    too_long.write_bytes(HEADER.encode() + good + f'{CID[1]},"{"x" * 200_000}",1\n'.encode())
    report = import_assessments(session, too_long, partial=partial)
    assert not report.committed and [(p.line, p.column) for p in report.problems] == [(3, "file")]


@pytest.mark.parametrize("own_transaction", [True, False], ids=["own-transaction", "session-in-use"])
@pytest.mark.parametrize("bulk", [False, True])
def test_a_person_gone_while_rows_go_in_is_a_conflict_and_nothing_is_written(
    session, people, tmp_path, monkeypatch, bulk, own_transaction
) -> None:  # type: ignore[no-untyped-def]
    """Nobody can remove a person between the lookups and the writes, or the rows are refused:

    - PostgreSQL checks each row's keys as it goes in, except in bulk mode, which adds its keys back
      NOT VALID (checked after the commit) and instead locks people and skills before it reads who exists;
    - SQLite, when the import begins the session's transaction, takes the write lock before it reads
      who exists and checks no key itself; in a transaction begun before the import, it checks them.
    """
    import sqlite3

    from hrsys.core.errors import Conflict

    real = assessment_import._lookups
    engine = session.get_bind()
    postgres = engine.dialect.name == "postgresql"
    locked_out = bulk if postgres else own_transaction

    def stale(*args):  # type: ignore[no-untyped-def]  # as if this person were deleted after the lookups loaded
        found = real(*args)
        if locked_out and postgres:
            with engine.connect() as other, pytest.raises(sa.exc.OperationalError, match="lock timeout"):
                other.exec_driver_sql("SET lock_timeout = '200ms'")
                other.execute(sa.delete(Person).where(Person.id == people[1].id))
            return found
        if locked_out:
            other = sqlite3.connect(engine.url.database, timeout=0.2)
            try:
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    other.execute("DELETE FROM person WHERE id = ?", (people[1].id,))
            finally:
                other.close()
            return found
        return found._replace(people={**found.people, "1100000000000": 987_654})

    monkeypatch.setattr(assessment_import, "_lookups", stale)
    path = write_csv(tmp_path, [f"{CID[0]},TH-DG:DU02,3,self,{ago(1)},,,", f"{CID[1]},TH-DG:DU02,3,self,{ago(1)},,,"])
    session.commit()
    if not own_transaction:
        session.execute(sa.select(1))
    if locked_out:
        assert import_assessments(session, path, bulk_mode=bulk).written == 2
    else:
        path.write_text(path.read_text().replace(CID[1], "1100000000000"))
        with pytest.raises(Conflict, match="changed while it was imported"):
            import_assessments(session, path, bulk_mode=bulk)
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(Assessment)) == 0


@pytest.mark.parametrize("partial", [False, True])
@pytest.mark.parametrize("body", [HEADER, HEADER + ",,,,,,,\n\n"])
def test_a_header_with_no_rows_under_it_is_refused_like_a_people_file(client, session, people, body, partial) -> None:  # type: ignore[no-untyped-def]
    session.rollback()
    r = client.post(
        "/api/v1/assessments/import", files={"data": ("a.csv", body.encode(), "text/csv")}, params={"partial": partial}
    )
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    assert [e["field"] for e in errors] == ["line 1, column file"]
    assert "no rows under the header" in errors[0]["reason"]


@pytest.mark.parametrize("route", ["/api/v1/assessments/import", "/hr/upload"], ids=["api", "page"])
def test_a_large_upload_never_switches_to_bulk_mode(client, session, people, monkeypatch, route) -> None:  # type: ignore[no-untyped-def]
    """Bulk mode locks the assessment tables (PostgreSQL) and drops indexes and keys: only the command takes
    it. An upload that the size rule would put in bulk mode, out of person order, keeps every index and key
    live, writes every row, and leaves no key to check after it has answered."""
    entered: list[str] = []
    for writer_class in (assessment_import._SqliteWriter, assessment_import._PostgresWriter):
        monkeypatch.setattr(writer_class, "_enter_bulk", lambda self: entered.append(self.dialect))
    monkeypatch.setattr(assessment_import, "BULK_MIN_ROWS", 1)
    monkeypatch.setattr(assessment_import, "CHUNK", 2)
    before = schema_objects(session)
    session.rollback()  # SQLite: let the app write
    order = [7, 0, 5, 2, 6, 1, 4, 3]
    body = HEADER + "".join(f"{CID[i]},TH-DG:DU02,3,manager,{ago(2)},,,\n" for i in order)
    files = {("data" if route.startswith("/api") else "file"): ("a.csv", body.encode(), "text/csv")}
    r = client.post(route, files=files, data=None if route.startswith("/api") else {"kind": "assessments"})
    assert r.status_code == 200, r.text
    if route.startswith("/api"):
        assert r.json()["written"] == len(CID)
    assert entered == []
    assert session.scalar(sa.select(sa.func.count()).select_from(Assessment)) == len(CID)
    assert schema_objects(session) == before
    assert validate_keys(session.get_bind()) == []


def test_an_import_that_begins_its_own_transaction_leaves_the_connection_checking_keys(
    database_url, db, people, session, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy.orm import Session

    from hrsys.core.db import make_engine

    session.commit()
    path = write_csv(tmp_path, [f"{c},TH-DG:DU02,3,manager,{ago(2)},,," for c in CID])
    engine = make_engine(database_url, pool_size=1)  # one connection: the import's is the next user's
    sqlite = engine.dialect.name == "sqlite"
    try:
        with Session(engine) as own:
            report = import_assessments(own, path)
            assert report.committed and report.written == len(CID), report.problems
            if sqlite:  # no key check of SQLite's repeats the import's own
                assert own.connection().exec_driver_sql("PRAGMA foreign_keys").scalar() == 0
                assert own.connection().exec_driver_sql("PRAGMA foreign_key_check").all() == []
            own.commit()
        with engine.connect() as conn:
            if sqlite:
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            skill_id = conn.scalar(sa.select(Assessment.skill_id).limit(1))
            with pytest.raises(sa.exc.IntegrityError):
                conn.execute(
                    sa.insert(Assessment).values(
                        person_id=10**8, skill_id=skill_id, level=1, source="self", assessed_on=ago(1)
                    )
                )
            conn.rollback()
    finally:
        engine.dispose()
    assert len([r for r in current_rows(session) if r[3] == "manager"]) >= len(CID)


@pytest.mark.parametrize("ordered", [True, False], ids=["people-in-order", "out-of-order-later"])
def test_bulk_mode_chosen_by_size_waits_on_sqlite_for_a_file_out_of_person_order(
    session, people, tmp_path, monkeypatch, ordered
) -> None:  # type: ignore[no-untyped-def]
    """On SQLite bulk mode only pays for files out of person order; it starts at the first such chunk, after
    ordered chunks went in with every index kept. PostgreSQL decides by size alone, before the first row."""
    writer_class = assessment_import._SqliteWriter
    if session.get_bind().dialect.name == "postgresql":
        writer_class = assessment_import._PostgresWriter  # type: ignore[assignment]
    entered: list[int] = []
    real_enter = writer_class._enter_bulk

    def enter(self):  # type: ignore[no-untyped-def]
        entered.append(self.written)  # rows already written when bulk mode starts
        real_enter(self)

    monkeypatch.setattr(writer_class, "_enter_bulk", enter)
    monkeypatch.setattr(assessment_import, "BULK_MIN_ROWS", 1)
    monkeypatch.setattr(assessment_import, "CHUNK", 4)
    before = schema_objects(session)
    session.commit()
    order = [0, 1, 2, 3, 4, 5, 6, 7] if ordered else [0, 1, 0, 7, 2, 6, 3, 5, 4]
    skills = ["TH-DG:DU02", "DDAT:DATA-ANALYSIS"]
    lines = [f"{CID[i]},{s},{1 + (i + j) % 4},manager,{ago(10 + j)},,," for j, i in enumerate(order) for s in skills]
    report = import_assessments(session, write_csv(tmp_path, lines))
    assert (report.committed, report.written, report.problems) == (True, len(lines), [])
    session.commit()
    if writer_class is assessment_import._PostgresWriter:
        assert entered == [0]
    else:
        assert entered == ([] if ordered else [4])  # the first chunk (people 0 and 1) went in before
    validate_keys(session.connection())  # PostgreSQL: what the command does after its commit
    session.commit()
    assert schema_objects(session) == before
    imported = current_rows(session)
    rebuild_profiles(session)
    session.commit()
    assert imported == current_rows(session)


def test_the_garbage_collector_pauses_during_an_import_and_comes_back_whatever_the_outcome(
    session, people, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    import gc

    seen: list[bool] = []
    real = assessment_import._lookups

    def spy(*args):  # type: ignore[no-untyped-def]
        seen.append(gc.isenabled())
        return real(*args)

    monkeypatch.setattr(assessment_import, "_lookups", spy)
    assert gc.isenabled()
    good = write_csv(tmp_path, [f"{CID[0]},TH-DG:DU02,3,self,{ago(1)},,,"])
    assert import_assessments(session, good).committed
    session.rollback()
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + f"{CID[0]},TH-DG:DU02,9,self,{ago(1)},,,\n", encoding="utf-8")
    assert not import_assessments(session, bad).committed
    session.rollback()
    monkeypatch.setattr(assessment_import, "RowChecker", None)  # fails after the lookups
    with pytest.raises(TypeError):
        import_assessments(session, good)
    session.rollback()
    assert seen == [False, False, False]
    assert gc.isenabled()
