"""Skill assessments and current profiles, built on :mod:`hrsys.skills.catalog` (see ``hrsys/skills/README.md``).

Importing the package registers with the catalog what a changed equivalence means here: the current
profiles of the skills it joins or separates are rebuilt in the catalog import's transaction.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from hrsys.skills.assessments.service import rebuild_profiles
from hrsys.skills.catalog import changes


def _rebuild_for(session: Session, skill_ids: set[int]) -> None:
    rebuild_profiles(session, skill_ids=skill_ids)


changes.on_equivalences_changed(_rebuild_for)
