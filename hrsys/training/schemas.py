"""API structs of courses, sessions, enrolments, training plans, training-needs analysis and development plans."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, TypeVar

import msgspec

from hrsys.core import clock
from hrsys.core.errors import FieldError
from hrsys.core.schemas import Input, Output
from hrsys.training.models import CourseMode, EnrolmentStatus, PlanItemKind, PlanItemStatus, PlanStatus

CourseCode = Annotated[str, msgspec.Meta(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
SkillRefStr = Annotated[str, msgspec.Meta(min_length=3, max_length=170, pattern=r"^[^:\s]+:\S+$")]
SkillLevel = Annotated[int, msgspec.Meta(ge=1, le=10)]
Hours = Annotated[float, msgspec.Meta(gt=0, le=5000)]
Baht = Annotated[int, msgspec.Meta(ge=0, le=100_000_000)]
CostUnit = Literal["baht", "hours"]
S = TypeVar("S", bound=msgspec.Struct)


# --- courses --------------------------------------------------------------------------------------


class OutcomeIn(Input):
    skill: SkillRefStr
    """``FRAMEWORK:CODE``."""
    level: SkillLevel
    """The level the course raises the skill to."""


def _course_list_errors(outcomes: list[OutcomeIn] | None, prerequisites: list[str] | None, own: str | None):
    errors: list[FieldError] = []
    seen: set[str] = set()
    for i, o in enumerate(outcomes or []):
        if o.skill in seen:
            errors.append(FieldError(f"outcomes[{i}].skill", f"{o.skill} is listed twice"))
        seen.add(o.skill)
    seen = set()
    for i, p in enumerate(prerequisites or []):
        if p == own:
            errors.append(FieldError(f"prerequisites[{i}]", "a course cannot be its own prerequisite"))
        elif p in seen:
            errors.append(FieldError(f"prerequisites[{i}]", f"{p} is listed twice"))
        seen.add(p)
    return errors


class CourseCreate(Input):
    code: CourseCode
    title_th: Title
    title_en: Title
    provider: Title
    hours: Hours
    cost_baht: Baht
    mode: CourseMode
    description: str | None = None
    certified_v6: bool = False
    """Certified against the OCSC digital-skills guideline (ว6/2561)."""
    active: bool = True
    outcomes: list[OutcomeIn] = []
    prerequisites: list[CourseCode] = []
    """Codes of courses to complete first."""

    def check(self) -> list[FieldError]:
        return _course_list_errors(self.outcomes, self.prerequisites, self.code)


class CourseUpdate(Input):
    """Fields to change; ``outcomes`` and ``prerequisites``, when given, replace the whole list."""

    title_th: Title | msgspec.UnsetType = msgspec.UNSET
    title_en: Title | msgspec.UnsetType = msgspec.UNSET
    provider: Title | msgspec.UnsetType = msgspec.UNSET
    hours: Hours | msgspec.UnsetType = msgspec.UNSET
    cost_baht: Baht | msgspec.UnsetType = msgspec.UNSET
    mode: CourseMode | msgspec.UnsetType = msgspec.UNSET
    description: str | msgspec.UnsetType | None = msgspec.UNSET
    certified_v6: bool | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET
    outcomes: list[OutcomeIn] | msgspec.UnsetType = msgspec.UNSET
    prerequisites: list[CourseCode] | msgspec.UnsetType = msgspec.UNSET

    def check(self) -> list[FieldError]:
        return _course_list_errors(
            self.outcomes if isinstance(self.outcomes, list) else None,
            self.prerequisites if isinstance(self.prerequisites, list) else None,
            None,
        )


class OutcomeOut(Output):
    skill: str
    skill_id: int
    name_en: str
    name_th: str | None
    level: int


class SessionCreate(Input):
    starts_on: dt.date
    ends_on: dt.date
    capacity: Annotated[int, msgspec.Meta(ge=1, le=100_000)]
    location: Annotated[str, msgspec.Meta(max_length=300)] | None = None

    def check(self) -> list[FieldError]:
        if self.ends_on < self.starts_on:
            return [FieldError("ends_on", "must not be before starts_on")]
        return []


class SessionOut(Output):
    id: int
    course: str
    starts_on: dt.date
    ends_on: dt.date
    capacity: int
    location: str | None
    taken: int
    """Seats held by enrolled, completed or failed learners."""
    free: int


class CourseListItem(Output):
    id: int
    code: str
    title_th: str
    title_en: str
    provider: str
    hours: float
    cost_baht: int
    mode: CourseMode
    certified_v6: bool
    active: bool
    outcomes: list[OutcomeOut]


class CourseOut(Output):
    id: int
    code: str
    title_th: str
    title_en: str
    provider: str
    hours: float
    cost_baht: int
    mode: CourseMode
    description: str | None
    certified_v6: bool
    active: bool
    outcomes: list[OutcomeOut]
    prerequisites: list[str]
    sessions: list[SessionOut]


# --- enrolments -----------------------------------------------------------------------------------


class EnrolmentCreate(Input):
    person_id: int
    course: CourseCode
    session_id: int | None = None
    status: Literal["planned", "enrolled"] | None = None
    """Default: ``enrolled`` with a session, ``planned`` without."""


class EnrolmentRequestIn(Input):
    """A staff member asks for a seat: a session (its course follows), or a course (the decider picks the session)."""

    session_id: int | None = None
    course: CourseCode | None = None

    def check(self) -> list[FieldError]:
        if self.session_id is None and self.course is None:
            return [FieldError("session_id", "name a session, or a course")]
        return []


class EnrolmentStatusChange(Input):
    status: EnrolmentStatus
    completed_on: dt.date | None = None
    """For ``completed``: the day the course was completed (default today)."""
    session_id: int | None = None
    """For ``enrolled``: the session to take a seat in (default: the one already chosen)."""
    version: int | None = None

    def check(self) -> list[FieldError]:
        if self.completed_on is not None and self.completed_on > clock.today():
            return [FieldError("completed_on", "is in the future")]
        return []


class CompletionReport(Input):
    completed_on: dt.date | None = None
    evidence: Annotated[str, msgspec.Meta(max_length=2000)] | None = None

    def check(self) -> list[FieldError]:
        if self.completed_on is not None and self.completed_on > clock.today():
            return [FieldError("completed_on", "is in the future")]
        return []


class RecordedAssessment(Output):
    id: int
    skill: str
    level: int


class EnrolmentOut(Output):
    id: int
    person_id: int
    course: str
    course_title_en: str
    session_id: int | None
    status: EnrolmentStatus
    pending_confirmation: bool
    """The learner reported completion and an HR officer has not confirmed it yet."""
    completion_reported_at: dt.datetime | None
    completed_on: dt.date | None
    confirmed_by_user_id: int | None
    version: int
    allowed_next: list[str]
    assessments: list[RecordedAssessment] = []
    completion_reported_by_user_id: int | None = None
    """Who reported the completion; someone else must confirm it."""
    """Assessments recorded from this enrolment's completion."""


