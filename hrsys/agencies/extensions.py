"""What agencies register with the layers below them (imported by the package, so any use of agencies
brings it): the agency table, whose materialised paths make the subtrees of access scopes."""

from __future__ import annotations

from typing import cast

import sqlalchemy as sa

from hrsys.access.scope import register_agencies
from hrsys.agencies.models import Agency

register_agencies(cast(sa.Table, Agency.__table__))
