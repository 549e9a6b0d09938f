"""People commands (ORM, one transaction each) and the hot list query (Core, one round trip)."""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hrsys.access.identity import CurrentUser
from hrsys.agencies.cache import AgencyTree, agency_trees
from hrsys.agencies.models import Agency
from hrsys.careers.codes import RoleCodes, role_codes
from hrsys.careers.models import Role
from hrsys.core.db import RawSelect, hot_read_engine, in_list, list_param, read_engine, run_sync, sqlite_reader
from hrsys.core.errors import Conflict, FieldError, Invalid, NotFound, check
from hrsys.core.pagination import COUNT_CAP, MAX_LIMIT, Page
from hrsys.people import over_cap, search
from hrsys.people.models import LIST_COLUMNS, Person, PersonKind, PositionLevel, PositionType
from hrsys.people.schemas import (
    AgencyRef,
    PersonCreate,
    PersonListItem,
    PersonOut,
    PersonUpdate,
    _position_errors,
)
from hrsys.skills.assessments.holders import holders
from hrsys.skills.assessments.models import CurrentSkill

P = Person.__table__
over_cap.listen(Person)
A = Agency.__table__
R = Role.__table__
CS = CurrentSkill.__table__


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

# Enums as their stored names, mapped in ``_page`` without SQLAlchemy's processing; agency names come from
# the per-process agency tree, not a join, and role codes from the per-process role codes (a probe of the
# role table per row cost a third).
_LIST_COLUMNS = tuple(
    sa.type_coerce(P.c[name], sa.String) if isinstance(P.c[name].type, sa.Enum) else P.c[name] for name in LIST_COLUMNS
)
_KINDS = {m.name: m for m in PersonKind}
_TYPES: dict[str | None, PositionType | None] = {None: None, **{m.name: m for m in PositionType}}
_LEVELS: dict[str | None, PositionLevel | None] = {None: None, **{m.name: m for m in PositionLevel}}


WALK_ROWS = 20_000
"""PostgreSQL: a name search over the count's cap reads its first page in id order with ``strpos`` (a plan
kept for every fragment, about 0.2 microseconds a row) when its first page was last seen to end within this
many ids; beyond that (a fragment that is rare early in the table) the planner chooses, for the fragment."""

SMALL_SUBTREE = 20_000
"""Below this many people a name search scans the subtree instead of the whole name index."""
SCOPE_INDEX_ENTRIES_PER_ROW = 10
"""SQLite: reading this many ``(agency_id, id)`` index entries costs about as much as walking one table row."""
COVERING_OFFSET = 1_000
"""SQLite: pages of one agency starting at most this far in are read from its covering index (``_Shape.covering``)."""
SCOPE_DRIVEN_MATCHES = 4
"""SQLite skill searches in a subtree expecting fewer than this many pages of matches go through the
subtree's index (see ``_Shape.scope_driven``)."""


def agency_subtree(engine: Engine, agency_code: str) -> tuple[list[int], int]:
    """Ids of the subtree of ``agency_code`` and its estimated headcount; 422 for an unknown code.

    The ids come from the per-process agency tree, so the planner sees how many
    agencies there are: one agency walks its ``(agency_id, id)`` index in order;
    on SQLite a subtree that is a small share of everyone reads its entries of
    that index and sorts them, a large one walks the table in id order and stops
    after a page (``_Shape.scope_driven``).
    """
    ids = agency_trees.subtree_ids(engine, agency_code)
    if ids is None:
        raise Invalid.one("agency", f"no agency with code {agency_code}")
    return ids, agency_trees.get(engine).estimated_people(ids)


