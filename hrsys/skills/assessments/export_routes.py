"""``GET /api/v1/people/export``: the people of an agency subtree with their current skill levels."""

from __future__ import annotations

import enum
from typing import Annotated, Any

import sqlalchemy as sa
from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter
from litestar.response import Stream
from sqlalchemy.engine import Engine

from hrsys.access.guard import query_agency_guard
from hrsys.access.rules import Access
from hrsys.agencies.models import Agency
from hrsys.core.db import read_engine
from hrsys.core.errors import NotFound
from hrsys.skills.assessments import people_export as export


class ExportFormat(enum.StrEnum):
    csv = "csv"
    xlsx = "xlsx"


class ExportLayout(enum.StrEnum):
    wide = "wide"
    long = "long"


class PeopleExportController(Controller):
    tags = ["Bulk import and export"]

    @get("/api/v1/people/export", opt={"access": Access.hr}, sync_to_thread=True, guards=[query_agency_guard()])
    def people_export(
        self,
        db_engine: NamedDependency[Engine],
        agency: Annotated[str, QueryParameter(description="Agency code: that agency and its sub-agencies")],
        format: FromQuery[ExportFormat] = ExportFormat.csv,
        layout: FromQuery[ExportLayout] = ExportLayout.wide,
        include_inactive: FromQuery[bool] = False,
    ) -> Response[Any]:
        """The people of an agency subtree with their current skill levels, as CSV (UTF-8) or XLSX."""
        with read_engine(db_engine).connect() as conn:
            if conn.scalar(sa.select(Agency.id).where(Agency.code == agency)) is None:
                raise NotFound("agency", agency)
        name = f"people-{agency}.{format.value}"
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        kw = {"layout": layout.value, "include_inactive": include_inactive}
        if format == ExportFormat.xlsx:
            return Response(
                export.export_xlsx(db_engine, agency, **kw),
                media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                headers=headers,
            )
        return Stream(export.export_csv(db_engine, agency, **kw), media_type="text/csv", headers=headers)
