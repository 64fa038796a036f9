"""OpenDocument text and presentations (.odt, .odp) and PowerPoint (.pptx), read from their XML.

Taiwan's government agencies exchange documents in ODF (the national document standard since
2016), so a 個資盤點 of an agency meets .odt and .odp as often as .docx. Both formats are ZIP
packages of XML; the standard library reads them (no extra dependency). Paragraphs are text
lines numbered across the document (``line``), table cells are rows under their header as in
CSV and XLSX.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from typing import Any
from xml.etree import ElementTree as ET

from gezi.pii.files import Batch, Opener, Segment, Unreadable, table_batches

ODF_TEXT_SUFFIXES = {".odt", ".odp", ".ott"}
PPTX_SUFFIXES = {".pptx"}

_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_DRAWING = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_PARAGRAPHS = {f"{_TEXT}p", f"{_TEXT}h"}
# Repeated empty cells and rows are how ODF writers pad a table to the sheet's edge (thousands
# of them): a repeat count is honoured up to this many, enough for real data.
_MAX_REPEAT = 256
_MAX_XML_BYTES = 256 << 20


def _package(opener: Opener, what: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(opener())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise Unreadable(f"無法開啟 {what} corrupt document ({type(exc).__name__})") from None


def _xml(package: zipfile.ZipFile, name: str, what: str) -> ET.Element:
    try:
        info = package.getinfo(name)
        if info.file_size > _MAX_XML_BYTES:
            raise Unreadable(f"{what} 內容過大 document part larger than {_MAX_XML_BYTES} bytes")
        with package.open(info) as fh:
            return ET.parse(fh).getroot()
    except KeyError:
        raise Unreadable(f"無法開啟 {what} not a document (no {name})") from None
    except (ET.ParseError, zipfile.BadZipFile, OSError, EOFError) as exc:
        raise Unreadable(f"無法開啟 {what} corrupt document ({type(exc).__name__})") from None


def _odf_text(elem: ET.Element) -> str:
    """The text of an ODF paragraph: spans and links inline, ``text:s`` as its count of
    spaces, tabs and line breaks as one space."""
    parts = [elem.text or ""]
    for child in elem:
        tag = child.tag
        if tag == f"{_TEXT}s":
            parts.append(" " * _count(child, f"{_TEXT}c"))
        elif tag in (f"{_TEXT}tab", f"{_TEXT}line-break"):
            parts.append(" ")
        else:
            parts.append(_odf_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _count(elem: ET.Element, attribute: str) -> int:
    """A repeat count attribute (1 if absent or malformed), at most _MAX_REPEAT."""
    try:
        return max(1, min(int(elem.get(attribute, "1")), _MAX_REPEAT))
    except ValueError:
        return 1


def _odf_rows(table: ET.Element) -> Iterator[list[Any]]:
    for row in table.iter(f"{_TABLE}table-row"):
        cells: list[Any] = []
        for cell in row:
            if cell.tag not in (f"{_TABLE}table-cell", f"{_TABLE}covered-table-cell"):
                continue
            text = "\n".join(_odf_text(p) for p in cell.iter() if p.tag in _PARAGRAPHS)
            cells.extend([text] * _count(cell, f"{_TABLE}number-columns-repeated"))
        for _ in range(_count(row, f"{_TABLE}number-rows-repeated") if any(cells) else 1):
            yield cells


def _odf_walk(elem: ET.Element, paragraphs: list[str], tables: list[ET.Element]) -> None:
    for child in elem:
        if child.tag == f"{_TABLE}table":
            tables.append(child)
        elif child.tag in _PARAGRAPHS:
            paragraphs.append(_odf_text(child))
            _odf_walk(child, [], tables)  # a frame inside a paragraph may hold a table
        else:
            _odf_walk(child, paragraphs, tables)


def read_odf_text(opener: Opener) -> Iterator[Batch]:
    """Paragraphs and headings (``line`` = paragraph number) and table cells of an .odt/.odp."""
    with _package(opener, "ODF") as package:
        root = _xml(package, "content.xml", "ODF")
    paragraphs: list[str] = []
    tables: list[ET.Element] = []
    _odf_walk(root, paragraphs, tables)
    yield None, [Segment(text, line=i) for i, text in enumerate(paragraphs, start=1) if text]
    for table in tables:
        yield from table_batches(_odf_rows(table))


def _slide_number(name: str) -> int:
    match = re.search(r"(\d+)\.xml$", name)
    return int(match.group(1)) if match else 0


def read_pptx(opener: Opener) -> Iterator[Batch]:
    """Paragraphs of every slide and its notes, in slide order (``line`` = paragraph number
    across the deck)."""
    with _package(opener, "PPTX") as package:
        names = [n for n in package.namelist()
                 if re.fullmatch(r"ppt/(?:slides/slide|notesSlides/notesSlide)\d+\.xml", n)]
        if not names:
            raise Unreadable("無法開啟 PPTX not a presentation (no slides)")
        names.sort(key=lambda n: (_slide_number(n), "notes" in n))
        roots = [_xml(package, name, "PPTX") for name in names]
    segments: list[Segment] = []
    number = 0
    for root in roots:
        for paragraph in root.iter(f"{_DRAWING}p"):
            number += 1
            text = "".join(t.text or "" for t in paragraph.iter(f"{_DRAWING}t"))
            if text:
                segments.append(Segment(text, line=number))
    yield None, segments
