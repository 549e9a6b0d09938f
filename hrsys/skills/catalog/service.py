"""Browsing and searching the catalog (Core selects into msgspec structs, few round trips)."""

from __future__ import annotations

import heapq
import operator
import threading
from collections.abc import Sequence
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hrsys.core.copying import copied
from hrsys.core.db import read_engine
from hrsys.core.errors import FieldError, Invalid, NotFound, check
from hrsys.core.pagination import COUNT_CAP, Page, page_errors
from hrsys.core.stamps import VersionStamp
from hrsys.skills.catalog import search
from hrsys.skills.catalog.format import parse_skill_ref
from hrsys.skills.catalog.models import equivalence_table as EQ
from hrsys.skills.catalog.models import framework_table as F
from hrsys.skills.catalog.models import group_table as G
from hrsys.skills.catalog.models import level_table as L
from hrsys.skills.catalog.models import profile_level_table as SPL
from hrsys.skills.catalog.models import profile_table as SP
from hrsys.skills.catalog.models import skill_table as S
from hrsys.skills.catalog.schemas import (
    FrameworkDetail,
    FrameworkOut,
    LevelOut,
    SkillHit,
    SkillOut,
    skill_ref,
)

__all__ = ["framework_detail", "list_frameworks", "read_skill", "search_skills"]


def _framework_out(r: Any, skills: int, cls: type[FrameworkOut] = FrameworkOut, **extra: Any) -> Any:
    """The framework row ``r`` as ``cls`` (its columns by name), with its number of active ``skills`` and
    the ``extra`` fields."""
    return msgspec.convert({**r, "skills": skills, **extra}, cls)


def _scale_out(levels: Sequence[Any]) -> list[LevelOut]:
    """Rows of ``proficiency_level`` as the scale the API shows."""
    return msgspec.convert(levels, list[LevelOut])


def _active_counts(conn: sa.Connection) -> dict[int, int]:
    rows = conn.execute(
        sa.select(S.c.framework_id, sa.func.count()).where(S.c.retired.is_(False)).group_by(S.c.framework_id)
    )
    return {r[0]: r[1] for r in rows}


def list_frameworks(engine: Engine) -> list[FrameworkOut]:
    with read_engine(engine).connect() as conn:
        counts = _active_counts(conn)
        rows = conn.execute(sa.select(F).order_by(F.c.code)).mappings().all()
    return [_framework_out(r, counts.get(r["id"], 0)) for r in rows]


def framework_detail(engine: Engine, code: str) -> FrameworkDetail:
    """A framework with its scale, groups (with active skill counts), families and profiles."""
    with read_engine(engine).connect() as conn:
        fw = conn.execute(sa.select(F).where(F.c.code == code)).mappings().first()
        if fw is None:
            raise NotFound("framework", code)
        fid = fw["id"]
        levels = conn.execute(sa.select(L).where(L.c.framework_id == fid).order_by(L.c.level)).mappings().all()
        groups = (
            conn.execute(
                sa.select(G).where(G.c.framework_id == fid, G.c.retired.is_(False)).order_by(G.c.position, G.c.code)
            )
            .mappings()
            .all()
        )
        per_group: dict[int | None, int] = {
            r[0]: r[1]
            for r in conn.execute(
                sa.select(S.c.group_id, sa.func.count())
                .where(S.c.framework_id == fid, S.c.retired.is_(False))
                .group_by(S.c.group_id)
            )
        }
        profiles = (
            conn.execute(sa.select(SP).where(SP.c.framework_id == fid, SP.c.retired.is_(False)).order_by(SP.c.position))
            .mappings()
            .all()
        )
        levels_by_profile: dict[int, dict[str, int]] = {}
        if profiles:
            rows = conn.execute(
                sa.select(SPL.c.profile_id, S.c.code, SPL.c.level)
                .join(S, S.c.id == SPL.c.skill_id)
                .where(SPL.c.profile_id.in_([p["id"] for p in profiles]))
                .order_by(SPL.c.profile_id, S.c.position)
            )
            for pid, scode, lv in rows:
                levels_by_profile.setdefault(pid, {})[f"{code}:{scode}"] = lv
        total = sum(per_group.values())
    code_of = {g["id"]: g["code"] for g in groups}

    def group_count(gid: int) -> int:  # a group counts the skills of its sub-groups too
        own = per_group.get(gid, 0)
        return own + sum(group_count(g["id"]) for g in groups if g["parent_id"] == gid)

    return _framework_out(
        fw,
        total,
        FrameworkDetail,
        scale=_scale_out(levels),
        groups=[
            {**g, "parent": code_of.get(g["parent_id"]) if g["parent_id"] else None, "skills": group_count(g["id"])}
            for g in groups
        ],
        families=fw["families"] or [],
        profiles=[
            {**p, "position_levels": list(p["position_levels"] or []), "levels": levels_by_profile.get(p["id"], {})}
            for p in profiles
        ],
    )


