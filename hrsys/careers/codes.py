"""Role codes by id, per process, for lists that show each person's role (the people list).

Reading the code with each row cost PostgreSQL a probe of the role table per
person: about a third of its work for a page of 50 by agency. The codes are few
(a thousand or so) and change only with the role table, which bumps the
``career_graph`` version stamp; each worker keeps a copy checked at most once a
second (:class:`~hrsys.core.cache.CheckedCache`), and at once when a row names
a role the copy does not know (created a moment ago in another worker).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from hrsys.careers.models import Role
from hrsys.core.cache import CheckedCache


@dataclass(frozen=True)
class RoleCodes:
    version: int
    by_id: dict[int, str]


def _load(conn: sa.Connection, version: int) -> RoleCodes:
    return RoleCodes(version, {rid: code for rid, code in conn.execute(sa.select(Role.id, Role.code))})


role_codes: CheckedCache[RoleCodes] = CheckedCache("career_graph", _load)
