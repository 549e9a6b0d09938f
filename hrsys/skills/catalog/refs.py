"""Skill references: how every input that names a skill (``FRAMEWORK:CODE`` or an id) finds it, and checks
a level against the skill's framework scale.

The resolvers return their errors instead of raising, so that a 422 lists them with every other field at
fault (assessments, task-force needs, secondments' knowledge-transfer plans, people by skill).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.core.errors import FieldError, check
from hrsys.skills.catalog.format import parse_skill_ref
from hrsys.skills.catalog.models import framework_table as F
from hrsys.skills.catalog.models import level_table as L
from hrsys.skills.catalog.models import skill_table as S
from hrsys.skills.catalog.schemas import SkillRef, skill_ref


class SkillInfo:
    __slots__ = ("code", "framework", "framework_id", "id", "name_en", "name_th", "retired")

    def __init__(self, row: Any) -> None:
        self.id, self.code, self.name_th, self.name_en, self.retired, self.framework_id, self.framework = row

    @property
    def ref(self) -> SkillRef:
        return skill_ref(self.framework, self.code, self.name_th, self.name_en)


_SKILL_INFO_COLS = (S.c.id, S.c.code, S.c.name_th, S.c.name_en, S.c.retired, S.c.framework_id, F.c.code)


def skills_by_id(conn: sa.Connection | Session, ids: Iterable[int]) -> dict[int, SkillInfo]:
    ids = list(set(ids))
    if not ids:
        return {}
    rows = conn.execute(sa.select(*_SKILL_INFO_COLS).join(F, F.c.id == S.c.framework_id).where(S.c.id.in_(ids)))
    return {r[0]: SkillInfo(r) for r in rows}


def lookup_skill_refs(
    conn: sa.Connection | Session, refs: Sequence[str], *, field: str = "skill"
) -> tuple[dict[str, SkillInfo], list[FieldError]]:
    """``FRAMEWORK:CODE`` references -> the skills found, and an error for every malformed or unknown one
    (``field``, or ``field[i]`` for several), so that callers can report them with their other errors."""
    errors: list[FieldError] = []
    parsed: dict[str, tuple[str, str]] = {}
    for i, ref in enumerate(refs):
        p = parse_skill_ref(ref)
        label = field if len(refs) == 1 else f"{field}[{i}]"
        if p is None:
            errors.append(FieldError(label, f"{ref!r} is not a skill reference; write FRAMEWORK:CODE, e.g. TH-DG:DU02"))
        else:
            parsed[ref] = p
    found: dict[tuple[str, str], SkillInfo] = {}
    by_fw: dict[str, list[str]] = {}
    for fw, code in set(parsed.values()):
        by_fw.setdefault(fw, []).append(code)
    for fw, codes in by_fw.items():
        rows = conn.execute(
            sa.select(*_SKILL_INFO_COLS).join(F, F.c.id == S.c.framework_id).where(F.c.code == fw, S.c.code.in_(codes))
        )
        for r in rows:
            info = SkillInfo(r)
            found[(info.framework, info.code)] = info
    for i, ref in enumerate(refs):
        if ref in parsed and parsed[ref] not in found:
            label = field if len(refs) == 1 else f"{field}[{i}]"
            errors.append(FieldError(label, f"no skill {ref}"))
    return {ref: found[p] for ref, p in parsed.items() if p in found}, errors


def resolve_skill_refs(
    conn: sa.Connection | Session, refs: Sequence[str], *, field: str = "skill"
) -> dict[str, SkillInfo]:
    """``FRAMEWORK:CODE`` references -> skills; 422 listing every malformed or unknown one."""
    found, errors = lookup_skill_refs(conn, refs, field=field)
    check(errors)
    return found


def lookup_skill(
    conn: sa.Connection | Session,
    *,
    ref: str | None,
    skill_id: int | None,
    field: str = "skill",
    id_field: str = "skill_id",
) -> tuple[SkillInfo | None, list[FieldError]]:
    """The skill an input names, as ``FRAMEWORK:CODE`` in ``field`` or by id in ``id_field`` (exactly one of
    them); the errors say which field is at fault. Every input that takes a skill resolves it here."""
    if (ref is None) == (skill_id is None):
        return None, [FieldError(field, f"name the skill as FRAMEWORK:CODE in {field}, or by id in {id_field}")]
    if ref is not None:
        found, errors = lookup_skill_refs(conn, [ref], field=field)
        return found.get(ref), errors
    assert skill_id is not None
    info = skills_by_id(conn, [skill_id]).get(skill_id)
    return info, ([] if info else [FieldError(id_field, f"no skill with id {skill_id}")])


def level_errors(
    scale: Iterable[int], skill: SkillInfo, level: int, field: str, *, lenient: bool = False
) -> list[FieldError]:
    """An error unless ``level`` is on ``scale``, the skill's framework proficiency scale. With ``lenient``, a
    framework that defines no scale takes any level from 1 to 10 (as secondments' knowledge transfer does)."""
    scale = sorted(scale)
    if level in scale or (lenient and not scale and 1 <= level <= 10):
        return []
    if not scale:
        return [FieldError(field, f"{skill.framework} defines no proficiency scale")]
    return [FieldError(field, f"{level} is not a level of {skill.framework}; use one of {', '.join(map(str, scale))}")]


def scale_of(conn: sa.Connection | Session, framework_id: int) -> dict[int, tuple[str, str]]:
    """Level -> (label_en, label_th) of a framework's scale."""
    rows = conn.execute(
        sa.select(L.c.level, L.c.label_en, L.c.label_th).where(L.c.framework_id == framework_id).order_by(L.c.level)
    )
    return {r[0]: (r[1], r[2]) for r in rows}


def resolve_skill_filters(
    conn: sa.Connection | Session, values: Sequence[str], min_level: int
) -> list[tuple[SkillInfo, int]]:
    """People-by-skill filters -> (skill, level) pairs; one 422 naming every malformed reference or level,
    unknown skill, and level beyond the top of the skill's scale (``skill`` or ``skill[i]``; ``min_level``
    when it is the default level that is too high). A framework without a scale goes up to 10."""
    errors: list[FieldError] = []
    if not 0 <= min_level <= 10:
        errors.append(FieldError("min_level", "must be between 0 and 10"))
    tops: dict[int, int] = {}
    out: list[tuple[SkillInfo, int]] = []
    for i, raw in enumerate(values):
        label = "skill" if len(values) == 1 else f"skill[{i}]"
        ref, sep, lv = raw.strip().partition("@")
        level = min_level
        if sep:
            if not lv.isdigit() or not 0 <= int(lv) <= 10:
                errors.append(FieldError(label, f"the level after '@' must be a number 0..10, got {lv!r}"))
                continue
            level = int(lv)
        found, ref_errors = lookup_skill_refs(conn, [ref], field=label)
        errors += ref_errors
        info = found.get(ref)
        if info is None:
            continue
        if info.framework_id not in tops:
            tops[info.framework_id] = max(scale_of(conn, info.framework_id), default=10)
        top = tops[info.framework_id]
        if level > top and (sep or 0 <= min_level <= 10):
            errors.append(
                FieldError(
                    label if sep else "min_level",
                    f"{info.framework}:{info.code} has levels up to {top} on its framework's scale, not {level}",
                )
            )
        out.append((info, level))
    check(errors)
    return out
