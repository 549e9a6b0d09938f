"""The dependencies every handler names: the request's session and the engine (as ``hrsys.app`` provides them).

One alias each, so that handler signatures say ``db_session: Db`` instead of repeating the ``NamedDependency``
spelling; the aliases are the same types, so the routes and their OpenAPI document do not change.
"""

from __future__ import annotations

from litestar.di import NamedDependency
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

Db = NamedDependency[Session]
"""The request's session (``db_session``)."""
DbEngine = NamedDependency[Engine]
"""The engine (``db_engine``), for reads outside the request's transaction."""
