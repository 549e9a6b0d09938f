"""What a spreadsheet import answers: the report of rows read, written and refused, and its refusal; and the
parameters of the routes that take a spreadsheet.

Shared by every importer (people, assessments, careers) and their routes and commands.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, QueryParameter

from hrsys.core.errors import FieldError, Invalid
from hrsys.core.schemas import Output

Upload = Annotated[UploadFile, Body(media_type=RequestEncodingType.MULTI_PART)]
"""The file of an import route (multipart ``data``)."""
Partial = Annotated[bool, QueryParameter(description="Write the good rows even if some are bad")]
DryRun = Annotated[bool, QueryParameter(description="Check only; write nothing")]


class RowProblem(Output):
    line: int
    """Line of the file (CSV: physical line where the record starts; XLSX: row number)."""
    column: str
    reason: str


class BulkImportReport(Output):
    kind: str
    """``people`` or ``assessments``."""
    file: str
    rows: int
    """Data rows read (header excluded)."""
    written: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected_rows: int = 0
    skipped: int = 0
    """Rows already in hrsys, identical, from an earlier run of the import: not written again (assessments)."""
    problems: list[RowProblem] = []
    problems_truncated: bool = False
    committed: bool = False
    """False when nothing was written (a bad row without ``partial``, or a dry run)."""
    seconds: float = 0.0


def outcome(report: BulkImportReport) -> BulkImportReport:
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
