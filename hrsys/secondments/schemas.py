"""Request and response bodies of the secondments API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, TypeVar

import msgspec

from hrsys.core.errors import FieldError
from hrsys.core.schemas import Input, Output
from hrsys.people.models import PersonKind
from hrsys.secondments.costs import FiscalYearCost
from hrsys.secondments.lifecycle import CoiDecision, SecondmentStatus

AgencyCode = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=8000)]
ShortText = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
Percent = Annotated[int, msgspec.Meta(ge=0, le=100)]
Allocation = Annotated[int, msgspec.Meta(ge=1, le=100)]
Baht = Annotated[int, msgspec.Meta(ge=0, le=100_000_000)]
TargetLevel = Annotated[int, msgspec.Meta(ge=1, le=10)]
ReachedLevel = Annotated[int, msgspec.Meta(ge=0, le=10)]
Id = Annotated[int, msgspec.Meta(ge=1)]
AgreementRef = Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
SkillRefStr = Annotated[str, msgspec.Meta(min_length=3, max_length=170, pattern=r"^[^:\s]+:\S+$")]


def _shares_errors(host: int | None, sender: int | None) -> list[FieldError]:
    if host is not None and sender is not None and host + sender != 100:
        return [
            FieldError(
                "sender_share_pct", f"host and sender shares must add up to 100 (they add up to {host + sender})"
            )
        ]
    return []


def _duplicate_pairs(items: list[Any], field: str) -> list[FieldError]:
    """Pairs written twice the same way (one by id and one as FRAMEWORK:CODE are found by the service)."""
    seen: set[tuple[int, Any]] = set()
    errors = []
    for i, item in enumerate(items):
        key = (item.counterpart_id, item.skill_id if item.skill_id is not None else item.skill)
        if key in seen:
            errors.append(FieldError(f"{field}[{i}]", "the same counterpart and skill appear twice"))
        seen.add(key)
    return errors


class InterestsDeclaration(Input):
    """What the secondee declares: leave a field out when there is nothing to declare."""

    employer: ShortText | None = None
    shareholdings: Text | None = None
    """Shares or other financial interests in suppliers or regulated parties of the host."""
    contracts_with_host: Text | None = None
    """Contracts, bids or grants between the secondee's employer and the host."""
    other_interests: Text | None = None


class KnowledgeTransferItem(Input):
    counterpart_id: Id
    """A civil servant who is to learn the skill."""
    target_level: TargetLevel
    """Level on the skill's framework scale the counterpart should reach."""
    skill: SkillRefStr | None = None
    """The skill as ``FRAMEWORK:CODE`` (or give ``skill_id``)."""
    skill_id: Id | None = None


class SecondmentCreate(Input):
    checks_in_service = True  # with the service's lookups, in one 422

    person_id: Id
    """The secondee: an external expert, or a civil servant going to another agency."""
    host_agency: AgencyCode
    starts_on: dt.date
    ends_on: dt.date
    """Last day of the first period (both days included)."""
    host_share_pct: Percent
    """Share of the cost the host pays."""
    taskforce: Annotated[str, msgspec.Meta(min_length=1, max_length=40)] | None = None
    """Code of the host's task force the secondee joins, if any."""
    sending_organisation: ShortText | None = None
    """Defaults to the expert's organisation or the civil servant's home agency."""
    allocation: Allocation = 100
    """Percent of working time given to the host."""
    objectives: Text | None = None
    agreement_ref: AgreementRef | None = None
    """Reference of the signed secondment agreement; needed before activation."""
    sender_share_pct: Percent | None = None
    """Defaults to 100 minus the host's share."""
    monthly_cost_baht: Baht = 0
    """Full monthly cost of the secondee, before sharing."""
    knowledge_transfer: list[KnowledgeTransferItem] = []
    interests: InterestsDeclaration | None = None
    """The conflict-of-interest declaration (may also be sent later)."""

    def check(self) -> list[FieldError]:
        errors = []
        if self.ends_on < self.starts_on:
            errors.append(FieldError("ends_on", "must be on or after starts_on"))
        errors += _shares_errors(self.host_share_pct, self.sender_share_pct)
        errors += _duplicate_pairs(self.knowledge_transfer, "knowledge_transfer")
        return errors