@dataclass(frozen=True)
class _Shape:
    """Which filters a people query has: one prepared statement per shape."""

    agency: str | None  # None, "one" or "many"
    scope: bool
    kind: bool
    position_type: bool
    position_level: bool
    role: bool
    active: bool
    search: str | None
    """None; "fts" (SQLite: stream from the trigram index); "grams" (PostgreSQL, a name search that is the
    whole filter: ids in order from the trigram table, see :func:`hrsys.people.search.gram_ids`); "contains"
    (``LIKE`` on PostgreSQL, for the pg_trgm index and the planner's estimates); "walk" (PostgreSQL:
    ``strpos`` on each row in id order, half the cost of ``LIKE`` per row, for lists known to fill their
    page early: see :data:`WALK_ROWS`)."""
    subtree_scan: bool
    sort: PeopleSort
    dialect: str
    skills: int = 0
    """How many skills the people must hold (``sk0``/``lv0``, ``sk1``/``lv1`` ... and ``day``)."""
    count_by_skill: bool = False
    """Count from the holders of the first (rarest) skill instead of walking the people."""
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
    (:data:`COVERING_OFFSET`): rows skipped on the wide index cost more than on the narrow one."""


def _ids_condition(name: str, mode: str | None, dialect: str) -> sa.ColumnElement[bool]:
    if mode == "one":
        return P.c.agency_id == sa.bindparam(name)
    return in_list(P.c.agency_id, name, dialect)


def _holds(cs: sa.FromClause, person_id: sa.ColumnElement[int], i: int) -> list[sa.ColumnElement[bool]]:
    """``cs`` (a ``current_skill`` alias) holds the person's valid level in skill ``sk{i}``, ``lv{i}`` or more."""
    return [
        cs.c.person_id == person_id,
        cs.c.skill_id == sa.bindparam(f"sk{i}"),
        cs.c.level >= sa.bindparam(f"lv{i}"),
        sa.or_(cs.c.valid_until.is_(None), cs.c.valid_until >= sa.bindparam("day")),
    ]


def _skill_exists(i: int, person_id: sa.ColumnElement[int], outer: sa.FromClause) -> sa.Exists:
    cs = CS.alias(f"cs{i}")
    return sa.exists().where(*_holds(cs, person_id, i)).correlate(outer)


def _count_from_holders(shape: _Shape, person_conds: list[Any]) -> sa.Select[Any]:
    """Matching ids read from the index range of the rarest skill's holders; the others probed by key."""
    cs0 = CS.alias("cs0")
    conds: list[Any] = [
        cs0.c.skill_id == sa.bindparam("sk0"),
        cs0.c.level >= sa.bindparam("lv0"),
        sa.or_(cs0.c.valid_until.is_(None), cs0.c.valid_until >= sa.bindparam("day")),
    ]
    conds += [_skill_exists(i, cs0.c.person_id, cs0) for i in range(1, shape.skills)]
    if person_conds:
        # A correlated probe of the person's row by key keeps the holders as the outer loop.
        conds.append(sa.exists().where(P.c.id == cs0.c.person_id, *person_conds).correlate(cs0))
    return sa.select(cs0.c.person_id).where(*conds)


def _build(shape: _Shape, extra: list[sa.ColumnElement[bool]]) -> sa.Select[Any]:
    if shape.search == "grams":
        return _build_from_grams(shape)
    conds: list[Any] = []
    if shape.agency:
        conds.append(_ids_condition("agency_ids", shape.agency, shape.dialect))
    if shape.scope:
        conds.append(in_list(P.c.agency_id, "scope_ids", shape.dialect))
    if shape.kind:
        conds.append(P.c.kind == sa.bindparam("kind"))
    if shape.position_type:
        conds.append(P.c.position_type == sa.bindparam("position_type"))
    if shape.position_level:
        conds.append(P.c.position_level == sa.bindparam("position_level"))
    if shape.role:
        conds.append(P.c.role_id == sa.select(R.c.id).where(R.c.code == sa.bindparam("role")).scalar_subquery())
    if shape.active:
        conds.append(P.c.active == sa.bindparam("active"))
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
    conds += [_skill_exists(i, P.c.id, P) for i in range(shape.skills)]
    if shape.search == "fts" and len(conds) == 1 and shape.sort in (PeopleSort.id, PeopleSort.id_desc):
        # Only the name matters: count and page straight from the index, without touching rows
        # (an order by name needs the rows).
        matching = sa.select(search.PERSON_FTS.c.rowid).where(*conds)
    else:
        matching = sa.select(P.c.id).select_from(source).where(*conds)
    if shape.subtree_scan:
        # Scan the subtree's entries of the narrow (agency_id, search_text) index, never the
        # whole table in id order looking for rare matches.
        matching = matching.with_hint(P, "INDEXED BY ix_person_agency_search", "sqlite")
    elif shape.scope_driven:
        matching = matching.with_hint(P, "INDEXED BY ix_person_agency_id_id", "sqlite")
    elif shape.covering:
        # the narrow index counts one agency's people faster; other filters are on the covering one
        matching = matching.with_hint(
            P, "INDEXED BY ix_person_agency_id_id" if len(conds) == 1 else "INDEXED BY ix_person_agency_page", "sqlite"
        )
    counting = _count_from_holders(shape, person_conds) if shape.count_by_skill else matching
    # Count a constant per match: selecting the id costs SQLite twice as much per row.
    counting = counting.with_only_columns(sa.literal_column("1"), maintain_column_froms=True)
    total = _capped_count(counting) if shape.counted else sa.null()
    if shape.page_limit is not None or shape.covering:
        # One pass: the page's rows come straight from the walk of the index (two phases read every row
        # twice). PostgreSQL first pages: 0.40 ms a first page by agency with its count, against 0.69 ms
        # for the statement below; later pages take that one, which skips rows on the index without
        # reading them. SQLite: one agency's covering index (see ``_Shape.covering``).
        one_pass = sa.select(*_LIST_COLUMNS, total.label("total")).where(*conds).order_by(*order)
        if shape.page_limit is not None:
            return one_pass.limit(sa.literal_column(str(shape.page_limit)))
        one_pass = one_pass.limit(sa.bindparam("limit")).offset(sa.bindparam("offset"))
        return one_pass.with_hint(P, "INDEXED BY ix_person_agency_page", "sqlite")
    # Two phases in one statement: find the page's ids on the narrow indexes, then fetch those rows.
    page_ids = matching.order_by(*order).limit(sa.bindparam("limit")).offset(sa.bindparam("offset"))
    return _rows_of(page_ids, total, shape.sort)


