"""What secondments register with the layers below them (imported by the package, so any use of
secondments brings it): booking secondments as commitments of a person's time
(:mod:`hrsys.allocation.sources`), and the policy in force for ``settings.secondments.policy()``, its file read
at start (:mod:`hrsys.config`)."""

from __future__ import annotations

from hrsys.allocation.sources import CommitmentSource, register_source
from hrsys.config import SecondmentSettings, Settings, check_at_start, provide
from hrsys.secondments.lifecycle import SecondmentStatus
from hrsys.secondments.models import Secondment
from hrsys.secondments.policy import POLICY_ENV, SecondmentPolicy, load_policy

BOOKING_SECONDMENT_STATES = (SecondmentStatus.approved, SecondmentStatus.active, SecondmentStatus.extended)
"""Secondment states that hold a person's time (a proposal does not, until approved)."""

s = Secondment
register_source(
    CommitmentSource(
        name="secondment",
        rank=20,
        id=s.id,
        person_id=s.person_id,
        starts_on=s.starts_on,
        ends_on=s.ends_on,
        allocation=s.allocation,
        holds_time=s.status.in_(BOOKING_SECONDMENT_STATES),
    )
)


def _policy(section: SecondmentSettings) -> SecondmentPolicy:
    return load_policy(section.policy_file)


def _read_policy_file(settings: Settings) -> None:
    try:
        _policy(settings.secondments)
    except ValueError as exc:
        raise ValueError(f"{POLICY_ENV}: {exc}") from None


provide("secondments.policy", _policy)
check_at_start("secondments", _read_policy_file)
