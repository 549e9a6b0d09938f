"""The skills catalog: frameworks, scales, skills, profiles, equivalences (see ``hrsys/skills/README.md``).

Imports nothing from :mod:`hrsys.skills.assessments`, which is built on it."""