def _build_from_grams(shape: _Shape) -> sa.Select[Any]:
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
"""The count's limit, a number in the SQL (as :attr:`_Shape.page_limit`, for the planner)."""

_STATEMENTS: dict[_Shape, RawSelect] = {}
"""Statements by shape, compiled once and run on the driver's cursor (:class:`hrsys.core.db.RawSelect`)."""


def _statement(shape: _Shape) -> RawSelect:
    found = _STATEMENTS.get(shape)
    if found is None:
        found = _STATEMENTS.setdefault(shape, RawSelect(_build(shape, [])))
    return found


def _scope_estimate(engine: Engine, subtree_size: int | None, within_agency_ids: list[int] | None) -> tuple[int, int]:
    """(people in the list's agencies, people in all agencies): the agency tree's estimates, for choosing plans."""
    tree = agency_trees.get(engine)
    scope_people = subtree_size if subtree_size is not None else tree.everyone
    if within_agency_ids is not None:
        scope_people = min(scope_people, tree.estimated_people(within_agency_ids))
    return scope_people, tree.everyone


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def list_people(engine: Engine, **filters: Any) -> Page[PersonListItem]:
    """A page of people and a capped total, in one round trip.

    Filters (all optional): ``agency`` (a code: that agency and its subtree), ``kind``,
    ``position_type``, ``position_level``, ``role`` (a code), ``q`` (a substring of a
    name), ``active``; ``within_agency_ids`` restricts the list to those agencies (a
    user's scope). ``skills`` are ``(skill_id, min_level)`` pairs the people must all
    hold now (see :func:`skill_filters`), rarest first. The page walks the people in
    order and probes their skills (on SQLite, when matches are expected to be too rare
    to fill a page early, it reads the subtree's people instead and sorts them:
    ``scope_driven`` forces either, for tests); the total is counted from the people
    or from the rarest skill's holders, whichever is estimated to be fewer
    (``count_by_skill`` forces one, for tests).
    The total is exact up to ``COUNT_CAP`` and says so in ``total_exact``; it is
    computed by a capped scalar sub-select of the same statement, except for a list
    that went over the cap moments ago in this worker, whose pages are read without
    it (:mod:`hrsys.people.over_cap`). Queries without
    ``extra_conditions`` run from prepared statements. :func:`list_people_async` is the
    same list for async handlers.
    """
    plan = _plan_list(engine, **filters)
    # SQLite: prepared statements run on the thread's own connection, without a pool checkout
    reader = sqlite_reader(engine) if plan.raw else None
    opened = (
        contextlib.nullcontext(None)
        if reader is not None
        else (hot_read_engine(engine) if plan.fixed_plan else read_engine(engine)).connect()
    )
    with opened as conn:

        def fetch(statement: RawSelect, values: dict[str, Any]) -> list[Any]:
            if reader is not None:
                return statement.rows_on(reader, engine.dialect, values)
            assert conn is not None
            return statement.rows(conn, values)

        rows = fetch(plan.page_statement(), plan.params)
        total = plan.total(rows)
        if total is None:  # past the end: still say how many there are
            total = _count_of(fetch(plan.stmt, plan.first_row_params()))
    if not rows and plan.role is not None:
        with read_engine(engine).connect() as lookup:
            if lookup.scalar(sa.select(R.c.id).where(R.c.code == plan.role)) is None:
                raise Invalid.one("role", f"no role with code {plan.role}")
    return _page(engine, plan, rows, total, *_refs(engine, rows))


