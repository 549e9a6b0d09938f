"""Secondments of external experts and civil servants.

Importing the package registers what secondments tell the layers below them: access, allocation and config
(:mod:`hrsys.secondments.extensions`), task forces (:mod:`hrsys.secondments.taskforce_hooks`) and requests
(:mod:`hrsys.secondments.decisions`).
"""

from hrsys.secondments import decisions as decisions
from hrsys.secondments import extensions as extensions
from hrsys.secondments import taskforce_hooks as taskforce_hooks
