"""What the careers package asks of the layers above it: functions they register here.

Careers sits below training in the layer order, yet two of its answers depend on
training's data: the bench strength's *one training plan away* and *untaught
essentials* need the highest level some plannable course teaches of each skill,
and a role that development plans aim at may not be deleted. Training registers
both when its package is imported (``hrsys/training/__init__.py``), which happens
wherever training's tables exist at all (every model is imported by
``hrsys.models`` and by the app). With nothing registered, no course teaches
anything and no plan targets a role.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

TeachableLevels = Callable[[Engine], Mapping[int, int]]
"""``engine -> {skill_id: highest level a plannable course teaches}``."""
RoleTargets = Callable[[Session, int], int]
"""``(session, role_id) -> how many development plans aim at the role``."""

_teachable: list[TeachableLevels] = []
_role_targets: list[RoleTargets] = []


def register_teachable(read: TeachableLevels) -> None:
    if read not in _teachable:
        _teachable.append(read)


def register_role_targets(count: RoleTargets) -> None:
    if count not in _role_targets:
        _role_targets.append(count)


def teachable_levels(engine: Engine) -> Mapping[int, int]:
    """The highest level taught of each skill, over everything registered (the registered map itself when one
    is: it is cached by its owner)."""
    if len(_teachable) == 1:
        return _teachable[0](engine)
    out: dict[int, int] = {}
    for read in _teachable:
        for skill_id, level in read(engine).items():
            if level > out.get(skill_id, 0):
                out[skill_id] = level
    return out


def role_targets(session: Session, role_id: int) -> int:
    """How many development plans aim at the role, over everything registered."""
    return sum(count(session, role_id) for count in _role_targets)