async def list_people_async(engine: Engine, hot: Any, **filters: Any) -> Page[PersonListItem]:
    """:func:`list_people` for an async handler: on PostgreSQL the statement runs on asyncpg in the event
    loop (``hot``: the app's :class:`~hrsys.core.pg_async.HotReads`), elsewhere as :func:`run_sync` would.

    Lists with ``skills`` or ``extra_conditions`` take the synchronous path in a thread (they look up
    skill holders and statements that only SQLAlchemy renders).
    """
    if engine.dialect.name != "postgresql" or filters.get("skills") or filters.get("extra_conditions"):
        return await run_sync(engine, list_people, engine, **filters)
    # Both copies are read before the statement is sent: their stamp checks are queries, which must not run
    # on the event loop (they would if a copy's second ran out while the statement was on its way).
    if agency_trees.fresh(engine) and role_codes.fresh(engine):
        tree, roles = agency_trees.get(engine), role_codes.get(engine)
    else:
        tree, roles = await run_sync(engine, _refs, engine, ())
    plan = _plan_list(engine, **filters)
    async with hot.pool(custom_plans=not plan.fixed_plan).connection() as conn:
        rows = await plan.page_statement().rows_async(conn, plan.params)
        total = plan.total(rows)
        if total is None:
            total = _count_of(await plan.stmt.rows_async(conn, plan.first_row_params()))
        if not rows and plan.role is not None and await conn.fetchval(_ROLE_ID, plan.role) is None:
            raise Invalid.one("role", f"no role with code {plan.role}")
    if _unknown_agency(tree, rows) or _unknown_role(roles, rows):
        tree, roles = await run_sync(engine, _refs, engine, rows)
    return _page(engine, plan, rows, total, tree, roles)


_ROLE_ID = "SELECT id FROM role WHERE code = $1"


@dataclass(slots=True)
class _ListPlan:
    """What :func:`list_people` runs: the statement of the filter shape and its parameters."""

    engine: Engine
    shape: _Shape
    stmt: RawSelect
    params: dict[str, Any]
    memo_key: tuple[Any, ...] | None
    """The list's key in :mod:`over_cap` (None: not remembered, a statement with extra conditions)."""
    page_only: bool
    """Over the cap a moment ago: read the page without counting."""
    walk: bool
    """The page without counting, found by the ``strpos`` walk (see :data:`WALK_ROWS`)."""
    fixed_plan: bool
    """The statement's plan does not depend on its values (no name or skill search)."""
    raw: bool
    limit: int
    offset: int
    role: str | None

    def page_statement(self) -> RawSelect:
        if not self.page_only:
            return self.stmt
        return _statement(replace(self.shape, counted=False, search="walk" if self.walk else self.shape.search))

    def total(self, rows: Sequence[Any]) -> int | None:
        """The total from the rows of :meth:`page_statement`; None when the page is past the end and the
        total must be read with offset 0."""
        if self.page_only and rows:
            # over the cap a moment ago; a page that is not full ends the list here and now
            total = COUNT_CAP + 1 if len(rows) == self.limit else self.offset + len(rows)
            if total <= COUNT_CAP:
                assert self.memo_key is not None
                over_cap.forget(self.engine, self.memo_key)
            return total
        if rows:
            return _count_of(rows)
        return None if self.offset else 0

    def first_row_params(self) -> dict[str, Any]:
        """Parameters of :attr:`stmt` for the list's first row alone, which carries the total."""
        return {**self.params, "offset": 0, "limit": 1}


def _count_of(rows: Sequence[Any]) -> int:
    """The capped total that every row of a counted statement carries last (0 without rows)."""
    return int(rows[0][len(rows[0]) - 1]) if rows else 0  # asyncpg records take no negative index


