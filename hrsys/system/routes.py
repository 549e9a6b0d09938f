from __future__ import annotations

from litestar import Response, get

from hrsys.access.rules import Access
from hrsys.core.handler_params import DbEngine
from hrsys.system.service import database_health


@get("/health", opt={"access": Access.public}, tags=["System"], sync_to_thread=True)
def health(db_engine: DbEngine) -> Response[dict[str, object]]:
    """Liveness and database status; 503 when the database does not answer."""
    db = database_health(db_engine)
    status = "ok" if db["status"] == "ok" else "degraded"
    return Response({"status": status, "database": db}, status_code=200 if status == "ok" else 503)


@get("/api/v1/ping", opt={"access": Access.public}, tags=["System"], sync_to_thread=False)
def ping() -> dict[str, str]:
    """A trivial JSON endpoint: the ceiling that benchmarks compare against."""
    return {"status": "ok"}
