"""Assessments (append-only) and the derived current profile (``current_skill``).

Writing an assessment and refreshing the person's ``current_skill`` rows for the
skill's equivalence class happen in one transaction, under a lock on the person
so that two concurrent assessments of one person cannot interleave. Every level
comes from :func:`hrsys.skills.assessments.profile.current_profile`, the one rule. Skills are found by
:mod:`hrsys.skills.catalog.refs`.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, cast

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hrsys.core import clock
from hrsys.core.cache import memoized
from hrsys.core.db import read_engine
from hrsys.core.errors import FieldError, NotFound, check
from hrsys.core.pagination import Page
from hrsys.people.models import Person
from hrsys.skills.assessments import bulk
from hrsys.skills.assessments.models import Assessment, AssessmentSource
from hrsys.skills.assessments.models import assessment_table as AS
from hrsys.skills.assessments.models import current_skill_table as CS
from hrsys.skills.assessments.profile import Evidence, ProfileEntry, current_profile, equivalence_classes
from hrsys.skills.assessments.schemas import AssessmentCreate, AssessmentOut, PersonProfileOut, ProfileEntryOut
from hrsys.skills.catalog.models import equivalence_table as EQ
from hrsys.skills.catalog.models import level_table as L
from hrsys.skills.catalog.refs import (
    SkillInfo,
    level_errors,
    lookup_skill_refs,
    resolve_skill_refs,
    scale_of,
    skills_by_id,
)

P = cast(sa.Table, Person.__table__)

CURRENT_COLUMNS = ("person_id", "skill_id", "level", "source", "assessment_id", "assessed_on", "valid_until")


@memoized()
def trust_order() -> tuple[str, ...]:
    """The configured trust order (``HRSYS_ASSESSMENT_TRUST_ORDER``, read by :class:`hrsys.config.Settings`),
    most trusted first. One per process: the stored profiles follow it (change it, then rebuild them)."""
    from hrsys.config import Settings

    return Settings.from_env().skills.trust_order


def today() -> dt.date:
    return clock.today()


def load_equivalences(conn: sa.Connection | Session) -> dict[int, frozenset[int]]:
    """Every skill that has equivalents -> its class (a few hundred rows at most; one query)."""
    return equivalence_classes((a, b) for a, b in conn.execute(sa.select(EQ.c.skill_a_id, EQ.c.skill_b_id)))


# --- writing -----------------------------------------------------------------------------------------


def _lock_person(session: Session, person_id: int) -> None:
    stmt = sa.select(P.c.id).where(P.c.id == person_id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    if session.execute(stmt).first() is None:
        raise NotFound("person", person_id)


def record_assessment(
    session: Session, person_id: int, data: AssessmentCreate, *, recorded_by_user_id: int | None = None
) -> AssessmentOut:
    """Append an assessment and refresh the person's current profile for the skill's class."""
    _lock_person(session, person_id)
    errors = data.check()
    found, ref_errors = lookup_skill_refs(session, [data.skill])
    errors += ref_errors
    skill = found.get(data.skill)
    scale: dict[int, tuple[str, str]] = {}
    if skill is not None:
        if skill.retired:
            errors.append(FieldError("skill", f"{data.skill} is retired; assess its successor instead"))
        scale = scale_of(session, skill.framework_id)
        errors += level_errors(scale, skill, data.level, "level")
    elif not session.scalar(sa.select(sa.func.count()).where(L.c.level == data.level)):
        errors.append(FieldError("level", f"{data.level} is not a level of any framework's scale"))
    if data.assessor_id is not None:
        if data.assessor_id == person_id and data.source != AssessmentSource.self:
            errors.append(FieldError("assessor_id", "a person can only assess themselves with source 'self'"))
        elif session.execute(sa.select(P.c.id).where(P.c.id == data.assessor_id)).first() is None:
            errors.append(FieldError("assessor_id", f"no person {data.assessor_id}"))
    check(errors)
    assert skill is not None
    fields = msgspec.structs.asdict(data)
    del fields["skill"]  # the reference: the row takes the skill's id
    assessment = Assessment(**fields, person_id=person_id, skill_id=skill.id, recorded_by_user_id=recorded_by_user_id)
    session.add(assessment)
    session.flush()
    refresh_current(session, person_id, [skill.id])
    row = {**fields, "id": assessment.id, "person_id": person_id, "recorded_at": assessment.recorded_at}
    return _assessment_out(row, skill, scale.get(data.level, (None, None)), today())


def _assessment_out(
    row: Mapping[Any, Any], skill: SkillInfo, label: tuple[str | None, str | None], day: dt.date
) -> AssessmentOut:
    """An assessment's columns (by name) as the API shows it: with its skill, level labels and status on ``day``."""
    return msgspec.convert(
        {
            **row,
            "skill": skill.ref,
            "level_label_en": label[0],
            "level_label_th": label[1],
            "status": _status(row["assessed_on"], row["valid_until"], day),
        },
        AssessmentOut,
    )


