"""What task forces register with the layers below them (imported by the package, so any use of
task forces brings it): memberships as commitments of a person's time (:mod:`hrsys.allocation.sources`)."""

from __future__ import annotations

from hrsys.allocation.sources import CommitmentSource, register_source
from hrsys.taskforces.models import TaskForceMember
from hrsys.taskforces.states import MemberStatus

m = TaskForceMember
register_source(
    CommitmentSource(
        name="taskforce_member",
        rank=10,
        id=m.id,
        person_id=m.person_id,
        starts_on=m.starts_on,
        ends_on=m.ends_on,
        allocation=m.allocation,
        holds_time=m.status == MemberStatus.active,
    )
)
