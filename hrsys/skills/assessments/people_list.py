"""What skills adds to the people list: the filter by current skills (``skill``, ``min_level``), registered
with :mod:`hrsys.people.list_filters` at import of :mod:`hrsys.skills`.

People by skill walks people and probes ``current_skill`` by key, and counts from the rarest skill's holders
when they are fewer (see the skills guide).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Annotated, Any

import sqlalchemy as sa
from litestar.params import QueryParameter
from sqlalchemy.engine import Engine

from hrsys.core.db import read_engine
from hrsys.people import list_filters
from hrsys.people.list_filters import Bound, ListFilter, Param
from hrsys.people.models import Person
from hrsys.skills.assessments.holders import holders
from hrsys.skills.assessments.models import CurrentSkill
from hrsys.skills.assessments.service import today
from hrsys.skills.catalog.refs import resolve_skill_filters

P = Person.__table__
CS = CurrentSkill.__table__


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
    with read_engine(engine).connect() as conn:
        filters = resolve_skill_filters(conn, skills, min_level)
    wanted: dict[int, int] = {}
    for info, level in filters:
        wanted[info.id] = max(level, wanted.get(info.id, level))
    return sorted(wanted.items(), key=lambda pair: (holders(engine, *pair), pair))


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


def _conditions(skills: Hashable, _dialect: str) -> list[sa.ColumnElement[bool]]:
    return [_skill_exists(i, P.c.id, P) for i in range(int(skills))]  # type: ignore[call-overload]


def _count_from_holders(skills: Hashable, person_conds: list[sa.ColumnElement[bool]]) -> sa.Select[Any]:
    """Matching ids read from the index range of the rarest skill's holders; the others probed by key."""
    cs0 = CS.alias("cs0")
    conds: list[Any] = [
        cs0.c.skill_id == sa.bindparam("sk0"),
        cs0.c.level >= sa.bindparam("lv0"),
        sa.or_(cs0.c.valid_until.is_(None), cs0.c.valid_until >= sa.bindparam("day")),
    ]
    conds += [_skill_exists(i, cs0.c.person_id, cs0) for i in range(1, int(skills))]  # type: ignore[call-overload]
    if person_conds:
        # A correlated probe of the person's row by key keeps the holders as the outer loop.
        conds.append(sa.exists().where(P.c.id == cs0.c.person_id, *person_conds).correlate(cs0))
    return sa.select(cs0.c.person_id).where(*conds)


def _bind(engine: Engine, skills: Sequence[tuple[int, int]]) -> Bound:
    params: dict[str, Any] = {"day": today()}
    for i, (skill_id, level) in enumerate(skills):
        params[f"sk{i}"], params[f"lv{i}"] = skill_id, level
    return Bound(params, len(skills), matching=tuple(holders(engine, *skill) for skill in skills))


SKILLS_FILTER = ListFilter(
    "skills",
    _conditions,
    (
        Param(
            "skill",
            Annotated[
                list[str] | None,
                QueryParameter(
                    description="Holds this skill now: FRAMEWORK:CODE, optionally @LEVEL (e.g. TH-DG:DU02@3); "
                    "repeat for several skills (all required)"
                ),
            ],
        ),
        Param(
            "min_level",
            Annotated[int, QueryParameter(ge=0, le=10, description="Minimum level for skills given without @LEVEL")],
            1,
        ),
    ),
    bind=_bind,
    from_route=lambda engine, skill, min_level: skill_filters(engine, skill, min_level),
    probe=True,
    count_from=_count_from_holders,
    order=80,
)


def register() -> None:
    list_filters.register(SKILLS_FILTER)
