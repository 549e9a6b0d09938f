"""API structs of roles, transitions, the career graph, gaps, paths, next moves and bench strength."""

from __future__ import annotations

from typing import Annotated

import msgspec

from hrsys.careers.models import Track, TransitionKind
from hrsys.core.errors import FieldError
from hrsys.core.schemas import Input, Output
from hrsys.people.models import PositionLevel

RoleCode = Annotated[str, msgspec.Meta(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
SkillRefStr = Annotated[str, msgspec.Meta(min_length=3, max_length=170, pattern=r"^[^:\s]+:\S+$")]
"""A skill as ``FRAMEWORK:CODE`` (see skills_catalog/README.md)."""
SkillLevel = Annotated[int, msgspec.Meta(ge=1, le=10)]
RoleLevel = Annotated[int, msgspec.Meta(ge=1, le=12)]
Weight = Annotated[float, msgspec.Meta(gt=0, le=100)]
Years = Annotated[float, msgspec.Meta(ge=0, le=40)]


class RequirementIn(Input):
    skill: SkillRefStr
    level: SkillLevel
    essential: bool = True
    weight: Weight = 1.0


def _duplicate_skills(reqs: list[RequirementIn] | None) -> list[FieldError]:
    seen: set[str] = set()
    errors = []
    for i, r in enumerate(reqs or []):
        if r.skill in seen:
            errors.append(FieldError(f"requirements[{i}].skill", f"{r.skill} is listed twice"))
        seen.add(r.skill)
    return errors


class RoleCreate(Input):
    code: RoleCode
    title_th: Title
    title_en: Title
    track: Track
    level: RoleLevel
    description: str | None = None
    position_levels: list[PositionLevel] = []
    """Thai position levels (OCSC classification) that fit the role."""
    critical: bool = False
    """A role whose succession HR watches (bench strength reports)."""
    requirements: list[RequirementIn] = []

    def check(self) -> list[FieldError]:
        return _duplicate_skills(self.requirements)


class RoleUpdate(Input):
    """Fields to change; ``requirements``, when given, replaces the whole set."""

    title_th: Title | msgspec.UnsetType = msgspec.UNSET
    title_en: Title | msgspec.UnsetType = msgspec.UNSET
    track: Track | msgspec.UnsetType = msgspec.UNSET
    level: RoleLevel | msgspec.UnsetType = msgspec.UNSET
    description: str | msgspec.UnsetType | None = msgspec.UNSET
    position_levels: list[PositionLevel] | msgspec.UnsetType = msgspec.UNSET
    critical: bool | msgspec.UnsetType = msgspec.UNSET
    retired: bool | msgspec.UnsetType = msgspec.UNSET
    requirements: list[RequirementIn] | msgspec.UnsetType = msgspec.UNSET
    version: int | msgspec.UnsetType = msgspec.UNSET
    """The version you read; a stale edit is refused with 409."""

    def check(self) -> list[FieldError]:
        return _duplicate_skills(self.requirements if isinstance(self.requirements, list) else None)


class RequirementOut(Output):
    skill: str
    """``FRAMEWORK:CODE``."""
    skill_id: int
    name_en: str
    name_th: str | None
    level: int
    essential: bool
    weight: float


class TransitionOut(Output):
    id: int
    from_role: str
    to_role: str
    kind: TransitionKind
    min_years: float


class RoleListItem(Output):
    id: int
    code: str
    title_th: str
    title_en: str
    track: Track
    level: int
    position_levels: list[str]
    critical: bool
    retired: bool
    requirements: int
    """Number of requirements."""


class RoleOut(Output):
    id: int
    code: str
    title_th: str
    title_en: str
    track: Track
    level: int
    description: str | None
    position_levels: list[str]
    critical: bool
    retired: bool
    version: int
    requirements: list[RequirementOut]
    moves_from: list[TransitionOut] = []
    """Transitions out of this role (where it leads)."""
    moves_into: list[TransitionOut] = []
    """Transitions into this role (where people come from)."""


class TransitionCreate(Input):
    from_role: RoleCode
    to_role: RoleCode
    kind: TransitionKind
    min_years: Years = 0.0
    """Years to serve in ``from_role`` before the move."""

    def check(self) -> list[FieldError]:
        if self.from_role == self.to_role:
            return [FieldError("to_role", "a transition must lead to another role (no self-loop)")]
        return []


class TransitionUpdate(Input):
    kind: TransitionKind | msgspec.UnsetType = msgspec.UNSET
    min_years: Years | msgspec.UnsetType = msgspec.UNSET


class GraphNode(Output):
    code: str
    title_th: str
    title_en: str
    track: Track
    level: int
    critical: bool
    retired: bool


class GraphEdge(Output):
    id: int
    from_role: str
    to_role: str
    kind: TransitionKind
    min_years: float


class GraphOut(Output):
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    version: int
    """The ``career_graph`` version stamp the graph was read at."""
    around: str | None = None
    radius: int | None = None


# --- person x role ------------------------------------------------------------------------------


class GapItemOut(Output):
    skill: str
    skill_id: int
    name_en: str
    name_th: str | None
    need: int
    have: int
    shortfall: int
    essential: bool
    weight: float
    met: bool


class GapOut(Output):
    person_id: int
    role: str
    role_title_en: str
    role_title_th: str
    readiness: float
    ready_now: bool
    """Every essential requirement is met."""
    essentials_met: int
    essentials_total: int
    total_shortfall: int
    weighted_shortfall: float
    items: list[GapItemOut]
    formula: str


class PathStepOut(Output):
    from_role: str
    role: str
    title_en: str
    title_th: str
    kind: TransitionKind
    min_years: float
    remaining_years: float
    cost: float
    readiness: float
    ready_now: bool
    weighted_shortfall: float
    gap: list[GapItemOut]
    """This step's requirements, against the profile credited with the previous role's requirements."""


class PathOut(Output):
    roles: list[str]
    cost: float
    total_shortfall: float
    total_min_years: float
    steps: list[PathStepOut]


class PathsOut(Output):
    person_id: int
    from_role: str
    to_role: str
    k: int
    years_weight: float
    cost: str
    """How the cost is computed, in words."""
    paths: list[PathOut]


class NextMoveOut(Output):
    role: str
    title_en: str
    title_th: str
    track: Track
    level: int
    kind: TransitionKind
    min_years: float
    remaining_years: float
    readiness: float
    ready_now: bool
    essentials_met: int
    essentials_total: int
    total_shortfall: int
    missing: list[GapItemOut]
    """Requirements not yet met."""


class NextMovesOut(Output):
    person_id: int
    from_role: str
    moves: list[NextMoveOut]


class BenchPerson(Output):
    person_id: int
    first_name_th: str
    last_name_th: str
    first_name_en: str
    last_name_en: str
    agency: str | None
    role: str | None
    position_level: str | None
    readiness: float
    ready_now: bool
    one_plan_away: bool
    essentials_met: int


class BenchOut(Output):
    role: str
    agency: str | None
    essentials_total: int
    candidates: int
    """Active civil servants in scope holding at least one of the role's skills (incumbents excluded)."""
    ready_now: int
    one_plan_away: int
    """Not ready now, but every unmet essential requirement is taught by some course."""
    incumbents: int
    """People in scope who hold the role now."""
    untaught_essentials: list[str]
    """Essential skills (``FRAMEWORK:CODE``) that no course teaches to the needed level."""
    people: list[BenchPerson]
    limit: int
    elapsed_ms: float
