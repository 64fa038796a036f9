"""Office documents read from their XML: Word (.docx), OpenDocument text and presentations
(.odt, .odp) and PowerPoint (.pptx).

Taiwan's government agencies exchange documents in ODF (the national document standard since
2016), so a 個資盤點 of an agency meets .odt and .odp as often as .docx. All are ZIP packages of
XML. Paragraphs are text lines numbered across the document (``line``), table cells are rows
under their header as in CSV and XLSX.

Word and ODF text are read by one walker each that the scanner and ``gezi mask`` share: it
builds ``TextUnit``s that know which XML text node every character came from, so the masked
copy is the text the scanner read, place for place. Personal data leaks from published
documents where nobody looks: tracked changes (deleted text too), comments, notes, content
controls, headers and the names of the people who made the changes; link targets (``mailto:``,
``tel:``, a query string with an e-mail), field codes and the document properties too. All of
it is read.
"""

from __future__ import annotations

import posixpath
import re
import weakref
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

from gezi.pii.files import Batch, Opener, Segment, Unreadable, table_batches

ODF_TEXT_SUFFIXES = {".odt", ".odp", ".ott"}
PPTX_SUFFIXES = {".pptx"}

_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_STYLE = "{urn:oasis:names:tc:opendocument:xmlns:style:1.0}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_META = "{urn:oasis:names:tc:opendocument:xmlns:meta:1.0}"
_LOEXT = "{urn:org:documentfoundation:names:experimental:office:xmlns:loext:1.0}"
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_W15 = "{http://schemas.microsoft.com/office/word/2012/wordml}"
_DRAWING = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_PRESENTATION = "{urn:oasis:names:tc:opendocument:xmlns:presentation:1.0}"
_DRAW = "{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}"
_XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CP = "{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}"
_EP = "{http://schemas.openxmlformats.org/officeDocument/2006/extended-properties}"
_CUSTOM = "{http://schemas.openxmlformats.org/officeDocument/2006/custom-properties}"
_PARAGRAPHS = {f"{_TEXT}p", f"{_TEXT}h"}
_CELLS = {f"{_TABLE}table-cell", f"{_TABLE}covered-table-cell"}
# Repeated empty cells and rows are how ODF writers pad a table to the sheet's edge (thousands
# of them): a repeat count is honoured up to this many, enough for real data.
_MAX_REPEAT = 256
_MAX_XML_BYTES = 256 << 20

# Where the text of a tracked deletion is reported (``column``): it is not visible in the
# document, so a line number alone would not lead anyone to it.
DELETED = "刪除的修訂 deleted"
NAME_HINT = "name"  # an author field holds a person's name: the analyzer's column hint says so
# Where text that is no paragraph is reported (``column``): a link's target (DOCX relationships,
# ODF ``xlink:href``), a paragraph's field codes, a document property (prefix + its name).
HYPERLINK = "超連結 hyperlink"
FIELD = "功能變數 field code"
PROPERTY = "文件摘要"
# Where a sheet's text that is no cell is reported (in an .xlsx prefixed with ``sheet!``).
COMMENT = "註解 comment"
HEADER_FOOTER = "頁首頁尾 header/footer"
SHAPE = "圖形 shape"
VALIDATION = "資料驗證 data validation"
DEFINED_NAME = "定義名稱"  # + the name
UNUSED_STRING = "未使用的共用字串 unused shared string"
PIVOT_CACHE = "樞紐分析快取 pivot cache"  # + the field's name
CHART = "圖表 chart"
TABLE = "表格 table"
FILTER = "篩選 filter"  # a filter's criteria, a sort's custom order
EXTERNAL_CACHE = "外部連結快取 external link cache"
SHEET_NAME = "工作表名稱 sheet name"
AUTHOR = "author"
# A mailto: or tel: target is an address or a number by definition: it is analyzed under the
# column hint that says so, so that the whole address is masked even where no pattern matches.
_LINK_HINTS = {"mailto": "email", "tel": "phone", "sms": "phone", "callto": "phone"}


class TextUnit:
    """One text the scanner analyzes (a paragraph, a table cell) and where each of its
    characters sits: ``pieces`` are (element, "text" or "tail", start in the unit, length,
    start in the node's text). ``column`` labels text that is not shown in the document
    (tracked deletions, link targets); ``hint`` is the column name it is analyzed under."""

    __slots__ = ("_length", "_parts", "_text", "column", "copy", "hint", "member", "pieces", "row")

    def __init__(self, member: str, column: str | None = None, hint: str | None = None,
                 row: int | None = None, copy: bool = False) -> None:
        self.member = member
        self.column = column
        self.hint = hint
        self.row = row  # a sheet's row the text belongs to (a cell's comment, a link's cell)
        # A cached copy of a cell's whole value (a pivot cache item, a chart's cached point): the
        # masking gives it the cell's own masked text, so that copy and cell still agree.
        self.copy = copy
        self.pieces: list[tuple[Any, str, int, int, int]] = []
        self._parts: list[str] = []
        self._length = 0
        self._text: str | None = None

    def own(self, node: Any, attr: str, start: int = 0, end: int | None = None) -> None:
        """Characters held by ``node.text`` or ``node.tail`` (``start:end`` of them): these
        can be rewritten."""
        value = (getattr(node, attr) or "")[start:end]
        if value:
            self.pieces.append((node, attr, self._length, len(value), start))
            self.shown(value)

    def shown(self, chars: str) -> None:
        """Characters the scanner sees for an element (a tab, a break, ``text:s``): kept."""
        self._parts.append(chars)
        self._length += len(chars)
        self._text = None

    @property
    def text(self) -> str:
        """The unit's text, as the scanner assembles it."""
        if self._text is None:
            self._text = "".join(self._parts)
        return self._text


class AttributeText:
    """An attribute seen as a node's ``text`` (a link's target, a simple field's instruction),
    so that it is read and rewritten as element text is. Emptied, it stays, empty."""

    __slots__ = ("elem", "name")
    tag = ""  # no element: never a w:t that needs xml:space

    def __init__(self, elem: Any, name: str) -> None:
        self.elem, self.name = elem, name

    @property
    def text(self) -> str:
        """The attribute's value."""
        return self.elem.get(self.name) or ""

    @text.setter
    def text(self, value: str | None) -> None:
        self.elem.set(self.name, value or "")


Table = list[list[TextUnit]]
# A field holding a person's name: (element, attribute), the attribute None for the element's text.
AuthorField = tuple[Any, str | None]
# A person field and where the scanner reports it (``column``).
Person = tuple[AuthorField, str]


def author_value(field: AuthorField) -> str:
    """The name an author field holds."""
    elem, attr = field
    return (elem.text if attr is None else elem.get(attr)) or ""


def unit_batches(paragraphs: list[TextUnit], tables: list[Table], labelled: list[TextUnit],
                 people: list[Person]) -> Iterator[Batch]:
    """What the scanner analyzes: paragraphs numbered in order (``line``; empty ones count),
    table cells under their header, the texts that are no paragraph (link targets, property
    values: no line, ``column`` says where) under their hint, then each person's name once per
    label (``column`` = the label)."""
    if lines := [Segment(u.text, line=i, column=u.column) for i, u in enumerate(paragraphs, start=1) if u.text]:
        yield None, lines
    for rows in tables:
        # a table on a slide: its columns as ``投影片 slide 2!姓名``, as a sheet's are
        label = next((u.column for row in rows for u in row), None)
        for column, segs in table_batches([u.text for u in row] for row in rows):
            yield column, segs if label is None else [s._replace(column=f"{label}!{s.column}") for s in segs]
    hints: dict[str | None, list[Segment]] = {}
    for u in labelled:
        if u.text:
            hints.setdefault(u.hint, []).append(Segment(u.text, row=u.row, column=u.column))
    yield from hints.items()
    names = dict.fromkeys((label, v) for f, label in people if (v := author_value(f)).strip())
    if names:
        yield NAME_HINT, [Segment(name, column=label) for label, name in names]


def link_units(member: str, node: Any) -> list[TextUnit]:
    """A link target (``node.text``) as the units analyzed: the address of a ``mailto:`` or
    ``tel:`` target under the hint that it is an e-mail or a phone number, then its headers
    or parameters (after ``?`` or ``;``); any other target whole (the analyzer finds the
    %40-encoded e-mails and the IDs of a query string). The scheme is not analyzed, so it
    stays and the masked link is still a link."""
    target = node.text or ""
    scheme, colon, rest = target.partition(":")
    hint = _LINK_HINTS.get(scheme.lower()) if colon else None
    if hint is None:
        unit = TextUnit(member, HYPERLINK)
        unit.own(node, "text")
        return [unit]
    start = len(scheme) + 1
    end = start + len(re.split(r"[?;]", rest, maxsplit=1)[0])
    address, tail = TextUnit(member, HYPERLINK, hint), TextUnit(member, HYPERLINK)
    address.own(node, "text", start, end)
    tail.own(node, "text", end)
    return [address, tail]


def quoted_items(member: str, node: Any, column: str, separator: str | None = None) -> list[TextUnit]:
    """The quoted strings of a formula (``node.text``) as units, each item alone (a list of
    allowed values: ``"王小明,陳怡君"`` split at ``separator``, ``"王小明";"陳怡君"``): a
    name on its own is a value of its column, not part of a sentence."""
    units = []
    for quoted in re.finditer(r'"((?:[^"]|"")*)"', node.text or ""):
        start = quoted.start(1)
        for item in quoted.group(1).split(separator) if separator else [quoted.group(1)]:
            units.append(unit := TextUnit(member, column))
            unit.own(node, "text", start, start + len(item))
            start += len(item) + 1
    return units


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


# Document properties: fields naming who wrote or owns the file (emptied by the masking) and
# free text (masked as text). Company is the licensee of the copy of Office that wrote the file:
# on a personal copy, the person's own name.
_PROPERTY_PEOPLE = {f"{_DC}creator", f"{_CP}lastModifiedBy", f"{_EP}Manager", f"{_EP}Company",
                    f"{_META}initial-creator", f"{_META}printed-by"}
_PROPERTY_TEXT = {f"{_DC}title", f"{_DC}subject", f"{_DC}description", f"{_CP}keywords", f"{_CP}category",
                  f"{_CP}contentStatus", f"{_META}keyword", f"{_EP}HyperlinkBase"}
# app.xml parts holding strings: the title again, and the list of the document's link targets.
_APP_LISTS = {f"{_EP}TitlesOfParts", f"{_EP}HLinks"}
_VT = "{http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes}"
_VT_STRINGS = {f"{_VT}lpwstr", f"{_VT}lpstr", f"{_VT}bstr"}  # numbers, dates and flags stay as typed


def property_units(parts: list[tuple[str, Any]]) -> tuple[list[TextUnit], list[Person]]:
    """The document properties of ``parts`` (member, root: DOCX core.xml, app.xml, custom.xml;
    ODF meta.xml): their free text (custom and user-defined ones under their own name as the
    hint) and their person fields."""
    units: list[TextUnit] = []
    people: list[Person] = []

    def text(member: str, elem: Any, name: str, hint: str | None = None) -> None:
        units.append(unit := TextUnit(member, f"{PROPERTY} {name}", hint))
        unit.own(elem, "text")

    for member, root in parts:
        for elem in root.iter():
            tag = elem.tag
            if tag in _PROPERTY_PEOPLE:
                people.append(((elem, None), f"{PROPERTY} {_local(tag)}"))
            elif tag in _PROPERTY_TEXT:
                text(member, elem, _local(tag))
            elif tag in _APP_LISTS:
                for value in elem.iter(*_VT_STRINGS):
                    text(member, value, _local(tag))
            elif tag == f"{_CUSTOM}property":
                name = elem.get("name") or ""
                for value in elem.iter(*_VT_STRINGS):
                    text(member, value, name, name or None)
            elif tag == f"{_META}user-defined" and elem.get(f"{_META}value-type", "string") == "string":
                name = elem.get(f"{_META}name") or ""
                text(member, elem, name, name or None)
    return units, people


