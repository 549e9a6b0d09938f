"""API and import-report structs of the skills catalog."""

from __future__ import annotations

from hrsys.core.schemas import Output


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


def skill_ref(framework: str, code: str, name_th: str | None, name_en: str) -> SkillRef:
    """How the API names a skill: ``FRAMEWORK:CODE``, with its names."""
    return SkillRef(ref=f"{framework}:{code}", framework=framework, code=code, name_th=name_th, name_en=name_en)


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
