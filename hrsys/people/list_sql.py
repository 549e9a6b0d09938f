"""The people list's statements: one per shape (which filters, which search mode, which fast path), built
from the filters' declarations (:mod:`hrsys.people.list_filters`) and compiled once.

Each statement carries the page's rows (the list's columns, by name: :data:`ROW`) and a capped count as a
scalar sub-select, in one round trip. Why each fast path exists, with its figures: the people guide.
"""

from __future__ import annotations

import enum
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.selectable import FromClause
from sqlalchemy.sql.visitors import InternalTraversal

from hrsys.core.db import RawSelect
from hrsys.core.pagination import COUNT_CAP
from hrsys.people import list_filters, search
from hrsys.people.models import LIST_COLUMNS, Person

P = Person.__table__


class PeopleSort(enum.StrEnum):
    id = "id"
    id_desc = "-id"
    name_th = "name_th"
    name_th_desc = "-name_th"
    name_en = "name_en"
    name_en_desc = "-name_en"


_SORT: dict[PeopleSort, list[Any]] = {
    PeopleSort.id: [P.c.id],
    PeopleSort.id_desc: [P.c.id.desc()],
    PeopleSort.name_th: [P.c.first_name_th, P.c.last_name_th, P.c.id],
    PeopleSort.name_th_desc: [P.c.first_name_th.desc(), P.c.last_name_th.desc(), P.c.id.desc()],
    PeopleSort.name_en: [P.c.first_name_en, P.c.last_name_en, P.c.id],
    PeopleSort.name_en_desc: [P.c.first_name_en.desc(), P.c.last_name_en.desc(), P.c.id.desc()],
}

# Enums as their stored names, mapped when the page is built without SQLAlchemy's processing; agency names
# come from the per-process agency tree, not a join, and role codes from the per-process role codes (a probe
# of the role table per row cost a third).
_LIST_COLUMNS = tuple(
    sa.type_coerce(P.c[name], sa.String).label(name) if isinstance(P.c[name].type, sa.Enum) else P.c[name]
    for name in LIST_COLUMNS
)


class Row(NamedTuple):
    """Where each column of a page's rows is, by name (rows come from the driver's cursor as tuples)."""

    id: int
    kind: int
    first_name_th: int
    last_name_th: int
    first_name_en: int
    last_name_en: int
    agency_id: int
    organisation: int
    position_type: int
    position_level: int
    role_id: int
    active: int
    total: int


ROW_NAMES = (*LIST_COLUMNS, "total")
ROW = Row(**{name: i for i, name in enumerate(ROW_NAMES)})


class IndexedBy(FromClause):
    """``person INDEXED BY <index>`` on SQLite (the planner told which index to read), ``person`` elsewhere.

    A local construct for the people list's few statements that must name their index: SQLAlchemy's SQLite
    compiler renders no ``with_hint``. It stands in the FROM list for the table, whose columns the statement
    still names.
    """

    __visit_name__ = "people_indexed_by"
    _traverse_internals = [("table", InternalTraversal.dp_clauseelement), ("index", InternalTraversal.dp_string)]
    inherit_cache = True
    named_with_column = False

    def __init__(self, table: sa.FromClause, index: str) -> None:
        self.table = table
        self.index = index

    @property
    def _hide_froms(self) -> list[FromClause]:
        return [self.table]


@compiles(IndexedBy)
def _indexed_by(element: IndexedBy, compiler: SQLCompiler, **kw: Any) -> str:
    kw["asfrom"] = True
    table = compiler.process(element.table, **kw)
    return f"{table} INDEXED BY {element.index}" if compiler.dialect.name == "sqlite" else table