def _group_ids(conn: sa.Connection, group: str, framework_id: int | None) -> list[int]:
    """The groups with code ``group`` (in the framework, if given) and all their sub-groups."""
    stmt = sa.select(G.c.id, G.c.parent_id, G.c.code)
    if framework_id is not None:
        stmt = stmt.where(G.c.framework_id == framework_id)
    rows = conn.execute(stmt).all()
    children: dict[int, list[int]] = {}
    for gid, parent, _ in rows:
        if parent is not None:
            children.setdefault(parent, []).append(gid)
    found = [gid for gid, _, c in rows if c == group]
    out: list[int] = []
    while found:
        gid = found.pop()
        out.append(gid)
        found.extend(children.get(gid, []))
    return out


class _Entry:
    __slots__ = (
        "code",
        "framework",
        "framework_id",
        "group",
        "group_id",
        "id",
        "lcode",
        "lname_en",
        "lname_th",
        "name_en",
        "name_th",
        "position",
        "retired",
        "tie",
    )

    def __init__(self, row: Any) -> None:
        (self.id, self.framework_id, self.framework, self.group_id, self.group, self.code, self.name_th,
         self.name_en, self.retired, self.position) = row  # fmt: skip
        self.lcode = self.code.lower()
        self.lname_en = self.name_en.lower()
        self.lname_th = (self.name_th or "").lower()
        self.tie = (len(self.name_en), self.id)
        """Order within a rank: shorter names first, then by id."""


class _SkillIndex:
    """The catalog's skills in process memory, for ranking: reloaded when the ``catalog`` stamp or the last id moves."""

    def __init__(self, key: tuple[Any, ...], entries: list[_Entry], search: list[tuple[str, int]]) -> None:
        self.key = key
        self.entries = {e.id: e for e in entries}
        self.ordered = sorted(entries, key=lambda e: (e.framework, e.position, e.id))
        self.search = search
        """``(search_text, id)`` for the scan of queries shorter than a trigram."""


_INDEX: dict[str, _SkillIndex] = {}
_INDEX_LOCK = threading.Lock()


def _skill_index(conn: sa.Connection) -> _SkillIndex:
    stamp = conn.execute(
        sa.select(VersionStamp.version, VersionStamp.updated_at).where(VersionStamp.name == "catalog")
    ).first()
    key = (
        tuple(stamp) if stamp else None,
        conn.scalar(sa.select(sa.func.max(S.c.id))),  # skills added without a stamp (tests, scripts)
    )
    name = str(conn.engine.url)
    index = _INDEX.get(name)
    if index is not None and index.key == key:
        return index
    with _INDEX_LOCK:
        rows = conn.execute(
            sa.select(
                S.c.id,
                S.c.framework_id,
                F.c.code,
                S.c.group_id,
                G.c.code,
                S.c.code,
                S.c.name_th,
                S.c.name_en,
                S.c.retired,
                S.c.position,
                S.c.search_text,
            ).select_from(S.join(F, F.c.id == S.c.framework_id).outerjoin(G, G.c.id == S.c.group_id))
        ).all()
        index = _SkillIndex(key, [_Entry(r[:10]) for r in rows], [(r[10], r[0]) for r in rows])
        _INDEX[name] = index
    return index


_tie = operator.attrgetter("tie")


def _rank(e: _Entry, q: str) -> int:
    if e.lcode.startswith(q):
        return 0 if len(e.lcode) == len(q) else 1
    if e.lname_en.startswith(q) or e.lname_th.startswith(q):
        return 2
    return 3


