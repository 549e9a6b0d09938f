"""The dependencies and query parameters that many handlers name: the request's session and the engine (as
``hrsys.app`` provides them), and the paging of list routes.

One alias each, so that handler signatures say ``db_session: Db`` or ``limit: Limit = 50`` instead of repeating
the spelling; the aliases are the same types, so the routes and their OpenAPI document do not change.
"""

from __future__ import annotations

from typing import Annotated

from litestar.di import NamedDependency
from litestar.params import QueryParameter
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

Db = NamedDependency[Session]
"""The request's session (``db_session``)."""
DbEngine = NamedDependency[Engine]
"""The engine (``db_engine``), for reads outside the request's transaction."""

Limit = Annotated[int, QueryParameter(ge=1, le=200)]
"""The page size of a list route (its default is the route's)."""
Offset = Annotated[int, QueryParameter(ge=0)]
"""How many items of a list route to skip."""
