"""The ledger as files: an .xlsx workbook (one sheet per table) and a .csv.

The CSV holds the occurrences table only (日程台账: every occurrence with its status,
speaker, topic and departments): a single table keeps its columns meaningful, which a
mixed table with a section column would not. The workbook has every table.

Both are written as their rows are produced: the CSV in chunks a response can send at
once, the workbook in openpyxl's write-only mode (each sheet streamed to a temporary
file, never a cell object per value kept in memory) into a file the caller sends.
"""

from __future__ import annotations

import csv
import io
import itertools
import unicodedata
from collections.abc import Iterable, Iterator
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from .ledger import Cell, Ledger, Table

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv; charset=utf-8"
# A cell starting with one of these is run as a formula by Excel (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_MIN_WIDTH, _MAX_WIDTH = 8, 60
# A write-only sheet fixes its column widths before its first row: they are measured on
# this many rows (every row of a smaller table, so its widths are exact).
_WIDTH_SAMPLE = 2000
# About this many characters of CSV per chunk sent.
_CSV_CHUNK = 64 * 1024


def write_xlsx(ledger: Ledger, out: IO[bytes]) -> None:
    """The workbook, written to ``out``: a sheet per table, bold frozen header row, a
    filter over the table, columns as wide as their text, text cells kept text."""
    workbook = Workbook(write_only=True)
    try:
        _write_sheets(workbook, ledger)
    except BaseException:
        _discard(workbook)
        raise
    workbook.save(out)


def _write_sheets(workbook: Workbook, ledger: Ledger) -> None:
    bold = Font(bold=True)
    for table in ledger.tables:
        # Any: types-openpyxl's WriteOnlyWorksheet lacks what it borrows from Worksheet
        # (column_dimensions, freeze_panes, auto_filter).
        sheet: Any = workbook.create_sheet(table.title)
        rows = iter(table.rows)
        sample = list(itertools.islice(rows, _WIDTH_SAMPLE))
        for index, width in enumerate(_widths(table.headers, sample), start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = "A2"
        header = []
        for title in table.headers:
            cell = WriteOnlyCell(sheet, value=title)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        count = 1
        for row in itertools.chain(sample, rows):
            sheet.append([_cell(sheet, value) for value in row])
            count += 1
        last_column = get_column_letter(len(table.headers))
        sheet.auto_filter.ref = f"A1:{last_column}{count}"


def _discard(workbook: Workbook) -> None:
    """Remove the temporary files of a workbook that will not be saved. openpyxl keeps
    each write-only sheet in one until the workbook is saved, and removes them only then
    (or when the process exits): an export stopped halfway (its time budget, an error)
    would leave them behind in a long-running web process."""
    sheets: list[Any] = list(workbook.worksheets)  # write-only ones (see _write_sheets)
    for sheet in sheets:
        writer = sheet._writer  # private, but openpyxl offers no public way
        if writer is None:
            continue
        if sheet._rows is not None:
            sheet._rows.close()  # ends the sheet's XML cleanly
        writer.close()
        writer.cleanup()


def _cell(sheet: WriteOnlyWorksheet, value: Cell) -> object:
    """Text without the control characters a worksheet cannot hold (rows saved before
    input refused them; openpyxl raises on them, which would fail the whole export),
    and text that openpyxl would take for a formula or an error value kept as text."""
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith("=") or value in ERROR_CODES:
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def to_xlsx(ledger: Ledger) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(ledger, buffer)
    return buffer.getvalue()


def csv_chunks(table: Table) -> Iterator[bytes]:
    """The table as UTF-8 CSV in chunks of about ``_CSV_CHUNK`` characters, the first
    starting with a BOM (without it Excel on Windows reads Chinese as GBK mojibake)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.headers)
    encoding = "utf-8-sig"
    for row in table.rows:
        writer.writerow([_csv_safe(value) for value in row])
        if buffer.tell() >= _CSV_CHUNK:
            yield buffer.getvalue().encode(encoding)
            encoding = "utf-8"
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode(encoding)


def to_csv(ledger: Ledger) -> bytes:
    return b"".join(csv_chunks(ledger.table("occurrences")))


def _csv_safe(value: Cell) -> Cell:
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _display_width(value: Cell) -> int:
    """Wide (CJK) characters take two columns in Excel's width unit."""
    text = str(value)
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _widths(headers: Iterable[Cell], rows: list[tuple[Cell, ...]]) -> list[float]:
    widths = [_display_width(h) for h in headers]
    for row in rows:
        for index, value in enumerate(row):
            widths[index] = max(widths[index], _display_width(value))
    return [float(min(_MAX_WIDTH, max(_MIN_WIDTH, w + 2))) for w in widths]
