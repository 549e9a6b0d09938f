"""Importing frameworks into the database: upsert by code, retire what is still used, report everything.

One call imports one framework inside the caller's transaction; the CLI commits,
or rolls back for ``--dry-run`` (so a dry run reports exactly what a real run
would do). Bulk statements (Core ``insert``/``update`` with executemany) keep a
15,000-skill taxonomy well under ten seconds.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.core.db import Base
from hrsys.core.errors import Conflict, FieldError, Invalid
from hrsys.core.stamps import bump_version
from hrsys.people.models import PositionLevel
from hrsys.skills.catalog import changes
from hrsys.skills.catalog.format import (
    CatalogError,
    FamilyData,
    FrameworkData,
    FrameworkMeta,
    GroupData,
    LevelData,
    load_catalog,
    parse_skill_ref,
)
from hrsys.skills.catalog.models import (
    CatalogImport,
)
from hrsys.skills.catalog.models import equivalence_table as EQ
from hrsys.skills.catalog.models import framework_table as F
from hrsys.skills.catalog.models import group_table as G
from hrsys.skills.catalog.models import level_table as L
from hrsys.skills.catalog.models import profile_level_table as SPL
from hrsys.skills.catalog.models import profile_table as SP
from hrsys.skills.catalog.models import skill_table as S
from hrsys.skills.catalog.schemas import FrameworkImportReport, ImportCounts

MAX_CODES_IN_REPORT = 200
"""The report lists codes up to this many per kind (counts are always complete)."""

DEFAULT_SCALE = [
    LevelData(level=1, code="awareness", label_th="ตระหนักรู้", label_en="Awareness"),
    LevelData(level=2, code="working", label_th="ทำงานได้", label_en="Working"),
    LevelData(level=3, code="practitioner", label_th="ผู้ปฏิบัติที่ชำนาญ", label_en="Practitioner"),
    LevelData(level=4, code="expert", label_th="ผู้เชี่ยวชาญ", label_en="Expert"),
]
"""The scale given to a framework first created from a CSV taxonomy (which has no levels)."""

# Columns that hold a level of a skill's scale, per table that refers to skills.
_LEVEL_COLUMNS = {
    "assessment": "level",
    "current_skill": "level",
    "role_requirement": "level",
    "course_outcome": "level",
    "taskforce_need": "min_level",
    "knowledge_transfer": "target_level",
}
_CATALOG_OWN_TABLES = {"skill", "skill_equivalence", "skill_profile_level"}


def skill_referencing_columns() -> list[sa.Column[Any]]:
    """Every column of another domain that points at ``skill.id`` (found from the metadata)."""
    cols = []
    for table in Base.metadata.tables.values():
        if table.name in _CATALOG_OWN_TABLES:
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name == "skill":
                cols.append(fk.parent)
    return cols


def skills_in_use(session: Session, skill_ids: Iterable[int]) -> set[int]:
    """Which of ``skill_ids`` anything outside the catalog still refers to."""
    ids = list(skill_ids)
    used: set[int] = set()
    for col in skill_referencing_columns():
        for i in range(0, len(ids), 5000):
            chunk = ids[i : i + 5000]
            used.update(session.scalars(sa.select(col).where(col.in_(chunk)).distinct()))
    return used


def _levels_in_use(session: Session, framework_id: int, levels: Sequence[int]) -> dict[int, str]:
    """Levels of ``levels`` that rows of other tables use for skills of the framework, with one user each."""
    used: dict[int, str] = {}
    tables = Base.metadata.tables
    for name, column in _LEVEL_COLUMNS.items():
        if name not in tables:
            continue
        t = tables[name]
        rows = session.execute(
            sa.select(t.c[column])
            .join(S, S.c.id == t.c.skill_id)
            .where(S.c.framework_id == framework_id, t.c[column].in_(list(levels)))
            .distinct()
        )
        for (lv,) in rows:
            used.setdefault(lv, name)
    return used


class _Counter:
    def __init__(self) -> None:
        self.c = ImportCounts()

    def add(self, kind: str, code: str) -> None:
        setattr(self.c, kind, getattr(self.c, kind) + 1)
        if kind != "unchanged":
            codes: list[str] = getattr(self.c, f"{kind}_codes")
            if len(codes) < MAX_CODES_IN_REPORT:
                codes.append(code)


def _meta_values(meta: FrameworkMeta, families: list[Any]) -> dict[str, Any]:
    return {
        "code": meta.code,
        "name_th": meta.name_th,
        "name_en": meta.name_en,
        "version": meta.version,
        "source": meta.source,
        "source_url": meta.source_url,
        "licence": meta.licence,
        "attribution": meta.attribution,
        "description": meta.description,
        "families": families,
    }


def import_framework(
    session: Session,
    data: FrameworkData,
    *,
    source: str,
    dry_run: bool = False,
    sync_levels: bool = True,
    sync_profiles: bool = True,
    sync_equivalences: bool = True,
) -> FrameworkImportReport:
    """Upsert one framework and everything in it by code, in the caller's transaction.

    Parts not synced (``sync_*=False``) are left as they are, which is what a CSV
    taxonomy import wants. Raises :class:`~hrsys.core.errors.Conflict` when a scale
    level still in use would disappear, :class:`~hrsys.core.errors.Invalid` when an
    equivalence names an unknown skill or joins frameworks with different scales.
    """
    started = time.perf_counter()
    meta = data.meta
    families = [msgspec.to_builtins(f) for f in data.families]
    values = _meta_values(meta, families)
    row = session.execute(sa.select(F).where(F.c.code == meta.code)).mappings().first()
    created = row is None
    metadata_changed = False
    if row is None:
        framework_id = session.execute(sa.insert(F).values(**values).returning(F.c.id)).scalar_one()
    else:
        framework_id = row["id"]
        current = {k: row[k] for k in values}
        if current != values or row["retired"]:
            metadata_changed = True
            session.execute(sa.update(F).where(F.c.id == framework_id).values(**values, retired=False))

    levels = _sync_levels(session, framework_id, data.levels) if sync_levels else ImportCounts()
    groups, group_ids = _sync_groups(session, framework_id, data.groups)
    skills, skill_ids = _sync_skills(session, framework_id, data, group_ids)
    profiles = _sync_profiles(session, framework_id, data, skill_ids) if sync_profiles else ImportCounts()
    equivalences = ImportCounts()
    if sync_equivalences:
        equivalences, affected = _sync_equivalences(session, framework_id, meta.code, data, skill_ids)
        if affected:
            changes.equivalences_changed(session, affected)  # the profiles of these skills are rebuilt

    report = FrameworkImportReport(
        framework=meta.code,
        version=meta.version,
        source=source,
        created=created,
        metadata_changed=metadata_changed,
        levels=levels,
        groups=groups,
        skills=skills,
        profiles=profiles,
        equivalences=equivalences,
        dry_run=dry_run,
        recorded=False,
    )
    if report.changed_anything:
        bump_version(session, "catalog")
        if not dry_run:
            report.recorded = True
        summary = msgspec.to_builtins(report)
        summary.pop("seconds", None)
        session.add(
            CatalogImport(framework_id=framework_id, framework_version=meta.version, source=source, summary=summary)
        )
    session.flush()
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _sync_levels(session: Session, framework_id: int, levels: list[LevelData]) -> ImportCounts:
    n = _Counter()
    existing = {r["level"]: r for r in session.execute(sa.select(L).where(L.c.framework_id == framework_id)).mappings()}
    desired = {lv.level: lv for lv in levels}
    missing = sorted(set(existing) - set(desired))
    if missing:
        used = _levels_in_use(session, framework_id, missing)
        if used:
            detail = ", ".join(f"level {lv} (used by {table})" for lv, table in sorted(used.items()))
            raise Conflict(
                f"the new scale drops levels still in use: {detail}; keep them in framework.toml",
                rule="scale_level_in_use",
            )
        session.execute(sa.delete(L).where(L.c.framework_id == framework_id, L.c.level.in_(missing)))
        for lv in missing:
            n.add("removed", str(lv))
    for number, lv in desired.items():
        vals = {"code": lv.code, "label_th": lv.label_th, "label_en": lv.label_en, "descriptor": lv.descriptor}
        old = existing.get(number)
        if old is None:
            session.execute(sa.insert(L).values(framework_id=framework_id, level=number, **vals))
            n.add("added", str(number))
        elif {k: old[k] for k in vals} != vals:
            session.execute(sa.update(L).where(L.c.id == old["id"]).values(**vals))
            n.add("changed", str(number))
        else:
            n.add("unchanged", str(number))
    return n.c


def _sync_groups(session: Session, framework_id: int, groups: list[GroupData]) -> tuple[ImportCounts, dict[str, int]]:
    n = _Counter()
    rows = session.execute(sa.select(G).where(G.c.framework_id == framework_id)).mappings().all()
    existing = {r["code"]: r for r in rows}
    code_of = {r["id"]: r["code"] for r in rows}
    ids = {r["code"]: r["id"] for r in rows}
    for position, g in enumerate(groups):
        vals = {"name_th": g.name_th, "name_en": g.name_en, "description": g.description, "position": position}
        old = existing.get(g.code)
        if old is None:
            ids[g.code] = session.execute(
                sa.insert(G).values(framework_id=framework_id, code=g.code, **vals).returning(G.c.id)
            ).scalar_one()
            n.add("added", g.code)
            continue
        old_parent = code_of.get(old["parent_id"]) if old["parent_id"] else None
        same = {k: old[k] for k in vals if k != "position"} == {k: v for k, v in vals.items() if k != "position"}
        if same and old_parent == g.parent and not old["retired"]:
            if old["position"] != position:
                session.execute(sa.update(G).where(G.c.id == old["id"]).values(position=position))
            n.add("unchanged", g.code)
        else:
            session.execute(sa.update(G).where(G.c.id == old["id"]).values(retired=False, **vals))
            n.add("changed", g.code)
    for g in groups:  # parents, once every group has an id
        parent_id = ids[g.parent] if g.parent else None
        old = existing.get(g.code)
        if old is None or old["parent_id"] != parent_id:
            session.execute(sa.update(G).where(G.c.id == ids[g.code]).values(parent_id=parent_id))
    desired = {g.code for g in groups}
    gone = [r for code, r in existing.items() if code not in desired and not r["retired"]]
    if gone:
        gone_ids = [r["id"] for r in gone]
        used = set(session.scalars(sa.select(S.c.group_id).where(S.c.group_id.in_(gone_ids)).distinct()))
        used |= set(session.scalars(sa.select(G.c.parent_id).where(G.c.parent_id.in_(gone_ids)).distinct()))
        for r in gone:
            if r["id"] in used:
                session.execute(sa.update(G).where(G.c.id == r["id"]).values(retired=True))
                n.add("retired", r["code"])
            else:
                session.execute(sa.delete(G).where(G.c.id == r["id"]))
                ids.pop(r["code"], None)
                n.add("removed", r["code"])
    return n.c, ids


def _sync_skills(
    session: Session, framework_id: int, data: FrameworkData, group_ids: dict[str, int]
) -> tuple[ImportCounts, dict[str, int]]:
    n = _Counter()
    cols = [S.c.id, S.c.code, S.c.name_th, S.c.name_en, S.c.description, S.c.aliases, S.c.group_id, S.c.position]
    existing = {r[1]: r for r in session.execute(sa.select(*cols, S.c.retired).where(S.c.framework_id == framework_id))}
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for position, sk in enumerate(data.skills):
        vals = {
            "name_th": sk.name_th,
            "name_en": sk.name_en,
            "description": sk.description,
            "aliases": "\n".join(sk.aliases) if sk.aliases else None,
            "group_id": group_ids.get(sk.group) if sk.group else None,
            "position": position,
        }
        old = existing.get(sk.code)
        if old is None:
            inserts.append({"framework_id": framework_id, "code": sk.code, "retired": False, **vals})
            n.add("added", sk.code)
        elif (old[2], old[3], old[4], old[5], old[6]) != tuple(vals.values())[:5] or old[8]:
            updates.append({"_id": old[0], "retired": False, **vals})
            n.add("changed", sk.code)
        else:
            if old[7] != position:  # only moved in the file: keep the browse order, report no change
                updates.append({"_id": old[0], "retired": False, **vals})
            n.add("unchanged", sk.code)
    if inserts:
        for i in range(0, len(inserts), 5000):
            session.execute(sa.insert(S), inserts[i : i + 5000])
    if updates:
        stmt = (
            sa.update(S)
            .where(S.c.id == sa.bindparam("_id"))
            .values({k: sa.bindparam(k) for k in updates[0] if k != "_id"})
        )
        session.connection().execute(stmt, updates)
    desired = {sk.code for sk in data.skills}
    gone = {code: r[0] for code, r in existing.items() if code not in desired and not r[8]}
    if gone:
        used = skills_in_use(session, gone.values())
        retire = [i for i in gone.values() if i in used]
        remove = [i for i in gone.values() if i not in used]
        for code, sid in sorted(gone.items()):
            n.add("retired" if sid in used else "removed", code)
        for i in range(0, len(retire), 5000):
            session.execute(sa.update(S).where(S.c.id.in_(retire[i : i + 5000])).values(retired=True))
        for i in range(0, len(remove), 5000):
            session.execute(sa.delete(S).where(S.c.id.in_(remove[i : i + 5000])))
    ids = {
        code: sid for sid, code in session.execute(sa.select(S.c.id, S.c.code).where(S.c.framework_id == framework_id))
    }
    return n.c, ids


def _sync_profiles(session: Session, framework_id: int, data: FrameworkData, skill_ids: dict[str, int]) -> ImportCounts:
    n = _Counter()
    existing = {
        r["code"]: r for r in session.execute(sa.select(SP).where(SP.c.framework_id == framework_id)).mappings()
    }
    code_of = {v: k for k, v in skill_ids.items()}
    levels_of: dict[int, dict[str, int]] = {}
    if existing:
        rows = session.execute(
            sa.select(SPL.c.profile_id, SPL.c.skill_id, SPL.c.level).where(
                SPL.c.profile_id.in_([r["id"] for r in existing.values()])
            )
        )
        for pid, sid, lv in rows:
            levels_of.setdefault(pid, {})[code_of.get(sid, f"#{sid}")] = lv
    for position, p in enumerate(data.profiles):
        vals = {
            "name_th": p.name_th,
            "name_en": p.name_en,
            "family": p.family,
            "role": p.role,
            "role_level": p.role_level,
            "description": p.description,
            "position_levels": list(p.position_levels),
            "position": position,
        }
        old = existing.get(p.code)
        if old is None:
            pid = session.execute(
                sa.insert(SP).values(framework_id=framework_id, code=p.code, retired=False, **vals).returning(SP.c.id)
            ).scalar_one()
            n.add("added", p.code)
        else:
            pid = old["id"]
            if {k: old[k] for k in vals} == vals and levels_of.get(pid, {}) == p.levels:
                n.add("unchanged", p.code)
                continue
            session.execute(sa.update(SP).where(SP.c.id == pid).values(**vals))
            session.execute(sa.delete(SPL).where(SPL.c.profile_id == pid))
            n.add("changed", p.code)
        if p.levels:
            session.execute(
                sa.insert(SPL),
                [{"profile_id": pid, "skill_id": skill_ids[code], "level": lv} for code, lv in p.levels.items()],
            )
    desired = {p.code for p in data.profiles}
    for code, r in existing.items():
        if code not in desired:
            session.execute(sa.delete(SP).where(SP.c.id == r["id"]))
            n.add("removed", code)
    return n.c


def _sync_equivalences(
    session: Session, framework_id: int, framework_code: str, data: FrameworkData, skill_ids: dict[str, int]
) -> tuple[ImportCounts, set[int]]:
    """Make the pairs this framework declares exactly those of its file; return the skills whose class changed."""
    n = _Counter()
    errors: list[FieldError] = []
    own_levels = set(session.scalars(sa.select(L.c.level).where(L.c.framework_id == framework_id)))
    desired: dict[tuple[int, int], str] = {}
    checked_scales: dict[str, bool] = {}
    for i, e in enumerate(data.equivalences):
        field = f"equivalences.toml: equivalent[{i + 1}].same_as"
        ref = parse_skill_ref(e.same_as)
        assert ref is not None  # the loader checked the form
        other_fw, other_code = ref
        other = session.execute(
            sa.select(S.c.id, F.c.id)
            .join(F, F.c.id == S.c.framework_id)
            .where(F.c.code == other_fw, S.c.code == other_code)
        ).first()
        if other is None:
            errors.append(FieldError(field, f"no skill {e.same_as} in the database (import {other_fw} first)"))
            continue
        if other_fw not in checked_scales:
            other_levels = set(session.scalars(sa.select(L.c.level).where(L.c.framework_id == other[1])))
            checked_scales[other_fw] = other_levels == own_levels
            if other_levels != own_levels:
                errors.append(
                    FieldError(
                        field,
                        f"{framework_code} and {other_fw} have different scale levels "
                        f"({sorted(own_levels)} and {sorted(other_levels)}); equivalent skills need the same scale",
                    )
                )
        if not checked_scales[other_fw]:
            continue
        a, b = sorted((skill_ids[e.skill], other[0]))
        desired[(a, b)] = f"{framework_code}:{e.skill}={e.same_as}"
    if errors:
        raise Invalid.many(errors)
    all_pairs = {
        (r[0], r[1]): r[2] for r in session.execute(sa.select(EQ.c.skill_a_id, EQ.c.skill_b_id, EQ.c.declared_by_id))
    }
    existing = {pair for pair, owner in all_pairs.items() if owner == framework_id}
    affected: set[int] = set()
    for pair, label in desired.items():
        if pair in existing or pair in all_pairs:
            n.add("unchanged", label)
            continue
        session.execute(sa.insert(EQ).values(skill_a_id=pair[0], skill_b_id=pair[1], declared_by_id=framework_id))
        affected.update(pair)
        n.add("added", label)
    code_of = {v: k for k, v in skill_ids.items()}
    for pair in existing - set(desired):
        session.execute(sa.delete(EQ).where(EQ.c.skill_a_id == pair[0], EQ.c.skill_b_id == pair[1]))
        affected.update(pair)
        n.add("removed", "=".join(code_of.get(i, f"#{i}") for i in pair))
    return n.c, affected


def import_catalog(session: Session, path: str | Path, *, dry_run: bool = False) -> list[FrameworkImportReport]:
    """Import every framework folder under ``path`` (or the one folder), in dependency order.

    Raises :class:`~hrsys.skills.catalog.format.CatalogError` listing every file problem.
    """
    frameworks = load_catalog(path, position_levels=PositionLevel.__members__)
    return [import_framework(session, fw, source=str(Path(fw.folder).resolve()), dry_run=dry_run) for fw in frameworks]


def catalog_error_to_invalid(exc: CatalogError) -> Invalid:
    return Invalid.many(
        [FieldError(f"{p.file}:{p.line}" if p.line else p.file, f"{p.field}: {p.reason}") for p in exc.problems]
    )


def import_csv(
    session: Session,
    path: str | Path,
    *,
    framework: str,
    mapping: dict[str, str],
    alias_separator: str = "\n",
    name_en: str | None = None,
    name_th: str | None = None,
    version: str | None = None,
    licence: str | None = None,
    source: str | None = None,
    attribution: str | None = None,
    dry_run: bool = False,
) -> FrameworkImportReport:
    """Import a CSV taxonomy as framework ``framework``: skills and groups upserted by code.

    A new framework gets :data:`DEFAULT_SCALE`; an existing one keeps its scale,
    profiles and equivalences, and its metadata unless options override it. Any
    bad row stops the import with a 422 listing every one (line, column, reason).
    """
    from hrsys.skills.catalog.taxonomy import read_taxonomy

    path = Path(path)
    if not path.is_file():
        raise Invalid.one("file", f"{path} is not a file")
    taxonomy = read_taxonomy(path, mapping, alias_separator=alias_separator)
    if taxonomy.problems:
        raise Invalid.many([FieldError(f"line {p.line}, column {p.column}", p.reason) for p in taxonomy.problems])
    existing = session.execute(sa.select(F).where(F.c.code == framework)).mappings().first()
    if existing is None:
        meta = FrameworkMeta(
            code=framework,
            name_th=name_th or name_en or framework,
            name_en=name_en or framework,
            version=version or "1",
            source=source or f"Imported from {path.name}",
            licence=licence,
            attribution=attribution,
        )
        families: list[FamilyData] = []
    else:
        meta = FrameworkMeta(
            code=framework,
            name_th=name_th or existing["name_th"],
            name_en=name_en or existing["name_en"],
            version=version or existing["version"],
            source=source or existing["source"],
            source_url=existing["source_url"],
            licence=licence or existing["licence"],
            attribution=attribution or existing["attribution"],
            description=existing["description"],
        )
        families = [msgspec.convert(f, FamilyData) for f in existing["families"] or []]
    try:
        msgspec.convert(msgspec.to_builtins(meta), FrameworkMeta)
    except msgspec.ValidationError as exc:
        raise Invalid.one("framework", str(exc)) from exc
    data = FrameworkData(
        meta=meta,
        levels=DEFAULT_SCALE,
        groups=taxonomy.groups,
        families=families,
        skills=taxonomy.skills,
        profiles=[],
        equivalences=[],
        folder=str(path),
    )
    report = import_framework(
        session,
        data,
        source=str(path.resolve()),
        dry_run=dry_run,
        sync_levels=existing is None,
        sync_profiles=False,
        sync_equivalences=False,
    )
    return report
