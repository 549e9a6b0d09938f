"""People import of files that cannot be read, or not to their end: a clear 422 (API) or exit code 1 (CLI),
the line and the reason, nothing written; and the awkward but readable files (BOM, Buddhist Era) import."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable

import openpyxl
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from hrsys.cli import main
from hrsys.core.table_reader import TableError, read_table
from hrsys.people.models import Person
from tests import factories

HEADER = "citizen_id,title_th,first_name_th,last_name_th,first_name_en,last_name_en,email,agency,"
HEADER += "position_type,position_level,date_of_birth,hired_on\n"
ROW = ",นาย," + "ก" * 150 + ",ข,A,B,,DGA,knowledge_worker,practitioner,,\n"  # valid, about 470 bytes
PAST_SAMPLE = (1 << 20) // len(ROW.encode()) + 10  # rows enough to pass the first megabyte (read to guess the encoding)


@pytest.fixture
def org(session):  # type: ignore[no-untyped-def]
    ministry = factories.agency(session, "MDES")
    return ministry, factories.agency(session, "DGA", ministry)


def _workbook(rows: int = 2000) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([h for h in HEADER.strip().split(",")])
    for _ in range(rows):
        ws.append(ROW.strip().split(","))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _damaged_sheet(data: bytes, before_row: int) -> bytes:
    """The workbook with the first sheet's XML broken just before row ``before_row``."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            part = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                part = part.replace(f'<row r="{before_row}"'.encode(), f'<<&broken<row r="{before_row}"'.encode())
            dst.writestr(item, part)
    return out.getvalue()


# name -> (file name, content, line where it breaks, words of the reason); the line is a range for a workbook,
# whose XML is parsed in blocks (rows of the block that holds the damage may be lost with it)
BROKEN: dict[str, Callable[[], tuple[str, bytes, range, str]]] = {
    "bad UTF-8 past the first megabyte": lambda: (
        "p.csv",
        (HEADER + ROW * PAST_SAMPLE).encode() + b"\xff\xfe broken\n" + ROW.encode(),
        range(PAST_SAMPLE + 2, PAST_SAMPLE + 3),
        "not UTF-8 text",
    ),
    "bad UTF-8 near the top": lambda: (
        "p.csv",
        (HEADER + ROW).encode() + b"\xff broken\n" + ROW.encode(),
        range(3, 4),
        "not UTF-8 text",
    ),
    "a cell over the csv limit": lambda: (
        "p.csv",
        (HEADER + ROW + f',นาย,"{"x" * 200_000}",ข,A,B,,DGA,,,,\n' + ROW).encode(),
        range(3, 4),
        "field larger than field limit",
    ),
    "a header cell over the csv limit": lambda: (
        "p.csv",
        f'citizen_id,"{"x" * 200_000}"\n'.encode(),
        range(1, 2),
        "limit",
    ),
    "an empty file": lambda: ("p.csv", b"", range(1, 2), "the file is empty"),
    "an empty workbook file": lambda: ("p.xlsx", b"", range(1, 2), "the file is empty"),
    "a header only": lambda: ("p.csv", HEADER.encode(), range(1, 2), "no rows under the header"),
    "a header and blank lines only": lambda: ("p.csv", (HEADER + "\n,,\n\n").encode(), range(1, 2), "no rows"),
    "a BOM and nothing else": lambda: ("p.csv", b"\xef\xbb\xbf", range(1, 2), "the file is empty"),
    "UTF-16 text": lambda: ("p.csv", HEADER.encode("utf-16"), range(1, 2), "UTF-16"),
    "a truncated workbook": lambda: ("p.xlsx", _workbook(50)[:-500], range(1, 2), "not a readable .xlsx workbook"),
    "a workbook damaged part-way": lambda: (
        "p.xlsx",
        _damaged_sheet(_workbook(), before_row=1500),
        range(2, 1501),
        "the workbook is damaged",
    ),
    "a workbook damaged at its start": lambda: (
        "p.xlsx",
        _damaged_sheet(_workbook(), before_row=1),
        range(1, 2),
        "the workbook is damaged",
    ),
}


CLI_CASES = ["bad UTF-8 past the first megabyte", "a cell over the csv limit", "an empty file", "a header only"]
CLI_CASES += ["a workbook damaged part-way"]


def _people(session) -> int:  # type: ignore[no-untyped-def]
    session.rollback()
    return session.scalar(sa.select(sa.func.count()).select_from(Person)) or 0


@pytest.mark.parametrize("case", list(BROKEN))
def test_tables_report_where_a_file_breaks(case: str) -> None:
    name, data, lines, reason = BROKEN[case]()
    try:
        table = read_table(io.BytesIO(data), name)
    except TableError as exc:
        line, column, why = exc.problem()
    else:
        read = list(table.readable_rows())
        if table.broken is None:
            assert read == [], read[:3]  # a file without rows is the importer's to refuse
            return
        assert all(n < table.broken.line for n, _ in read)  # type: ignore[operator]
        line, column, why = table.broken.problem()
    assert column == "file" and line in lines and reason in why


