"""What both Word documents share: a document set in a Chinese font, and saving."""

from __future__ import annotations

import io
from typing import Any

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FONT = "宋体"


def new_document() -> Any:
    document = Document()
    style = document.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(12)
    # Word picks the font of Chinese text from eastAsia, which python-docx leaves unset.
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    return document


def to_bytes(document: Any) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


class Styles:
    """Paragraph and table styles by id, looked up once per document: python-docx
    resolves a style name by scanning every style on each use, which for a 台账 of a
    year's events cost more than everything else together."""

    def __init__(self, document: Any) -> None:
        self.ids = {
            name: document.styles[name].style_id
            for name in ("Heading 1", "Heading 2", "Heading 3", "Table Grid")
        }

    def paragraph(self, document: Any, text: str, style: str) -> Any:
        paragraph = document.add_paragraph(text)
        paragraph._p.style = self.ids[style]
        return paragraph

    def table(self, document: Any, rows: int, cols: int) -> Any:
        table = document.add_table(rows=rows, cols=cols)
        table._tbl.tblPr.style = self.ids["Table Grid"]
        return table


def key_value_table(document: Any, styles: Styles, rows: list[tuple[str, str]]) -> None:
    table = styles.table(document, len(rows), 2)
    for row, (label, value) in zip(table.rows, rows, strict=True):
        first, second = row.cells
        # Into the empty paragraph each new cell has: setting ``cell.text`` would
        # rebuild it, at several times the cost.
        first.paragraphs[0].add_run(label).bold = True
        second.paragraphs[0].add_run(value)
