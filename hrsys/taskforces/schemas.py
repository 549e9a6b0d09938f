"""Task-force API input and output structs."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec

from hrsys.core.errors import FieldError
from hrsys.core.schemas import Input, Output
from hrsys.taskforces.assembly.structs import Team
from hrsys.taskforces.states import KpiKind, MemberStatus, ProposalStatus, TaskForceStatus

Code = Annotated[str, msgspec.Meta(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")]
AgencyCode = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
Text = Annotated[str, msgspec.Meta(max_length=20_000)]
Percent = Annotated[int, msgspec.Meta(ge=1, le=100)]
Level = Annotated[int, msgspec.Meta(ge=1, le=10)]
Headcount = Annotated[int, msgspec.Meta(ge=1, le=200)]
Baht = Annotated[int, msgspec.Meta(ge=0, le=10**12)]
Id = Annotated[int, msgspec.Meta(ge=1)]
Unit = Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
Measure = Annotated[float, msgspec.Meta(ge=-1e15, le=1e15)]

MAX_YEARS = 10
"""Longest task-force period accepted."""


def _period_errors(starts_on: dt.date | None, ends_on: dt.date | None, *, strict: bool) -> list[FieldError]:
    if starts_on is None or ends_on is None:
        return []
    if ends_on < starts_on or (strict and ends_on == starts_on):
        return [FieldError("ends_on", "must be after starts_on")]
    if (ends_on - starts_on).days > MAX_YEARS * 366:
        return [FieldError("ends_on", f"a period may last at most {MAX_YEARS} years")]
    return []


# ---------------------------------------------------------------------------- task forces


class TaskForceCreate(Input):
    checks_in_service = True  # with the service's lookups, in one 422

    code: Code
    name_th: Name
    name_en: Name
    agency: AgencyCode
    """Code of the agency that owns the task force."""
    starts_on: dt.date
    ends_on: dt.date
    mission: Text | None = None
    lead_id: Id | None = None
    """Person who leads the task force."""
    budget_baht: Baht = 0
    """Total budget over the whole period (the yearly amounts are kept by fiscal year)."""

    def check(self) -> list[FieldError]:
        return _period_errors(self.starts_on, self.ends_on, strict=True)


class TaskForceUpdate(Input):
    """Fields to change; those left out stay as they are."""

    name_th: Name | msgspec.UnsetType = msgspec.UNSET
    name_en: Name | msgspec.UnsetType = msgspec.UNSET
    mission: Text | msgspec.UnsetType | None = msgspec.UNSET
    lead_id: Id | msgspec.UnsetType | None = msgspec.UNSET
    starts_on: dt.date | msgspec.UnsetType = msgspec.UNSET
    ends_on: dt.date | msgspec.UnsetType = msgspec.UNSET
    budget_baht: Baht | msgspec.UnsetType = msgspec.UNSET
    version: int | msgspec.UnsetType = msgspec.UNSET
    """The version you read; if someone changed the task force since, the edit is refused with 409."""

    def check(self) -> list[FieldError]:
        s = self.starts_on if isinstance(self.starts_on, dt.date) else None
        e = self.ends_on if isinstance(self.ends_on, dt.date) else None
        return _period_errors(s, e, strict=True)


class StatusChange(Input):
    status: TaskForceStatus
    version: int | None = None
    """The version you read (optional): a stale move is refused with 409."""


class AgencyRef(Output):
    code: str
    name_th: str
    name_en: str


class PersonRef(Output):
    id: int
    name_th: str
    name_en: str
    kind: str


class NeedOut(Output):
    id: int
    skill_id: int
    skill: str
    """``FRAMEWORK:CODE``."""
    skill_code: str
    skill_name: str
    min_level: int
    headcount: int
    filled: int
    """Active and pending members on this need (the slots taken)."""
    allocation: int
    essential: bool
    pending: int = 0
    """Of ``filled``, those waiting for consent (cross-agency appointments)."""


class MemberOut(Output):
    id: int
    person: PersonRef
    need_id: int | None
    allocation: int
    starts_on: dt.date
    ends_on: dt.date
    status: MemberStatus
    """``pending``: appointed across agencies, waiting for consent (it holds the time already)."""
    allowed_moves: list[str]
    reason: str | None
    awaiting_consent: list[str] = []
    """While pending: whose consent is awaited, ``home_hr`` (the home agency's HR officers) and ``person``."""
    consent_due_on: dt.date | None = None
    """While pending: released unless everyone agrees by this day."""


class ActualOut(Output):
    id: int
    measured_on: dt.date
    value: float
    note: str | None


class KpiOut(Output):
    id: int
    kind: KpiKind
    name_en: str
    name_th: str | None
    unit: str
    baseline: float
    target: float
    due_on: dt.date | None
    higher_is_better: bool
    actuals: list[ActualOut]


class BudgetOut(Output):
    fiscal_year: int
    """Thai fiscal year (Buddhist Era; FY 2570 = 1 Oct 2026 - 30 Sep 2027)."""
    starts_on: dt.date
    ends_on: dt.date
    requested_baht: int
    approved_baht: int
    disbursed_baht: int
    requested_by_user_id: int | None = None
    """Who requested the amount; never its approver."""
    approved_by_user_id: int | None = None
    """Who approved the amount up to the request."""
    excess_approved_by_user_id: int | None = None
    """The second approver of the part above the request (set whenever approved > requested)."""


class TaskForceOut(Output):
    id: int
    code: str
    name_th: str
    name_en: str
    agency: AgencyRef
    mission: str | None
    lead: PersonRef | None
    starts_on: dt.date
    ends_on: dt.date
    budget_baht: int
    status: TaskForceStatus
    allowed_moves: list[str]
    version: int
    needs: list[NeedOut]
    members: list[MemberOut] | None
    """None when the caller may see the task force but not who is in it."""
    kpis: list[KpiOut]
    budget: list[BudgetOut]
    created_at: dt.datetime
    updated_at: dt.datetime
    cancelled: bool = False
    """Closed straight from ``forming``, without ever starting: nothing may be disbursed for it."""


class TaskForceListItem(Output):
    id: int
    code: str
    name_th: str
    name_en: str
    agency: str
    status: TaskForceStatus
    starts_on: dt.date
    ends_on: dt.date
    budget_baht: int
    needs: int
    members: int
    """People with an active membership (a person filling two needs counts once)."""
    pending_members: int = 0
    """People waiting to consent to joining (and not active members already)."""


# ---------------------------------------------------------------------------- needs and members


SkillRefStr = Annotated[str, msgspec.Meta(min_length=3, max_length=170, pattern=r"^[^:\s]+:\S+$")]


class NeedCreate(Input):
    min_level: Level
    """A level of the skill's framework scale."""
    allocation: Percent
    """Percent of working time each person filling the need gives."""
    skill: SkillRefStr | None = None
    """The skill as ``FRAMEWORK:CODE`` (or give ``skill_id``)."""
    skill_id: Id | None = None
    headcount: Headcount = 1
    essential: bool = True


class NeedUpdate(Input):
    min_level: Level | msgspec.UnsetType = msgspec.UNSET
    allocation: Percent | msgspec.UnsetType = msgspec.UNSET
    headcount: Headcount | msgspec.UnsetType = msgspec.UNSET
    essential: bool | msgspec.UnsetType = msgspec.UNSET


class MemberCreate(Input):
    checks_in_service = True  # with the service's lookups, in one 422

    person_id: Id
    need_id: Id | None = None
    allocation: Percent | None = None
    """Defaults to the need's allocation; required without a need."""
    starts_on: dt.date | None = None
    """Defaults to the task force's start (or today, if it has started)."""
    ends_on: dt.date | None = None
    """Defaults to the task force's end."""
    reason: Text | None = None

    def check(self) -> list[FieldError]:
        return _period_errors(self.starts_on, self.ends_on, strict=False)


class MemberUpdate(Input):
    allocation: Percent | msgspec.UnsetType = msgspec.UNSET
    starts_on: dt.date | msgspec.UnsetType = msgspec.UNSET
    ends_on: dt.date | msgspec.UnsetType = msgspec.UNSET
    status: MemberStatus | msgspec.UnsetType = msgspec.UNSET
    """``ended``: served until ``ends_on`` (default: today), time free from the next day; ``withdrawn``:
    never served (appointed by mistake, or declined), all of the time is free again; ``released``: the offer
    of a pending appointment withdrawn (its requests are cancelled)."""
    reason: Text | msgspec.UnsetType | None = msgspec.UNSET

    def check(self) -> list[FieldError]:
        s = self.starts_on if isinstance(self.starts_on, dt.date) else None
        e = self.ends_on if isinstance(self.ends_on, dt.date) else None
        return _period_errors(s, e, strict=False)


# ---------------------------------------------------------------------------- KPIs and budget


class KpiCreate(Input):
    kind: KpiKind
    name_en: Name
    unit: Unit
    target: Measure
    baseline: Measure = 0.0
    name_th: Name | None = None
    due_on: dt.date | None = None
    higher_is_better: bool = True

    def check(self) -> list[FieldError]:
        errors = []
        if self.target == self.baseline:
            errors.append(FieldError("target", "must differ from the baseline"))
        elif (self.target > self.baseline) != self.higher_is_better:
            word = "above" if self.higher_is_better else "below"
            errors.append(
                FieldError("target", f"must be {word} the baseline when higher_is_better is {self.higher_is_better}")
            )
        return errors


class KpiUpdate(Input):
    kind: KpiKind | msgspec.UnsetType = msgspec.UNSET
    name_en: Name | msgspec.UnsetType = msgspec.UNSET
    name_th: Name | msgspec.UnsetType | None = msgspec.UNSET
    unit: Unit | msgspec.UnsetType = msgspec.UNSET
    baseline: Measure | msgspec.UnsetType = msgspec.UNSET
    target: Measure | msgspec.UnsetType = msgspec.UNSET
    due_on: dt.date | msgspec.UnsetType | None = msgspec.UNSET
    higher_is_better: bool | msgspec.UnsetType = msgspec.UNSET


class ActualCreate(Input):
    measured_on: dt.date
    value: Measure
    note: Text | None = None


class BudgetPut(Input):
    requested_baht: Baht = 0
    approved_baht: Baht = 0
    disbursed_baht: Baht = 0

    def check(self) -> list[FieldError]:
        if self.disbursed_baht > self.approved_baht:
            return [FieldError("disbursed_baht", "cannot be more than approved_baht")]
        return []


# ---------------------------------------------------------------------------- proposals


class ProposalRequest(Input):
    """Options of team assembly (see ``hrsys/taskforces/assembly.py`` for the cost they change)."""

    agencies: list[AgencyCode] | None = None
    """Civil servants only from these agencies and their sub-agencies (default: the whole civil service)."""
    prefer_internal: bool = True
    external_penalty_baht: Annotated[int, msgspec.Meta(ge=0, le=10_000_000)] = 30_000
    """Baht per month of the period added for each external expert when ``prefer_internal``."""
    max_externals: Annotated[int, msgspec.Meta(ge=0, le=200)] | None = None
    include: Annotated[list[Id], msgspec.Meta(max_length=200)] = []
    exclude: Annotated[list[Id], msgspec.Meta(max_length=5_000)] = []
    communication_cost_baht: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)] = 50
    """Baht for each hop between two members in the collaboration graph, once for the whole period: a
    tie-breaker between comparable people (see ``hrsys/taskforces/README.md``)."""

    def check(self) -> list[FieldError]:
        both = sorted(set(self.include) & set(self.exclude))
        if both:
            return [FieldError("include", f"people both included and excluded: {both}")]
        return []


class ProposalOut(Output):
    id: int
    taskforce_id: int
    status: ProposalStatus
    allowed_moves: list[str]
    created_at: dt.datetime
    starts_on: dt.date
    ends_on: dt.date
    """The period the team was assembled for (free time is measured over it)."""
    options: dict[str, Any]
    team: Team
    pending_consent: list[int] = []
    """Once accepted: the people of the team whose appointment waits for consent (outside the scope of the
    one who accepted); the others are members already."""


class ProposalListItem(Output):
    id: int
    status: ProposalStatus
    created_at: dt.datetime
    members: int
    uncovered: int
    total_cost: float | None
    """Over the period (None: it would show a cost you may not see)."""
    optimal: bool