# --- training plans -------------------------------------------------------------------------------


class PlanGapItem(Output):
    skill: str
    name_en: str
    need: int
    have: int
    essential: bool


class PlannedCourse(Output):
    position: int
    code: str
    title_en: str
    title_th: str
    provider: str
    hours: float
    cost_baht: int
    mode: str
    certified_v6: bool
    closes: list[str]
    """Skills of the gap this course raises to the needed level."""
    prerequisite_only: bool
    """Taken only because a later course needs it."""
    next_session: SessionOut | None


class TrainingPlanOut(Output):
    person_id: int
    role: str
    cost_unit: CostUnit
    budget: float | None
    total_cost: float
    total_baht: int
    total_hours: float
    algorithm: str
    """``exact`` (HiGHS proved the plan optimal), ``greedy`` (with its stated bound) or ``none``."""
    optimal: bool
    bound: float | None
    bound_note: str
    readiness_now: float
    readiness_after: float
    """Readiness once every planned course is completed."""
    courses: list[PlannedCourse]
    covered: list[str]
    no_course: list[PlanGapItem]
    """Gaps that no available course closes."""
    over_budget: list[PlanGapItem]
    """Gaps a course could close but the budget does not reach."""


# --- training-needs analysis ----------------------------------------------------------------------


class SkillNeed(Output):
    skill: str
    name_en: str
    name_th: str | None
    people_short: int
    """People whose level is below what their role needs."""
    essential_short: int
    """Of them, people for whom the requirement is essential."""
    total_shortfall: int
    """Sum of the level shortfalls."""
    people_assessed: int
    """People whose role needs the skill."""


