"""API and report structs of the skills catalog and assessments."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec

from hrsys.core import clock
from hrsys.core.errors import FieldError
from hrsys.core.schemas import Input, Output
from hrsys.skills.models import AssessmentSource

# --- catalog -------------------------------------------------------------------------------------


class LevelOut(Output):
    level: int
    code: str
    label_th: str
    label_en: str
    descriptor: str | None = None


class GroupOut(Output):
    code: str
    name_th: str
    name_en: str
    description: str | None = None
    parent: str | None = None
    skills: int = 0
    """Number of active skills in the group."""


class FamilyOut(Output):
    code: str
    name_th: str
    name_en: str
    description: str | None = None


class FrameworkOut(Output):
    code: str
    name_th: str
    name_en: str
    version: str
    source: str | None
    source_url: str | None
    licence: str | None
    attribution: str | None
    description: str | None
    skills: int
    """Number of active (not retired) skills."""
    retired: bool = False


class ProfileOut(Output):
    code: str
    name_th: str
    name_en: str
    family: str | None
    role: str | None
    role_level: str | None
    description: str | None
    position_levels: list[str]
    levels: dict[str, int]
    """Expected level per skill reference (``FRAMEWORK:CODE``)."""


class FrameworkDetail(FrameworkOut):
    scale: list[LevelOut] = []
    groups: list[GroupOut] = []
    families: list[FamilyOut] = []
    profiles: list[ProfileOut] = []


class SkillRef(Output):
    ref: str
    """``FRAMEWORK:CODE``: how other files and the API name this skill."""
    framework: str
    code: str
    name_th: str | None
    name_en: str


class SkillOut(Output):
    id: int
    ref: str
    framework: str
    code: str
    name_th: str | None
    name_en: str
    group: str | None
    description: str | None
    aliases: list[str]
    retired: bool
    equivalents: list[SkillRef] = []
    scale: list[LevelOut] = []


class SkillHit(Output):
    """A search result; ``rank`` 0 is an exact code, 1 a code prefix, 2 a name prefix, 3 a substring."""

    id: int
    ref: str
    framework: str
    code: str
    name_th: str | None
    name_en: str
    group: str | None
    rank: int
    retired: bool


class ImportCounts(Output):
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    retired: int = 0
    removed: int = 0
    added_codes: list[str] = []
    changed_codes: list[str] = []
    retired_codes: list[str] = []
    removed_codes: list[str] = []


class FrameworkImportReport(Output):
    framework: str
    version: str
    source: str
    created: bool
    metadata_changed: bool
    levels: ImportCounts
    groups: ImportCounts
    skills: ImportCounts
    profiles: ImportCounts
    equivalences: ImportCounts
    dry_run: bool
    recorded: bool
    """True when the import changed something and was recorded in ``catalog_import``."""
    seconds: float = 0.0

    @property
    def changed_anything(self) -> bool:
        parts = (self.levels, self.groups, self.skills, self.profiles, self.equivalences)
        return (
            self.created or self.metadata_changed or any(p.added or p.changed or p.retired or p.removed for p in parts)
        )


# --- assessments ---------------------------------------------------------------------------------

Evidence = Annotated[str, msgspec.Meta(max_length=4000)]


class AssessmentCreate(Input):
    """A new piece of evidence of a person's level in a skill (append-only)."""

    checks_in_service = True

    skill: Annotated[str, msgspec.Meta(min_length=3, max_length=170)]
    """``FRAMEWORK:CODE``, e.g. ``TH-DG:DU02``."""
    level: Annotated[int, msgspec.Meta(ge=0, le=10)]
    """A level of the skill's framework scale."""
    source: AssessmentSource
    assessed_on: dt.date
    valid_until: dt.date | None = None
    """Required for certifications; the evidence lapses after this day."""
    assessor_id: int | None = None
    """The person who assessed (a manager, an assessor), if they are in hrsys."""
    assessor_name: Annotated[str, msgspec.Meta(max_length=300)] | None = None
    evidence: Evidence | None = None
    """Text or a link to the certificate, report or work sample."""

    def check(self) -> list[FieldError]:
        errors = []
        if self.source == AssessmentSource.certification and self.valid_until is None:
            errors.append(FieldError("valid_until", "a certification needs the date it expires"))
        if self.valid_until is not None and self.valid_until < self.assessed_on:
            errors.append(FieldError("valid_until", "is before assessed_on"))
        if self.assessed_on > clock.today():
            errors.append(FieldError("assessed_on", "is in the future"))
        return errors


class AssessmentOut(Output):
    id: int
    person_id: int
    skill: SkillRef
    level: int
    level_label_en: str | None
    level_label_th: str | None
    source: AssessmentSource
    assessor_id: int | None
    assessor_name: str | None
    evidence: str | None
    assessed_on: dt.date
    valid_until: dt.date | None
    recorded_at: dt.datetime
    status: str
    """``valid``, ``expired`` (past ``valid_until``) or ``future`` (assessed after the as-of day)."""


class ProfileEntryOut(Output):
    skill: SkillRef
    level: int
    level_label_en: str | None
    level_label_th: str | None
    source: AssessmentSource
    assessment_id: int
    assessed_on: dt.date
    valid_until: dt.date | None
    via: SkillRef | None = None
    """Set when the evidence is an assessment of an equivalent skill of another framework."""
    superseded: int = 0
    """How many other valid assessments of this skill the rule set aside."""


class PersonProfileOut(Output):
    person_id: int
    as_of: dt.date
    trust_order: list[AssessmentSource]
    """Most trusted first: the order the rule used."""
    skills: list[ProfileEntryOut]
    lapsed: list[ProfileEntryOut] = []
    """Skills whose only evidence has expired (shown for follow-up, not counted)."""


# --- bulk import ---------------------------------------------------------------------------------


class RowProblem(Output):
    line: int
    """Line of the file (CSV: physical line where the record starts; XLSX: row number)."""
    column: str
    reason: str


class BulkImportReport(Output):
    kind: str
    """``people`` or ``assessments``."""
    file: str
    rows: int
    """Data rows read (header excluded)."""
    written: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected_rows: int = 0
    skipped: int = 0
    """Rows already in hrsys, identical, from an earlier run of the import: not written again (assessments)."""
    problems: list[RowProblem] = []
    problems_truncated: bool = False
    committed: bool = False
    """False when nothing was written (a bad row without ``partial``, or a dry run)."""
    seconds: float = 0.0