def _evidence_rows(conn: sa.Connection | Session, person_id: int, skill_ids: Iterable[int] | None) -> list[Evidence]:
    stmt = sa.select(AS.c.id, AS.c.skill_id, AS.c.level, AS.c.source, AS.c.assessed_on, AS.c.valid_until).where(
        AS.c.person_id == person_id
    )
    if skill_ids is not None:
        stmt = stmt.where(AS.c.skill_id.in_(list(skill_ids)))
    return [Evidence(r[0], r[1], r[2], str(r[3]), r[4], r[5]) for r in conn.execute(stmt)]


def refresh_current(
    session: Session, person_id: int, skill_ids: Iterable[int], *, as_of: dt.date | None = None
) -> None:
    """Recompute the person's ``current_skill`` rows for ``skill_ids`` and their equivalents."""
    classes = load_equivalences(session)
    targets: set[int] = set()
    for sid in skill_ids:
        targets.update(classes.get(sid, (sid,)))
    evidence = _evidence_rows(session, person_id, targets)
    prof = current_profile(
        evidence, as_of=as_of or today(), trust_order=trust_order(), equivalents=classes, only=targets
    )
    session.execute(sa.delete(CS).where(CS.c.person_id == person_id, CS.c.skill_id.in_(list(targets))))
    if prof.entries:
        session.execute(sa.insert(CS), [_current_row(person_id, e) for e in prof.entries.values()])


_entry_fields = operator.attrgetter(*CURRENT_COLUMNS[1:])
"""A profile entry's values for ``current_skill``, after the person (the columns are its field names)."""


def _current_row(person_id: int, e: ProfileEntry) -> dict[str, Any]:
    return dict(zip(CURRENT_COLUMNS, (person_id, *_entry_fields(e)), strict=True))


