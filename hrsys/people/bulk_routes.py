"""Spreadsheet upload: the people import.

The assessments import and the people-with-profiles export are the skills domain's
(:mod:`hrsys.skills.assessments.routes`, :mod:`hrsys.skills.assessments.export_routes`)."""

from __future__ import annotations

from litestar import Controller, post

from hrsys.access import scope
from hrsys.access.identity import User
from hrsys.access.rules import Access
from hrsys.core.handler_params import Db
from hrsys.core.import_report import BulkImportReport, DryRun, Partial, Upload, outcome
from hrsys.people.importer import import_people


class BulkController(Controller):
    tags = ["Bulk import and export"]

    @post("/api/v1/people/import", opt={"access": Access.hr}, sync_to_thread=True, status_code=200)
    def people_import(
        self, db_session: Db, current_user: User, data: Upload, partial: Partial = False, dry_run: DryRun = False
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