def agency_refs(tree: AgencyTree) -> dict[int, AgencyRef]:
    """One shared :class:`AgencyRef` per agency of ``tree``, for lists of people (renames show within a second)."""
    return {a.id: AgencyRef(code=a.code, name_th=a.name_th, name_en=a.name_en) for a in tree.by_id.values()}


def _unknown_agency(tree: AgencyTree, rows: Sequence[Any]) -> bool:
    """Whether a row names an agency that ``tree`` does not know (added a moment ago by another worker)."""
    by_id = tree.by_id
    return any(r[6] is not None and r[6] not in by_id for r in rows)


def _unknown_role(roles: RoleCodes, rows: Sequence[Any]) -> bool:
    by_id = roles.by_id
    return any(r[10] is not None and r[10] not in by_id for r in rows)


def _refs(engine: Engine, rows: Sequence[Any]) -> tuple[AgencyTree, RoleCodes]:
    """The agency tree and role codes that name everything in ``rows`` (each read again if a row names an
    agency or a role it does not know: added a moment ago, maybe by another worker)."""
    tree, roles = agency_trees.get(engine), role_codes.get(engine)
    if _unknown_agency(tree, rows):
        tree = agency_trees.get(engine, force_check=True)
    if _unknown_role(roles, rows):
        roles = role_codes.get(engine, reload=True)
    return tree, roles


def _page(
    engine: Engine, plan: _ListPlan, rows: Sequence[Any], total: int, tree: AgencyTree, roles: RoleCodes
) -> Page[PersonListItem]:
    """The page of ``rows``, with agency names from ``tree`` and role codes from ``roles`` (which know every
    agency and role they name)."""
    if total > COUNT_CAP and plan.memo_key is not None and not plan.page_only:
        first_page_by_id = plan.offset == 0 and plan.shape.sort is PeopleSort.id and len(rows) == plan.limit
        over_cap.remember(engine, plan.memo_key, walked=rows[-1][0] if first_page_by_id else None)
    refs, codes = tree.derived(agency_refs), roles.by_id
    items = [
        PersonListItem(
            id=r[0],
            kind=_KINDS[r[1]],
            first_name_th=r[2],
            last_name_th=r[3],
            first_name_en=r[4],
            last_name_en=r[5],
            agency=refs.get(r[6]) if r[6] is not None else None,
            organisation=r[7],
            position_type=_TYPES[r[8]],
            position_level=_LEVELS[r[9]],
            role=codes.get(r[10]) if r[10] is not None else None,
            active=bool(r[11]),
        )
        for r in rows
    ]
    exact = total <= COUNT_CAP
    return Page(items=items, total=min(total, COUNT_CAP), total_exact=exact, limit=plan.limit, offset=plan.offset)


