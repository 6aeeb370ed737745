"""The ledger as files: an .xlsx workbook (one sheet per table) and a .csv.

The CSV holds the occurrences table only (日程台账: every occurrence with its status,
speaker, topic and departments): a single table keeps its columns meaningful, which a
mixed table with a section column would not. The workbook has every table.
"""

from __future__ import annotations

import csv
import io
import unicodedata

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .ledger import Cell, Ledger, Table

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv; charset=utf-8"
# A cell starting with one of these is run as a formula by Excel (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_MIN_WIDTH, _MAX_WIDTH = 8, 60


def to_xlsx(ledger: Ledger) -> bytes:
    workbook = Workbook()
    first = True
    for table in ledger.tables:
        sheet = workbook.active if first else workbook.create_sheet()
        assert sheet is not None
        first = False
        sheet.title = table.title
        sheet.append(list(table.headers))
        for row in table.rows:
            sheet.append([_cell(value) for value in row])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for column in sheet.iter_cols(min_row=2):
            for cell in column:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text stays text, even "=…"
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = sheet.dimensions
        for index, width in enumerate(_widths(table), start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cell(value: object) -> object:
    """Text without the control characters a worksheet cannot hold (rows saved before
    input refused them); openpyxl raises on them, which would fail the whole export."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def to_csv(ledger: Ledger) -> bytes:
    """UTF-8 with a BOM: without it Excel on Windows reads Chinese as GBK mojibake."""
    table = ledger.table("occurrences")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.headers)
    writer.writerows([_csv_safe(value) for value in row] for row in table.rows)
    return buffer.getvalue().encode("utf-8-sig")


def _csv_safe(value: Cell) -> Cell:
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _display_width(value: Cell) -> int:
    """Wide (CJK) characters take two columns in Excel's width unit."""
    text = str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _widths(table: Table) -> list[float]:
    widths = [_display_width(h) for h in table.headers]
    for row in table.rows:
        for index, value in enumerate(row):
            widths[index] = max(widths[index], _display_width(value))
    return [float(min(_MAX_WIDTH, max(_MIN_WIDTH, w + 2))) for w in widths]