def parse_xml(data: bytes, what: str) -> Any:
    """A package part parsed with lxml, without entities, DTDs or network; a part with a
    DOCTYPE (the vehicle of entity-expansion bombs, never used by Word or ODF writers) is
    refused."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise Unreadable(f"無法開啟 {what} corrupt document ({type(exc).__name__})") from None
    refuse_dtd(root, what)
    return root


def refuse_dtd(root: Any, what: str) -> None:
    """Refuse a part that declares a DTD (see ``parse_xml``)."""
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None:
        raise Unreadable(f"{what} 含 DTD 宣告（可能為 XML 炸彈），不予處理 part declares a DTD (possible XML bomb)")


@contextmanager
def _package(opener: Opener, what: str) -> Iterator[zipfile.ZipFile]:
    """The document's package, the file it is read from closed with it (a ``ZipFile`` given a
    file leaves that file open)."""
    try:
        fh = opener()
    except OSError as exc:
        raise Unreadable(f"無法開啟 {what} corrupt document ({type(exc).__name__})") from None
    with fh:
        try:
            package = zipfile.ZipFile(fh)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise Unreadable(f"無法開啟 {what} corrupt document ({type(exc).__name__})") from None
        with package:
            yield package


def _member_bytes(package: zipfile.ZipFile, name: str, what: str) -> bytes:
    try:
        info = package.getinfo(name)
        if info.file_size > _MAX_XML_BYTES:
            raise Unreadable(f"{what} 內容過大 document part larger than {_MAX_XML_BYTES} bytes")
        return package.read(info)
    except KeyError:
        raise Unreadable(f"無法開啟 {what} not a document (no {name})") from None
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise Unreadable(f"無法開啟 {what} corrupt document ({type(exc).__name__})") from None


def _count(elem: Any, attribute: str) -> int:
    """A repeat count attribute (1 if absent or malformed), at most _MAX_REPEAT."""
    try:
        return max(1, min(int(elem.get(attribute, "1")), _MAX_REPEAT))
    except ValueError:
        return 1


# --- ODF --------------------------------------------------------------------------------------

# Master-page parts of styles.xml that print on every page (the 承辦人 and 電話 of a letter).
_ODF_HEADERS = {f"{_STYLE}{k}" for k in ("header", "header-left", "header-first",
                                         "footer", "footer-left", "footer-first")}
_ODF_AUTHOR_TEXT = {f"{_DC}creator", f"{_META}creator-initials", f"{_LOEXT}sender-initials"}
_ODP_DECLS = {f"{_PRESENTATION}{k}-decl" for k in ("header", "footer", "date-time")}
_ODF_LINKS = (f"{_TEXT}a", f"{_DRAW}a")


class _OdfReader:
    """ODF text in the scanner's order: paragraphs and headings of the body, the headers and
    footers of the master pages, a presentation's footer declarations, notes, annotations,
    tracked deletions; tables."""

    breaks = " "  # what a tab or a line break inside a paragraph reads as

    def __init__(self) -> None:
        self.paragraphs: list[TextUnit] = []
        self.decls: list[TextUnit] = []
        self.notes: list[TextUnit] = []
        self.annotations: list[TextUnit] = []
        self.deleted: list[TextUnit] = []
        self.tables: list[Table] = []

    def walk(self, elem: Any, member: str, into: list[TextUnit], column: str | None = None) -> None:
        """Paragraphs under ``elem`` into ``into``, tables, and the places read apart."""
        for child in elem:
            tag = child.tag
            if tag == f"{_TABLE}table":
                self.tables.append(self._rows(child, member, column))
            elif tag in _PARAGRAPHS:
                into.append(unit := TextUnit(member, column))
                self._paragraph(unit, child, member, column)
                self._tables(child, member, column)  # a frame inside a paragraph may hold a table
            elif tag == f"{_TEXT}tracked-changes":
                self._changes(child, member)
            elif tag == f"{_OFFICE}annotation":  # a presentation's comments sit beside the shapes
                self._annotation(child, member)
            elif tag == f"{_TEXT}note":
                self._note(child, member)
            elif tag in _ODP_DECLS:  # a presentation's footer text, declared once, shown on the slides
                self.decls.append(unit := TextUnit(member, column))
                self._paragraph(unit, child, member, column)
            elif isinstance(tag, str):
                self.walk(child, member, into, column)

    def _tables(self, elem: Any, member: str, column: str | None) -> None:
        """The tables inside a paragraph (in frames); notes and annotations are read apart."""
        for child in elem:
            if child.tag == f"{_TABLE}table":
                self.tables.append(self._rows(child, member, column))
            elif isinstance(child.tag, str) and child.tag not in (f"{_TEXT}note", f"{_OFFICE}annotation"):
                self._tables(child, member, column)

    def _paragraph(self, unit: TextUnit, elem: Any, member: str, column: str | None) -> None:
        """The text of a paragraph: spans, links and frames inline, ``text:s`` as its count of
        spaces, tabs and line breaks as one space. Notes and annotations are read apart (their
        number and their author would run into the sentence); comments hold no text."""
        unit.own(elem, "text")
        for child in elem:
            tag = child.tag
            if not isinstance(tag, str):
                pass  # an XML comment or processing instruction
            elif tag == f"{_TEXT}s":
                unit.shown(" " * _count(child, f"{_TEXT}c"))
            elif tag in (f"{_TEXT}tab", f"{_TEXT}line-break"):
                unit.shown(self.breaks)
            elif tag == f"{_OFFICE}annotation":
                self._annotation(child, member)
            elif tag == f"{_TEXT}note":
                self._note(child, member)
            elif tag != f"{_OFFICE}annotation-end":
                self._paragraph(unit, child, member, column)
            unit.own(child, "tail")

    def _note(self, note: Any, member: str) -> None:
        for body in note.iter(f"{_TEXT}note-body"):  # the citation is the note's number
            self.walk(body, member, self.notes)

    def _annotation(self, annotation: Any, member: str) -> None:
        self.walk(annotation, member, self.annotations)

    def _changes(self, changes: Any, member: str) -> None:
        """The text of tracked deletions (inserted text is in the body already, between its
        change marks)."""
        for deletion in changes.iter(f"{_TEXT}deletion"):
            self.walk(deletion, member, self.deleted, DELETED)

    def _rows(self, table: Any, member: str, column: str | None) -> Table:
        """A table's rows (repeats expanded, bounded), each cell its paragraphs joined by line
        breaks."""
        rows: Table = []
        for row in table.iter(f"{_TABLE}table-row"):
            cells: list[TextUnit] = []
            for cell in row:
                if cell.tag not in _CELLS:
                    continue
                unit = TextUnit(member, column)
                for k, p in enumerate(p for p in cell.iter() if p.tag in _PARAGRAPHS):
                    if k:
                        unit.shown("\n")
                    self._paragraph(unit, p, member, column)
                cells.extend([unit] * _count(cell, f"{_TABLE}number-columns-repeated"))
            repeat = _count(row, f"{_TABLE}number-rows-repeated") if any(u.text for u in cells) else 1
            rows.extend([cells] * repeat)
        return rows


def odf_units(content: Any, styles: Any = None, spreadsheet: bool = False) -> tuple[list[TextUnit], list[Table]]:
    """What the scanner reads in ``content.xml`` and ``styles.xml`` (lxml roots): paragraphs in
    the order body, headers and footers, a presentation's header, footer and date
    declarations, notes, annotations, tracked deletions; the rows of each table.

    ``spreadsheet``: the cells of an .ods as python-calamine reads them (see ``_OdsReader``),
    then the formulas (after the other paragraphs)."""
    # A sheet has no lines: what is not a cell is labelled with where it sits (a shape, the
    # page header or footer, a cell's annotation) for the scanner to report it there.
    reader = _OdsReader() if spreadsheet else _OdfReader()
    reader.walk(content, "content.xml", reader.paragraphs, SHAPE if spreadsheet else None)
    if styles is not None:
        for part in styles.iter(*_ODF_HEADERS):
            reader.walk(part, "styles.xml", reader.paragraphs, HEADER_FOOTER if spreadsheet else None)
    paragraphs = reader.paragraphs + reader.decls + reader.notes + reader.annotations + reader.deleted
    if isinstance(reader, _OdsReader):
        paragraphs += reader.validations + reader.formulas
    return paragraphs, reader.tables


# --- ODS --------------------------------------------------------------------------------------

_CALCEXT_TYPE = "{urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0}value-type"
# The attribute holding a typed cell's value; the scanner (python-calamine) reads the value, not
# the text shown (a phone typed as a number shows 0912345678 and holds 912345678).
_ODS_VALUES = {"float": "value", "percentage": "value", "currency": "value", "date": "date-value"}
_ODS_VALUE_ATTRS = [f"{_OFFICE}{k}" for k in ("value", "date-value", "time-value", "boolean-value",
                                              "string-value", "currency")]
FORMULA = "公式 formula"


class CellValue:
    """A cell's value held in an attribute (``office:value``, ``office:date-value``,
    ``office:string-value``) as the scanner reads it, seen as a node's ``text``. Set (masked),
    the cell becomes a string cell that shows the new text and holds no trace of the old value:
    a masked phone is no number, and the number must not stay behind the text shown."""

    __slots__ = ("cell", "changed", "value")
    tag = ""  # no element: never a w:t that needs xml:space

    def __init__(self, cell: Any, value: str) -> None:
        self.cell, self.value, self.changed = cell, value, False

    @property
    def text(self) -> str:
        """The value as the scanner reads it."""
        return self.value

    @text.setter
    def text(self, value: str | None) -> None:
        self.value, self.changed = value or "", True
        cell = self.cell
        for name in _ODS_VALUE_ATTRS:
            cell.attrib.pop(name, None)
        cell.set(f"{_OFFICE}value-type", "string")
        if _CALCEXT_TYPE in cell.attrib:
            cell.set(_CALCEXT_TYPE, "string")
        paragraphs = [c for c in cell if c.tag in _PARAGRAPHS]
        if not paragraphs:
            paragraphs = [cell.makeelement(f"{_TEXT}p", {})]
            cell.append(paragraphs[0])
        for extra in paragraphs[1:]:
            cell.remove(extra)
        first = paragraphs[0]  # its style stays; spans and links of the old text go
        for child in list(first):
            first.remove(child)
        first.text = self.value


def _ods_value(cell: Any) -> str | None:
    """The text python-calamine gives a typed cell (numbers whole without ``.0``, dates ISO),
    or None when the cell's value is its paragraphs (or is a time or a truth value)."""
    kind = cell.get(f"{_OFFICE}value-type")
    if kind == "string":
        return cell.get(f"{_OFFICE}string-value")
    if (attr := _ODS_VALUES.get(kind or "")) is None or (raw := cell.get(f"{_OFFICE}{attr}")) is None:
        return None
    if attr == "date-value":
        return raw.replace("T", " ")
    try:
        number = float(raw)
    except ValueError:
        return raw
    return str(int(number)) if number.is_integer() else str(number)


