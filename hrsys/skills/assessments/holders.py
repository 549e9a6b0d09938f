"""How many people hold a skill at each level: per-process estimates for choosing query plans.

A people-by-skill list can be driven from the people (in id order, probing each
person's skills) or from the holders of the rarest skill (one index range of
``current_skill``, probing the rest). Which is cheaper depends on how many
holders there are, so each worker keeps ``{level: people}`` per skill for
:data:`TTL_SECONDS`. Only plans depend on these figures, never results, so an
estimate a few minutes old is fine.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hrsys.core.cache import TtlCache
from hrsys.core.db import read_engine
from hrsys.skills.assessments.models import current_skill_table as CS

TTL_SECONDS = 600.0


_levels_by_skill: TtlCache[int, dict[int, int]] = TtlCache(TTL_SECONDS, max_keys=100_000)
"""Per engine, per skill id (a catalogue has some thousands of skills)."""


def holders(engine: Engine, skill_id: int, min_level: int) -> int:
    """People whose current level in ``skill_id`` is ``min_level`` or more (validity not considered)."""
    per_level = _levels(engine, skill_id)
    return sum(n for level, n in per_level.items() if level >= min_level)


def _levels(engine: Engine, skill_id: int) -> dict[int, int]:
    entry = _levels_by_skill.entry(engine, skill_id)
    if entry is not None:
        return entry.value
    with read_engine(engine).connect() as conn:
        rows = conn.execute(
            sa.select(CS.c.level, sa.func.count()).where(CS.c.skill_id == skill_id).group_by(CS.c.level)
        ).all()
    levels = {int(level): int(n) for level, n in rows}
    _levels_by_skill.put(engine, skill_id, levels)
    return levels
