"""API structs of assessments and current profiles."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from hrsys.core import clock
from hrsys.core.errors import FieldError
from hrsys.core.schemas import Input, Output
from hrsys.skills.assessments.models import AssessmentSource
from hrsys.skills.catalog.schemas import SkillRef

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


class AssessmentRequestIn(Input):
    """A person asks for a manager's or an assessment centre's assessment of a skill."""

    framework: Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
    skill: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    """The skill's code in ``framework``."""
    source: Literal["manager", "assessment_centre"]
    note: Evidence | None = None
    """Why, and what to look at."""


class AssessmentAskOut(Output):
    """The request that waits for an HR officer, and what it asks."""

    request_id: int
    request_status: str
    due_on: dt.date | None
    assessment_request_id: int
    skill: str
    source: str
