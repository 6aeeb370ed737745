"""The ledger as files: an .xlsx workbook (one sheet per table) and a .csv.

The CSV holds the occurrences table only (日程台账: every occurrence with its status,
speaker, topic and departments): a single table keeps its columns meaningful, which a
mixed table with a section column would not. The workbook has every table.

Both are written as their rows are produced: the CSV in chunks a response can send at
once; the workbook by rust_xlsxwriter (through ``rustpy_xlsxwriter``), which takes each
sheet's rows from its iterator as it writes them. A county's year is close to a million
cells, and openpyxl, even in write-only mode, spends about 10 µs of CPU on each: ten
times what the whole export may cost (docs/performance.md, "Ledger exports").
"""

from __future__ import annotations

import csv
import io
import itertools
import unicodedata
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from rustpy_xlsxwriter import FastExcel

from .ledger import Cell, Ledger, Table

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv; charset=utf-8"
# A cell starting with one of these is run as a formula by Excel (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_MIN_WIDTH, _MAX_WIDTH = 8, 60
# Column widths are fixed before a sheet's first row is written: they are measured on
# this many rows (every row of a smaller table, so its widths are exact).
_WIDTH_SAMPLE = 2000
# The most characters an Excel cell holds; the writer refuses a longer text.
_MAX_CELL_TEXT = 32_767
# Rows whose texts are tested for what a cell cannot hold at once.
_CHECK_BATCH = 500
# About this many characters of CSV per chunk sent.
_CSV_CHUNK = 64 * 1024


def write_xlsx(ledger: Ledger, out: BinaryIO) -> None:
    """The workbook, written to ``out``: a sheet per table, bold frozen header row, a
    filter over the table, columns as wide as their text, every text cell kept text
    (the writer never reads ``=...`` as a formula). An exception raised while the rows
    are produced (the request's time budget) comes out of here as it was raised, and
    nothing is written to ``out``."""
    book = FastExcel(out).format(bold_headers=True).freeze(row=1, col=0)
    for table in ledger.tables:
        rows = iter(table.rows)
        sample = list(itertools.islice(rows, _WIDTH_SAMPLE))
        book.sheet(
            table.title,
            _records(table.headers, itertools.chain(sample, rows)),
            column_widths=_widths(table.headers, sample),
            autofilter=True,
        )
    book.save()


def _records(
    headers: tuple[str, ...], rows: Iterator[tuple[Cell, ...]]
) -> Iterator[dict[str, Cell | None]]:
    """The rows as the writer takes them: a dict per row, keyed by the column headers
    (which it writes as the header row). A table without rows still shows its headers,
    over one empty row."""
    if len(set(headers)) != len(headers):
        raise ValueError(f"duplicate column headers: {headers}")
    empty = True
    for batch in iter(lambda: list(itertools.islice(rows, _CHECK_BATCH)), []):
        empty = False
        # Rows repeat their texts (a name, a title, a day on row after row): each
        # distinct text of a batch is tested once, and most batches need nothing.
        texts = [v for v in set(itertools.chain.from_iterable(batch)) if isinstance(v, str)]
        if not "".join(texts).isprintable() or max(map(len, texts), default=0) > _MAX_CELL_TEXT:
            batch = [tuple(map(_cell, row)) for row in batch]
        for row in batch:
            yield dict(zip(headers, row, strict=True))
    if empty:
        yield dict.fromkeys(headers)


def _cell(value: Cell) -> Cell:
    """Text without the control characters a worksheet cannot hold (rows saved before
    input refused them), and no longer than a cell holds."""
    if not isinstance(value, str):
        return value
    return ILLEGAL_CHARACTERS_RE.sub("", value)[:_MAX_CELL_TEXT]


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
    for index, column in enumerate(zip(*rows, strict=True)):
        # A column repeats its values (names, statuses, titles): each measured once.
        widths[index] = max(widths[index], *map(_display_width, set(column)))
    return [float(min(_MAX_WIDTH, max(_MIN_WIDTH, w + 2))) for w in widths]