class _OdsReader(_OdfReader):
    """A spreadsheet read as the scanner reads it with python-calamine: a cell is its value
    attribute if it has one, else its paragraphs joined by line breaks (``text:s`` as spaces,
    tabs and line breaks as nothing); annotations are no part of it (read apart here, as are
    the shapes and formulas, labelled with their sheet: ``名冊!註解 comment``). Repeated rows
    and cells are one unit repeated (at most _MAX_REPEAT times: a masked value is masked in
    every repeat, as they are one XML element)."""

    breaks = ""

    def __init__(self) -> None:
        super().__init__()
        self.formulas: list[TextUnit] = []
        self.validations: list[TextUnit] = []
        self.sheet = ""  # the sheet being read: what is no cell is reported as ``sheet!圖形 shape``

    def _on_sheet(self, label: str) -> str:
        return f"{self.sheet}!{label}" if self.sheet else label

    def walk(self, elem: Any, member: str, into: list[TextUnit], column: str | None = None) -> None:
        """As for any ODF part, and the lists of allowed values of validity rules
        (``table:condition``: ``of:cell-content-is-in-list("王小明";"陳怡君")``), item by item."""
        for rule in elem.iterchildren(f"{_TABLE}content-validation"):
            if rule.get(f"{_TABLE}condition"):
                self.validations += quoted_items(member, AttributeText(rule, f"{_TABLE}condition"), VALIDATION)
        super().walk(elem, member, into, column)

    def _annotation(self, annotation: Any, member: str) -> None:
        self.walk(annotation, member, self.annotations, self._on_sheet(COMMENT))

    def _rows(self, table: Any, member: str, column: str | None) -> Table:
        outer, self.sheet = self.sheet, table.get(f"{_TABLE}name") or self.sheet
        rows: Table = []
        for row in table.iter(f"{_TABLE}table-row"):
            cells: list[TextUnit] = []
            for cell in row:
                if cell.tag in _CELLS:
                    cells.extend([self._cell(cell, member)] * _count(cell, f"{_TABLE}number-columns-repeated"))
            repeat = _count(row, f"{_TABLE}number-rows-repeated") if any(u.text for u in cells) else 1
            if rows or any(u.text for u in cells):  # calamine's range starts at the first row with a value
                rows.extend([cells] * repeat)
        for shapes in table.iterchildren(f"{_TABLE}shapes"):
            self.walk(shapes, member, self.paragraphs, self._on_sheet(SHAPE))
        self.sheet = outer
        return rows

    def _cell(self, cell: Any, member: str) -> TextUnit:
        unit = TextUnit(member, column=None)
        if cell.get(f"{_TABLE}formula"):
            self.formulas.append(formula := TextUnit(member, self._on_sheet(FORMULA)))
            formula.own(AttributeText(cell, f"{_TABLE}formula"), "text")
        value = _ods_value(cell)
        if value is not None:
            unit.own(CellValue(cell, value), "text")
        first = True
        for child in cell:
            if child.tag in _PARAGRAPHS:
                if value is None:
                    if not first:
                        unit.shown("\n")
                    self._paragraph(unit, child, member, None)
                first = False
            elif child.tag == f"{_OFFICE}annotation":
                self._annotation(child, member)
            elif isinstance(child.tag, str):
                self.walk(child, member, self.paragraphs, self._on_sheet(SHAPE))  # a shape anchored to the cell
        return unit


def ods_values(tables: list[Table]) -> list[CellValue]:
    """The typed cells' values of ``tables`` (see ``CellValue``), each once."""
    return list({id(p[0]): p[0] for rows in tables for row in rows for u in row for p in u.pieces
                 if isinstance(p[0], CellValue)}.values())


def odf_links(parts: list[tuple[str, Any]]) -> list[TextUnit]:
    """The targets of the links (``text:a``, ``draw:a``: ``xlink:href``) in ``parts`` (member,
    root), in document order."""
    return [u for member, root in parts for a in root.iter(*_ODF_LINKS) if a.get(_XLINK_HREF)
            for u in link_units(member, AttributeText(a, _XLINK_HREF))]


def odf_authors(*roots: Any) -> list[AuthorField]:
    """The fields naming who made a tracked change or an annotation (``dc:creator``, the
    annotation's initials) in the given roots (None skipped)."""
    return [(e, None) for root in roots if root is not None
            for parent in root.iter(f"{_OFFICE}change-info", f"{_OFFICE}annotation")
            for e in parent if e.tag in _ODF_AUTHOR_TEXT]


def odf_roots(package: zipfile.ZipFile, what: str) -> dict[str, Any]:
    """The parts of an ODF package the scanner reads, parsed: ``content.xml``, and
    ``styles.xml`` (the master pages' headers and footers) and ``meta.xml`` (the properties)
    when the package has them."""
    names = set(package.namelist())
    return {name: parse_xml(_member_bytes(package, name, what), what)
            for name in ("content.xml", "styles.xml", "meta.xml") if name == "content.xml" or name in names}


class OdfReading(NamedTuple):
    """What the scanner and the masking read in an ODF document (see ``odf_roots``)."""

    paragraphs: list[TextUnit]  # odf_units' paragraphs
    tables: list[Table]
    labelled: list[TextUnit]  # link targets, then property values
    authors: list[AuthorField]  # who made the changes and annotations (their initials too)
    people: list[Person]  # the person fields of the properties


def odf_reading(roots: dict[str, Any], spreadsheet: bool = False) -> OdfReading:
    """Everything ``odf_units``, ``odf_links``, ``property_units`` and ``odf_authors`` read in
    the parsed parts ``roots`` (member: root)."""
    texts, people = property_units([("meta.xml", roots["meta.xml"])] if "meta.xml" in roots else [])
    links = odf_links([(n, r) for n, r in roots.items() if n != "meta.xml"])
    paragraphs, tables = odf_units(roots["content.xml"], roots.get("styles.xml"), spreadsheet)
    return OdfReading(paragraphs, tables, links + texts, odf_authors(*roots.values()), people)


def _odf_creators(reading: OdfReading) -> list[Person]:
    """The names (not the initials) of who made the changes and annotations, as reported."""
    return [(f, "dc:creator") for f in reading.authors if f[0].tag == f"{_DC}creator"]


def read_odf_text(opener: Opener) -> Iterator[Batch]:
    """Paragraphs and headings (``line`` = paragraph number: the body's, then the headers' and
    footers', footer declarations', notes', annotations' and tracked deletions'), table cells,
    link targets (``column`` = ``超連結 hyperlink``), the document properties of ``meta.xml``
    and the authors of changes and annotations (``column`` = ``dc:creator``) of an .odt/.odp."""
    with _package(opener, "ODF") as package:
        reading = odf_reading(odf_roots(package, "ODF"))
    yield from unit_batches(reading.paragraphs, reading.tables, reading.labelled,
                            _odf_creators(reading) + reading.people)


def read_ods_parts(opener: Opener) -> Iterator[Batch]:
    """What an .ods holds besides its cells (python-calamine reads those), as the masking reads
    it: shapes, page headers and footers, cells' annotations (``column`` = ``圖形 shape``,
    ``頁首頁尾 header/footer``, ``註解 comment``), lists of allowed values, formulas, tracked
    deletions, link targets, ``meta.xml`` properties and the annotations' authors; no line."""
    with _package(opener, "ODS") as package:
        reading = odf_reading(odf_roots(package, "ODS"), spreadsheet=True)
    yield from unit_batches([], [], reading.paragraphs + reading.labelled, _odf_creators(reading) + reading.people)


# --- DOCX -------------------------------------------------------------------------------------

# Inline containers whose runs are part of the text (links, tracked insertions and moves to,
# inline content controls, smart tags, simple fields) and those whose runs were deleted.
_W_INLINE = {f"{_W}{k}" for k in ("hyperlink", "ins", "moveTo", "smartTag", "customXml", "fldSimple",
                                  "dir", "bdo")}
_W_DELETED = {f"{_W}del", f"{_W}moveFrom"}
_W_RUN_TEXT = {f"{_W}t", f"{_W}delText"}
_W_RUN_CHARS = {f"{_W}{k}" for k in ("br", "cr", "noBreakHyphen", "ptab", "tab")}
# Field instructions (HYPERLINK "mailto:…", MERGEFIELD, QUOTE "…"): not shown, but saved.
_W_INSTR = {f"{_W}instrText", f"{_W}delInstrText"}
_W_NOTE_TYPES = {None, "normal"}  # separators and continuation notices hold no text
_W_AUTHORS = (f"{_W}author", f"{_W}initials")
_W_BLOCK_TAGS = {f"{_W}p", f"{_W}tbl", f"{_W}sdt"}
# docx_parts' item tags for the parts read past the stories: Word text whose blocks are found
# (``_outermost_blocks``), and SmartArt read as DrawingML.
_BLOCKS, _DRAWINGML = "blocks", "drawingml"
_DIAGRAM_ROOTS = {"{http://schemas.openxmlformats.org/drawingml/2006/diagram}dataModel",
                  "{http://schemas.microsoft.com/office/drawing/2008/diagram}drawing"}
SMARTART = "SmartArt"  # where a document's SmartArt text is reported (``column``)
_DOCX_PARTS = {  # further story parts, read after the headers and footers, in this order
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes": f"{_W}footnote",
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/endnotes": f"{_W}endnote",
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments": f"{_W}comment",
}
_PEOPLE = "http://schemas.microsoft.com/office/2011/relationships/people"
_DOCX_PROPERTIES = {f"http://schemas.openxmlformats.org/{k}" for k in (
    "package/2006/relationships/metadata/core-properties",
    "officeDocument/2006/relationships/extended-properties",
    "officeDocument/2006/relationships/custom-properties")}
# Parts python-docx keeps as bytes (footnotes, endnotes, people), parsed once per part so that
# the scanner's walk and the masker's rewrite work on the same tree.
_ROOTS: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def _member(part: Any) -> str:
    return str(part.partname).lstrip("/")


def _root(part: Any) -> Any:
    if hasattr(part, "element"):
        return part.element
    if part not in _ROOTS:
        from docx.oxml.parser import parse_xml as docx_xml  # python-docx's element classes
        from lxml import etree

        try:
            root = docx_xml(part.blob)
        except etree.XMLSyntaxError as exc:
            raise Unreadable(f"無法開啟 DOCX corrupt document ({type(exc).__name__})") from None
        refuse_dtd(root, "DOCX")
        _ROOTS[part] = root
    return _ROOTS[part]


def docx_header_footer_parts(document: Any) -> Iterator[Any]:
    """Every header and footer part of the document once (a section linked to the previous
    one's header shares its part)."""
    seen: set[int] = set()
    for section in document.sections:
        for hf in (section.header, section.footer, section.first_page_header,
                   section.first_page_footer, section.even_page_header, section.even_page_footer):
            if hf.is_linked_to_previous or id(hf.part) in seen:
                continue
            seen.add(id(hf.part))
            yield hf.part


def docx_parts(document: Any) -> list[tuple[str, Any, str | None]]:
    """The story parts the scanner reads, in its order, as (member, root, item tag): the body,
    each header and footer once, footnotes, endnotes, comments (their notes or comments are
    the ``item tag`` elements; None: the root's blocks). Then, by member name, every other
    ``word/`` part the package reaches that holds Word text (``_BLOCKS``: the glossary's
    building blocks and AutoText, a header no section uses) or is SmartArt (``_DRAWINGML``)."""
    parts = [(_member(document.part), document.element.body, None)]
    parts += [(_member(p), _root(p), None) for p in docx_header_footer_parts(document)]
    for reltype, item in _DOCX_PARTS.items():
        for rel in document.part.rels.values():
            if rel.reltype == reltype and not rel.is_external:
                parts.append((_member(rel.target_part), _root(rel.target_part), item))
    read = {member for member, _, _ in parts}
    for part in sorted(document.part.package.iter_parts(), key=_member):
        member = _member(part)
        if member in read or not member.startswith("word/") or not member.endswith(".xml"):
            continue
        if (root := _root(part)).tag in _DIAGRAM_ROOTS:
            parts.append((member, root, _DRAWINGML))
        elif next(root.iter(*_W_RUN_TEXT, *_W_INSTR), None) is not None:
            parts.append((member, root, _BLOCKS))
    return parts


def _outermost_blocks(elem: Any) -> Iterator[Any]:
    """The outermost elements holding paragraphs, tables or content controls under ``elem``
    (in a part whose layout the reader does not know: a glossary's ``w:docPartBody``)."""
    if any(child.tag in _W_BLOCK_TAGS for child in elem):
        yield elem
        return
    for child in elem:
        if isinstance(child.tag, str):
            yield from _outermost_blocks(child)


def docx_property_parts(document: Any) -> list[tuple[str, Any]]:
    """The document properties as (member, root): ``docProps/core.xml``, ``app.xml`` (Manager,
    Company) and ``custom.xml``, those the package has."""
    return [(_member(rel.target_part), _root(rel.target_part))
            for rel in document.part.package.rels.values()
            if rel.reltype in _DOCX_PROPERTIES and not rel.is_external]