class SecondmentUpdate(Input):
    """Fields to change. Dates, allocation, cost, sender and task force only before activation."""

    checks_in_service = True  # with the service's lookups, in one 422

    starts_on: dt.date | msgspec.UnsetType = msgspec.UNSET
    ends_on: dt.date | msgspec.UnsetType = msgspec.UNSET
    allocation: Allocation | msgspec.UnsetType = msgspec.UNSET
    taskforce: str | msgspec.UnsetType | None = msgspec.UNSET
    sending_organisation: ShortText | msgspec.UnsetType = msgspec.UNSET
    host_share_pct: Percent | msgspec.UnsetType = msgspec.UNSET
    sender_share_pct: Percent | msgspec.UnsetType = msgspec.UNSET
    monthly_cost_baht: Baht | msgspec.UnsetType = msgspec.UNSET
    objectives: Text | msgspec.UnsetType | None = msgspec.UNSET
    agreement_ref: AgreementRef | msgspec.UnsetType | None = msgspec.UNSET
    version: int | msgspec.UnsetType = msgspec.UNSET
    """The version you read; a stale edit is refused with 409."""

    def check(self) -> list[FieldError]:
        errors = []
        if isinstance(self.starts_on, dt.date) and isinstance(self.ends_on, dt.date) and self.ends_on < self.starts_on:
            errors.append(FieldError("ends_on", "must be on or after starts_on"))
        host = self.host_share_pct if isinstance(self.host_share_pct, int) else None
        sender = self.sender_share_pct if isinstance(self.sender_share_pct, int) else None
        errors += _shares_errors(host, sender)
        return errors


class TransitionInput(Input):
    """A move of the state machine; a reason is required to reject, withdraw or terminate."""

    reason: Reason | None = None


class ActivateInput(Input):
    reason: Reason | None = None
    on: dt.date | None = None
    """The day the secondee actually started (default: today); kept in the history."""


class ExtendInput(Input):
    ends_on: dt.date
    """The new last day."""
    reason: Reason | None = None


class EndInput(Input):
    """Complete or terminate. A termination needs a reason."""

    on: dt.date | None = None
    """Last day actually worked (default: today, or the planned end if it has passed)."""
    reason: Reason | None = None


class CoiDecisionInput(Input):
    decision: Literal["cleared", "cleared_with_conditions", "blocked"]
    conditions: Text | None = None
    """Required when cleared with conditions; the mitigations the secondee must keep."""

    def check(self) -> list[FieldError]:
        if self.decision == "cleared_with_conditions" and not self.conditions:
            return [FieldError("conditions", "state the conditions when clearing with conditions")]
        return []


class KnowledgeTransferPlan(Input):
    items: list[KnowledgeTransferItem]

    def check(self) -> list[FieldError]:
        return _duplicate_pairs(self.items, "items")


class KnowledgeTransferResult(Input):
    counterpart_id: Id
    level_reached: ReachedLevel
    """0 when the skill was not passed on at all."""
    skill: SkillRefStr | None = None
    """The skill as ``FRAMEWORK:CODE`` (or give ``skill_id``)."""
    skill_id: Id | None = None


class EndReportInput(Input):
    summary: Text
    results: list[KnowledgeTransferResult] = []
    """Per planned counterpart and skill, the level reached; planned pairs left out count as not passed on."""
    assessed_on: dt.date | None = None
    """Date of the levels (default: the secondment's last day)."""

    def check(self) -> list[FieldError]:
        return _duplicate_pairs(self.results, "results")


# --- responses ---------------------------------------------------------------------------

OutT = TypeVar("OutT", bound=msgspec.Struct)


class PersonRef(Output):
    id: int
    kind: PersonKind
    name_th: str
    name_en: str
    organisation: str | None = None
    agency: str | None = None
    """Home agency code (civil servants)."""


class AgencyRef(Output):
    code: str
    name_th: str
    name_en: str


class SkillRef(Output):
    id: int
    code: str
    name_en: str
    name_th: str | None = None
    ref: str = ""
    """``FRAMEWORK:CODE``."""


class CostSharing(Output):
    monthly_cost_baht: int
    host_share_pct: int
    sender_share_pct: int
    host_baht_per_month: float
    sender_baht_per_month: float


class TransitionOut(Output):
    id: int
    from_status: SecondmentStatus | None
    to_status: SecondmentStatus
    at: dt.datetime
    actor_user_id: int | None
    actor: str | None
    reason: str | None
    details: dict[str, Any]


