"""What skills register with the layers below them (imported by the package, so any use of skills brings
it): the assessment trust order for ``settings.skills.trust_order``, its text checked at start
(:mod:`hrsys.config`)."""

from __future__ import annotations

from hrsys.config import Settings, SkillSettings, check_at_start, provide
from hrsys.skills.profile import DEFAULT_TRUST_ORDER, parse_trust_order

TRUST_ORDER_ENV = "HRSYS_ASSESSMENT_TRUST_ORDER"


def _trust_order(section: SkillSettings) -> tuple[str, ...]:
    text = section.assessment_trust_order
    return parse_trust_order(text) if text.strip() else DEFAULT_TRUST_ORDER


def _check_trust_order(settings: Settings) -> None:
    try:
        _trust_order(settings.skills)
    except ValueError as exc:
        raise ValueError(f"{TRUST_ORDER_ENV}={settings.skills.assessment_trust_order!r}: {exc}") from None


provide("skills.trust_order", _trust_order)
check_at_start("skills", _check_trust_order)