def _plan_list(
    engine: Engine,
    *,
    agency: str | None = None,
    kind: PersonKind | None = None,
    position_type: PositionType | None = None,
    position_level: PositionLevel | None = None,
    role: str | None = None,
    q: str | None = None,
    active: bool | None = None,
    within_agency_ids: list[int] | None = None,
    skills: Sequence[tuple[int, int]] = (),
    extra_conditions: list[sa.ColumnElement[bool]] | None = None,
    sort: PeopleSort = PeopleSort.id,
    limit: int = 50,
    offset: int = 0,
    count_by_skill: bool | None = None,
    scope_driven: bool | None = None,
) -> _ListPlan:
    """The statement and parameters of a list (see :func:`list_people` for the filters)."""
    errors = []
    if not 1 <= limit <= MAX_LIMIT:
        errors.append(FieldError("limit", f"must be between 1 and {MAX_LIMIT}"))
    if offset < 0:
        errors.append(FieldError("offset", "must be 0 or more"))
    check(errors)
    dialect = engine.dialect.name
    params: dict[str, Any] = {"limit": limit, "offset": offset}
    agency_mode = None
    subtree_size: int | None = None
    if agency is not None:
        ids, subtree_size = agency_subtree(engine, agency)
        agency_mode = "one" if len(ids) == 1 else "many"
        params["agency_ids"] = ids[0] if len(ids) == 1 else list_param(ids, dialect)
    if within_agency_ids is not None:
        params["scope_ids"] = list_param(list(within_agency_ids) or [-1], dialect)
    for name, value in (
        ("kind", kind),
        ("position_type", position_type),
        ("position_level", position_level),
        ("role", role),
        ("active", active),
    ):
        if value is not None:
            params[name] = value.name if isinstance(value, enum.Enum) else value
    search_mode = None
    subtree_scan = False
    grams = None
    only_the_name = agency is None and within_agency_ids is None and not skills and not extra_conditions
    only_the_name = only_the_name and all(v is None for v in (kind, position_type, position_level, role, active))
    if q and q.strip():
        small_subtree = subtree_size is not None and subtree_size < SMALL_SUBTREE
        if search.uses_grams(dialect, q) and only_the_name and sort in (PeopleSort.id, PeopleSort.id_desc):
            search_mode = "grams"
            grams = search.gram_kind(q)
            params.update(search.gram_params(q))
        elif search.uses_fts(dialect, q) and not small_subtree:
            search_mode = "fts"
            params["q_fts"] = search.fts_phrase(q)
        else:
            search_mode = "contains"
            params["q_text"] = search.contains_value(dialect, q)
            subtree_scan = small_subtree and dialect == "sqlite"
    for i, (skill_id, level) in enumerate(skills):
        params[f"sk{i}"], params[f"lv{i}"] = skill_id, level
    if skills:
        from hrsys.skills.assessments.service import today

        params["day"] = today()
        if count_by_skill is None:
            scope_people, _ = _scope_estimate(engine, subtree_size, within_agency_ids)
            count_by_skill = search_mode is None and holders(engine, *skills[0]) < scope_people
    subtree_filter = agency_mode == "many" or within_agency_ids is not None
    if not (dialect == "sqlite" and subtree_filter and search_mode is None):
        scope_driven = False
    elif scope_driven is None:
        # Walking people in id order finds a page early only when matches are common (SQLite cannot
        # estimate that: it knows neither how much of the table a subtree is nor what EXISTS probes keep).
        scope_people, everyone = _scope_estimate(engine, subtree_size, within_agency_ids)
        everyone = max(1, everyone)
        if skills:
            expected = float(scope_people)  # matches, taking the skills as independent
            for skill in skills:
                expected *= holders(engine, *skill) / everyone
            scope_driven = expected < SCOPE_DRIVEN_MATCHES * (limit + offset) and scope_people < everyone / 4
        else:
            # rows walked in id order to fill the page (each read from the table) against the subtree's
            # entries of the narrow index (read in order, then sorted): about ten of these cost one of those
            walked = (limit + offset) * everyone / max(1, scope_people)
            scope_driven = scope_people < SCOPE_INDEX_ENTRIES_PER_ROW * walked
    shape = _Shape(
        agency=agency_mode,
        scope=within_agency_ids is not None,
        kind=kind is not None,
        position_type=position_type is not None,
        position_level=position_level is not None,
        role=role is not None,
        active=active is not None,
        search=search_mode,
        subtree_scan=subtree_scan,
        sort=sort,
        dialect=dialect,
        skills=len(skills),
        count_by_skill=bool(skills) and bool(count_by_skill),
        scope_driven=bool(scope_driven),
        grams=grams,
        page_limit=limit if dialect == "postgresql" and offset == 0 else None,
        covering=(
            dialect == "sqlite"
            and agency_mode == "one"
            and search_mode is None
            and not skills
            and offset <= COVERING_OFFSET
        ),
    )
    memo_key: tuple[Any, ...] | None = None
    if extra_conditions:
        stmt = RawSelect(_build(shape, extra_conditions), raw=False)
    else:
        stmt = _statement(shape)
        filters = replace(shape, page_limit=None, covering=False)  # the list, whatever its page
        memo_key = (filters, *((k, _hashable(v)) for k, v in sorted(params.items()) if k not in ("limit", "offset")))
    over = over_cap.recall(engine, memo_key) if memo_key is not None else None
    walk = (
        over is not None
        and search_mode == "contains"
        and dialect == "postgresql"
        and sort is PeopleSort.id
        and offset == 0
        and over.walked is not None
        and over.walked <= WALK_ROWS
    )
    if walk:
        params["q_needle"] = search.needle(q)  # type: ignore[arg-type]
    return _ListPlan(
        engine=engine,
        shape=shape,
        stmt=stmt,
        params=params,
        memo_key=memo_key,
        page_only=over is not None,
        walk=walk,
        # Name and skill searches need plans made for their values (how common a name or a skill is), except a
        # name alone: its trigram table is read the same way whatever the name (a kept plan: 0.50 against
        # 1.07 ms at the median of the bench's fragments, counted; HTTP by name 18-21% of the trivial
        # endpoint against 12% when planned for each fragment).
        fixed_plan=(search_mode in (None, "grams") or walk) and not skills and not extra_conditions,
        raw=not extra_conditions,
        limit=limit,
        offset=offset,
        role=role,
    )