class CoiReviewOut(Output):
    id: int
    employer: str | None
    shareholdings: str | None
    contracts_with_host: str | None
    other_interests: str | None
    declared_at: dt.datetime
    decision: CoiDecision
    conditions: str | None
    reviewer_user_id: int | None
    decided_at: dt.datetime | None


class KnowledgeTransferOut(Output):
    id: int
    counterpart: PersonRef
    skill: SkillRef
    target_level: int
    level_reached: int | None
    passed_on: bool | None
    """Level reached at or above the target; null until the end report."""
    assessment_id: int | None


class Coverage(Output):
    planned: int
    passed_on: int
    """Pairs where the counterpart reached the target level."""
    partly: int
    """Pairs where the counterpart gained something short of the target."""
    reported: int
    """Pairs with a result in an end report."""
    coverage: float | None
    """passed_on / planned, once the end report is in; null before."""


class SecondmentOut(Output):
    id: int
    status: SecondmentStatus
    allowed_actions: list[str]
    person: PersonRef
    host_agency: AgencyRef
    taskforce: str | None
    sending_organisation: str
    sending_agency: str | None
    starts_on: dt.date
    first_ends_on: dt.date
    ends_on: dt.date
    extensions: int
    allocation: int
    objectives: str | None
    agreement_ref: str | None
    cost: CostSharing
    cost_by_fiscal_year: list[FiscalYearCost]
    coi: CoiReviewOut | None
    """The latest conflict-of-interest review."""
    knowledge_transfer: list[KnowledgeTransferOut]
    coverage: Coverage
    end_report: str | None
    end_report_at: dt.datetime | None
    end_report_due_on: dt.date | None
    """When the secondment has ended: the day by which the end report is due."""
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class SecondmentListItem(Output):
    id: int
    status: SecondmentStatus
    person_id: int
    person_kind: PersonKind
    person_name_th: str
    person_name_en: str
    host_agency: str
    taskforce: str | None
    sending_organisation: str
    starts_on: dt.date
    ends_on: dt.date
    allocation: int
    days_left: int
    """Days from today to the last day (negative once it has passed)."""


class AlertItem(Output):
    secondment_id: int
    status: SecondmentStatus
    person_id: int
    person_name_en: str
    person_name_th: str
    host_agency: str
    starts_on: dt.date
    ends_on: dt.date
    days: int
    """Ending soon: days left. Overdue: days late. Reviews pending: days waiting."""
    note: str = ""


class AlertGroup(Output):
    count: int
    items: list[AlertItem]


class CareerCapItem(Output):
    person_id: int
    person_name_en: str
    person_name_th: str
    seconded_days: int
    cap_days: int
    remaining_days: int


class CareerCapGroup(Output):
    count: int
    items: list[CareerCapItem]


class Alerts(Output):
    as_of: dt.date
    agency: str | None
    ending_within_days: int
    ending_soon: AlertGroup
    """Active or extended, last day within the horizon."""
    past_end_still_active: AlertGroup
    """Active or extended after their last day: complete, extend or terminate them."""
    end_reports_overdue: AlertGroup
    """Completed or terminated, no end report, due date passed."""
    reviews_pending: AlertGroup
    """Under review, waiting for the conflict-of-interest decision or the approval."""
    start_overdue: AlertGroup
    """Approved, start date passed, not activated."""
    approaching_career_cap: CareerCapGroup
    """People within the warning margin of the career cap (counting approved and running periods)."""


class AgencyCostRow(Output):
    agency: AgencyRef
    secondments: int
    months: float
    total_baht: int
    host_share_baht: int
    sender_share_baht: int
    paid_as_sender_baht: int


class CostTotals(Output):
    secondments: int
    months: float
    total_baht: int
    host_share_baht: int
    sender_share_baht: int


class CostReport(Output):
    fiscal_year: int
    starts_on: dt.date
    ends_on: dt.date
    agency: str | None
    rows: list[AgencyCostRow]
    totals: CostTotals


class AgencyCoverageRow(Output):
    agency: AgencyRef
    secondments: int
    """Secondments hosted with an end report in."""
    planned: int
    passed_on: int
    coverage: float | None


class CoverageReport(Output):
    agency: str | None
    rows: list[AgencyCoverageRow]
    totals: AgencyCoverageRow | None


class AskedOut(Output):
    """A request opened to the deciders (``POST /{id}/ask/<action>``): it waits in their inbox."""

    request_id: int
    kind: str
    title: str
    status: str
    due_on: dt.date | None
    payload: dict[str, Any]
