"""What the demo made so far (:class:`Demo`), handed to each area's demo step (:mod:`hrsys.demo.load`)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from hrsys.agencies.models import Agency
from hrsys.config import Settings
from hrsys.people.models import Person


@dataclass
class Demo:
    """What the demo made so far, for later steps to build on."""

    settings: Settings
    rng: random.Random
    agencies: dict[str, Agency] = field(default_factory=dict)
    staff: list[Person] = field(default_factory=list)
    experts: list[Person] = field(default_factory=list)
    people_by_role: dict[str, list[Person]] = field(default_factory=dict)
    """Who should get a demo user: ``admin``, ``hr_officer``, ``taskforce_lead``, ``staff``."""
    notes: list[str] = field(default_factory=list)