@dataclass(frozen=True)
class Shape:
    """Which filters a people query has: one prepared statement per shape."""

    filters: tuple[tuple[str, Hashable], ...]
    """The filters given (by name, :mod:`hrsys.people.list_filters`) and their variants, in declared order."""
    search: str | None
    """None; "fts" (SQLite: stream from the trigram index); "grams" (PostgreSQL, a name search that is the
    whole filter: ids in order from the trigram table, see :func:`hrsys.people.search.gram_ids`); "contains"
    (``LIKE`` on PostgreSQL, for the pg_trgm index and the planner's estimates); "walk" (PostgreSQL:
    ``strpos`` on each row in id order, half the cost of ``LIKE`` per row, for lists known to fill their
    page early: see :data:`hrsys.people.listing.WALK_ROWS`)."""
    subtree_scan: bool
    sort: PeopleSort
    dialect: str
    count_from: str | None = None
    """Count from the rows of this probe filter (the holders of the rarest skill) instead of walking people."""
    counted: bool = True
    """False: the page alone, for lists known to be over the count's cap (:mod:`hrsys.people.over_cap`)."""
    grams: str | None = None
    """With ``search == "grams"``: :func:`hrsys.people.search.gram_kind` of the needle."""
    page_limit: int | None = None
    """PostgreSQL first pages (None: SQLite, and later pages, whose skipped rows are walked on the index only):
    the page size, written into the statement. With ``LIMIT $n`` a generic plan
    must guess how many rows are wanted (a tenth of them) and never beats a plan made for the values, so
    every execution was planned again; with the number in the SQL, PostgreSQL keeps a generic plan where it
    costs no more (a list by agency: 0.44 ms of server time instead of 0.52 ms). Page sizes are few."""
    scope_driven: bool = False
    """SQLite: find the page through the subtree's ``(agency_id, id)`` entries (then sort them) rather than
    walking the whole table in id order until a page is found: for subtrees or skills too rare to fill a
    page early (measured on ministries of 7,000 to 17,000 people out of 500,000: 0.3-0.4 ms instead of
    0.5-1.2 ms for the first page, 1 ms instead of 6-14 ms at offset 500)."""
    covering: bool = False
    """SQLite, one agency's people without a name or skill search: the page's rows straight from the index
    range of ``ix_person_agency_page`` (which holds the list's columns), the count from the narrow index;
    two phases would fetch each row of the page from the table by key. Only for pages near the start
    (:data:`hrsys.people.listing.COVERING_OFFSET`): rows skipped on the wide index cost more than on the
    narrow one."""


def build(shape: Shape, extra: list[sa.ColumnElement[bool]]) -> sa.Select[Any]:
    if shape.search == "grams":
        return _build_from_grams(shape)
    conds: list[Any] = []
    probes: list[Any] = []
    for name, variant in shape.filters:
        declared = list_filters.get(name)
        assert declared is not None, name
        (probes if declared.probe else conds).extend(declared.condition(variant, shape.dialect))
    source: sa.FromClause = P
    order = _SORT[shape.sort]
    if shape.search == "fts":
        # Join from the trigram index: it yields rowids in order, so a page by id stops early.
        source = search.PERSON_FTS.join(P, P.c.id == search.PERSON_FTS.c.rowid)
        conds.append(search.fts_match_param("q_fts"))
        if shape.sort in (PeopleSort.id, PeopleSort.id_desc):
            rowid = search.PERSON_FTS.c.rowid
            order = [rowid if shape.sort is PeopleSort.id else rowid.desc()]
    elif shape.search == "contains":
        conds.append(search.contains_param(shape.dialect, P.c.search_text, "q_text"))
    elif shape.search == "walk":
        conds.append(search.position_param(P.c.search_text, "q_needle"))
    conds.extend(extra)
    person_conds = list(conds)
    conds += probes
    if shape.search == "fts" and len(conds) == 1 and shape.sort in (PeopleSort.id, PeopleSort.id_desc):
        # Only the name matters: count and page straight from the index, without touching rows
        # (an order by name needs the rows).
        matching = sa.select(search.PERSON_FTS.c.rowid).where(*conds)
    else:
        if shape.subtree_scan:
            # Scan the subtree's entries of the narrow (agency_id, search_text) index, never the
            # whole table in id order looking for rare matches.
            source = IndexedBy(P, "ix_person_agency_search")
        elif shape.scope_driven:
            source = IndexedBy(P, "ix_person_agency_id_id")
        elif shape.covering:
            # the narrow index counts one agency's people faster; other filters are on the covering one
            source = IndexedBy(P, "ix_person_agency_id_id" if len(conds) == 1 else "ix_person_agency_page")
        matching = sa.select(P.c.id).select_from(source).where(*conds)
    if shape.count_from is not None:
        counter = list_filters.get(shape.count_from)
        assert counter is not None and counter.count_from is not None
        counting = counter.count_from(dict(shape.filters)[shape.count_from], person_conds)
    else:
        counting = matching
    # Count a constant per match: selecting the id costs SQLite twice as much per row.
    counting = counting.with_only_columns(sa.literal_column("1"), maintain_column_froms=True)
    total = _capped_count(counting) if shape.counted else sa.null()
    if shape.page_limit is not None or shape.covering:
        # One pass: the page's rows come straight from the walk of the index (two phases read every row
        # twice). PostgreSQL first pages: 0.40 ms a first page by agency with its count, against 0.69 ms
        # for the statement below; later pages take that one, which skips rows on the index without
        # reading them. SQLite: one agency's covering index (see ``Shape.covering``).
        one_pass = sa.select(*_LIST_COLUMNS, total.label("total")).where(*conds).order_by(*order)
        if shape.page_limit is not None:
            return one_pass.limit(sa.literal_column(str(shape.page_limit)))
        one_pass = one_pass.limit(sa.bindparam("limit")).offset(sa.bindparam("offset"))
        return one_pass.select_from(IndexedBy(P, "ix_person_agency_page"))
    # Two phases in one statement: find the page's ids on the narrow indexes, then fetch those rows.
    page_ids = matching.order_by(*order).limit(sa.bindparam("limit")).offset(sa.bindparam("offset"))
    return _rows_of(page_ids, total, shape.sort)


