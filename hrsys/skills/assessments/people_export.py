"""Export the people of an agency subtree with their current profiles, as CSV or XLSX.

Two layouts: ``wide`` (one row per person, one column per skill that anyone in
the export holds, the cell is the current level; what spreadsheet users
expect) and ``long`` (one row per person and skill, with the source and dates of
the evidence). Profiles come from ``current_skill``; evidence that expired is
left out even before the nightly refresh. People are read in pages of 5,000 by
id, so a ministry of 50,000 people streams in constant memory (CSV).

Cells are written by :mod:`hrsys.core.tabular`: text that a spreadsheet would run
as a formula (a name starting with ``=``, ``+``, ``-``, ``@``...) gets a ``'`` in
front, numbers stay numbers. Each export, from the API or the command, leaves one
audit event (``export`` of ``person``: who, format, agency, layout, how many
rows, and whether the file went out whole), written when the last row has gone.

It lives with skills, whose data it reads; role codes come through :mod:`hrsys.people.roles` (careers).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Generator, Iterator
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hrsys.access import audit
from hrsys.agencies.models import Agency
from hrsys.core import clock, tabular
from hrsys.core.db import read_engine
from hrsys.core.errors import Invalid, NotFound
from hrsys.people import roles
from hrsys.people.models import Person
from hrsys.skills.assessments.models import CurrentSkill
from hrsys.skills.catalog.models import Framework, Skill

P = cast(sa.Table, Person.__table__)
A = cast(sa.Table, Agency.__table__)
CS = cast(sa.Table, CurrentSkill.__table__)
S = cast(sa.Table, Skill.__table__)
F = cast(sa.Table, Framework.__table__)

PERSON_COLUMNS = [
    "person_id",
    "citizen_id",
    "title_th",
    "first_name_th",
    "last_name_th",
    "first_name_en",
    "last_name_en",
    "email",
    "agency",
    "position_type",
    "position_level",
    "role",
    "active",
]
LONG_COLUMNS = [
    *PERSON_COLUMNS,
    "skill",
    "skill_name_en",
    "skill_name_th",
    "level",
    "source",
    "assessed_on",
    "valid_until",
]
PAGE = 5000
ROLE = PERSON_COLUMNS.index("role")


def _subtree_path(conn: sa.Connection, agency: str) -> str:
    path = conn.scalar(sa.select(A.c.path).where(A.c.code == agency))
    if path is None:
        raise NotFound("agency", agency)
    return path


def _people_pages(conn: sa.Connection, path: str, include_inactive: bool) -> Iterator[list[Any]]:
    hi = path[:-1] + "0"
    last = 0
    role_codes = {rid: code for code, rid in roles.ids(conn).items()}  # once: a few thousand at most
    while True:
        stmt = (
            sa.select(
                P.c.id,
                P.c.citizen_id,
                P.c.title_th,
                P.c.first_name_th,
                P.c.last_name_th,
                P.c.first_name_en,
                P.c.last_name_en,
                P.c.email,
                A.c.code,
                P.c.position_type,
                P.c.position_level,
                P.c.role_id,
                P.c.active,
            )
            .select_from(P.join(A, A.c.id == P.c.agency_id))
            .where(A.c.path >= path, A.c.path < hi, P.c.id > last)
            .order_by(P.c.id)
            .limit(PAGE)
        )
        if not include_inactive:
            stmt = stmt.where(P.c.active.is_(True))
        rows = conn.execute(stmt).all()
        if not rows:
            return
        yield [[*r[:ROLE], role_codes.get(r[ROLE]) if r[ROLE] is not None else None, *r[ROLE + 1 :]] for r in rows]
        last = rows[-1][0]


def _profiles(conn: sa.Connection, ids: list[int], day: dt.date) -> dict[int, list[Any]]:
    rows = conn.execute(
        sa.select(
            CS.c.person_id,
            F.c.code,
            S.c.code,
            S.c.name_en,
            S.c.name_th,
            CS.c.level,
            CS.c.source,
            CS.c.assessed_on,
            CS.c.valid_until,
        )
        .join(S, S.c.id == CS.c.skill_id)
        .join(F, F.c.id == S.c.framework_id)
        .where(
            CS.c.person_id.in_(ids),
            sa.or_(CS.c.valid_until.is_(None), CS.c.valid_until >= day),
        )
        .order_by(CS.c.person_id, F.c.code, S.c.position)
    )
    out: dict[int, list[Any]] = {}
    for r in rows:
        out.setdefault(r[0], []).append(r[1:])
    return out


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if hasattr(value, "value"):
        return value.value
    return value


def export_rows(
    engine: Engine, agency: str, *, layout: str = "wide", include_inactive: bool = False
) -> Generator[list[Any]]:
    """Header row first, then one row per person (wide) or per person and skill (long)."""
    if layout not in {"wide", "long"}:
        raise Invalid.one("layout", "use wide or long")
    day = clock.today()
    with read_engine(engine).connect() as conn:
        path = _subtree_path(conn, agency)
        if layout == "long":
            yield LONG_COLUMNS
            for page in _people_pages(conn, path, include_inactive):
                profiles = _profiles(conn, [r[0] for r in page], day)
                for person in page:
                    base = [_cell(v) for v in person]
                    for fw, code, name_en, name_th, level, source, on, until in profiles.get(person[0], []):
                        yield [*base, f"{fw}:{code}", name_en, name_th or "", level, _cell(source), on, _cell(until)]
            return
        # Wide: the skill columns must be known before the first row, so collect the skills in one query.
        hi = path[:-1] + "0"
        in_subtree = sa.select(P.c.id).join(A, A.c.id == P.c.agency_id).where(A.c.path >= path, A.c.path < hi)
        skill_cols = [
            f"{r[0]}:{r[1]}"
            for r in conn.execute(
                sa.select(F.c.code, S.c.code)
                .join(S, S.c.framework_id == F.c.id)
                .where(
                    S.c.id.in_(
                        sa.select(CS.c.skill_id)
                        .where(
                            CS.c.person_id.in_(in_subtree),
                            sa.or_(CS.c.valid_until.is_(None), CS.c.valid_until >= day),
                        )
                        .distinct()
                    )
                )
                .order_by(F.c.code, S.c.position)
            )
        ]
        index = {ref: i for i, ref in enumerate(skill_cols)}
        yield [*PERSON_COLUMNS, *skill_cols]
        for page in _people_pages(conn, path, include_inactive):
            profiles = _profiles(conn, [r[0] for r in page], day)
            for person in page:
                levels: list[Any] = [""] * len(skill_cols)
                for fw, code, _en, _th, level, *_ in profiles.get(person[0], []):
                    levels[index[f"{fw}:{code}"]] = level
                yield [*(_cell(v) for v in person), *levels]


def _audited(
    engine: Engine, rows: Generator[list[Any]], what: dict[str, Any], actor: audit.Actor
) -> Iterator[list[Any]]:
    """``rows`` passed through; when they stop (the end, an error, or a client that went away) one audit
    event records who exported what and how many data rows went out (none when not even the header did:
    an unknown agency)."""
    sent = 0
    complete = False
    try:
        for row in rows:
            yield row
            sent += 1
        complete = True
    finally:
        rows.close()  # its read connection first
        if sent:
            with engine.begin() as conn:
                audit.record(
                    conn,
                    action="export",
                    entity="person",
                    after={**what, "rows": sent - 1, "complete": complete},
                    actor=actor,
                )


def _export(engine: Engine, agency: str, fmt: str, kw: dict[str, Any]) -> Iterator[list[Any]]:
    what = {"format": fmt, "agency": agency, "layout": kw.get("layout", "wide")}
    what["include_inactive"] = bool(kw.get("include_inactive", False))
    # the actor is read now, while the request's (or the command's) context is current
    return _audited(engine, export_rows(engine, agency, **kw), what, audit.current_actor())


def export_csv(engine: Engine, agency: str, **kw: Any) -> Iterator[bytes]:
    """The export as UTF-8 CSV with a BOM (so Excel shows Thai correctly), in chunks; cells that a spreadsheet
    would run as formulas are neutralised (:mod:`hrsys.core.tabular`). Leaves one audit event."""
    return tabular.csv_stream(_export(engine, agency, "csv", kw))


def export_xlsx(engine: Engine, agency: str, **kw: Any) -> bytes:
    """The export as an XLSX workbook (write-only mode; cells neutralised). Leaves one audit event."""
    return tabular.xlsx_bytes([("people", _export(engine, agency, "xlsx", kw))])
