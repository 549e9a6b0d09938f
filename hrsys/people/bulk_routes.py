"""Spreadsheet upload and download: the people import and the people-with-profiles export.

The assessments import is the skills domain's (:mod:`hrsys.skills.assessments.routes`)."""

from __future__ import annotations

import enum
from typing import Annotated, Any

import sqlalchemy as sa
from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter
from litestar.response import Stream
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hrsys.access import scope
from hrsys.access.guard import query_agency_guard
from hrsys.access.identity import CurrentUser
from hrsys.access.rules import Access
from hrsys.agencies.models import Agency
from hrsys.core.db import read_engine
from hrsys.core.errors import NotFound
from hrsys.core.import_report import BulkImportReport, DryRun, Partial, Upload, outcome
from hrsys.people import export
from hrsys.people.importer import import_people


class ExportFormat(enum.StrEnum):
    csv = "csv"
    xlsx = "xlsx"


class ExportLayout(enum.StrEnum):
    wide = "wide"
    long = "long"


class BulkController(Controller):
    tags = ["Bulk import and export"]

    @post("/api/v1/people/import", opt={"access": Access.hr}, sync_to_thread=True, status_code=200)
    def people_import(
        self,
        db_session: NamedDependency[Session],
        current_user: NamedDependency[CurrentUser],
        data: Upload,
        partial: Partial = False,
        dry_run: DryRun = False,
    ) -> BulkImportReport:
        """Create or update people from a CSV or XLSX file (all-or-nothing unless ``partial``)."""
        agency_ids = (
            None if current_user.is_admin else set(db_session.scalars(scope.subtree_agency_ids(current_user)))
        )  # HR officers: their subtree only
        report = import_people(
            db_session, data.file, filename=data.filename, partial=partial, dry_run=dry_run, agency_ids=agency_ids
        )
        if dry_run:
            return report
        return outcome(report)

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