def docx_link_parts(document: Any) -> list[tuple[str, Any]]:
    """The relationship parts (``word/_rels/document.xml.rels``, the headers', the footnotes'…)
    that have an external target (a hyperlink, an attached template's path), as (member,
    root), in member order; each parsed from python-docx's relationships once per call."""
    package = document.part.package
    owners = [(package.rels, "_rels/.rels")] + [
        (part.rels, part.partname.rels_uri.membername) for part in package.iter_parts()]
    parts = [(member, parse_xml(rels.xml, "DOCX")) for rels, member in owners
             if any(rel.is_external for rel in rels.values())]
    return sorted(parts, key=lambda part: part[0])


def docx_links(parts: list[tuple[str, Any]]) -> list[TextUnit]:
    """The external targets of the relationship ``parts`` (see ``docx_link_parts``)."""
    return [u for member, root in parts for rel in root.iter(f"{_RELS}Relationship")
            if rel.get("TargetMode") == "External"
            for u in link_units(member, AttributeText(rel, "Target"))]


def docx_charts(document: Any) -> list[tuple[str, Any]]:
    """The charts of a Word document (``word/charts/chart1.xml``, the newer ``chartEx``), as
    (member, root), in member order: their cached series names and categories are copies of
    the chart's own workbook (embedded, read as a document of its own)."""
    return [(member, root) for part in sorted(document.part.package.iter_parts(), key=_member)
            if (member := _member(part)).startswith("word/") and member.endswith(".xml")
            and (root := _root(part)).tag in _CHART_ROOTS]


def docx_people(document: Any) -> tuple[str, Any] | None:
    """``word/people.xml`` (the comment authors and their account ids) as (member, root), if
    the document has one."""
    for rel in document.part.rels.values():
        if rel.reltype == _PEOPLE and not rel.is_external:
            return _member(rel.target_part), _root(rel.target_part)
    return None


class _DocxReader:
    """Word text in the scanner's order; see ``docx_units``."""

    def __init__(self) -> None:
        self.paragraphs: list[TextUnit] = []
        self.deleted: list[TextUnit] = []
        self.fields: list[TextUnit] = []
        self.tables: list[Table] = []
        self.column: str | None = None  # the label of the part's text: none for the stories

    def part(self, member: str, root: Any, item: str | None) -> None:
        """A story part: its blocks (each note or comment in turn), then its text boxes. A part
        read past the stories is labelled with its member (SmartArt: ``SmartArt``)."""
        if item == _DRAWINGML:
            _pptx_walk(root, member, self.paragraphs, self.tables, SMARTART)
            return
        self.column = member if item == _BLOCKS else None
        containers = ([root] if item is None else list(_outermost_blocks(root)) if item == _BLOCKS else [
            e for e in root if e.tag == item and e.get(f"{_W}type") in _W_NOTE_TYPES])
        for container in containers:
            self.blocks(container, member, self._paragraph_unit)
        # Forms put fields in text boxes, headers hold logos with text: each box's paragraphs
        # after the part's own (Word stores a box twice, DrawingML and VML: both are read).
        for box in root.iter(f"{_W}txbxContent"):
            self.blocks(box, member, self._paragraph_unit)

    def blocks(self, container: Any, member: str, paragraph: Callable[[Any, str], None]) -> None:
        """Paragraphs (to ``paragraph``) and tables of a body, cell or box, content controls
        and custom XML opened."""
        for child in container:
            tag = child.tag
            if tag == f"{_W}p":
                paragraph(child, member)
            elif tag == f"{_W}tbl":
                self._table(child, member)
            elif tag == f"{_W}sdt":
                for content in child.iterchildren(f"{_W}sdtContent"):
                    self.blocks(content, member, paragraph)
            elif tag == f"{_W}customXml":
                self.blocks(child, member, paragraph)

    def _paragraph_unit(self, p: Any, member: str) -> None:
        state = _Paragraph(member, self.column)
        self.paragraphs.append(state.unit)
        self.inline(p, state)
        self._apart(state)

    def _apart(self, state: _Paragraph) -> None:
        """Keep a paragraph's deleted text and field codes, if it has any."""
        if state.deleted.text:
            self.deleted.append(state.deleted)
        if state.field.text:
            self.fields.append(state.field)

    def inline(self, elem: Any, state: _Paragraph, gone: bool = False) -> None:
        """A paragraph's text as Word shows it with all changes accepted: runs as python-docx
        reads them (text, tabs and breaks as characters), those in links, inserted, moved-to,
        in content controls and simple fields too; deleted and moved-from runs apart, and
        the field codes apart (each field's parted from the previous one by a space)."""
        for child in elem:
            tag = child.tag
            if tag == f"{_W}r":
                for e in child:
                    if e.tag in _W_RUN_TEXT:
                        state.text(e, gone or e.tag == f"{_W}delText")
                    elif e.tag in _W_RUN_CHARS:
                        state.chars(str(e), gone)  # python-docx's text of the element: \t, \n, -, or ""
                    elif e.tag in _W_INSTR:  # one field's code may be split over several runs
                        state.field.own(e, "text")
                    elif e.tag == f"{_W}fldChar" and e.get(f"{_W}fldCharType") == "begin":
                        state.new_field()
            elif tag == f"{_W}fldSimple":
                state.new_field()
                state.field.own(AttributeText(child, f"{_W}instr"), "text")
                self.inline(child, state, gone)
            elif tag == f"{_W}sdt":
                for content in child.iterchildren(f"{_W}sdtContent"):
                    self.inline(content, state, gone)
            elif tag in _W_INLINE:
                self.inline(child, state, gone)
            elif tag in _W_DELETED:
                self.inline(child, state, True)

    def _table(self, tbl: Any, member: str) -> None:
        """A table's rows as python-docx's ``row.cells`` gives them (a merged cell once per
        grid column it spans, a vertically merged one as its top cell), rows and cells in
        content controls too; each cell its paragraphs joined by line breaks. A table nested
        in a cell is a table of its own, after this one."""
        rows: Table = []
        self.tables.append(rows)
        cells: dict[int, TextUnit] = {}
        for tr in tbl.xpath("./w:tr | ./w:sdt/w:sdtContent/w:tr"):
            row: list[TextUnit] = []
            for tc in tr.xpath("./w:tc | ./w:sdt/w:sdtContent/w:tc"):
                top = _top_cell(tc)
                if id(top) not in cells:  # read once: its nested tables and deletions once too
                    cells[id(top)] = self._cell(top, member)
                row += [cells[id(top)]] * max(1, tc.grid_span)
            rows.append(row)

    def _cell(self, tc: Any, member: str) -> TextUnit:
        state = _Paragraph(member, self.column)
        first = True

        def paragraph(p: Any, _: str) -> None:
            nonlocal first
            if not first:
                state.unit.shown("\n")
            first, state.gap = False, True
            self.inline(p, state)

        self.blocks(tc, member, paragraph)
        self._apart(state)
        return state.unit


class _Paragraph:
    """Where a paragraph's characters go: shown text to ``unit``, deleted text to ``deleted``,
    field codes to ``field``. A space parts deletions that were apart in the paragraph, so
    that two deleted values do not run into one (0912345678 then A123456789 is no phone and
    no ID); fields likewise."""

    __slots__ = ("deleted", "field", "gap", "unit")

    def __init__(self, member: str, column: str | None = None) -> None:
        self.unit, self.deleted = TextUnit(member, column), TextUnit(member, DELETED)
        self.field = TextUnit(member, FIELD)
        self.gap = False

    def new_field(self) -> None:
        """A field begins: its code does not run into the previous field's."""
        if self.field.text:
            self.field.shown(" ")

    def text(self, e: Any, gone: bool) -> None:
        """The text of a ``w:t`` or ``w:delText``."""
        if gone:
            self._part()
            self.deleted.own(e, "text")
        else:
            self.unit.own(e, "text")
            self.gap = True

    def chars(self, chars: str, gone: bool) -> None:
        """The characters of a tab, break or hyphen."""
        if gone:
            self._part()
            self.deleted.shown(chars)
        else:
            self.unit.shown(chars)
            self.gap = True

    def _part(self) -> None:
        if self.gap and self.deleted.text:
            self.deleted.shown(" ")
        self.gap = False


def _top_cell(tc: Any) -> Any:
    """The cell holding the content of a vertically merged cell (itself if not merged)."""
    try:
        while tc.vMerge == "continue":
            tc = tc._tc_above
    except (ValueError, AttributeError):  # a malformed merge (nothing above): the cell itself
        pass
    return tc


def docx_units(document: Any) -> tuple[list[TextUnit], list[Table]]:
    """What the scanner reads in a python-docx ``Document``: paragraphs in the order body,
    body text boxes, each header and footer (then its text boxes), footnotes, endnotes,
    comments, then the text of tracked deletions and last the field codes (one unit per
    paragraph or cell that has some); the rows of every table (those in cells after their
    table)."""
    reader = _DocxReader()
    for member, root, item in docx_parts(document):
        reader.part(member, root, item)
    return reader.paragraphs + reader.deleted + reader.fields, reader.tables


def docx_authors(document: Any) -> list[AuthorField]:
    """The fields naming the people who made tracked changes and comments (``w:author``,
    ``w:initials``) in the parts read, and the authors in ``word/people.xml``."""
    fields: list[AuthorField] = []
    for _, root, _ in docx_parts(document):
        for attr in _W_AUTHORS:
            fields += [(e, attr) for e in root.iter() if e.get(attr) is not None]
    if (people := docx_people(document)) is not None:
        for attr in (f"{_W15}author", f"{_W15}userId"):
            fields += [(e, attr) for e in people[1].iter() if e.get(attr) is not None]
    return fields


def read_docx_document(document: Any) -> Iterator[Batch]:
    """The batches of a python-docx ``Document``: ``docx_units``, the external link targets
    (``column`` = ``超連結 hyperlink``), the document properties (``column`` = ``文件摘要``
    and the property's name), the charts' text and cached points (``圖表 chart``) and each
    change or comment author's name once (``column`` = ``w:author``)."""
    paragraphs, tables = docx_units(document)
    texts, people = property_units(docx_property_parts(document))
    authors = [(f, "w:author") for f in docx_authors(document) if f[1] == f"{_W}author"]
    charts = [u for member, root in docx_charts(document) for u in chart_units(member, root, CHART)]
    yield from unit_batches(paragraphs, tables, docx_links(docx_link_parts(document)) + texts + charts,
                            authors + people)


# --- PPTX -------------------------------------------------------------------------------------

_P = "{http://schemas.openxmlformats.org/presentationml/2006/main}"
_P188 = "{http://schemas.microsoft.com/office/powerpoint/2018/8/main}"
_PPTX_SLIDE = re.compile(r"ppt/slides/slide(\d+)\.xml")
_PPTX_NOTES = re.compile(r"ppt/notesSlides/notesSlide(\d+)\.xml")
_PPTX_COMMENTS = re.compile(r"ppt/comments/[^/]+\.xml")
# Masters and layouts print their text (a footer 「承辦人 王小明 0912-345-678」, a logo's caption)
# on every slide, notes page or handout that uses them: read after the slides, each kind in turn.
_PPTX_MASTERS = ((re.compile(r"ppt/slideMasters/slideMaster(\d+)\.xml"), "投影片母片 slide master"),
                 (re.compile(r"ppt/slideLayouts/slideLayout(\d+)\.xml"), "版面配置 slide layout"),
                 (re.compile(r"ppt/notesMasters/notesMaster(\d+)\.xml"), "備忘稿母片 notes master"),
                 (re.compile(r"ppt/handoutMasters/handoutMaster(\d+)\.xml"), "講義母片 handout master"))