@pytest.mark.parametrize("partial", [False, True])
@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_upload_is_422_naming_the_line_and_writes_nothing(client, session, org, case, partial) -> None:  # type: ignore[no-untyped-def]
    name, data, lines, reason = BROKEN[case]()
    r = client.post("/api/v1/people/import", files={"data": (name, data, "text/csv")}, params={"partial": partial})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == 422 and body["type"] == "/problems/invalid-fields"
    file_errors = [e for e in body["errors"] if e["field"].endswith(", column file")]
    assert len(file_errors) == 1 and reason in file_errors[0]["reason"], body["errors"][-3:]
    line = int(file_errors[0]["field"].removeprefix("line ").split(",")[0])
    assert line in lines
    assert f"line {line}: " in body["detail"] and body["detail"].endswith("nothing was written")
    assert body["extra"]["report"]["committed"] is False and body["extra"]["report"]["written"] == 0
    assert _people(session) == 0


@pytest.mark.parametrize("partial", [False, True])
@pytest.mark.parametrize("case", CLI_CASES)
def test_a_broken_file_makes_the_command_exit_1_naming_the_line(
    session, settings, org, tmp_path, case, partial
) -> None:  # type: ignore[no-untyped-def]
    name, data, lines, reason = BROKEN[case]()
    path = tmp_path / name
    path.write_bytes(data)
    session.commit()  # SQLite: let the command in
    args = ["--database-url", settings.database_url, "people", "import", str(path)]
    result = CliRunner().invoke(main, [*args, "--partial"] if partial else args)
    assert result.exit_code == 1, result.output
    problem = next(x for x in result.output.splitlines() if ", column file: " in x)
    line = int(problem.strip().removeprefix("line ").split(",")[0])
    assert line in lines and reason in problem
    assert "nothing was written" in result.output
    assert _people(session) == 0


def test_a_file_with_a_bom_and_buddhist_era_dates_imports(client, session, settings, org, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rows = [
        ",นาย,สมชาย,ใจดี,Somchai,Jaidee,somchai@dga.or.th,DGA,knowledge_worker,practitioner,12/03/2528,2560-10-01",
        ",นาง,สมศรี,มีสุข,Somsri,Meesuk,somsri@dga.or.th,DGA,general,operational,๑ ม.ค. ๒๕๓๐,",
    ]
    data = b"\xef\xbb\xbf" + (HEADER + "\n".join(rows) + "\n").encode()
    r = client.post("/api/v1/people/import", files={"data": ("p.csv", data, "text/csv")})
    assert r.status_code == 200, r.text
    assert (r.json()["created"], r.json()["problems"]) == (2, [])
    dates = dict(session.execute(sa.select(Person.email, Person.date_of_birth)).tuples().all())
    assert dates == {"somchai@dga.or.th": dt.date(1985, 3, 12), "somsri@dga.or.th": dt.date(1987, 1, 1)}
    hired = session.scalar(sa.select(Person.hired_on).where(Person.email == "somchai@dga.or.th"))
    assert hired == dt.date(2017, 10, 1)
    session.rollback()

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["\ufeffemail", "first_name_th", "last_name_th", "first_name_en", "last_name_en", "agency", "วันเกิด"])
    ws.append(["somchai@dga.or.th", "สมชาย", "ใจดี", "Somchai", "Jaidee", "DGA", dt.datetime(2529, 3, 12)])
    path = tmp_path / "p.xlsx"
    wb.save(path)
    result = CliRunner().invoke(main, ["--database-url", settings.database_url, "people", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 updated" in result.output
    assert session.scalar(sa.select(Person.date_of_birth).where(Person.email == "somchai@dga.or.th")) == dt.date(
        1986, 3, 12
    )


def test_cells_that_would_break_the_database_are_row_problems(client, session, org) -> None:  # type: ignore[no-untyped-def]
    header = "first_name_th,last_name_th,first_name_en,last_name_en,agency,title_th,salary_grade,monthly_cost_baht\n"
    rows = [
        "ก,ข,A,B,DGA,นาย,,inf",
        "ก,ข\x00x,A,B,DGA,,,",
        f"ก,ข,A,B,DGA,{'น' * 51},{'9' * 21},",
    ]
    data = (header + "\n".join(rows) + "\n").encode()
    r = client.post("/api/v1/people/import", files={"data": ("p.csv", data, "text/csv")})
    assert r.status_code == 422, r.text
    problems = {(p["line"], p["column"]) for p in r.json()["extra"]["report"]["problems"]}
    assert problems == {(2, "monthly_cost_baht"), (3, "last_name_th"), (4, "title_th"), (4, "salary_grade")}
    assert _people(session) == 0
