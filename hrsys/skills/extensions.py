"""What skills register with the layers below them (imported by the package, so any use of skills brings
it): the assessment trust order for ``settings.skills.trust_order``, its text checked at start
(:mod:`hrsys.config`), and what deciding an ``assessment`` request does (:mod:`hrsys.requests.kinds`)."""

from __future__ import annotations

from hrsys.config import SkillSettings, check_at_start, provide
from hrsys.people.service import register_history, rows_of
from hrsys.requests import kinds
from hrsys.requests.models import RequestKind
from hrsys.skills.assessments import asks, people_list, reminders
from hrsys.skills.assessments.models import Assessment
from hrsys.skills.assessments.profile import DEFAULT_TRUST_ORDER, parse_trust_order

TRUST_ORDER_ENV = "HRSYS_ASSESSMENT_TRUST_ORDER"


def _trust_order(section: SkillSettings) -> tuple[str, ...]:
    text = section.assessment_trust_order
    return parse_trust_order(text) if text.strip() else DEFAULT_TRUST_ORDER


provide("skills.trust_order", _trust_order)
check_at_start("skills.trust_order", lambda section: f"{TRUST_ORDER_ENV}={section.assessment_trust_order!r}")


people_list.register()  # the people list's filter by current skills
register_history("skill assessments", 1, rows_of(Assessment))  # a person assessed is never deleted
kinds.register(  # approving records the assessment with the decider's level
    RequestKind.assessment, kinds.KindHandler(apply=asks.decide_assessment, link=asks.request_link)
)
reminders.register()  # expiring certifications, in the daily reminders (hrsys.notifications.reminders)