def get(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound("person", person_id)
    return person


def to_out(session: Session, person: Person) -> PersonOut:
    agency = session.get(Agency, person.agency_id) if person.agency_id else None
    role_code = session.scalar(sa.select(Role.code).where(Role.id == person.role_id)) if person.role_id else None
    return PersonOut(
        id=person.id,
        kind=person.kind,
        title_th=person.title_th,
        first_name_th=person.first_name_th,
        last_name_th=person.last_name_th,
        first_name_en=person.first_name_en,
        last_name_en=person.last_name_en,
        email=person.email,
        phone=person.phone,
        citizen_id=person.citizen_id,
        date_of_birth=person.date_of_birth,
        agency=AgencyRef(code=agency.code, name_th=agency.name_th, name_en=agency.name_en) if agency else None,
        organisation=person.organisation,
        sector=person.sector,
        position_type=person.position_type,
        position_level=person.position_level,
        role=role_code,
        role_since=person.role_since,
        salary_grade=person.salary_grade,
        monthly_cost_baht=person.monthly_cost_baht,
        hired_on=person.hired_on,
        active=person.active,
        version=person.version,
        created_at=person.created_at,
        updated_at=person.updated_at,
    )


def _resolve_refs(
    session: Session, agency: str | None, role: str | None, errors: list[FieldError]
) -> tuple[int | None, int | None]:
    """Agency and role codes -> ids; an unknown one adds to ``errors`` (reported with the other fields)."""
    agency_id = role_id = None
    if agency is not None:
        agency_id = session.scalar(sa.select(Agency.id).where(Agency.code == agency))
        if agency_id is None:
            errors.append(FieldError("agency", f"no agency with code {agency}"))
    if role is not None:
        role_id = session.scalar(sa.select(Role.id).where(Role.code == role))
        if role_id is None:
            errors.append(FieldError("role", f"no role with code {role}"))
    return agency_id, role_id


def _unique_conflicts(session: Session, email: str | None, cid: str | None, exclude_id: int | None) -> None:
    for field, column, value in (("email", Person.email, email), ("citizen_id", Person.citizen_id, cid)):
        if value is None:
            continue
        stmt = sa.select(Person.id).where(column == value)
        if exclude_id is not None:
            stmt = stmt.where(Person.id != exclude_id)
        if session.scalar(stmt) is not None:
            raise Conflict(f"another person already has this {field}", errors=[FieldError(field, "already in use")])


def create(session: Session, data: PersonCreate) -> Person:
    errors = data.check()
    agency_id, role_id = _resolve_refs(session, data.agency, data.role, errors)
    check(errors)
    email = data.email.lower() if data.email else None
    _unique_conflicts(session, email, data.citizen_id, None)
    person = Person(
        kind=data.kind,
        title_th=data.title_th,
        first_name_th=data.first_name_th,
        last_name_th=data.last_name_th,
        first_name_en=data.first_name_en,
        last_name_en=data.last_name_en,
        email=email,
        phone=data.phone,
        citizen_id=data.citizen_id,
        date_of_birth=data.date_of_birth,
        agency_id=agency_id,
        organisation=data.organisation,
        sector=data.sector,
        position_type=data.position_type,
        position_level=data.position_level,
        role_id=role_id,
        role_since=data.role_since,
        salary_grade=data.salary_grade,
        monthly_cost_baht=data.monthly_cost_baht,
        hired_on=data.hired_on,
    )
    session.add(person)
    session.flush()
    session.refresh(person)
    return person


def update(session: Session, person_id: int, data: PersonUpdate) -> Person:
    import msgspec

    from hrsys.core.db import lock_for_edit

    person = lock_for_edit(session, get(session, person_id))
    if data.version is not msgspec.UNSET and data.version != person.version:
        raise Conflict(
            f"person {person_id} was changed by someone else (version {person.version}, you sent {data.version})",
            rule="stale_edit",
        )
    changes = {
        f: getattr(data, f)
        for f in msgspec.structs.asdict(data)
        if f != "version" and getattr(data, f) is not msgspec.UNSET
    }
    agency_code = changes.pop("agency", None)
    role_code = changes.pop("role", msgspec.UNSET)
    errors = data.check()
    agency_id, role_id = _resolve_refs(session, agency_code, role_code if isinstance(role_code, str) else None, errors)
    errors += _position_errors(
        person.kind,
        changes.get("position_type", person.position_type),
        changes.get("position_level", person.position_level),
    )
    for required in ("first_name_th", "last_name_th", "first_name_en", "last_name_en", "active"):
        if required in changes and changes[required] is None:
            errors.append(FieldError(required, "cannot be empty"))
    check(errors)
    if changes.get("email"):
        changes["email"] = changes["email"].lower()
    _unique_conflicts(session, changes.get("email"), changes.get("citizen_id"), person.id)
    for field, value in changes.items():
        setattr(person, field, value)
    if agency_id is not None:
        person.agency_id = agency_id
    if role_code is None:
        person.role_id = None
    elif role_id is not None:
        person.role_id = role_id
    session.flush()
    session.refresh(person)
    return person


def delete(session: Session, person_id: int) -> None:
    """Delete a person who has no history; anyone with records is deactivated instead (409)."""
    from hrsys.models import Assessment, Enrolment, Secondment, TaskForceMember

    person = get(session, person_id)
    for model, what in (
        (Assessment, "skill assessments"),
        (TaskForceMember, "task-force memberships"),
        (Secondment, "secondments"),
        (Enrolment, "enrolments"),
    ):
        if session.scalar(sa.select(model.id).where(model.person_id == person_id).limit(1)) is not None:
            raise Conflict(
                f"person {person_id} has {what}; set active to false instead of deleting",
                rule="person_has_history",
            )
    session.delete(person)
    session.flush()


def list_people_for(
    engine: Engine, user: CurrentUser, *, skills: list[str] | None = None, min_level: int = 1, **filters: Any
) -> Page[PersonListItem]:
    """:func:`list_people` as ``user`` may see it: admins everyone, HR officers their agency subtree."""
    return list_people(
        engine, within_agency_ids=_scope_of(engine, user), skills=skill_filters(engine, skills, min_level), **filters
    )


async def list_people_for_async(
    engine: Engine, hot: Any, user: CurrentUser, *, skills: list[str] | None = None, min_level: int = 1, **filters: Any
) -> Page[PersonListItem]:
    """:func:`list_people_for` for an async handler (see :func:`list_people_async`)."""
    if skills or engine.dialect.name != "postgresql":
        return await run_sync(engine, list_people_for, engine, user, skills=skills, min_level=min_level, **filters)
    if not user.is_admin and not agency_trees.fresh(engine):
        await run_sync(engine, agency_trees.get, engine)
    return await list_people_async(engine, hot, within_agency_ids=_scope_of(engine, user), **filters)


def _scope_of(engine: Engine, user: CurrentUser) -> list[int] | None:
    """The agencies whose people ``user`` may list (None: everyone)."""
    if user.is_admin:
        return None
    if user.is_hr and user.agency_path:
        return agency_trees.get(engine).subtree_ids_by_path(user.agency_path)
    return []


def skill_filters(engine: Engine, skills: Sequence[str] | None, min_level: int = 1) -> list[tuple[int, int]]:
    """People-by-skill filter: ``["TH-DG:DU02@3", "DDAT:PROGRAMMING"]`` -> ``[(skill_id, level), ...]`` (AND).

    A skill without ``@LEVEL`` needs ``min_level``. The people list reads the current
    profiles (``current_skill``), in which an assessment of an equivalent skill
    counts, and skips rows whose evidence expired even before the nightly
    ``refresh-expired`` recomputes them. Unknown skills and levels beyond a skill's scale are a 422 naming
    each. The
    pairs come rarest first (fewest holders at the level), which the list uses to
    choose its plan; a skill named twice keeps its highest level.
    """
    if not skills:
        return []
    from hrsys.skills.catalog.refs import resolve_skill_filters

    with read_engine(engine).connect() as conn:
        filters = resolve_skill_filters(conn, skills, min_level)
    wanted: dict[int, int] = {}
    for info, level in filters:
        wanted[info.id] = max(level, wanted.get(info.id, level))
    return sorted(wanted.items(), key=lambda pair: (holders(engine, *pair), pair))
