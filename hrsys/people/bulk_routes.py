"""Spreadsheet uploads: the people and assessments imports (the export with profiles is skills's)."""

from __future__ import annotations

from typing import Annotated, cast

import msgspec
from litestar import Controller, Response, post
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, QueryParameter
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hrsys.access import scope
from hrsys.access.identity import CurrentUser
from hrsys.access.rules import Access
from hrsys.core.errors import FieldError, Invalid
from hrsys.people.importer import import_people
from hrsys.skills.assessment_import import import_assessments, validate_keys
from hrsys.skills.schemas import BulkImportReport

Upload = Annotated[UploadFile, Body(media_type=RequestEncodingType.MULTI_PART)]


def _outcome(report: BulkImportReport) -> BulkImportReport:
    """A refused import is a 422 listing every bad row (nothing was written); otherwise the report.

    A file that cannot be read (or not to its end) says so, with the line, in the detail."""
    if report.problems and not report.committed:
        unreadable = next((p for p in report.problems if p.column == "file"), None)
        if unreadable is not None:
            detail = f"{report.file} cannot be imported: line {unreadable.line}: {unreadable.reason}"
        elif report.rows:
            detail = f"{report.rejected_rows} bad row(s) in {report.file}"
        else:
            detail = f"{report.file} cannot be imported"
        raise Invalid(
            f"{detail}; nothing was written",
            errors=[FieldError(f"line {p.line}, column {p.column}", p.reason) for p in report.problems],
            extra={"report": msgspec.to_builtins(report)},
        )
    return report


class BulkController(Controller):
    tags = ["Bulk import and export"]

    @post("/api/v1/people/import", opt={"access": Access.hr}, sync_to_thread=True, status_code=200)
    def people_import(
        self,
        db_session: NamedDependency[Session],
        current_user: NamedDependency[CurrentUser],
        data: Upload,
        partial: Annotated[bool, QueryParameter(description="Write the good rows even if some are bad")] = False,
        dry_run: Annotated[bool, QueryParameter(description="Check only; write nothing")] = False,
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
        return _outcome(report)

    @post("/api/v1/assessments/import", opt={"access": Access.hr}, sync_to_thread=True, status_code=200)
    def assessments_import(
        self,
        db_session: NamedDependency[Session],
        current_user: NamedDependency[CurrentUser],
        data: Upload,
        partial: Annotated[bool, QueryParameter(description="Write the good rows even if some are bad")] = False,
        dry_run: Annotated[bool, QueryParameter(description="Check only; write nothing")] = False,
    ) -> Response[BulkImportReport]:
        """Append assessments from a CSV or XLSX file and update the people's current profiles."""
        report = import_assessments(
            db_session,
            data.file,
            filename=data.filename,
            partial=partial,
            dry_run=dry_run,
            person_scope=scope.people_condition(current_user),  # others are "no such person"
        )
        if dry_run:
            return Response(report)
        # after the response, so after the commit: the keys a bulk import added back NOT VALID
        engine = cast(Engine, db_session.get_bind())
        return Response(_outcome(report), background=BackgroundTask(validate_keys, engine))