def _build_from_grams(shape: Shape) -> sa.Select[Any]:
    """A name search and nothing else, on PostgreSQL: the page's ids and the capped count both come from
    the trigram table in id order (no row is read but the page's), then the page's rows by key."""
    ids = search.gram_ids(shape.grams or "one", P)
    person_id = ids.selected_columns[0]
    total = _capped_count(ids) if shape.counted else sa.null()
    page_ids = ids.order_by(person_id if shape.sort is PeopleSort.id else person_id.desc())
    if shape.page_limit is not None:
        page_ids = page_ids.limit(sa.literal_column(str(shape.page_limit)))
    else:
        page_ids = page_ids.limit(sa.bindparam("limit")).offset(sa.bindparam("offset"))
    return _rows_of(page_ids, total, shape.sort)


def _rows_of(page_ids: sa.Select[Any], total: sa.ColumnElement[Any], sort: PeopleSort) -> sa.Select[Any]:
    """The list's columns and ``total`` for the people whose ids ``page_ids`` selects, in ``sort`` order."""
    return (
        sa.select(*_LIST_COLUMNS, total.label("total"))
        .where(P.c.id.in_(page_ids.scalar_subquery()))
        .order_by(*_SORT[sort])
    )


def _capped_count(matching: sa.Select[Any]) -> sa.ScalarSelect[Any]:
    """How many rows ``matching`` has, counting no further than the cap and one."""
    return sa.select(sa.func.count()).select_from(matching.limit(_CAP_PLUS_ONE).subquery()).scalar_subquery()


_CAP_PLUS_ONE: sa.ColumnClause[Any] = sa.literal_column(str(COUNT_CAP + 1))
"""The count's limit, a number in the SQL (as :attr:`Shape.page_limit`, for the planner)."""


def _checked(stmt: sa.Select[Any]) -> sa.Select[Any]:
    """``stmt``, whose rows are read by the names of :data:`ROW`: it must select them, in that order."""
    names = tuple(stmt.selected_columns.keys())
    assert names == ROW_NAMES, names
    return stmt


_STATEMENTS: dict[Shape, RawSelect] = {}
"""Statements by shape, compiled once and run on the driver's cursor (:class:`hrsys.core.db.RawSelect`)."""


def statement(shape: Shape, extra: list[sa.ColumnElement[bool]] | None = None) -> RawSelect:
    """The statement of ``shape``; with ``extra`` conditions a new one, run through SQLAlchemy."""
    if extra:
        return RawSelect(_checked(build(shape, extra)), raw=False)
    found = _STATEMENTS.get(shape)
    if found is None:
        found = _STATEMENTS.setdefault(shape, RawSelect(_checked(build(shape, []))))
    return found
