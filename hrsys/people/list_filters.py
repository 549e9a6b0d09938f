"""The people list's filters, declared once each: the route's query parameters, the statement's conditions and
the fast paths that may run with them all derive from these declarations.

A filter says
- its keyword of :func:`hrsys.people.listing.list_people` (``name``) and the route's query parameters that
  give it (``params``: name, type with its bounds and OpenAPI description, default; none for a filter that is
  not a query parameter, such as the reader's scope); ``from_route`` turns their values into the keyword's
  value when they differ;
- how a value becomes bound parameters (``bind``: plain values, named after the filter), and the condition on
  ``person`` that uses them (``condition``);
- which fast paths stay open when it is given (``fast_paths``). A fast path not listed is closed: a filter
  declared without any runs in the general statement, which holds every condition. No filter may open
  :attr:`FastPath.name_index`, whose statement reads the name index alone.

Filters of the domains above people (the current role from careers, current skills from skills) are declared
there and registered here with :func:`register`, when their package is imported. The people list, its route
and the test that runs every filter with every other (``tests/test_people_list_filters.py``) read
:func:`declared`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

import sqlalchemy as sa
from litestar.params import QueryParameter
from sqlalchemy.engine import Engine

from hrsys.agencies.cache import agency_trees
from hrsys.core.db import in_list, list_param
from hrsys.core.errors import Invalid
from hrsys.people.models import Person, PersonKind, PositionLevel, PositionType

P = Person.__table__


class FastPath(enum.StrEnum):
    """The people list's shortcuts that a filter may leave open (see the people guide)."""

    name_index = "name_index"
    """A name search read from its index alone (PostgreSQL's trigram table; SQLite's FTS5 rowids): its
    statement has no other condition, so no filter may open it."""
    covering = "covering"
    """SQLite, one agency's first pages: the rows straight from ``ix_person_agency_page``, which holds the
    list's columns; for filters on those columns."""
    kept_plan = "kept_plan"
    """PostgreSQL: a prepared statement whose plan PostgreSQL may keep; for filters whose values do not
    change how many rows match by orders of magnitude (not a skill)."""
    event_loop = "event_loop"
    """PostgreSQL: the list runs on asyncpg in the event loop; for filters bound without a query."""


ALL_BUT_NAME_INDEX = frozenset({FastPath.covering, FastPath.kept_plan, FastPath.event_loop})


@dataclass(frozen=True)
class Param:
    """One query parameter of ``GET /api/v1/people``."""

    name: str
    annotation: Any
    """Its type as the route declares it, with bounds and description (``Annotated[..., QueryParameter]``)."""
    default: Any = None


@dataclass(slots=True)
class Bound:
    """A filter's value as the statement takes it."""

    params: Mapping[str, Any]
    """Bound parameters (plain values)."""
    variant: Hashable = None
    """What of the value changes the statement's text (one agency or many, how many skills): part of its shape."""
    people: int | None = None
    """For a filter on agencies: the estimated people in them (for choosing plans)."""
    matching: tuple[int, ...] = ()
    """For a probe: the estimated people matching each of its parts, rarest first (for choosing plans)."""


def _plain(value: Any) -> Any:
    return value.name if isinstance(value, enum.Enum) else value


@dataclass(frozen=True)
class ListFilter:
    name: str
    """Keyword of :func:`~hrsys.people.listing.list_people`."""
    condition: Callable[[Hashable, str], Sequence[sa.ColumnElement[bool]]]
    """``(variant, dialect)`` -> conditions on ``person`` with the parameters of :attr:`bind`."""
    params: tuple[Param, ...] = ()
    bind: Callable[[Engine, Any], Bound] | None = None
    """Value -> :class:`Bound`; by default ``{name: value}`` (an enum as its name)."""
    from_route: Callable[..., Any] | None = None
    """``(engine, **query parameters)`` -> the value; by default the one parameter's value."""
    fast_paths: frozenset[FastPath] = frozenset()
    probe: bool = False
    """Its conditions probe another table by the person's id (``EXISTS``): they come after the person's own
    conditions, and the count may be read from its rows instead (:attr:`count_from`)."""
    count_from: Callable[[Hashable, list[sa.ColumnElement[bool]]], sa.Select[Any]] | None = None
    """A probe's own rows, the person's other conditions probed by key: ``(variant, conditions)`` -> a SELECT
    of matching people, counted from when :attr:`Bound.matching` says they are fewer."""
    when_empty: Callable[[Engine, Any], None] | None = None
    """An empty page: raise the 422 of a value that names nothing (an unknown code)."""
    order: int = 100
    """Place of its parameters in the route (and of its condition in the statement)."""
    empty_is_a_value: bool = False
    """An empty list is a value (no agencies: nobody), not the filter left out."""

    def bound(self, engine: Engine, value: Any) -> Bound:
        if self.bind is not None:
            return self.bind(engine, value)
        return Bound({self.name: _plain(value)})

    def route_value(self, engine: Engine, values: Mapping[str, Any]) -> Any:
        if self.from_route is not None:
            return self.from_route(engine, **values)
        return values[self.params[0].name]


