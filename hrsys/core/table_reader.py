"""Reading spreadsheets that HR officers send: CSV or XLSX, Thai conventions included.

- :func:`read_table` streams the rows of a CSV (UTF-8, with or without BOM; a
  Thai Windows "CSV" in TIS-620/cp874 is recognised) or of the first sheet of an
  XLSX workbook (openpyxl, read-only), each with the line a person sees in their
  editor, under normalised header names.
- :func:`parse_date` accepts ISO dates, day-first ``DD/MM/YYYY`` (``-`` and
  ``.`` too), Thai month names (``5 ม.ค. 2569``), Thai digits, and Excel date
  cells; a year from 2400 on is taken as Buddhist Era (BE = CE + 543).

Pure (no database, no web framework); linear in the file size, constant memory.
:attr:`Table.row_estimate` tells a caller, before it reads, about how many rows
are coming (bulk loaders choose their strategy by it).

A file can break part-way (a line that is not UTF-8, a cell over the csv
module's limit, a damaged workbook): :meth:`Table.readable_rows` yields the rows
up to the break and keeps the reason, with its line, in :attr:`Table.broken`.
Importers report it as a problem on that line (:meth:`TableError.problem`) and
refuse the whole file, even when asked to write the good rows only, since what
follows the break was never read.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

BE_OFFSET = 543
CE_RANGE = (1900, 2200)
BE_MIN = 2400

_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
THAI_MONTHS = {
    "มกราคม": 1,
    "ม.ค.": 1,
    "กุมภาพันธ์": 2,
    "ก.พ.": 2,
    "มีนาคม": 3,
    "มี.ค.": 3,
    "เมษายน": 4,
    "เม.ย.": 4,
    "พฤษภาคม": 5,
    "พ.ค.": 5,
    "มิถุนายน": 6,
    "มิ.ย.": 6,
    "กรกฎาคม": 7,
    "ก.ค.": 7,
    "สิงหาคม": 8,
    "ส.ค.": 8,
    "กันยายน": 9,
    "ก.ย.": 9,
    "ตุลาคม": 10,
    "ต.ค.": 10,
    "พฤศจิกายน": 11,
    "พ.ย.": 11,
    "ธันวาคม": 12,
    "ธ.ค.": 12,
}
_INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b"))
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})$")
_THAI = re.compile(r"^(\d{1,2})\s*([^\d\s]+)\s*(\d{4})$")


class TableError(Exception):
    """The file cannot be read (wrong type, encoding, no header), or not past ``line``."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(f"line {line}: {reason}" if line is not None else reason)
        self.reason = reason
        self.line = line

    def problem(self) -> tuple[int, str, str]:
        """``(line, "file", reason)``: how an import reports it (line 1 when the file cannot be opened)."""
        return (self.line or 1, "file", self.reason)


def year_to_ce(year: int) -> int:
    """A Christian Era year from a CE or Buddhist Era one; ValueError for anything implausible.

    >>> year_to_ce(2569), year_to_ce(2026)
    (2026, 2026)
    """
    if year >= BE_MIN:
        ce = year - BE_OFFSET
        if CE_RANGE[0] <= ce <= CE_RANGE[1]:
            return ce
    elif CE_RANGE[0] <= year <= CE_RANGE[1]:
        return year
    raise ValueError(
        f"year {year} is neither a Christian Era year ({CE_RANGE[0]}-{CE_RANGE[1]}) "
        f"nor a Buddhist Era one ({CE_RANGE[0] + BE_OFFSET}-{CE_RANGE[1] + BE_OFFSET})"
    )


