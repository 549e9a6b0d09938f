"""Skills: the catalog (:mod:`hrsys.skills.catalog`) and the assessments built on it
(:mod:`hrsys.skills.assessments`); see ``hrsys/skills/README.md``.

The assessments package is imported with this one, so that its reactions to catalog changes (a changed
equivalence rebuilds the profiles it touches) are registered whichever part of skills a process uses.
"""

from hrsys.skills import assessments as assessments
from hrsys.skills import extensions as extensions  # registrations with the layers below, at import
