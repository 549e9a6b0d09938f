"""The people list (``GET /api/v1/people``): a page of people and a capped total in one round trip.

Its filters are declared in :mod:`hrsys.people.list_filters` (some registered by the domains above people);
here a call's filters become a :class:`~hrsys.people.list_sql.Shape`, its fast paths are chosen and the
page is built from the rows, read by name.
"""

from __future__ import annotations

import contextlib
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hrsys.access.identity import CurrentUser
from hrsys.agencies.cache import AgencyTree, agency_trees
from hrsys.core.db import RawSelect, hot_read_engine, read_engine, run_sync, sqlite_reader
from hrsys.core.errors import check
from hrsys.core.pagination import COUNT_CAP, Page, page_errors
from hrsys.people import list_filters, over_cap, roles, search
from hrsys.people.list_filters import AGENCY, SCOPE, Bound, FastPath, ListFilter
from hrsys.people.list_sql import ROW, PeopleSort, Shape, statement
from hrsys.people.models import Person, PersonKind, PositionLevel, PositionType
from hrsys.people.schemas import AgencyRef, PersonListItem

over_cap.listen(Person)

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
"""SQLite: pages of one agency starting at most this far in are read from its covering index (``Shape.covering``)."""
SCOPE_DRIVEN_MATCHES = 4
"""SQLite probe (skill) searches in a subtree expecting fewer than this many pages of matches go through the
subtree's index (see ``Shape.scope_driven``)."""


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def list_people(engine: Engine, **filters: Any) -> Page[PersonListItem]:
    """A page of people and a capped total, in one round trip.

    Filters (all optional) are those declared in :mod:`hrsys.people.list_filters`: ``agency`` (a code: that
    agency and its subtree), ``kind``, ``position_type``, ``position_level``, ``active``,
    ``within_agency_ids`` (a user's scope), and those registered by other domains (``role``, a code;
    ``skills``, ``(skill_id, min_level)`` pairs the people must all hold now, rarest first); ``q`` (a
    substring of a name). A list with a probe (skills) walks the people in order and probes their skills (on
    SQLite, when matches are expected to be too rare to fill a page early, it reads the subtree's people
    instead and sorts them: ``scope_driven`` forces either, for tests); its total is counted from the people
    or from the probe's rows (the rarest skill's holders), whichever is estimated to be fewer
    (``count_by_skill`` forces one, for tests). The total is exact up to ``COUNT_CAP`` and says so in
    ``total_exact``; it is computed by a capped scalar sub-select of the same statement, except for a list
    that went over the cap moments ago in this worker, whose pages are read without it
    (:mod:`hrsys.people.over_cap`). Queries without ``extra_conditions`` run from prepared statements.
    :func:`list_people_async` is the same list for async handlers.
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

        def fetch(stmt: RawSelect, values: dict[str, Any]) -> list[Any]:
            if reader is not None:
                return stmt.rows_on(reader, engine.dialect, values)
            assert conn is not None
            return stmt.rows(conn, values)

        rows = fetch(plan.page_statement(), plan.params)
        total = plan.total(rows)
        if total is None:  # past the end: still say how many there are
            total = _count_of(fetch(plan.stmt, plan.first_row_params()))
    if not rows:
        plan.check_values()
    return _page(engine, plan, rows, total, *_refs(engine, rows))


async def list_people_async(engine: Engine, hot: Any, **filters: Any) -> Page[PersonListItem]:
    """:func:`list_people` for an async handler: on PostgreSQL the statement runs on asyncpg in the event
    loop (``hot``: the app's :class:`~hrsys.core.pg_async.HotReads`), elsewhere as :func:`run_sync` would.

    Lists with a filter that does not open :attr:`FastPath.event_loop` (skills: they look up skill holders)
    or with ``extra_conditions`` (statements that only SQLAlchemy renders) take the synchronous path in a
    thread.
    """
    if engine.dialect.name != "postgresql" or not _on_event_loop(filters):
        return await run_sync(engine, list_people, engine, **filters)
    # Both copies are read before the statement is sent: their stamp checks are queries, which must not run
    # on the event loop (they would if a copy's second ran out while the statement was on its way).
    if agency_trees.fresh(engine) and roles.fresh(engine):
        tree, codes = agency_trees.get(engine), roles.codes(engine)
    else:
        tree, codes = await run_sync(engine, _refs, engine, ())
    plan = _plan_list(engine, **filters)
    async with hot.pool(custom_plans=not plan.fixed_plan).connection() as conn:
        rows = await plan.page_statement().rows_async(conn, plan.params)
        total = plan.total(rows)
        if total is None:
            total = _count_of(await plan.stmt.rows_async(conn, plan.first_row_params()))
    if not rows and plan.checks:
        await run_sync(engine, plan.check_values)
    if _unknown_agency(tree, rows) or _unknown_role(codes, rows):
        tree, codes = await run_sync(engine, _refs, engine, rows)
    return _page(engine, plan, rows, total, tree, codes)


def _on_event_loop(filters: Mapping[str, Any]) -> bool:
    """Whether a list with ``filters`` may run on asyncpg in the event loop."""
    if filters.get("extra_conditions"):
        return False
    for name, value in filters.items():
        declared = list_filters.get(name)
        if declared is not None and _given(value) and FastPath.event_loop not in declared.fast_paths:
            return False
    return True


def _given(value: Any) -> bool:
    return value is not None and not (isinstance(value, list | tuple) and not value)


@dataclass(slots=True)
class _ListPlan:
    """What :func:`list_people` runs: the statement of the filter shape and its parameters."""

    engine: Engine
    shape: Shape
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
    checks: list[tuple[ListFilter, Any]]
    """Filters to check when the page is empty (an unknown code is a 422), with their values."""

    def page_statement(self) -> RawSelect:
        if not self.page_only:
            return self.stmt
        return statement(replace(self.shape, counted=False, search="walk" if self.walk else self.shape.search))

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

    def check_values(self) -> None:
        for declared, value in self.checks:
            assert declared.when_empty is not None
            declared.when_empty(self.engine, value)


def agency_refs(tree: AgencyTree) -> dict[int, AgencyRef]:
    """One shared :class:`AgencyRef` per agency of ``tree``, for lists of people (renames show within a second)."""
    return {a.id: AgencyRef(code=a.code, name_th=a.name_th, name_en=a.name_en) for a in tree.by_id.values()}


def _count_of(rows: Sequence[Any]) -> int:
    """The capped total that every row of a counted statement carries (0 without rows)."""
    return int(rows[0][ROW.total]) if rows else 0


def _unknown_agency(tree: AgencyTree, rows: Sequence[Any]) -> bool:
    """Whether a row names an agency that ``tree`` does not know (added a moment ago by another worker)."""
    by_id, at = tree.by_id, ROW.agency_id
    return any(r[at] is not None and r[at] not in by_id for r in rows)


def _unknown_role(codes: Mapping[int, str], rows: Sequence[Any]) -> bool:
    at = ROW.role_id
    return any(r[at] is not None and r[at] not in codes for r in rows)


def _refs(engine: Engine, rows: Sequence[Any]) -> tuple[AgencyTree, Mapping[int, str]]:
    """The agency tree and role codes that name everything in ``rows`` (each read again if a row names an
    agency or a role it does not know: added a moment ago, maybe by another worker)."""
    tree, codes = agency_trees.get(engine), roles.codes(engine)
    if _unknown_agency(tree, rows):
        tree = agency_trees.get(engine, force_check=True)
    if _unknown_role(codes, rows):
        codes = roles.codes(engine, reload=True)
    return tree, codes


def _page(
    engine: Engine, plan: _ListPlan, rows: Sequence[Any], total: int, tree: AgencyTree, codes: Mapping[int, str]
) -> Page[PersonListItem]:
    """The page of ``rows``, with agency names from ``tree`` and role codes from ``codes`` (which know every
    agency and role they name)."""
    if total > COUNT_CAP and plan.memo_key is not None and not plan.page_only:
        first_page_by_id = plan.offset == 0 and plan.shape.sort is PeopleSort.id and len(rows) == plan.limit
        over_cap.remember(engine, plan.memo_key, walked=rows[-1][ROW.id] if first_page_by_id else None)
    refs = tree.derived(agency_refs)
    # the positions of the columns, by name, as locals: an attribute per cell cost 15 us a page
    at_id, at_kind, at_first_th, at_last_th, at_first_en, at_last_en = ROW[:6]
    at_agency, at_org, at_type, at_level, at_role, at_active = ROW[6:12]
    items = [
        PersonListItem(
            id=r[at_id],
            kind=_KINDS[r[at_kind]],
            first_name_th=r[at_first_th],
            last_name_th=r[at_last_th],
            first_name_en=r[at_first_en],
            last_name_en=r[at_last_en],
            agency=refs.get(r[at_agency]) if r[at_agency] is not None else None,
            organisation=r[at_org],
            position_type=_TYPES[r[at_type]],
            position_level=_LEVELS[r[at_level]],
            role=codes.get(r[at_role]) if r[at_role] is not None else None,
            active=bool(r[at_active]),
        )
        for r in rows
    ]
    exact = total <= COUNT_CAP
    return Page(items=items, total=min(total, COUNT_CAP), total_exact=exact, limit=plan.limit, offset=plan.offset)


def _scope_people(engine: Engine, bound: Mapping[str, Bound]) -> tuple[int, int]:
    """(people in the list's agencies, people in all agencies): the agency tree's estimates, for choosing plans."""
    everyone = agency_trees.get(engine).everyone
    people = [b.people for name, b in bound.items() if name in (AGENCY, SCOPE) and b.people is not None]
    return min([everyone, *people]), everyone


def _plan_list(
    engine: Engine,
    *,
    q: str | None = None,
    extra_conditions: list[sa.ColumnElement[bool]] | None = None,
    sort: PeopleSort = PeopleSort.id,
    limit: int = 50,
    offset: int = 0,
    count_by_skill: bool | None = None,
    scope_driven: bool | None = None,
    **filters: Any,
) -> _ListPlan:
    """The statement and parameters of a list (see :func:`list_people` for the filters)."""
    errors = page_errors(limit, offset)
    check(errors)
    dialect = engine.dialect.name
    params: dict[str, Any] = {"limit": limit, "offset": offset}
    given: list[tuple[ListFilter, Any]] = []
    for name, value in filters.items():
        declared = list_filters.get(name)
        if declared is None:
            raise TypeError(f"the people list has no filter {name!r}")
        if _given(value) or (declared.empty_is_a_value and value is not None):
            given.append((declared, value))
    given.sort(key=lambda pair: pair[0].order)
    bound: dict[str, Bound] = {}
    for declared, value in given:
        bound[declared.name] = found = declared.bound(engine, value)
        params.update(found.params)
    opened = list_filters.open_paths(tuple(d.name for d, _ in given))
    agency_mode = bound[AGENCY].variant if AGENCY in bound else None
    subtree_size = bound[AGENCY].people if AGENCY in bound else None
    probes = [(d, bound[d.name]) for d, _ in given if d.probe]
    search_mode = None
    subtree_scan = False
    grams = None
    if q and q.strip():
        small_subtree = subtree_size is not None and subtree_size < SMALL_SUBTREE
        name_alone = not given and not extra_conditions  # no filter opens the name index's fast path
        if search.uses_grams(dialect, q) and name_alone and sort in (PeopleSort.id, PeopleSort.id_desc):
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
    count_from = None
    if probes:
        first, first_bound = probes[0]
        if count_by_skill is None and first.count_from is not None:
            scope_people, _ = _scope_people(engine, bound)
            count_by_skill = search_mode is None and first_bound.matching[0] < scope_people
        if count_by_skill and first.count_from is not None:
            count_from = first.name
    subtree_filter = agency_mode == "many" or SCOPE in bound
    if not (dialect == "sqlite" and subtree_filter and search_mode is None):
        scope_driven = False
    elif scope_driven is None:
        # Walking people in id order finds a page early only when matches are common (SQLite cannot
        # estimate that: it knows neither how much of the table a subtree is nor what EXISTS probes keep).
        scope_people, everyone = _scope_people(engine, bound)
        everyone = max(1, everyone)
        if probes:
            expected = float(scope_people)  # matches, taking the probes' parts as independent
            for _, probe_bound in probes:
                for matching in probe_bound.matching:
                    expected *= matching / everyone
            scope_driven = expected < SCOPE_DRIVEN_MATCHES * (limit + offset) and scope_people < everyone / 4
        else:
            # rows walked in id order to fill the page (each read from the table) against the subtree's
            # entries of the narrow index (read in order, then sorted): about ten of these cost one of those
            walked = (limit + offset) * everyone / max(1, scope_people)
            scope_driven = scope_people < SCOPE_INDEX_ENTRIES_PER_ROW * walked
    shape_filters: tuple[tuple[str, Hashable], ...] = tuple((d.name, bound[d.name].variant) for d, _ in given)
    shape = Shape(
        filters=shape_filters,
        search=search_mode,
        subtree_scan=subtree_scan,
        sort=sort,
        dialect=dialect,
        count_from=count_from,
        scope_driven=bool(scope_driven),
        grams=grams,
        page_limit=limit if dialect == "postgresql" and offset == 0 else None,
        covering=(
            dialect == "sqlite"
            and agency_mode == "one"
            and search_mode is None
            and FastPath.covering in opened
            and offset <= COVERING_OFFSET
        ),
    )
    memo_key: tuple[Any, ...] | None = None
    stmt = statement(shape, extra_conditions)
    if not extra_conditions:
        filters_only = replace(shape, page_limit=None, covering=False)  # the list, whatever its page
        values = ((k, _hashable(v)) for k, v in sorted(params.items()) if k not in ("limit", "offset"))
        memo_key = (filters_only, *values)
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
        # Name and probe searches need plans made for their values (how common a name or a skill is), except
        # a name alone: its trigram table is read the same way whatever the name (a kept plan: 0.50 against
        # 1.07 ms at the median of the bench's fragments, counted; HTTP by name 18-21% of the trivial
        # endpoint against 12% when planned for each fragment).
        fixed_plan=(search_mode in (None, "grams") or walk) and FastPath.kept_plan in opened and not extra_conditions,
        raw=not extra_conditions,
        limit=limit,
        offset=offset,
        checks=[(d, v) for d, v in given if d.when_empty is not None],
    )


# --- as a user may see it ------------------------------------------------------------------------------


def _scope_of(engine: Engine, user: CurrentUser) -> list[int] | None:
    """The agencies whose people ``user`` may list (None: everyone)."""
    if user.is_admin:
        return None
    if user.is_hr and user.agency_path:
        return agency_trees.get(engine).subtree_ids_by_path(user.agency_path)
    return []


def from_route(engine: Engine, values: Mapping[str, Any]) -> dict[str, Any]:
    """The route's query parameters (every declared one, and ``q``, ``sort``, ``limit``, ``offset``) as
    :func:`list_people`'s keywords."""
    out = dict(values)
    for declared in list_filters.declared():
        if declared.params:
            given = {p.name: out.pop(p.name, p.default) for p in declared.params}
            out[declared.name] = declared.route_value(engine, given)
    return out


def list_people_for(engine: Engine, user: CurrentUser, **route_values: Any) -> Page[PersonListItem]:
    """:func:`list_people` as ``user`` may see it (admins everyone, HR officers their agency subtree), with
    the filters as the route names them (``skill``, ``min_level``; see :func:`from_route`)."""
    return list_people(engine, **{SCOPE: _scope_of(engine, user)}, **from_route(engine, route_values))


async def list_people_for_async(
    engine: Engine, hot: Any, user: CurrentUser, **route_values: Any
) -> Page[PersonListItem]:
    """:func:`list_people_for` for an async handler (see :func:`list_people_async`)."""
    if engine.dialect.name != "postgresql" or not _route_on_event_loop(route_values):
        return await run_sync(engine, list_people_for, engine, user, **route_values)
    if not user.is_admin and not agency_trees.fresh(engine):
        await run_sync(engine, agency_trees.get, engine)
    filters = from_route(engine, route_values)
    return await list_people_async(engine, hot, **{SCOPE: _scope_of(engine, user)}, **filters)


def _route_on_event_loop(route_values: Mapping[str, Any]) -> bool:
    """Whether the route's values can become the list's filters without a query (no skill given)."""
    for declared in list_filters.declared():
        if (
            declared.from_route is not None
            and FastPath.event_loop not in declared.fast_paths
            and any(_given(route_values.get(p.name)) for p in declared.params if p.default is None)
        ):
            return False
    return True