# Who wrote the comments: legacy ``p:cmAuthor`` and modern ``p188:author`` (name, initials, and
# the account, often an e-mail address).
_PPTX_AUTHORS = {"ppt/commentAuthors.xml": f"{_P}cmAuthor", "ppt/authors.xml": f"{_P188}author"}
_PPTX_AUTHOR_ATTRS = ("name", "initials", "userId")
# Where a presentation's text is reported (``column``): the slide's number as PowerPoint shows it
# (hidden slides counted), its notes, a master or layout by its file's number.
SLIDE = "投影片 slide"
NOTES = "備忘稿 notes"
# A SmartArt graphic keeps its text twice: the data model (``dgm:pt``) and the drawing PowerPoint,
# Word and Excel cache for showing it (``dsp:sp``). Both are read after the part that shows them.
_DIAGRAMS = ("diagramData", "diagramDrawing")


class PptxParts(NamedTuple):
    """The parsed members of a presentation the scanner reads, each (member, root):
    ``stories`` in its order (each slide in the presentation's order, its SmartArt, its notes;
    the masters and layouts; comments last), the comment authors, the relationship parts with
    an external target, the document properties; ``labels``: where each story's text is
    reported (the slide's number, its notes', a master's); the charts on the stories, each
    (member, root, where its text is reported: ``投影片 slide 2!圖表 chart``)."""

    stories: list[tuple[str, Any]]
    authors: list[tuple[str, Any]]
    rels: list[tuple[str, Any]]
    properties: list[tuple[str, Any]]
    labels: dict[str, str]
    charts: list[tuple[str, Any, str]]


def _number(name: str) -> int:
    match = re.search(r"(\d+)\.xml$", name)
    return int(match.group(1)) if match else 0


def _rels_member(member: str) -> str:
    folder, _, name = member.rpartition("/")
    return f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels"


def _rel_targets(rels: Any, folder: str, reltypes: set[str]) -> list[str]:
    """The members an internal relationship of the given types points to."""
    targets = []
    for rel in rels.iter(f"{_RELS}Relationship"):
        if rel.get("Type") in reltypes and rel.get("TargetMode") != "External":
            target = rel.get("Target") or ""
            targets.append(target.lstrip("/") if target.startswith("/")
                           else posixpath.normpath(posixpath.join(folder, target)))
    return targets


def _main_part(names: list[str], root: Callable[[str], Any]) -> str | None:
    """The package's main part (``ppt/presentation.xml``, ``xl/workbook.xml``) as its
    relationships name it."""
    parts = _rel_targets(root("_rels/.rels"), "", {_OFFICE_DOCUMENT}) if "_rels/.rels" in names else []
    return next((p for p in parts if p in names), None)


def _linked(names: list[str], root: Callable[[str], Any], member: str, *kinds: str) -> list[tuple[str, str]]:
    """The members of the given kinds (the last word of the relationship type) a member's
    relationships name, present in the package: (kind, member), in the relationships' order."""
    rels = _rels_member(member)
    if rels not in names:
        return []
    return [(k, m) for k, m in _rel_map(root(rels), posixpath.dirname(member)).values() if k in kinds and m in names]


def _slide_order(names: list[str], root: Callable[[str], Any]) -> list[str]:
    """The slides in the order the presentation shows them (``p:sldIdLst`` of
    ``ppt/presentation.xml``, each ``r:id`` through its relationships; hidden slides too), then
    any slide it does not list, by its file's number."""
    listed: list[str] = []
    if (presentation := _main_part(names, root)) is not None and _rels_member(presentation) in names:
        targets = _rel_map(root(_rels_member(presentation)), posixpath.dirname(presentation))
        listed = [targets[rid][1] for e in root(presentation).iter(f"{_P}sldId")
                  if (rid := e.get(_R_ID)) in targets and targets[rid][1] in names]
    listed = list(dict.fromkeys(listed))
    return listed + sorted((n for n in names if _PPTX_SLIDE.fullmatch(n) and n not in listed), key=_number)


def pptx_parts(package: zipfile.ZipFile, what: str = "PPTX") -> PptxParts:
    """The members of a PowerPoint package the scanner reads, parsed (DTD refused). Slides in
    the presentation's order (else, for a deck without ``p:sldIdLst``, by their files'
    numbers), each followed by its SmartArt and the notes its relationships name (else the
    notes of the same number); then the masters, layouts, notes and handout masters; then the
    comments (those of a slide labelled with its number)."""
    names = package.namelist()
    root = _package_roots(package, what)
    slides = _slide_order(names, root)
    if not slides:
        raise Unreadable(f"無法開啟 {what} not a presentation (no slides)")
    labels: dict[str, str] = {}

    def add(member: str, label: str) -> None:
        if member not in labels:
            labels[member] = label
            for _, diagram in _linked(names, root, member, *_DIAGRAMS):
                labels.setdefault(diagram, label)

    notes = {n for n in names if _PPTX_NOTES.fullmatch(n)}
    comments: dict[str, str] = {}
    for number, slide in enumerate(slides, start=1):
        add(slide, f"{SLIDE} {number}")
        linked = _linked(names, root, slide, "notesSlide", "comments")
        if _rels_member(slide) not in names:
            linked = [("notesSlide", f"ppt/notesSlides/notesSlide{_number(slide)}.xml")]
        for kind, member in linked:
            if kind == "comments":
                comments.setdefault(member, f"{COMMENT} {number}")
            elif member in notes:
                add(member, f"{NOTES} {number}")
    for note in sorted(notes, key=_number):  # notes no slide names
        add(note, NOTES)
    for pattern, label in _PPTX_MASTERS:
        for member in sorted((n for n in names if pattern.fullmatch(n)), key=_number):
            add(member, f"{label} {_number(member)}")
    for member in sorted(names):
        if _PPTX_COMMENTS.fullmatch(member):
            comments.setdefault(member, COMMENT)
    labels.update((m, label) for m, label in comments.items() if m not in labels)
    stories = [(m, root(m)) for m in labels]
    authors = [(n, root(n)) for n in _PPTX_AUTHORS if n in names]
    charts = {c: (c, root(c), f"{label}!{CHART}") for m, label in labels.items()
              for _, c in _linked(names, root, m, "chart", "chartEx")}
    return PptxParts(stories, authors, _external_rels(names, root), _property_parts(names, root), labels,
                     list(charts.values()))


def _pptx_paragraph(p: Any, unit: TextUnit) -> None:
    """A DrawingML paragraph's text: its runs and fields (``a:t``), a line break as one."""
    for e in p.iter(f"{_DRAWING}t", f"{_DRAWING}br"):
        if e.tag == f"{_DRAWING}br":
            unit.shown("\n")
        else:
            unit.own(e, "text")


def _pptx_walk(elem: Any, member: str, paragraphs: list[TextUnit], tables: list[Table],
               column: str | None = None) -> None:
    """The DrawingML paragraphs (``a:p``: shapes, text boxes, SmartArt) and tables under
    ``elem``, labelled ``column``."""
    for child in elem:
        tag = child.tag
        if tag == f"{_DRAWING}p":
            paragraphs.append(unit := TextUnit(member, column))
            _pptx_paragraph(child, unit)
        elif tag == f"{_DRAWING}tbl":
            rows: Table = []
            tables.append(rows)
            for tr in child.iter(f"{_DRAWING}tr"):
                row: list[TextUnit] = []
                for tc in tr.iterchildren(f"{_DRAWING}tc"):
                    row.append(unit := TextUnit(member, column))
                    for k, p in enumerate(tc.iter(f"{_DRAWING}p")):
                        if k:
                            unit.shown("\n")
                        _pptx_paragraph(p, unit)
                rows.append(row)
        elif tag == f"{_P}text":  # a legacy comment's text
            paragraphs.append(unit := TextUnit(member, column))
            unit.own(child, "text")
        elif isinstance(tag, str):
            _pptx_walk(child, member, paragraphs, tables, column)


def pptx_units(parts: PptxParts) -> tuple[list[TextUnit], list[Table]]:
    """What the scanner reads in a presentation's stories (``pptx_parts``): the paragraphs of
    the shapes (text boxes, placeholders, grouped shapes, SmartArt) of each slide and its
    notes, of the masters and layouts, then of the comments, each labelled with where it sits
    (``投影片 slide 3``); the rows of the tables on the slides (each cell its paragraphs joined
    by line breaks)."""
    paragraphs: list[TextUnit] = []
    tables: list[Table] = []
    for member, root in parts.stories:
        _pptx_walk(root, member, paragraphs, tables, parts.labels[member])
    return paragraphs, tables


def pptx_charts(parts: PptxParts) -> list[TextUnit]:
    """The text and cached points of the charts on the slides (``chart_units``)."""
    return [u for member, root, column in parts.charts for u in chart_units(member, root, column)]


def pptx_authors(parts: PptxParts) -> list[AuthorField]:
    """The comment authors' names, initials and accounts."""
    return [(e, attr) for member, root in parts.authors for e in root.iter(_PPTX_AUTHORS[member])
            for attr in _PPTX_AUTHOR_ATTRS if e.get(attr) is not None]


def read_pptx(opener: Opener) -> Iterator[Batch]:
    """Paragraphs of every slide and its notes, in slide order (``line`` = paragraph number
    across the deck), then the comments; tables on the slides as rows under their header; link
    targets, document properties, charts and comment authors (``column`` = ``author``) as for DOCX."""
    with _package(opener, "PPTX") as package:
        parts = pptx_parts(package)
    texts, people = property_units(parts.properties)
    authors = [(f, "author") for f in pptx_authors(parts) if f[1] == "name"]
    yield from unit_batches(*pptx_units(parts), docx_links(parts.rels) + texts + pptx_charts(parts), authors + people)


# --- XLSX -------------------------------------------------------------------------------------

# The cells of a workbook are read by openpyxl (the scanner, and the masking's decisions); what
# the cells do not show is read here from the package, the same way for the scanner and the
# masking: comments (legacy notes and threaded comments, with their authors), the page headers
# and footers, link targets and the text shown for a link, the lists of allowed values of
# validity rules, defined names holding text, shapes on the sheets, the properties.
_X = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_X14 = "{http://schemas.microsoft.com/office/spreadsheetml/2009/9/main}"
_XM = "{http://schemas.microsoft.com/office/excel/2006/main}"
_TC = "{http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments}"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
_XLSX_HEADERS = {f"{_X}{k}" for k in ("oddHeader", "oddFooter", "evenHeader", "evenFooter", "firstHeader",
                                      "firstFooter")}
# A header's codes: &L &C &R start its three sections; &"font", &12, &K colour, &B &I &U… format
# (nothing shown); &P &N &D &T &Z &F &A &G insert a page number, a date, a path… (read as a
# space, so that what stands on either side does not run together); && is an ampersand.
_HF_CODE = re.compile(r'&(?:"[^"]*"|\d+|K[0-9A-Fa-f]{6}|K\d\d[+-]\d{3}|.)', re.DOTALL)
_HF_FIELDS = frozenset("PNDTZFAG")
_X_VALIDATIONS = (f"{_X}dataValidation", f"{_X14}dataValidation")
# A filter's criteria and a sort's custom order, in a worksheet and in a table (see ``_filter_units``).
_X_FILTERS = (f"{_X}autoFilter", f"{_X}sortState")
# The elements of a worksheet read apart from its cells (see ``xlsx_sheet_units``).
XLSX_SHEET_TAGS = (*_XLSX_HEADERS, f"{_X}hyperlink", *_X_VALIDATIONS, *_X_FILTERS)
# The parts a worksheet's relationships name whose text is read (by the last word of the type).
_XLSX_STORIES = ("comments", "threadedComment", "drawing")


def _row_of(ref: str | None) -> int | None:
    """The (first) row of a cell reference or range (``B5``, ``A2:A100 C2``)."""
    match = re.search(r"\d+", ref or "")
    return int(match.group()) if match else None


def _header_units(elem: Any, member: str, column: str) -> list[TextUnit]:
    """A header's or footer's text, each of its sections a unit, its codes no part of it."""
    units = [TextUnit(member, column)]
    text, pos = elem.text or "", 0
    for code in _HF_CODE.finditer(text):
        units[-1].own(elem, "text", pos, code.start())
        pos, letter = code.end(), code.group()[1:]
        if letter in ("L", "C", "R"):
            units.append(TextUnit(member, column))
        elif letter == "&":
            units[-1].shown("&")
        elif letter in _HF_FIELDS:
            units[-1].shown(" ")
    units[-1].own(elem, "text", pos)
    return units