def search_skills(
    engine: Engine,
    *,
    q: str | None = None,
    framework: str | None = None,
    group: str | None = None,
    include_retired: bool = False,
    limit: int = 20,
    offset: int = 0,
) -> Page[SkillHit]:
    """Skills ranked for a picker: exact code, then code prefix, then name prefix, then substring.

    Matching is by substring of the code, the Thai and English names and the
    aliases (Thai has no spaces between words), case-insensitive; on SQLite the
    FTS5 trigram index finds the candidates (elsewhere, and for queries shorter
    than a trigram, a scan of the per-process copy does), and a per-process
    copy of the catalog's labels (reloaded when the ``catalog`` stamp moves)
    ranks them, so a query matching thousands of skills costs no row lookups.
    Within a rank, shorter names come first. ``q`` may be a full reference
    ``FRAMEWORK:CODE`` (or ``FRAMEWORK:`` and a code prefix). Without ``q``,
    skills come in framework and file order. O(n) scan or O(m) candidates, then
    O(m log k) ranking for a page of k = offset + limit.
    """
    errors = page_errors(limit, offset)
    if q is not None and len(q) > 200:
        errors.append(FieldError("q", "at most 200 characters"))
    check(errors)
    needle = (q or "").strip()
    if ":" in needle:
        fw_part, _, code_part = needle.partition(":")
        if parse_skill_ref(needle) is not None or (fw_part and not code_part):
            framework = framework or fw_part
            needle = code_part
    lowered = needle.lower()
    with read_engine(engine).connect() as conn:
        index = _skill_index(conn)
        fid: int | None = None
        if framework is not None:
            fid = conn.scalar(sa.select(F.c.id).where(F.c.code == framework))
            if fid is None:
                raise Invalid.one("framework", f"no framework {framework}")
        gids: set[int] | None = None
        if group is not None:
            gids = set(_group_ids(conn, group, fid))
            if not gids:
                raise Invalid.one("group", f"no skill group {group}" + (f" in {framework}" if framework else ""))
        if lowered and len(lowered) >= 3 and conn.dialect.name == "sqlite":
            ids = search.candidate_ids(conn, lowered)  # FTS5 answers from its own tables: under a millisecond
        elif lowered:
            # Short queries, and PostgreSQL: a scan of the in-process copy of the search texts (15,000 in about
            # 2 ms) beats a round trip whose bitmap heap scan visits every matching (wide) skill row; the pg_trgm
            # index serves substring filters written in SQL (search.substring_condition).
            ids = [sid for text, sid in index.search if lowered in text]
        else:
            ids = [e.id for e in index.ordered]

    def keep(e: _Entry) -> bool:
        return (
            (include_retired or not e.retired)
            and (fid is None or e.framework_id == fid)
            and (gids is None or e.group_id in gids)
        )

    get = index.entries.get
    found = [e for e in (get(i) for i in ids) if e is not None and keep(e)]
    total = len(found)
    want = offset + limit
    ranked: list[tuple[int, _Entry]]
    if lowered:  # rank only what the page needs: a heap of offset + limit, O(m log(offset + limit))
        # Most matches are plain substrings (rank 3): rank the few prefix matches fully, and take the
        # rest by their precomputed tie order only as far as the page needs.
        starts = [e for e in found if e.lcode.startswith(lowered) or e.lname_en.startswith(lowered)
                  or e.lname_th.startswith(lowered)]  # fmt: skip
        top = heapq.nsmallest(want, ((_rank(e, lowered), e.tie, e) for e in starts), key=lambda k: k[:2])
        ranked = [(rank, e) for rank, _, e in top]
        if len(ranked) < want:
            prefixed = {id(e) for e in starts}
            rest = (e for e in found if id(e) not in prefixed)
            ranked += [(3, e) for e in heapq.nsmallest(want - len(ranked), rest, key=_tie)]
    else:
        ranked = [(3, e) for e in found[:want]]
    items = [copied(SkillHit, e, ref=f"{e.framework}:{e.code}", rank=rank) for rank, e in ranked[offset:]]
    return Page(items=items, total=min(total, COUNT_CAP), total_exact=total <= COUNT_CAP, limit=limit, offset=offset)


def read_skill(engine: Engine, ref: str) -> SkillOut:
    """One skill by ``FRAMEWORK:CODE``, with its scale and its equivalents in other frameworks."""
    parsed = parse_skill_ref(ref)
    if parsed is None:
        raise NotFound("skill", ref)
    with read_engine(engine).connect() as conn:
        row = (
            conn.execute(
                sa.select(S, G.c.code.label("group_code"))
                .select_from(S.join(F, F.c.id == S.c.framework_id).outerjoin(G, G.c.id == S.c.group_id))
                .where(F.c.code == parsed[0], S.c.code == parsed[1])
            )
            .mappings()
            .first()
        )
        if row is None:
            raise NotFound("skill", ref)
        sid = row["id"]
        others = [
            a if b == sid else b
            for a, b in conn.execute(
                sa.select(EQ.c.skill_a_id, EQ.c.skill_b_id).where(
                    sa.or_(EQ.c.skill_a_id == sid, EQ.c.skill_b_id == sid)
                )
            )
        ]
        eq_rows = (
            conn.execute(
                sa.select(F.c.code, S.c.code, S.c.name_th, S.c.name_en)
                .join(F, F.c.id == S.c.framework_id)
                .where(S.c.id.in_(others))
                .order_by(F.c.code, S.c.code)
            ).all()
            if others
            else []
        )
        levels = (
            conn.execute(sa.select(L).where(L.c.framework_id == row["framework_id"]).order_by(L.c.level))
            .mappings()
            .all()
        )
    return msgspec.convert(
        {
            **row,
            "ref": f"{parsed[0]}:{row['code']}",
            "framework": parsed[0],
            "group": row["group_code"],
            "aliases": row["aliases"].split("\n") if row["aliases"] else [],
            "equivalents": [skill_ref(*r) for r in eq_rows],
            "scale": _scale_out(levels),
        },
        SkillOut,
    )