def _stream_evidence(conn: sa.Connection, where: list[sa.ColumnElement[bool]]) -> Iterator[tuple[int, list[Evidence]]]:
    """The assessments matching ``where``, grouped by person (ordered by person id), streamed."""
    stmt = (
        sa.select(AS.c.person_id, AS.c.id, AS.c.skill_id, AS.c.level, AS.c.source, AS.c.assessed_on, AS.c.valid_until)
        .where(*where)
        .order_by(AS.c.person_id)
    )
    result = conn.execute(stmt, execution_options={"stream_results": True, "yield_per": 20_000})
    current: int | None = None
    items: list[Evidence] = []
    date_cache: dict[Any, dt.date | None] = {None: None}
    parse = conn.dialect.name == "sqlite"
    for pid, aid, sid, lv, src, on, until in result:
        if pid != current:
            if current is not None:
                yield current, items
            current, items = pid, []
        if parse:  # raw ISO text is faster to parse once per distinct day
            on = date_cache.get(on) or date_cache.setdefault(on, _date(on))
            until = date_cache[until] if until in date_cache else date_cache.setdefault(until, _date(until))
        items.append(Evidence(aid, sid, lv, str(src), on, until))
    if current is not None:
        yield current, items


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def rebuild_profiles(
    session: Session,
    *,
    person_ids: Iterable[int] | None = None,
    skill_ids: Iterable[int] | None = None,
    as_of: dt.date | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Recompute ``current_skill`` from the assessments (all, or of some people, or of some skills).

    Streams the assessments ordered by person, applies the rule person by person
    and bulk-inserts the result (COPY on PostgreSQL), so memory stays flat at any
    size. ``skill_ids`` are widened to their equivalence classes. Returns rows written.
    """
    conn = session.connection()
    day = as_of or today()
    classes = load_equivalences(conn)
    trust = trust_order()
    dialect = conn.dialect.name
    only: set[int] | None = None
    skill_conds: list[sa.ColumnElement[bool]] = []
    current_conds: list[sa.ColumnElement[bool]] = []
    if skill_ids is not None:
        only = set()
        for sid in skill_ids:
            only.update(classes.get(sid, (sid,)))
        skill_conds.append(AS.c.skill_id.in_(sorted(only)))
        current_conds.append(CS.c.skill_id.in_(sorted(only)))
    scopes: list[tuple[list[sa.ColumnElement[bool]], list[sa.ColumnElement[bool]]]]
    if person_ids is None:
        scopes = [([], [])]
    else:
        pids = sorted(set(person_ids))
        scopes = [
            ([AS.c.person_id.in_(pids[i : i + 5000])], [CS.c.person_id.in_(pids[i : i + 5000])])
            for i in range(0, len(pids), 5000)
        ]
    written = people = 0
    for as_conds, cs_conds in scopes:
        conn.execute(sa.delete(CS).where(*current_conds, *cs_conds))
        buffer: list[tuple[Any, ...]] = []
        for pid, items in _stream_evidence(conn, [*skill_conds, *as_conds]):
            prof = current_profile(items, as_of=day, trust_order=trust, equivalents=classes, only=only)
            people += 1
            if progress is not None and people % 50_000 == 0:
                progress(people)
            for e in prof.entries.values():
                buffer.append(
                    (
                        pid,
                        e.skill_id,
                        e.level,
                        e.source,
                        e.assessment_id,
                        bulk.db_value(dialect, e.assessed_on),
                        bulk.db_value(dialect, e.valid_until),
                    )
                )
            if len(buffer) >= 100_000:
                written += bulk.copy_rows(conn, "current_skill", CURRENT_COLUMNS, buffer)
                buffer = []
        if buffer:
            written += bulk.copy_rows(conn, "current_skill", CURRENT_COLUMNS, buffer)
    return written


def refresh_expired(session: Session, *, as_of: dt.date | None = None) -> int:
    """Recompute the people whose current evidence expired before ``as_of`` (run daily); return people refreshed."""
    day = as_of or today()
    pids = list(
        session.scalars(
            sa.select(CS.c.person_id).where(CS.c.valid_until.is_not(None), CS.c.valid_until < day).distinct()
        )
    )
    if pids:
        rebuild_profiles(session, person_ids=pids, as_of=day)
    return len(pids)


# --- reading -----------------------------------------------------------------------------------------


def _status(assessed_on: dt.date, valid_until: dt.date | None, day: dt.date) -> str:
    if assessed_on > day:
        return "future"
    if valid_until is not None and valid_until < day:
        return "expired"
    return "valid"


def _labels(conn: sa.Connection, framework_ids: Iterable[int]) -> dict[tuple[int, int], tuple[str, str]]:
    ids = list(set(framework_ids))
    if not ids:
        return {}
    rows = conn.execute(
        sa.select(L.c.framework_id, L.c.level, L.c.label_en, L.c.label_th).where(L.c.framework_id.in_(ids))
    )
    return {(r[0], r[1]): (r[2], r[3]) for r in rows}


def person_profile(engine: Engine, person_id: int, *, as_of: dt.date | None = None) -> PersonProfileOut:
    """The person's current profile, computed by the rule from their assessments (exact for any ``as_of``)."""
    day = as_of or today()
    with read_engine(engine).connect() as conn:
        if conn.execute(sa.select(P.c.id).where(P.c.id == person_id)).first() is None:
            raise NotFound("person", person_id)
        evidence = _evidence_rows(conn, person_id, None)
        assessed = {e.skill_id for e in evidence}
        classes: dict[int, frozenset[int]] = {}
        if assessed:
            pairs = conn.execute(
                sa.select(EQ.c.skill_a_id, EQ.c.skill_b_id).where(
                    sa.or_(EQ.c.skill_a_id.in_(assessed), EQ.c.skill_b_id.in_(assessed))
                )
            )
            classes = equivalence_classes((a, b) for a, b in pairs)
        prof = current_profile(evidence, as_of=day, trust_order=trust_order(), equivalents=classes)
        info = skills_by_id(conn, set(prof.entries) | set(prof.lapsed) | assessed)
        labels = _labels(conn, (s.framework_id for s in info.values()))

    def out(e: ProfileEntry) -> ProfileEntryOut:
        s = info[e.skill_id]
        lab = labels.get((s.framework_id, e.level), (None, None))
        via = info[e.via_skill_id].ref if e.via_skill_id is not None else None
        fields = {"skill": s.ref, "level_label_en": lab[0], "level_label_th": lab[1], "via": via}
        return msgspec.convert({**msgspec.structs.asdict(e), **fields}, ProfileEntryOut)

    def key(e: ProfileEntry) -> tuple[str, str]:
        s = info[e.skill_id]
        return (s.framework, s.code)

    return PersonProfileOut(
        person_id=person_id,
        as_of=day,
        trust_order=[AssessmentSource(s) for s in trust_order()],
        skills=[out(e) for e in sorted(prof.entries.values(), key=key)],
        lapsed=[out(e) for e in sorted(prof.lapsed.values(), key=key)],
    )


def history(
    engine: Engine,
    person_id: int,
    *,
    skill: str | None = None,
    include_equivalents: bool = True,
    limit: int = 50,
    offset: int = 0,
) -> Page[AssessmentOut]:
    """The person's assessments, newest first; of one skill (and its equivalents) when ``skill`` is given."""
    day = today()
    with read_engine(engine).connect() as conn:
        if conn.execute(sa.select(P.c.id).where(P.c.id == person_id)).first() is None:
            raise NotFound("person", person_id)
        conds: list[sa.ColumnElement[bool]] = [AS.c.person_id == person_id]
        if skill is not None:
            info = resolve_skill_refs(conn, [skill])[skill]
            ids = {info.id}
            if include_equivalents:
                ids |= load_equivalences(conn).get(info.id, frozenset())
            conds.append(AS.c.skill_id.in_(list(ids)))
        total = conn.scalar(sa.select(sa.func.count()).select_from(AS).where(*conds)) or 0
        rows = (
            conn.execute(
                sa.select(AS)
                .where(*conds)
                .order_by(AS.c.assessed_on.desc(), AS.c.id.desc())
                .limit(limit)
                .offset(offset)
            )
            .mappings()
            .all()
        )
        info_by_id = skills_by_id(conn, (r["skill_id"] for r in rows))
        labels = _labels(conn, (s.framework_id for s in info_by_id.values()))
    items = []
    for r in rows:
        s = info_by_id[r["skill_id"]]
        items.append(_assessment_out(r, s, labels.get((s.framework_id, r["level"]), (None, None)), day))
    return Page(items=items, total=total, total_exact=True, limit=limit, offset=offset)
