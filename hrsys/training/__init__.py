"""Courses, enrolments, training plans, needs analysis and development plans.

Importing the package registers training's answers with the careers package below it (what courses teach, which
plans aim at a role): see :mod:`hrsys.training.registrations`.
"""

from hrsys.training import registrations as _registrations

_registrations.register()