def parse_date(value: Any) -> dt.date:
    """A date from a cell; raise ValueError with a message for the user.

    >>> parse_date("15/01/2569"), parse_date("2026-01-15"), parse_date("15 ม.ค. 2569")
    (datetime.date(2026, 1, 15), datetime.date(2026, 1, 15), datetime.date(2026, 1, 15))
    """
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        if value.year >= BE_MIN:  # a BE date typed into a date cell
            return _make(year_to_ce(value.year), value.month, value.day)
        year_to_ce(value.year)
        return value
    text = str(value).strip().translate(_THAI_DIGITS)
    if m := _ISO.match(text):
        return _make(year_to_ce(int(m.group(1))), int(m.group(2)), int(m.group(3)))
    if m := _DMY.match(text):
        if len(m.group(3)) < 4:
            raise ValueError(f"{text!r}: write the year in full (e.g. 2569 or 2026)")
        return _make(year_to_ce(int(m.group(3))), int(m.group(2)), int(m.group(1)))
    if (m := _THAI.match(text)) and m.group(2) in THAI_MONTHS:
        return _make(year_to_ce(int(m.group(3))), THAI_MONTHS[m.group(2)], int(m.group(1)))
    raise ValueError(f"{text!r} is not a date; use YYYY-MM-DD or DD/MM/YYYY (Buddhist or Christian Era)")