def xlsx_sheet_units(elem: Any, member: str, sheet: str) -> list[TextUnit]:
    """The text of one of a worksheet's ``XLSX_SHEET_TAGS`` elements: a page header or footer
    (``sheet!頁首頁尾 header/footer``), the text shown for a link and its tooltip
    (``sheet!超連結 hyperlink``), a validity rule's titles, messages and each item of its list
    of allowed values (``sheet!資料驗證 data validation``), a filter's values and a sort's custom
    order (``sheet!篩選 filter``)."""
    if elem.tag in _XLSX_HEADERS:
        return _header_units(elem, member, f"{sheet}!{HEADER_FOOTER}")
    if elem.tag in _X_FILTERS:
        return _filter_units(elem, member, f"{sheet}!{FILTER}")
    if elem.tag == f"{_X}hyperlink":
        column, attrs, formulas = f"{sheet}!{HYPERLINK}", ("display", "tooltip"), []
        row = _row_of(elem.get("ref"))
    else:
        column, attrs = f"{sheet}!{VALIDATION}", ("promptTitle", "prompt", "errorTitle", "error")
        row = _row_of(elem.get("sqref") or elem.findtext(f"{_XM}sqref"))
        formulas = list(elem.iter(f"{_X}formula1", f"{_X}formula2", f"{_XM}f"))
    units = []
    for attr in attrs:
        if elem.get(attr):
            units.append(unit := TextUnit(member, column))
            unit.own(AttributeText(elem, attr), "text")
    for formula in formulas:
        units += quoted_items(member, formula, column, ",")
    for unit in units:
        unit.row = row
    return units


def _filter_units(elem: Any, member: str, column: str) -> list[TextUnit]:
    """The values an ``autoFilter`` keeps (each ``filter val``, the values a row is shown for,
    and each ``customFilter val``: 王小明 as typed in the filter) or a ``sortState``'s custom
    orders (``sortCondition customList``, its items one by one: 王小明,陳怡君). Each is a copy of
    a cell's value, so a masked cell's copy takes its masked text and the filter still matches.
    A sort's other attributes are a range, a direction, a style: no values. A filter's
    ``sortState`` is an element of its own (``XLSX_SHEET_TAGS``), so it is read once."""
    units = []
    if elem.tag == f"{_X}autoFilter":
        for e in elem.iter(f"{_X}filter", f"{_X}customFilter"):
            if e.get("val"):
                units.append(unit := TextUnit(member, column, copy=True))
                unit.own(AttributeText(e, "val"), "text")
        return units
    for e in elem.iter(f"{_X}sortCondition"):
        node, pos = AttributeText(e, "customList"), 0
        for item in (e.get("customList") or "").split(","):
            if item:
                units.append(unit := TextUnit(member, column, copy=True))
                unit.own(node, "text", pos, pos + len(item))
            pos += len(item) + 1
    return units


def _rich_text(elem: Any, member: str, column: str, row: int | None = None) -> TextUnit:
    """A rich text (a comment's, a shared string's): its runs' text, not the phonetic guides."""
    unit = TextUnit(member, column, row=row)
    for t in elem.iter(f"{_X}t"):
        if t.getparent().tag != f"{_X}rPh":
            unit.own(t, "text")
    return unit


class XlsxParts(NamedTuple):
    """The parsed members of a workbook read apart from its cells, each (member, root):
    the worksheets (title, member: not parsed here, they are large), the workbook part
    (defined names, sheet names), the shared strings, the stories of each sheet (comments,
    threaded comments, drawings: member, root, sheet title), the threaded comments' persons,
    the relationship parts with an external target, the document properties; the charts (and
    the newer ``chartEx`` ones) and tables of each sheet (member, root, sheet title), the pivot
    cache definitions, the external link parts (cached values of the linked workbooks), the
    pivot tables of each sheet (member, root, sheet title)."""

    sheets: list[tuple[str, str]]
    workbook: tuple[str, Any]
    strings: tuple[str, Any] | None
    stories: list[tuple[str, Any, str]]
    persons: list[tuple[str, Any]]
    rels: list[tuple[str, Any]]
    properties: list[tuple[str, Any]]
    sheet_rels: dict[str, str]  # a worksheet's relationship part: the sheet's title
    charts: list[tuple[str, Any, str]]
    tables: list[tuple[str, Any, str]]
    pivots: list[tuple[str, Any]]
    records: dict[str, str]  # a pivot cache definition: its records part (not parsed: a copy of the data)
    externals: list[tuple[str, Any]]
    pivot_tables: list[tuple[str, Any, str]]


def _rel_map(rels: Any, folder: str) -> dict[str, tuple[str, str]]:
    """Internal relationships: id → (the last word of the type, the member pointed to)."""
    out = {}
    for rel in rels.iter(f"{_RELS}Relationship"):
        if rel.get("TargetMode") != "External" and rel.get("Id"):
            target = rel.get("Target") or ""
            member = (target.lstrip("/") if target.startswith("/")
                      else posixpath.normpath(posixpath.join(folder, target)))
            out[rel.get("Id")] = ((rel.get("Type") or "").rpartition("/")[2], member)
    return out


def _package_roots(package: zipfile.ZipFile, what: str) -> Callable[[str], Any]:
    """A parser of the package's members, each parsed once (DTD refused, size bounded)."""
    parsed: dict[str, Any] = {}

    def root(name: str) -> Any:
        if name not in parsed:
            parsed[name] = parse_xml(_member_bytes(package, name, what), what)
        return parsed[name]

    return root


def _external_rels(names: list[str], root: Callable[[str], Any]) -> list[tuple[str, Any]]:
    """The relationship parts that have an external target (a link, a linked file), in order."""
    rels = [(n, root(n)) for n in sorted(names) if n.endswith(".rels")]
    return [(n, r) for n, r in rels if any(e.get("TargetMode") == "External" for e in r.iter(f"{_RELS}Relationship"))]


def _property_parts(names: list[str], root: Callable[[str], Any]) -> list[tuple[str, Any]]:
    """The package's document properties (core.xml, app.xml, custom.xml) as (member, root)."""
    if "_rels/.rels" not in names:
        return []
    return [(n, root(n)) for n in _rel_targets(root("_rels/.rels"), "", _DOCX_PROPERTIES) if n in names]


def xlsx_parts(package: zipfile.ZipFile, what: str = "XLSX") -> XlsxParts:
    """The members of an Excel package read apart from its cells (see ``XlsxParts``), found
    through the relationships as Excel finds them."""
    names = package.namelist()
    root = _package_roots(package, what)
    book = _main_part(names, root)
    if book is None:
        raise Unreadable(f"無法開啟 {what} not a workbook (no workbook part)")
    book_rels = _rels_member(book)
    targets = _rel_map(root(book_rels), posixpath.dirname(book)) if book_rels in names else {}

    def linked(member: str, *kinds: str) -> list[tuple[str, str]]:
        return _linked(names, root, member, *kinds)

    sheets, chartsheets = [], []
    for sheet in root(book).iter(f"{_X}sheet"):
        kind, member = targets.get(sheet.get(_R_ID) or "", ("", ""))
        if kind in ("worksheet", "chartsheet") and member in names:
            (sheets if kind == "worksheet" else chartsheets).append((sheet.get("name") or "", member))
    of_book = [(kind, m) for kind, m in targets.values() if m in names]
    strings = next(((m, root(m)) for kind, m in of_book if kind == "sharedStrings"), None)
    persons = [(m, root(m)) for kind, m in of_book if kind == "person"]
    stories, sheet_rels, charts, tables, pivot_tables = [], {}, [], [], []
    for title, member in sheets + chartsheets:
        if _rels_member(member) in names and (title, member) in sheets:
            sheet_rels[_rels_member(member)] = title
        for kind, m in linked(member, *_XLSX_STORIES, "table", "pivotTable"):
            if kind == "table":
                tables.append((m, root(m), title))
                continue
            if kind == "pivotTable":
                pivot_tables.append((m, root(m), title))
                continue
            stories.append((m, root(m), title))
            if kind == "drawing":  # a chart sits in a drawing, and SmartArt (read as the drawing's shapes)
                charts += [(c, root(c), title) for _, c in linked(m, "chart", "chartEx")]
                stories += [(d, root(d), title) for _, d in linked(m, *_DIAGRAMS)]
    pivots = [(m, root(m)) for kind, m in of_book if kind == "pivotCacheDefinition"]
    records = {p: r for p, _ in pivots for _, r in linked(p, "pivotCacheRecords")[:1]}
    externals = [(m, root(m)) for kind, m in of_book if kind == "externalLink"]
    return XlsxParts(sheets, (book, root(book)), strings, stories, persons, _external_rels(names, root),
                     _property_parts(names, root), sheet_rels, charts, tables, pivots, records, externals,
                     pivot_tables)


def xlsx_units(parts: XlsxParts) -> tuple[list[TextUnit], list[Person]]:
    """The texts of a workbook read apart from its cells and worksheets (comments, threaded
    comments, shapes' text, defined names, link targets, property values, charts, tables, pivot
    caches, linked workbooks' cached values) and its person fields (the comments' authors; the
    persons of threaded comments, names and accounts; who refreshed a pivot cache)."""
    units: list[TextUnit] = []
    people: list[Person] = []
    for member, root, sheet in parts.stories:
        if root.tag == f"{_X}comments":
            for comment in root.iter(f"{_X}comment"):
                for text in comment.iterchildren(f"{_X}text"):
                    units.append(_rich_text(text, member, f"{sheet}!{COMMENT}", _row_of(comment.get("ref"))))
            people += [((author, None), AUTHOR) for author in root.iter(f"{_X}author")]
        elif root.tag == f"{_TC}ThreadedComments":
            for comment in root.iter(f"{_TC}threadedComment"):
                for text in comment.iterchildren(f"{_TC}text"):
                    units.append(unit := TextUnit(member, f"{sheet}!{COMMENT}", row=_row_of(comment.get("ref"))))
                    unit.own(text, "text")
        else:  # a drawing: text boxes and shapes
            paragraphs: list[TextUnit] = []
            tables: list[Table] = []
            _pptx_walk(root, member, paragraphs, tables, f"{sheet}!{SHAPE}")
            units += paragraphs + [u for rows in tables for row in rows for u in row]
    book, root = parts.workbook
    refs = SheetRefs(u.text for u in xlsx_sheet_names(parts))
    for name in root.iter(f"{_X}definedName"):
        if not (name.get("name") or "").startswith("_xlnm."):  # Excel's own: print areas, filters
            units.append(_formula_unit(book, name, f"{DEFINED_NAME} {name.get('name') or ''}", refs))
    for member, chart, sheet in parts.charts:
        units += chart_units(member, chart, f"{sheet}!{CHART}")
    for member, table, sheet in parts.tables:
        units += _table_units(member, table, sheet)
    for member, pivot, sheet in parts.pivot_tables:
        units += _pivot_table_units(member, pivot, sheet)
    for member, definition in parts.pivots:
        units += _pivot_units(member, definition)
        if definition.get("refreshedBy") is not None:  # who last refreshed the pivot: a person
            people.append(((definition, "refreshedBy"), AUTHOR))
    for member, link in parts.externals:
        units += _external_units(member, link)
    for unit in docx_links(parts.rels):
        if unit.member in parts.sheet_rels:
            unit.column = f"{parts.sheet_rels[unit.member]}!{HYPERLINK}"
        units.append(unit)
    texts, properties = property_units(parts.properties)
    for _, root in parts.persons:
        people += [((person, attr), AUTHOR) for person in root.iter(f"{_TC}person")
                   for attr in ("displayName", "userId") if person.get(attr) is not None]
    return units + texts, people + properties


