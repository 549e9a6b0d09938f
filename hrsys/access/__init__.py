"""Access and audit: users, sign-in, roles scoped to agencies, deny-by-default rules, the audit trail, PDPA duties.

Importing the package installs the audit listeners on every SQLAlchemy session
(see :mod:`hrsys.access.audit`), so no code path that changes data through the
ORM escapes the trail; it also provides what access builds from its settings
(:mod:`hrsys.access.policy`).
"""

from hrsys.access import audit as _audit
from hrsys.access import policy as policy

_audit.install()
