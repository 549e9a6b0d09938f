"""Secondments of external experts and civil servants.

Importing the package registers what secondments tell task forces (:mod:`hrsys.secondments.taskforce_hooks`).
"""

from hrsys.secondments import taskforce_hooks as taskforce_hooks