# A sheet named after a customer (王小明明細) is referred to by that name in formulas, defined
# names, charts and pivot caches: renaming it would mean rewriting every reference, and a masked
# name can be an invalid one ([PERSON_NAME] holds brackets, a pseudonym may pass 31 characters,
# two names can mask alike). So sheet names are reported, not masked, and the references to them
# are kept out of the analysis (each one read as one private-use character), so that masking a
# formula never breaks its reference to a sheet.
_TOKEN = 0xE000  # the private-use area: no recognizer reads it
_TOKENS = 0x1900


class SheetRefs:
    """The references to a workbook's sheets (and its linked workbooks' sheets) in a formula's
    text: ``'王小明明細'!A1``, ``客戶!B2``, ``[1]王小明!C3``."""

    def __init__(self, names: Iterable[str]) -> None:
        ordered = sorted({n for n in names if n}, key=len, reverse=True)  # the longest name first
        quoted = "|".join(re.escape(n.replace("'", "''")) for n in ordered)  # ' is doubled in quotes
        bare = "|".join(re.escape(n) for n in ordered)
        self._pattern = (re.compile(rf"'(?:\[[^\]']*\])?({quoted})'!|(?<![\w.])(?:\[\d+\])?({bare})!")
                         if ordered else None)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where the sheet names of ``text``'s references stand."""
        if self._pattern is None or "!" not in text:
            return []
        return [m.span(1) if m.group(1) is not None else m.span(2) for m in self._pattern.finditer(text)][:_TOKENS]

    def protect(self, text: str) -> tuple[str, list[str]]:
        """``text`` with each referenced sheet name as one private-use character, and the names
        taken out (for ``restore``)."""
        tokens: list[str] = []
        out, pos = [], 0
        for start, end in self.spans(text):
            out += [text[pos:start], chr(_TOKEN + len(tokens))]
            tokens.append(text[start:end])
            pos = end
        return "".join(out) + text[pos:], tokens

    @staticmethod
    def restore(text: str, tokens: list[str]) -> str:
        """The names ``protect`` took out put back."""
        if not tokens:
            return text
        return re.sub(f"[{chr(_TOKEN)}-{chr(_TOKEN + len(tokens) - 1)}]",
                      lambda m: tokens[ord(m.group()) - _TOKEN], text)


def xlsx_sheet_names(parts: XlsxParts) -> list[TextUnit]:
    """The names of the workbook's sheets (``工作表名稱 sheet name``) and of its linked
    workbooks' sheets (``外部連結快取 external link cache``): reported, never masked (see
    ``SheetRefs``)."""
    book, root = parts.workbook
    units = []
    for sheet in root.iter(f"{_X}sheet"):
        units.append(unit := TextUnit(book, SHEET_NAME))
        unit.own(AttributeText(sheet, "name"), "text")
    for member, link in parts.externals:
        for name in link.iter(f"{_X}sheetName"):
            units.append(unit := TextUnit(member, EXTERNAL_CACHE))
            unit.own(AttributeText(name, "val"), "text")
    return units


def _formula_unit(member: str, node: Any, column: str, refs: SheetRefs) -> TextUnit:
    """A formula's text (a defined name's) as a unit, its references to sheets shown as one
    character each and never rewritten."""
    unit, pos = TextUnit(member, column), 0
    for start, end in refs.spans(node.text or ""):
        unit.own(node, "text", pos, start)
        unit.shown(chr(_TOKEN))
        pos = end
    unit.own(node, "text", pos)
    return unit


_C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
_CX = "{http://schemas.microsoft.com/office/drawing/2014/chartex}"  # Excel 2016's charts: treemap, waterfall…
_CHART_ROOTS = {f"{_C}chartSpace", f"{_CX}chartSpace"}


def chart_units(member: str, root: Any, column: str) -> list[TextUnit]:
    """A chart's text (``column``: ``sheet!圖表 chart`` in a workbook, ``圖表 chart`` in a Word
    document, ``投影片 slide 2!圖表 chart`` on a slide): its titles, axis titles and labels (rich text),
    and each cached point (``c:v`` of a ``strCache``, ``numCache``, literal: category labels are
    often names) or literal series name, a copy of a cell's value. A ``chartEx`` chart keeps
    its points as ``cx:pt`` of a dimension's level and its series names and titles as
    ``cx:v``."""
    units = []
    for p in root.iter(f"{_DRAWING}p"):
        units.append(unit := TextUnit(member, column))
        _pptx_paragraph(p, unit)
    for v in root.iter(f"{_C}v", f"{_CX}v", f"{_CX}pt"):
        units.append(unit := TextUnit(member, column, copy=True))
        unit.own(v, "text")
    return units


# A pivot table's own text: captions typed over a field's or the table's labels. Its ``name``
# is not read: slicers and GETPIVOTDATA find the table by it (as sheets by theirs).
_PIVOT_CAPTIONS = {f"{_X}pivotTableDefinition": ("dataCaption", "grandTotalCaption", "rowHeaderCaption",
                                                 "colHeaderCaption", "errorCaption", "missingCaption"),
                   f"{_X}pivotField": ("name", "subtotalCaption"), f"{_X}dataField": ("name",),
                   f"{_X}pageField": ("cap",), f"{_X}pivotHierarchy": ("caption",)}
PIVOT_TABLE = "樞紐分析表 pivot table"


def _pivot_table_units(member: str, root: Any, sheet: str) -> list[TextUnit]:
    """A pivot table's text (``sheet!樞紐分析表 pivot table``): its captions (``_PIVOT_CAPTIONS``,
    headers) and each item's own caption (``item n="王小明 (VIP)"``: a label typed over a value,
    not a value, so no column name either; should it equal a masked cell, it takes that cell's
    masked text), and its own filters: the values a label or value filter compares with
    (``filter stringValue1``, copies) and the criteria of the filter's ``autoFilter``."""
    column, units = f"{sheet}!{PIVOT_TABLE}", []

    def add(elem: Any, attr: str, copy: bool = False) -> None:
        if elem.get(attr):
            units.append(unit := TextUnit(member, column, copy=copy))
            unit.own(AttributeText(elem, attr), "text")

    for elem in root.iter(*_PIVOT_CAPTIONS):
        for attr in _PIVOT_CAPTIONS[elem.tag]:
            add(elem, attr)
    for item in root.iterfind(f"{_X}pivotFields/{_X}pivotField/{_X}items/{_X}item"):
        add(item, "n", copy=True)
    for condition in root.iterfind(f"{_X}filters/{_X}filter"):
        for attr in ("stringValue1", "stringValue2"):
            add(condition, attr, copy=True)
        for criteria in condition.iter(f"{_X}autoFilter"):
            units += _filter_units(criteria, member, column)
    return units


def _pivot_units(member: str, root: Any) -> list[TextUnit]:
    """A pivot cache definition's copies of the source range: each field's name (a header,
    analyzed as a table's column name), its shared
    items (``<s v="王小明"/>``, numbers too) and group items, and the smallest and largest
    number of a field, analyzed under the field's name as its cells are under their header
    (``樞紐分析快取 pivot cache`` + the name)."""
    units = []
    for field in root.iter(f"{_X}cacheField"):
        name = field.get("name") or ""
        if name:  # the source's header: as a table's column name (``_table_units``)
            units.append(unit := TextUnit(member, PIVOT_CACHE))
            unit.own(AttributeText(field, "name"), "text")
        nodes = [AttributeText(item, "v") for item in field.iter(f"{_X}s", f"{_X}n")]
        nodes += [AttributeText(shared, attr) for shared in field.iter(f"{_X}sharedItems")
                  for attr in ("minValue", "maxValue") if shared.get(attr) is not None]
        for node in nodes:
            units.append(unit := TextUnit(member, f"{PIVOT_CACHE} {name}", name or None, copy=True))
            unit.own(node, "text")
    return units


def _cache_field_names(definition: Any) -> list[str]:
    return [f.get("name") or "" for f in definition.iter(f"{_X}cacheField")]


def pivot_record_units(package: zipfile.ZipFile, parts: XlsxParts, what: str = "XLSX") -> list[TextUnit]:
    """The values a pivot cache's records hold in themselves (numbers, texts of fields without
    shared items), under their field's name as ``_pivot_units``. Read by the scanner only: the
    masking drops the records (the pivot is refreshed on opening)."""
    units = []
    for definition, root in parts.pivots:
        if (member := parts.records.get(definition)) is None:
            continue
        fields = _cache_field_names(root)
        for record in parse_xml(_member_bytes(package, member, what), what).iter(f"{_X}r"):
            for name, value in zip(fields, record, strict=False):
                if value.tag in (f"{_X}s", f"{_X}n"):
                    units.append(unit := TextUnit(member, f"{PIVOT_CACHE} {name}", name or None))
                    unit.own(AttributeText(value, "v"), "text")
    return units


def _table_units(member: str, root: Any, sheet: str) -> list[TextUnit]:
    """A table's column names and totals-row labels (``sheet!表格 table``): names are headers,
    analyzed with no column name, so only what the analyzer finds in them is masked; and its
    filter's criteria and sort's custom orders (``sheet!篩選 filter``, ``_filter_units``)."""
    units = []
    for column in root.iter(f"{_X}tableColumn"):
        for attr in ("name", "totalsRowLabel"):
            if column.get(attr):
                units.append(unit := TextUnit(member, f"{sheet}!{TABLE}"))
                unit.own(AttributeText(column, attr), "text")
    for elem in root.iter(*_X_FILTERS):  # a table's filter, as a sheet's
        units += _filter_units(elem, member, f"{sheet}!{FILTER}")
    return units


def _external_units(member: str, root: Any) -> list[TextUnit]:
    """The values an external link part keeps of the linked workbook's cells (``sheetDataSet``),
    each a copy of a cell's value (``外部連結快取 external link cache``)."""
    units = []
    for cell in root.iter(f"{_X}cell"):
        for v in cell.iterchildren(f"{_X}v"):
            units.append(unit := TextUnit(member, EXTERNAL_CACHE, copy=True))
            unit.own(v, "text")
    return units


def string_refs(cells: Iterable[Any]) -> set[int]:
    """The shared strings the given cells (``c``) refer to, by index."""
    return {int(v) for c in cells if c.get("t") == "s" if (v := (c.findtext(f"{_X}v") or "").strip()).isdigit()}


def xlsx_unused_strings(strings: tuple[str, Any], used: set[int]) -> list[Any]:
    """The shared strings (``si``) no cell refers to: shown nowhere, yet kept in the file."""
    return [si for i, si in enumerate(strings[1].iterchildren(f"{_X}si")) if i not in used]


def xlsx_sheet_stream(package: zipfile.ZipFile, member: str, what: str, elements: list[Any],
                      used: set[int]) -> Iterator[Any]:
    """A worksheet parsed once, as a stream (it may be large): each ``row`` element is yielded
    (and cleared once the consumer asks for the next), its ``XLSX_SHEET_TAGS`` elements are
    added to ``elements`` (whole: they are small, and outside the rows) and the shared strings
    its cells refer to to ``used``."""
    from lxml import etree

    try:
        with package.open(member) as fh:
            events = etree.iterparse(fh, events=("start", "end"), tag=(f"{_X}worksheet", f"{_X}row", *XLSX_SHEET_TAGS),
                                     resolve_entities=False, no_network=True, load_dtd=False)
            for event, elem in events:
                if event == "start":
                    if elem.tag == f"{_X}worksheet":
                        refuse_dtd(elem, what)
                elif elem.tag == f"{_X}row":
                    used.update(string_refs(elem.iterchildren(f"{_X}c")))
                    yield elem
                    elem.clear()
                    while elem.getprevious() is not None:
                        del elem.getparent()[0]
                elif elem.tag != f"{_X}worksheet":
                    elements.append(elem)
    except (etree.XMLSyntaxError, zipfile.BadZipFile, EOFError, OSError) as exc:
        raise Unreadable(f"無法開啟 {what} corrupt document ({type(exc).__name__})") from None


