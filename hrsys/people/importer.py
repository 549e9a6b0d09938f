"""Bulk import of people from CSV or XLSX (``hrsys people import``, ``POST /api/v1/people/import``).

Each row is checked as the API checks a new person (:class:`PersonCreate`: every
field at fault is reported), plus what only a file can get wrong: unknown
agency or role codes, a citizen ID or e-mail repeated in the file or belonging
to someone else, dates in the Buddhist Era. A row whose citizen ID (else
e-mail) matches a person already in hrsys updates that person with the
non-empty cells; other rows create people.

Identity: the citizen ID and the e-mail say who a row is. A row whose two
identifiers name two different people, or that matches a person by one and
gives the other differently from what that person has (which would hand the
person's record, Thai names included, to another identity), is a row error;
an identifier the person does not have yet is filled in.

Each committed import leaves one audit event (``import`` of ``person``: who, the
file, rows read, created, updated, unchanged, refused), besides the events of its
writes.

By default the import is all-or-nothing: one bad row and nothing is written
(``partial=True`` writes the good rows). Rows are written in chunks with Core
statements, inside the caller's transaction.

A file that cannot be read at all (empty, no header, not CSV or XLSX, UTF-16)
or whose header has no rows under it is refused with the reason on line 1. A
file that breaks part-way (a line that is not UTF-8, a cell over the csv
module's limit, a damaged workbook) is refused with the line where it breaks,
even with ``partial``: the rest of the file was never read
(:meth:`hrsys.core.table_reader.Table.readable_rows`, as the assessments import).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import IO, Any, cast

import msgspec
import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.access import audit
from hrsys.agencies.models import Agency
from hrsys.core.db import utcnow
from hrsys.core.import_report import BulkImportReport, RowProblem
from hrsys.core.table_reader import TableError, cell_text, parse_date, read_table
from hrsys.core.validation import field_errors
from hrsys.people import roles as role_codes
from hrsys.people.models import Person
from hrsys.people.schemas import PersonCreate

P = cast(sa.Table, Person.__table__)

MAX_PROBLEMS = 1000
CHUNK = 1000

COLUMNS = [f.encode_name for f in msgspec.structs.fields(PersonCreate)]
DATE_COLUMNS = {"date_of_birth", "role_since", "hired_on"}
INT_COLUMNS = {"monthly_cost_baht"}

HEADER_ALIASES = {
    "เลขประจำตัวประชาชน": "citizen_id",
    "เลขบัตรประชาชน": "citizen_id",
    "คำนำหน้า": "title_th",
    "ชื่อ": "first_name_th",
    "นามสกุล": "last_name_th",
    "first_name": "first_name_en",
    "last_name": "last_name_en",
    "อีเมล": "email",
    "e_mail": "email",
    "โทรศัพท์": "phone",
    "วันเกิด": "date_of_birth",
    "หน่วยงาน": "agency",
    "agency_code": "agency",
    "ประเภทตำแหน่ง": "position_type",
    "ระดับตำแหน่ง": "position_level",
    "role_code": "role",
    "วันที่บรรจุ": "hired_on",
}


class _Problems:
    def __init__(self) -> None:
        self.items: list[RowProblem] = []
        self.rows: set[int] = set()
        self.truncated = False

    def add(self, line: int, column: str, reason: str) -> None:
        self.rows.add(line)
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(RowProblem(line=line, column=column, reason=reason))
        else:
            self.truncated = True


def _raw_row(line: int, cells: dict[str, Any], problems: _Problems) -> dict[str, Any] | None:
    """Cells -> the JSON-like dict PersonCreate expects; None when a date or number cannot be read."""
    raw: dict[str, Any] = {}
    ok = True
    for col in COLUMNS:
        value = cells.get(col)
        if col in DATE_COLUMNS and value not in (None, ""):
            try:
                raw[col] = parse_date(value).isoformat()
            except ValueError as exc:
                problems.add(line, col, str(exc))
                ok = False
            continue
        text = cell_text(value)
        if not text:
            continue
        if "\x00" in text:
            problems.add(line, col, "contains a NUL character")
            ok = False
            continue
        if col in INT_COLUMNS:
            try:
                raw[col] = int(float(text.replace(",", "")))
            except (ValueError, OverflowError):  # OverflowError: inf
                problems.add(line, col, f"{text!r} is not a number")
                ok = False
            continue
        raw[col] = text.lower() if col == "email" else text
    if "kind" not in raw:
        raw["kind"] = "civil_servant" if raw.get("agency") else "external_expert"
    return raw if ok else None


def import_people(
    session: Session,
    source: str | Path | IO[bytes],
    *,
    filename: str | None = None,
    partial: bool = False,
    dry_run: bool = False,
    agency_ids: Collection[int] | None = None,
) -> BulkImportReport:
    """Read, check and write people; the caller commits when ``report.committed`` is true, else rolls back.

    ``agency_ids``: the agencies the importer may manage (an HR officer's subtree; None: all). A row
    placing someone elsewhere, or updating a person of another agency, is refused on its line.
    """
    started = time.perf_counter()
    label = filename or str(source if isinstance(source, str | Path) else "upload")
    problems = _Problems()
    try:
        table = read_table(source, filename, aliases=HEADER_ALIASES)
    except TableError as exc:
        problems.add(*exc.problem())
        return BulkImportReport(kind="people", file=label, rows=0, written=0, rejected_rows=1, problems=problems.items)
    unknown = [h for h in table.headers if h and h not in COLUMNS]
    for h in unknown:
        problems.add(1, h, f"unknown column; known columns are {', '.join(COLUMNS)}")
    agencies = dict(session.execute(sa.select(Agency.code, Agency.id)).tuples().all())
    roles = role_codes.ids(session)  # careers' roles, by code
    seen_cid: dict[str, int] = {}
    seen_email: dict[str, int] = {}
    rows = 0
    valid: list[tuple[int, dict[str, Any]]] = []
    for line, cells in table.records(table.readable_rows()):
        rows += 1
        raw = _raw_row(line, cells, problems)
        if raw is None:
            continue
        errs = field_errors(PersonCreate, raw)
        for e in errs:
            problems.add(line, e.field, e.reason)
        bad = bool(errs)
        if raw.get("agency") and raw["agency"] not in agencies:
            problems.add(line, "agency", f"no agency with code {raw['agency']}")
            bad = True
        elif agency_ids is not None and raw.get("agency") and agencies[raw["agency"]] not in agency_ids:
            problems.add(line, "agency", f"agency {raw['agency']} is outside your agency scope")
            bad = True
        if raw.get("role") and raw["role"] not in roles:
            problems.add(line, "role", f"no role with code {raw['role']}")
            bad = True
        for col, seen in (("citizen_id", seen_cid), ("email", seen_email)):
            value = raw.get(col)
            if value:
                if value in seen:
                    problems.add(line, col, f"{value} is already on line {seen[value]} of this file")
                    bad = True
                else:
                    seen[value] = line
        if not bad:
            valid.append((line, raw))
    if table.broken is not None:  # refused even with partial: the rest of the file was never read
        problems.add(*table.broken.problem())
    elif not rows:
        problems.add(1, "file", "there are no rows under the header; nothing to import")
    readable = table.broken is None and rows > 0
    created = updated = unchanged = 0
    write = readable and not dry_run and (partial or not problems.rows)
    for i in range(0, len(valid), CHUNK):
        chunk = valid[i : i + CHUNK]
        c, u, n = _write_chunk(session, chunk, agencies, roles, problems, write, agency_ids)
        created, updated, unchanged = created + c, updated + u, unchanged + n
    write = readable and not dry_run and (partial or not problems.rows)  # a chunk may have found conflicts
    report = BulkImportReport(
        kind="people",
        file=label,
        rows=rows,
        written=(created + updated) if write else 0,
        created=created,
        updated=updated,
        unchanged=unchanged,
        rejected_rows=len(problems.rows),
        problems=problems.items,
        problems_truncated=problems.truncated,
        committed=write,
        seconds=round(time.perf_counter() - started, 3),
    )
    if write:
        record_import(session, report, entity="person", partial=partial)
    return report


def record_import(session: Session, report: BulkImportReport, *, entity: str, partial: bool) -> None:
    """One audit event for a committed import (in its transaction): who (the current actor), which file,
    how many rows were read, written, skipped and refused."""
    summary = {
        "file": report.file,
        "rows": report.rows,
        "written": report.written,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "skipped": report.skipped,
        "rejected_rows": report.rejected_rows,
        "partial": partial,
    }
    audit.record(session, action="import", entity=entity, after=summary)


def _existing(session: Session, column: sa.Column[Any], values: list[str]) -> dict[str, dict[str, Any]]:
    if not values:
        return {}
    rows = session.execute(sa.select(P).where(column.in_(values))).mappings()
    return {r[column.name]: dict(r) for r in rows}


def _write_chunk(
    session: Session,
    chunk: list[tuple[int, dict[str, Any]]],
    agencies: dict[str, int],
    roles: dict[str, int],
    problems: _Problems,
    write: bool,
    agency_ids: Collection[int] | None = None,
) -> tuple[int, int, int]:
    by_cid = _existing(session, P.c.citizen_id, [r["citizen_id"] for _, r in chunk if r.get("citizen_id")])
    by_email = _existing(session, P.c.email, [r["email"] for _, r in chunk if r.get("email")])
    inserts: list[dict[str, Any]] = []
    created = updated = unchanged = 0
    now = utcnow()
    for line, raw in chunk:
        values = _db_values(raw, agencies, roles)
        match = by_cid.get(raw["citizen_id"]) if raw.get("citizen_id") else None
        if match is None and raw.get("email"):
            match = by_email.get(raw["email"])
        owner = by_email.get(raw["email"]) if raw.get("email") else None
        if owner is not None and (match is None or owner["id"] != match["id"]):
            problems.add(line, "email", f"{raw['email']} belongs to another person (id {owner['id']})")
            continue
        if match is not None and (clash := _identifier_change(match, raw)) is not None:
            problems.add(line, *clash)
            continue
        if match is None:
            values.setdefault("active", True)
            inserts.append({**values, "created_at": now, "updated_at": now})
            created += 1
            continue
        if agency_ids is not None and match["agency_id"] is not None and match["agency_id"] not in agency_ids:
            problems.add(line, "citizen_id", "this person is recorded in an agency outside your scope")
            continue
        if match["kind"] != values["kind"] and "kind" in raw:
            problems.add(line, "kind", f"person {match['id']} is a {match['kind']}; the kind cannot change by import")
            continue
        changes = {k: v for k, v in values.items() if k != "kind" and match.get(k) != v}
        if not changes:
            unchanged += 1
            continue
        merged = {**match, **changes}
        if merged.get("position_type") is None and merged.get("position_level") is not None:
            problems.add(line, "position_type", "position type and level are given together")
            continue
        if write:
            session.execute(
                sa.update(P).where(P.c.id == match["id"]).values(**changes, updated_at=now, version=P.c.version + 1)
            )
        updated += 1
    if inserts and write:  # one executemany: every row names the same columns (empty cells are NULL)
        keys = set().union(*inserts)
        session.execute(sa.insert(P), [dict.fromkeys(keys) | row for row in inserts])
    return created, updated, unchanged


IDENTIFIERS = ("citizen_id", "email")
"""The columns that say who a row is: an import fills them when empty, never changes them."""


def _identifier_change(match: dict[str, Any], raw: dict[str, Any]) -> tuple[str, str] | None:
    """``(column, reason)`` when the row would change an identifier of the person it matched, else None.

    The row matched ``match`` by one identifier; another that it gives differently (a new citizen ID for the
    owner of an e-mail, a new e-mail for the holder of a citizen ID) means the row is someone else, or a
    typo: updating would hand one person's record, names included, to another identity.
    """
    for col in IDENTIFIERS:
        new, old = raw.get(col), match.get(col)
        if new and old and new != old:
            other = "e-mail" if col == "citizen_id" else "citizen ID"
            return col, (
                f"person {match['id']} (matched by {other}) has another {col}; an import does not change "
                "who a person is: correct the row, or change the person's record itself"
            )
    return None


def _db_values(raw: dict[str, Any], agencies: dict[str, int], roles: dict[str, int]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "agency":
            out["agency_id"] = agencies[value]
        elif key == "role":
            out["role_id"] = roles[value]
        elif key in DATE_COLUMNS:
            out[key] = dt.date.fromisoformat(value)
        else:
            out[key] = value
    return out


def iter_problems(report: BulkImportReport) -> Iterator[str]:
    for p in report.problems:
        yield f"line {p.line}, column {p.column}: {p.reason}"
