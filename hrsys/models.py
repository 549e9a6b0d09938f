"""Import every model so that ``Base.metadata`` holds the whole schema (Alembic, admin, tests)."""

from hrsys.access.models import AuditEvent, LoginAttempt, User, UserRole
from hrsys.agencies.models import Agency, AgencyKind
from hrsys.careers.models import Role, RoleRequirement, RoleTransition, Track, TransitionKind
from hrsys.core.db import Base
from hrsys.core.stamps import VersionStamp
from hrsys.notifications.models import (
    DailyJobRun,
    MailMode,
    MailStatus,
    Notification,
    NotificationPreference,
    OutboxMail,
)
from hrsys.people.models import Person, PersonKind, PositionLevel, PositionType, Sector
from hrsys.requests.models import Decision, Request, RequestKind, RequestStatus
from hrsys.secondments.models import (
    ConflictOfInterestReview,
    KnowledgeTransfer,
    Secondment,
    SecondmentStatus,
    SecondmentTransition,
)
from hrsys.skills.assessments.models import Assessment, AssessmentRequest, AssessmentSource, CurrentSkill
from hrsys.skills.catalog.models import CatalogImport, Framework, ProficiencyLevel, Skill, SkillEquivalence, SkillGroup
from hrsys.taskforces.models import (
    Kpi,
    KpiActual,
    TaskForce,
    TaskForceBudget,
    TaskForceMember,
    TaskForceNeed,
    TeamProposal,
)
from hrsys.training.models import (
    Course,
    CourseOutcome,
    CoursePrerequisite,
    CourseSession,
    DevelopmentPlan,
    DevelopmentPlanItem,
    Enrolment,
)

metadata = Base.metadata

__all__ = [
    "Agency",
    "AgencyKind",
    "Assessment",
    "AssessmentRequest",
    "AssessmentSource",
    "AuditEvent",
    "Base",
    "CatalogImport",
    "ConflictOfInterestReview",
    "Course",
    "CourseOutcome",
    "CoursePrerequisite",
    "CourseSession",
    "CurrentSkill",
    "DailyJobRun",
    "Decision",
    "DevelopmentPlan",
    "DevelopmentPlanItem",
    "Enrolment",
    "Framework",
    "KnowledgeTransfer",
    "Kpi",
    "KpiActual",
    "LoginAttempt",
    "MailMode",
    "MailStatus",
    "Notification",
    "NotificationPreference",
    "OutboxMail",
    "Person",
    "PersonKind",
    "PositionLevel",
    "PositionType",
    "ProficiencyLevel",
    "Request",
    "RequestKind",
    "RequestStatus",
    "Role",
    "RoleRequirement",
    "RoleTransition",
    "Secondment",
    "SecondmentStatus",
    "SecondmentTransition",
    "Sector",
    "Skill",
    "SkillEquivalence",
    "SkillGroup",
    "TaskForce",
    "TaskForceBudget",
    "TaskForceMember",
    "TaskForceNeed",
    "TeamProposal",
    "Track",
    "TransitionKind",
    "User",
    "UserRole",
    "VersionStamp",
    "metadata",
]