def _sheet_units(package: zipfile.ZipFile, member: str, sheet: str, used: set[int]) -> list[TextUnit]:
    """The units of a worksheet's ``XLSX_SHEET_TAGS`` elements, read as a stream; the shared
    strings its cells refer to added to ``used``."""
    elements: list[Any] = []
    for _ in xlsx_sheet_stream(package, member, "XLSX", elements, used):
        pass
    return [u for e in elements for u in xlsx_sheet_units(e, member, sheet)]


def _rest_batches(package: zipfile.ZipFile, parts: XlsxParts, sheet_units: list[TextUnit],
                  used: set[int]) -> Iterator[Batch]:
    """The batches of what a workbook holds besides its cells' values, its worksheets' own
    units (``sheet_units``) and the shared strings its cells use (``used``) given."""
    units, people = xlsx_units(parts)
    units += xlsx_sheet_names(parts) + pivot_record_units(package, parts) + sheet_units
    if parts.strings is not None:
        units += [_rich_text(si, parts.strings[0], UNUSED_STRING) for si in xlsx_unused_strings(parts.strings, used)]
    people = [p for p in people if p[0][1] != "userId"]  # an account id, as in PPTX: emptied, not reported
    return unit_batches([], [], units, people)


def _values_rows(rows: Iterator[tuple[int, list[dict[str, Any]]]]) -> Iterator[list[Any]]:
    """openpyxl's parsed rows (number, cells) as value lists: a missing row as an empty one,
    each row as wide as its last cell. The size a sheet declares for itself (``<dimension>``) is
    not trusted, as openpyxl's read-only mode trusts it: writers other than Excel leave it
    stale (``A1`` over thousands of rows, whose cells would go unread) or far too large."""
    counter = 1
    for number, cells in rows:
        while counter < number:
            counter += 1
            yield []
        if counter <= number:
            counter += 1
            values = [None] * max((cell["column"] for cell in cells), default=0)
            for cell in cells:
                if cell["column"] >= 1:
                    values[cell["column"] - 1] = cell["value"]
            yield values


def read_xlsx_book(opener: Opener) -> Iterator[Batch]:
    """An .xlsx as the scanner reads it — its cells (``sheet!header``, as openpyxl's read-only
    mode gives their values: the cached results of formulas, dates by their number formats),
    then what the cells do not show (comments, headers and footers, links, lists of allowed
    values, shapes, defined names, unused shared strings, properties, comment authors) — with
    each worksheet parsed once: one
    stream per sheet gives openpyxl's row parser its rows and ``xlsx_sheet_units`` the sheet's
    headers, links, validations and filters, and counts the shared strings used. Memory stays
    bounded by a row, whatever the sheet's size."""
    from openpyxl import load_workbook

    with opener() as fh:  # openpyxl leaves a file it is given open
        try:  # the workbook, styles and shared strings as openpyxl reads them; no sheet parsed yet
            book = load_workbook(fh, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
            raise Unreadable(f"無法開啟 XLSX corrupt or unsupported workbook ({type(exc).__name__})") from None
        yield from _book_batches(book, opener)


def _book_batches(book: Any, opener: Opener) -> Iterator[Batch]:
    """``read_xlsx_book``'s batches of the workbook openpyxl opened (``book``, closed here)."""
    from openpyxl.worksheet._reader import WorkSheetParser

    try:
        with _package(opener, "XLSX") as package:
            parts = xlsx_parts(package)
            members = {m: t for t, m in parts.sheets}
            units: list[TextUnit] = []
            used: set[int] = set()
            for sheet in book.worksheets:
                # openpyxl's own row parser (shared strings, dates by style, booleans, cached
                # results) fed the rows of the one stream; its read-only sheet keeps its member
                # and the workbook its formats privately
                member = sheet._worksheet_path
                parser = WorkSheetParser(None, sheet._shared_strings, data_only=True, epoch=book.epoch,
                                         date_formats=book._date_formats, timedelta_formats=book._timedelta_formats)
                # a sheet xlsx_parts does not list (a macro sheet) gives its cells, as before, not its units
                listed = members.pop(member, None) is not None
                elements: list[Any] = []
                stream = xlsx_sheet_stream(package, member, "XLSX", elements, used if listed else set())
                rows = _values_rows(parser.parse_row(e) for e in stream)
                for column, segs in table_batches(rows):
                    yield column, [s._replace(column=f"{sheet.title}!{s.column}") for s in segs]
                if listed:
                    units += [u for e in elements for u in xlsx_sheet_units(e, member, sheet.title)]
            for member, title in members.items():  # a worksheet openpyxl did not open
                units += _sheet_units(package, member, title, used)
            yield from _rest_batches(package, parts, units, used)
    finally:
        book.close()


# --- Embedded documents -----------------------------------------------------------------------

# A Word file with an Excel customer list pasted into it as an object, a chart's own workbook, a
# slide holding a document: the embedded package is a member of its own (OOXML: in an
# ``embeddings/`` folder; ODF: an ``Object N/`` folder holding a sub-document, or ``Object N``, a
# foreign OLE object), read and masked as a document of its own. What gezi cannot read (a legacy
# OLE binary, ``oleObject1.bin``) is said per object, never passed over in silence.
EMBEDDED_NOT_CHECKED = ("內嵌物件為 gezi 無法讀取的格式（如舊版 Office 的 OLE 二進位檔），未檢查內容 "
                        "embedded object in a format gezi cannot read (e.g. a legacy OLE binary): content not checked")
EMBEDDING_SUFFIXES = {".docx", ".xlsx", ".xlsm", ".pptx", ".odt", ".ods", ".odp"}  # may hold embedded objects
# Excel 97–2003 and binary workbooks embedded (an old sheet pasted into a newer document): read by the
# scanner (python-calamine) but not written by gezi, so kept unmasked by the masking, and said.
OLD_WORKBOOK_SUFFIXES = {".xls", ".xlsb"}
EMBEDDED_NOT_MASKED = ("內嵌的舊版 Excel 活頁簿（.xls／.xlsb）gezi 能掃描但無法寫回，未遮蔽 "
                       "embedded legacy workbook: scanned, but gezi cannot write it back: not masked")
_ODF_OBJECT = re.compile(r"Object \d+")  # a foreign (OLE) object stored as one file
_ODF_KINDS = {"text": ".odt", "spreadsheet": ".ods", "presentation": ".odp"}  # charts, formulas: read as text
_MANIFEST = "{urn:oasis:names:tc:opendocument:xmlns:manifest:1.0}"


class Embedded(NamedTuple):
    """An object embedded in a package: ``name``, where it is reported under its document (the
    member, or an ODF sub-document's folder without its slash); ``members``, the package
    members it is made of (one; an ODF sub-document's whole folder); ``suffix``, the format it
    is read and masked as (None: not a document gezi reads, see ``EMBEDDED_NOT_CHECKED``; an
    old workbook's is read only, see ``EMBEDDED_NOT_MASKED``)."""

    name: str
    members: list[str]
    suffix: str | None


def embedded_objects(package: zipfile.ZipFile) -> list[Embedded]:
    """The objects embedded in an OOXML or ODF package (not those of its embedded objects), in
    member order: every member of an ``embeddings/`` folder (``word/embeddings/``,
    ``ppt/embeddings/``, ``xl/embeddings/``: Excel, Word and PowerPoint packages, charts' own
    workbooks, OLE binaries), and the ODF sub-documents (``Object 1/``, its kind from the
    manifest: text, spreadsheet, presentation; a chart or formula read as text) and OLE objects
    (``Object 2``)."""
    names = package.namelist()
    found: list[Embedded] = []
    for name in names:
        folder, _, base = name.rpartition("/")
        if base and posixpath.basename(folder) == "embeddings":
            suffix = base[base.rfind("."):].lower() if "." in base else ""
            found.append(Embedded(name, [name], suffix if suffix in EMBEDDING_SUFFIXES | OLD_WORKBOOK_SUFFIXES
                                  else None))
        elif _ODF_OBJECT.fullmatch(name):
            found.append(Embedded(name, [name], None))
    # a sub-document's own objects (``Object 1/Object 2/``) are read with it
    folders = sorted({n.rpartition("/")[0] for n in names if n.count("/") == 1 and n.endswith("/content.xml")})
    types = _odf_media_types(package) if folders else {}
    for folder in folders:
        kind = types.get(f"{folder}/", "")
        members = [n for n in names if n.startswith(f"{folder}/") and not n.endswith("/")]
        found.append(Embedded(folder, members, _ODF_KINDS.get(kind.rpartition(".")[2], ".odt")))
    return sorted(found, key=lambda e: e.name)


def _odf_media_types(package: zipfile.ZipFile) -> dict[str, str]:
    """The manifest's media type of each entry (full path: type); none for a package without a
    readable manifest."""
    try:
        root = parse_xml(_member_bytes(package, "META-INF/manifest.xml", "ODF"), "ODF")
    except Unreadable:
        return {}
    return {e.get(f"{_MANIFEST}full-path") or "": e.get(f"{_MANIFEST}media-type") or ""
            for e in root.iter(f"{_MANIFEST}file-entry")}


def odf_subpackage(embedded: Embedded, data: dict[str, bytes]) -> bytes:
    """An ODF sub-document (``data``: its members' bytes, by member) as a package of its own,
    its members under their names in the folder, ``mimetype`` first and a manifest naming its
    type (python-calamine tells an ODS by them)."""
    import io

    kinds = {suffix: kind for kind, suffix in _ODF_KINDS.items()}
    kind = f"application/vnd.oasis.opendocument.{kinds.get(embedded.suffix or '', 'text')}"
    manifest = (f'<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="{_MANIFEST[1:-1]}">'
                f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{kind}"/></manifest:manifest>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as sub:
        sub.writestr(zipfile.ZipInfo("mimetype"), kind, compress_type=zipfile.ZIP_STORED)
        sub.writestr("META-INF/manifest.xml", manifest)
        for member in embedded.members:
            if (name := member[len(embedded.name) + 1:]) not in ("mimetype", "META-INF/manifest.xml"):
                sub.writestr(name, data[member])
    return buffer.getvalue()


_EMBEDDING_RELS = {"package", "oleObject"}
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
# The element that holds one embedded object with its picture: Word's ``w:object`` (a VML shape
# whose ``v:imagedata`` is the picture), a slide's ``p:graphicFrame`` (``p:oleObj``, the picture
# in its fallback ``p:pic``), an entry of a sheet's ``oleObjects`` (``objectPr`` names it).
_OBJECT_SCOPES = {f"{_W}object", f"{_P}graphicFrame"}
_R_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def _object_scope(elem: Any) -> Any:
    """The element holding the embedded object ``elem`` refers to and its picture (itself or an
    ancestor, see ``_OBJECT_SCOPES``); None if there is none."""
    for e in (elem, *elem.iterancestors()):
        parent = e.getparent()
        if e.tag in _OBJECT_SCOPES or (parent is not None and parent.tag == f"{_X}oleObjects"):
            return e
    return None


def embedded_previews(package: zipfile.ZipFile, what: str) -> list[str]:
    """The pictures Office shows for embedded objects until they are opened (``word/media/
    image1.emf``: the embedded table as it looked when saved, unmasked) and ODF's
    ``ObjectReplacements/``, in member order."""
    names = package.namelist()
    root = _package_roots(package, what)
    previews = {n for n in names if n.startswith("ObjectReplacements/") and not n.endswith("/")}
    for source in names:
        if (rels := _rels_member(source)) not in names or not source.endswith(".xml"):
            continue
        targets = _rel_map(root(rels), posixpath.dirname(source))
        embedded = {i for i, (kind, _) in targets.items() if kind in _EMBEDDING_RELS}
        if not embedded:
            continue
        for elem in root(source).iter():
            if any(v in embedded for k, v in elem.attrib.items() if k.startswith(_R_NS)):
                scope = _object_scope(elem)
                previews.update(m for e in (scope.iter() if scope is not None else ())
                                for k, v in e.attrib.items() if k.startswith(_R_NS)
                                for kind, m in [targets.get(v, ("", ""))] if kind == "image" and m in names)
    return sorted(previews)