def _make(year: int, month: int, day: int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError as exc:
        raise ValueError(f"no such day: {day:02d}/{month:02d}/{year} ({exc})") from None


def normalise_header(name: Any, aliases: dict[str, str] | None = None) -> str:
    """Lower case, blanks and dashes as ``_``, a byte-order mark or zero-width space dropped, then ``aliases``."""
    key = re.sub(r"[\s\-]+", "_", str(name or "").translate(_INVISIBLE).strip().lower()).strip("_")
    return (aliases or {}).get(key, key)


def cell_text(value: Any) -> str:
    """A cell as trimmed text ('' for empty); integral floats lose their '.0' (Excel numbers)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _detect_encoding(head: bytes) -> str:
    """UTF-8 (BOM or not), or Thai Windows (cp874) when the first megabyte reads as that and not as UTF-8."""
    try:
        head.decode("utf-8")
        return "utf-8-sig"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 4:  # cut inside a multi-byte character at the end of the sample
            return "utf-8-sig"
    try:
        head.decode("cp874")
    except UnicodeDecodeError:  # neither: most likely UTF-8 with a damaged line, reported on that line
        return "utf-8-sig"
    return "cp874"


class Table:
    """Rows of a CSV or XLSX file as ``(line, [values])`` under ``headers``; open with :func:`read_table`."""

    def __init__(
        self, headers: list[str], rows: Iterator[tuple[int, list[Any]]], kind: str, row_estimate: int | None = None
    ) -> None:
        self.headers = headers
        self.rows = rows
        self.kind = kind
        self.row_estimate = row_estimate
        """About how many data rows the file holds (before reading it), or None when unknown.

        CSV: the file's size times the line density of its first megabyte (an
        over-estimate when quoted cells span lines); XLSX: the sheet's recorded
        dimension."""
        self.broken: TableError | None = None
        """Why :meth:`readable_rows` stopped before the end of the file, with the line; None if it did not."""

    def readable_rows(self) -> Iterator[tuple[int, list[Any]]]:
        """:attr:`rows` up to where the file cannot be read further; the reason then goes to :attr:`broken`
        instead of being raised (the caller reports it and refuses the file)."""
        try:
            yield from self.rows
        except TableError as exc:
            self.broken = exc

    def records(self, rows: Iterable[tuple[int, list[Any]]] | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
        """``rows`` (default :attr:`rows`) as ``(line, {header: value})``; columns without a header are dropped."""
        headers = self.headers
        for line, values in self.rows if rows is None else rows:
            yield line, {h: v for h, v in zip(headers, values, strict=False) if h}


def read_table(
    source: str | Path | IO[bytes], filename: str | None = None, *, aliases: dict[str, str] | None = None
) -> Table:
    """Open a CSV or XLSX file (chosen by the name's extension, else by content)."""
    name = (filename or (str(source) if isinstance(source, str | Path) else "")).lower()
    fh: IO[bytes] = open(source, "rb") if isinstance(source, str | Path) else source  # noqa: SIM115
    start = fh.tell()
    size = fh.seek(0, io.SEEK_END) - start
    fh.seek(start)
    head = fh.read(4)
    fh.seek(start)
    if size <= 0:
        raise TableError("the file is empty")
    if name.endswith(".xlsx") or head.startswith(b"PK\x03\x04"):
        return _read_xlsx(fh, aliases)
    if name.endswith(".xls"):
        raise TableError("old .xls workbooks are not supported; save the file as .xlsx or CSV UTF-8")
    return _read_csv(fh, aliases, size)


def _line_of_bad_byte(fh: IO[bytes], origin: int, encoding: str) -> int | None:
    """The line of the first byte that ``encoding`` cannot decode (the text decoder reads ahead, so it cannot
    tell)."""
    import codecs

    try:
        fh.seek(origin)
    except (OSError, ValueError):
        return None
    decoder = codecs.getincrementaldecoder(encoding)()
    lines = 1
    while block := fh.read(1 << 20):
        try:
            decoder.decode(block)
        except UnicodeDecodeError as exc:
            pending = len(decoder.getstate()[0])  # bytes of an unfinished character carried from the last block
            return lines + block[: max(0, exc.start - pending)].count(b"\n")
        lines += block.count(b"\n")
    return None


def _read_csv(fh: IO[bytes], aliases: dict[str, str] | None, size: int = 0) -> Table:
    origin = start = fh.tell()
    sample = fh.read(1 << 20)
    fh.seek(start)
    estimate = max(0, round(size * sample.count(b"\n") / len(sample)) - 1) if sample else 0
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise TableError("the file is UTF-16 text (Excel's 'Unicode Text'); save it as 'CSV UTF-8'")
    encoding = _detect_encoding(sample)
    text = io.TextIOWrapper(fh, encoding=encoding, newline="")
    reader = csv.reader(text)
    try:
        header = next(reader)
    except StopIteration:
        raise TableError("the file is empty") from None
    except UnicodeDecodeError as exc:  # a small file: the decoder read all of it ahead
        line = _line_of_bad_byte(fh, origin, encoding)
        text.close()
        raise TableError(f"not UTF-8 text ({exc.reason}); save the file as 'CSV UTF-8'", line) from None
    except csv.Error as exc:  # e.g. a header cell longer than the csv module's limit
        text.close()
        raise TableError(str(exc), 1) from None
    headers = [normalise_header(h, aliases) for h in header]
    if not any(headers):
        text.close()
        raise TableError("the first line must name the columns")

    def rows() -> Iterator[tuple[int, list[Any]]]:
        start = reader.line_num + 1
        try:
            for rec in reader:
                # blank lines and lines of empty or blank cells are skipped (the first cell decides mostly)
                if rec and (rec[0].strip() or any(cell.strip() for cell in rec)):
                    yield start, rec
                start = reader.line_num + 1
        except UnicodeDecodeError as exc:
            line = _line_of_bad_byte(fh, origin, encoding) or start
            raise TableError(f"not UTF-8 text ({exc.reason}); save the file as 'CSV UTF-8'", line) from None
        except csv.Error as exc:  # e.g. a cell longer than the csv module's limit (131,072 characters)
            raise TableError(str(exc), start) from None
        finally:
            text.close()

    return Table(headers, rows(), "csv", estimate)


def _read_xlsx(fh: IO[bytes], aliases: dict[str, str] | None) -> Table:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(fh, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for a damaged or foreign file
        raise TableError(f"not a readable .xlsx workbook ({exc}); it may be damaged or cut short") from None
    try:
        ws = wb.worksheets[0]
        it = ws.iter_rows(values_only=True)
        header = next(it, None)
    except Exception as exc:  # no worksheet, or the sheet's XML or compression is damaged at its start
        wb.close()
        raise TableError(f"the workbook is damaged ({type(exc).__name__}: {exc}); save it again as .xlsx", 1) from None
    if header is None:
        wb.close()
        raise TableError("the first sheet is empty")
    headers = [normalise_header(h, aliases) for h in header]
    if not any(headers):
        wb.close()
        raise TableError("the first row must name the columns")
    estimate = ws.max_row - 1 if isinstance(ws.max_row, int) and ws.max_row > 1 else None

    def rows() -> Iterator[tuple[int, list[Any]]]:
        i = 1
        try:
            for i, rec in enumerate(it, start=2):  # i: the last row read, for the error below
                if any(v is not None and str(v).strip() for v in rec):
                    yield i, list(rec)
        except Exception as exc:  # the sheet's XML or its compression is damaged part-way
            raise TableError(
                f"the workbook is damaged from here on ({type(exc).__name__}: {exc}); save it again as .xlsx", i + 1
            ) from None
        finally:
            wb.close()

    return Table(headers, rows(), "xlsx", estimate)