class CourseValue(Output):
    code: str
    title_en: str
    provider: str
    cost_baht: int
    hours: float
    shortfall_closed: int
    """Levels of shortfall the course would close if everyone short in its skills took it."""
    people_helped: int
    per_100k_baht: float | None
    """Shortfall closed per 100,000 baht (null for a free course: it ranks first)."""


class TrainingNeedsOut(Output):
    agency: str | None
    against: Literal["current", "target"]
    people: int
    """People counted (with a role to compare against)."""
    skills: list[SkillNeed]
    courses: list[CourseValue]


# --- development plans ----------------------------------------------------------------------------


class PlanItemIn(Input):
    kind: PlanItemKind
    course: CourseCode | None = None
    description: Annotated[str, msgspec.Meta(max_length=2000)] | None = None
    due_on: dt.date | None = None
    secondment_id: int | None = None

    def check(self) -> list[FieldError]:
        errors = []
        if self.kind == PlanItemKind.course and not self.course:
            errors.append(FieldError("course", "a course item names its course"))
        if self.kind != PlanItemKind.course and self.course:
            errors.append(FieldError("course", f"a {self.kind.value} item has no course"))
        if self.kind != PlanItemKind.course and not self.description:
            errors.append(FieldError("description", "say what the item is"))
        return errors


class PlanCreate(Input):
    person_id: int
    target_role: str | None = None
    title: Annotated[str, msgspec.Meta(max_length=300)] | None = None
    notes: str | None = None
    items: list[PlanItemIn] = []


class PlanUpdate(Input):
    target_role: str | msgspec.UnsetType | None = msgspec.UNSET
    title: Annotated[str, msgspec.Meta(max_length=300)] | msgspec.UnsetType | None = msgspec.UNSET
    notes: str | msgspec.UnsetType | None = msgspec.UNSET
    version: int | msgspec.UnsetType = msgspec.UNSET


class PlanStatusChange(Input):
    status: PlanStatus
    version: int | None = None


class PlanItemUpdate(Input):
    status: PlanItemStatus | msgspec.UnsetType = msgspec.UNSET
    due_on: dt.date | msgspec.UnsetType | None = msgspec.UNSET
    description: Annotated[str, msgspec.Meta(max_length=2000)] | msgspec.UnsetType = msgspec.UNSET


class PlanItemOut(Output):
    id: int
    position: int
    kind: PlanItemKind
    course: str | None
    secondment_id: int | None
    description: str
    due_on: dt.date | None
    status: PlanItemStatus


class PlanOut(Output):
    id: int
    person_id: int
    target_role: str | None
    title: str | None
    status: PlanStatus
    notes: str | None
    approved_by_user_id: int | None
    approved_at: dt.datetime | None
    version: int
    progress: float
    """Done items / items not cancelled (0 without items)."""
    items_done: int
    items_open: int
    allowed_next: list[str]
    items: list[PlanItemOut]
    created_at: dt.datetime
    updated_at: dt.datetime
    submitted_by_user_id: int | None = None
    """Who last submitted the plan; someone else must approve it."""


class PlanFromTraining(Input):
    role: str
    cost: CostUnit = "baht"
    budget: Annotated[float, msgspec.Meta(ge=0)] | None = None
    essential_only: bool = False
    title: Annotated[str, msgspec.Meta(max_length=300)] | None = None


class PlanFromTrainingOut(Output):
    plan: PlanOut
    training_plan: TrainingPlanOut


class EnrolmentAskOut(Output):
    """An ask to enrol: the request that waits for an HR officer, and the planned enrolment it is about."""

    request_id: int
    request_status: str
    due_on: dt.date | None
    enrolment: EnrolmentOut