@dataclass
class _Registry:
    filters: dict[str, ListFilter] = field(default_factory=dict)
    ordered: tuple[ListFilter, ...] = ()
    open_paths: dict[tuple[str, ...], frozenset[FastPath]] = field(default_factory=dict)


_registry = _Registry()


def register(declared_filter: ListFilter) -> None:
    """Add a filter to the people list (a domain above people, at import of its package); again: replaced."""
    if FastPath.name_index in declared_filter.fast_paths:
        raise ValueError(f"{declared_filter.name}: no filter may open the name index's fast path")
    _registry.filters[declared_filter.name] = declared_filter
    _registry.ordered = tuple(sorted(_registry.filters.values(), key=lambda f: f.order))
    _registry.open_paths.clear()


def declared() -> tuple[ListFilter, ...]:
    """Every filter of the people list, in the route's order."""
    return _registry.ordered


def get(name: str) -> ListFilter | None:
    return _registry.filters.get(name)


def open_paths(names: tuple[str, ...]) -> frozenset[FastPath]:
    """The fast paths that every one of the filters ``names`` leaves open (kept per set of names)."""
    found = _registry.open_paths.get(names)
    if found is None:
        paths = [_registry.filters[name].fast_paths for name in names]
        found = _registry.open_paths[names] = frozenset(FastPath).intersection(*paths)
    return found


# --- the people list's own filters ---------------------------------------------------------------------

AGENCY = "agency"
SCOPE = "within_agency_ids"


def _bind_agency(engine: Engine, code: str) -> Bound:
    """The ids of the subtree of ``code`` and its estimated headcount; 422 for an unknown code.

    The ids come from the per-process agency tree, so the planner sees how many agencies there are: one
    agency walks its ``(agency_id, id)`` index in order; on SQLite a subtree that is a small share of
    everyone reads its entries of that index and sorts them, a large one walks the table in id order and
    stops after a page.
    """
    ids = agency_trees.subtree_ids(engine, code)
    if ids is None:
        raise Invalid.one("agency", f"no agency with code {code}")
    people = agency_trees.get(engine).estimated_people(ids)
    dialect = engine.dialect.name
    if len(ids) == 1:
        return Bound({"agency_ids": ids[0]}, "one", people)
    return Bound({"agency_ids": list_param(ids, dialect)}, "many", people)


def _agency_condition(variant: Hashable, dialect: str) -> list[sa.ColumnElement[bool]]:
    if variant == "one":
        return [P.c.agency_id == sa.bindparam("agency_ids")]
    return [in_list(P.c.agency_id, "agency_ids", dialect)]


def _bind_scope(engine: Engine, ids: list[int]) -> Bound:
    people = agency_trees.get(engine).estimated_people(ids)
    return Bound({"scope_ids": list_param(list(ids) or [-1], engine.dialect.name)}, None, people)


def equals(column: str, annotation: Any, order: int) -> ListFilter:
    """A filter ``person.<column> = value``, its query parameter of the same name (a column of the list's
    covering index: every fast path but the name index's stays open)."""
    return ListFilter(
        column,
        lambda _variant, _dialect: [P.c[column] == sa.bindparam(column)],
        (Param(column, Annotated[annotation, QueryParameter()]),),
        fast_paths=ALL_BUT_NAME_INDEX,
        order=order,
    )


for _declared in (
    ListFilter(
        AGENCY,
        _agency_condition,
        (
            Param(
                "agency",
                Annotated[str | None, QueryParameter(description="Agency code: that agency and its sub-agencies")],
            ),
        ),
        bind=_bind_agency,
        fast_paths=ALL_BUT_NAME_INDEX,
        order=10,
    ),
    ListFilter(
        SCOPE,
        lambda _variant, dialect: [in_list(P.c.agency_id, "scope_ids", dialect)],
        bind=_bind_scope,
        fast_paths=ALL_BUT_NAME_INDEX,
        order=15,
        empty_is_a_value=True,
    ),
    equals("kind", PersonKind | None, 20),
    equals("position_type", PositionType | None, 30),
    equals("position_level", PositionLevel | None, 40),
    equals("active", bool | None, 70),
):
    register(_declared)

SEARCH_ORDER = 60
"""Place of the name search ``q`` among the route's parameters (after the role, before ``active``)."""
