"""Masked copies of Word (.docx) and OpenDocument text (.odt) documents, formatting kept.

Agencies publish de-identified documents (seed 001, 20170106) in ODF, everyone else in DOCX: a
masked copy must still be the same document. So the package is rewritten at the ZIP/XML level:
the text is read exactly as the scanner reads it (``files.read_docx``, ``office.read_odf_text``),
analyzed the same way, and each value's offsets are mapped back onto the XML text nodes it came
from. A value split over several runs (``<w:r>``, ``<text:span>``: bold on half a name, a
spell-check mark) gets its replacement in its first run; its part of the later runs is emptied.
Run properties, styles and every other package member stay as they were (members are copied in
order with their compression; ODF's ``mimetype`` stays first and stored).

Tabs, line breaks and runs of spaces are elements, not characters: inside a value they are kept
(they hold nothing of it). Document properties hold the author's name: creator and last-editor
fields are emptied, title, subject, description and keywords are masked as text.
"""

from __future__ import annotations

import zipfile
from bisect import bisect_right
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from gezi.core.errors import GeziError
from gezi.pii.files import HEADER_PREFIX_ROWS, Unreadable, _header_names, header_index
from gezi.pii.office import _count

if TYPE_CHECKING:
    from gezi.pii.mask_files import _Masker

DOCUMENT_SUFFIXES = {".docx", ".odt"}

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_CP = "{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}"
_META = "{urn:oasis:names:tc:opendocument:xmlns:meta:1.0}"
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_ODF_PARAGRAPHS = {f"{_TEXT}p", f"{_TEXT}h"}
_ODF_CELLS = {f"{_TABLE}table-cell", f"{_TABLE}covered-table-cell"}

# Person fields of the document properties (emptied) and free-text ones (masked as text).
_PROPERTIES = {
    "docProps/core.xml": ({f"{_DC}creator", f"{_CP}lastModifiedBy"},
                          {f"{_DC}title", f"{_DC}subject", f"{_DC}description", f"{_CP}keywords"}),
    "meta.xml": ({f"{_META}initial-creator", f"{_DC}creator", f"{_META}printed-by"},
                 {f"{_DC}title", f"{_DC}subject", f"{_DC}description", f"{_META}keyword"}),
}

# The scanner's ZIP guards: a document is small XML; more than this is a zip bomb.
_MAX_MEMBER = 256 << 20
_MAX_TOTAL = 1 << 30
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

Span = tuple[int, int, str]


class _Unit:
    """One text the scanner analyzes (a paragraph, a table cell, a property) and where each
    of its characters sits: ``pieces`` are (element, "text" or "tail", start, length)."""

    __slots__ = ("_length", "_parts", "_text", "member", "pieces")

    def __init__(self, member: str) -> None:
        self.member = member
        self.pieces: list[tuple[Any, str, int, int]] = []
        self._parts: list[str] = []
        self._length = 0
        self._text: str | None = None

    def own(self, node: Any, attr: str) -> None:
        """Characters held by ``node.text`` or ``node.tail``: these can be rewritten."""
        value = getattr(node, attr) or ""
        if value:
            self.pieces.append((node, attr, self._length, len(value)))
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


class _Edits:
    """Replacements gathered per text node, applied once all units are analyzed.

    A node can belong to two units (a table cell read once per column it spans, a frame's
    paragraph inside its anchor paragraph): ranges of one node are merged, so the same
    characters are never replaced twice and none is left over."""

    def __init__(self) -> None:
        self._nodes: dict[tuple[int, str], tuple[Any, str, list[Span]]] = {}
        self.members: set[str] = set()

    def add(self, unit: _Unit, spans: list[Span]) -> None:
        """Map ``spans`` (offsets in ``unit.text``) onto the unit's nodes: the replacement
        goes into the first node the value touches, the value's part of later nodes is
        emptied."""
        starts = [p[2] for p in unit.pieces]
        for start, end, replacement in spans:
            placed = False
            for node, attr, offset, length in unit.pieces[max(0, bisect_right(starts, start) - 1):]:
                if offset >= end:
                    break
                lo, hi = max(start, offset), min(end, offset + length)
                if lo >= hi:
                    continue
                entry = self._nodes.setdefault((id(node), attr), (node, attr, []))
                entry[2].append((lo - offset, hi - offset, "" if placed else replacement))
                placed = True
                self.members.add(unit.member)

    def apply(self) -> None:
        """Rewrite every node that holds part of a value."""
        for node, attr, ranges in self._nodes.values():
            text = getattr(node, attr) or ""
            for lo, hi, replacement in reversed(_merged(ranges)):
                text = text[:lo] + replacement + text[hi:]
            setattr(node, attr, text or None)
            if attr == "text" and node.tag == f"{_W}t":
                node.set(_XML_SPACE, "preserve")  # a replacement may start or end with a space


def _merged(ranges: list[Span]) -> list[Span]:
    """Overlapping ranges as one (keeping a replacement over an emptied part), in order."""
    out: list[Span] = []
    for lo, hi, replacement in sorted(ranges, key=lambda r: (r[0], -r[1])):
        if out and lo < out[-1][1]:
            plo, phi, prep = out[-1]
            out[-1] = (plo, max(phi, hi), prep or replacement)
        else:
            out.append((lo, hi, replacement))
    return out


def _mask_units(paragraphs: list[_Unit], tables: list[list[list[_Unit]]], m: _Masker,
                edits: _Edits) -> None:
    """Analyze the units as the scanner does — paragraphs with no column name, table cells
    under their header (``files.table_batches``) — and gather the masked spans."""
    from gezi.pii.mask_files import spans_grouped

    items = [(None, u.text) for u in paragraphs if u.text]
    units = [u for u in paragraphs if u.text]
    for rows in tables:
        texts = [[u.text for u in row] for row in rows]
        at = header_index(texts[:HEADER_PREFIX_ROWS])
        header = [] if at is None else _header_names(texts[at])
        for r, row in enumerate(rows):
            if r == at:
                continue  # the header row is not scanned (as in CSV and XLSX)
            for i, u in enumerate(row):
                if u.text:
                    column = (None if at is not None and r < at
                              else header[i] if i < len(header) else f"#{i + 1}")
                    items.append((column, u.text))
                    units.append(u)
    for unit, spans in zip(units, spans_grouped(items, m), strict=True):
        edits.add(unit, spans)


def _parse(data: bytes, what: str) -> Any:
    """A package part parsed without entities, DTDs or network; a part with a DOCTYPE (the
    vehicle of entity-expansion bombs, never used by Word or ODF writers) is refused."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise Unreadable(f"無法開啟 {what} corrupt document ({type(exc).__name__})") from None
    _refuse_dtd(root, what)
    return root


def _refuse_dtd(root: Any, what: str) -> None:
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None:
        raise Unreadable(f"{what} 含 DTD 宣告（可能為 XML 炸彈），不予處理 part declares a DTD (possible XML bomb)")


def _serialize(root: Any) -> bytes:
    from lxml import etree

    tree = root.getroottree()
    # The declaration as writers put it (lxml would add standalone="no" to one without it).
    standalone = b' standalone="yes"' if tree.docinfo.standalone else b""
    return (b'<?xml version="1.0" encoding="UTF-8"' + standalone + b"?>\n"
            + etree.tostring(tree, encoding="UTF-8", xml_declaration=False))


def _open_package(src: Path, what: str) -> zipfile.ZipFile:
    """The document's ZIP, checked before anything is decompressed: an encrypted Office file
    is an OLE container, not a ZIP; encrypted members and zip bombs are refused."""
    try:
        with src.open("rb") as fh:
            if fh.read(8) == _OLE_MAGIC:
                raise Unreadable(f"{what} 已加密或為舊版 Office 格式（OLE），請移除密碼或另存新檔 "
                                 "encrypted or legacy Office file (OLE container)")
        package = zipfile.ZipFile(src)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise Unreadable(f"無法開啟 {what} corrupt document ({type(exc).__name__})") from None
    infos = package.infolist()
    if any(i.flag_bits & 0x1 for i in infos):
        package.close()
        raise Unreadable(f"{what} 含加密成員 encrypted package member")
    if (any(i.file_size > _MAX_MEMBER for i in infos)
            or sum(i.file_size for i in infos) > _MAX_TOTAL):
        package.close()
        raise Unreadable(f"{what} 解壓縮後過大（可能為壓縮炸彈），不予處理 "
                         "uncompressed size over the limit (possible zip bomb)")
    return package


def _write_package(package: zipfile.ZipFile, out: IO[bytes], replaced: dict[str, bytes]) -> None:
    """Every member in its order and with its compression; the ``replaced`` ones with new
    bytes, the others with their bytes unchanged."""
    with zipfile.ZipFile(out, "w") as dst:
        dst.comment = package.comment
        for info in package.infolist():
            data = replaced.get(info.filename)
            if data is None:
                data = package.read(info)
            # A fresh entry: the source's extra fields (zip64 sizes) would not fit the new data.
            entry = zipfile.ZipInfo(info.filename, info.date_time)
            entry.compress_type = info.compress_type
            entry.external_attr, entry.create_system = info.external_attr, info.create_system
            entry.comment = info.comment
            dst.writestr(entry, data)


def _properties(package: zipfile.ZipFile, member: str, m: _Masker, what: str,
                replaced: dict[str, bytes]) -> None:
    """Empty the person fields of ``member`` (core.xml, meta.xml) and mask its free text."""
    if member not in package.namelist():
        return
    root = _parse(package.read(member), what)
    people, free = _PROPERTIES[member]
    cleared = 0
    texts: list[_Unit] = []
    for elem in root.iter():
        if elem.tag in people and (elem.text or "").strip():
            elem.text = None
            cleared += 1
        elif elem.tag in free:
            unit = _Unit(member)
            unit.own(elem, "text")
            texts.append(unit)
    edits = _Edits()
    _mask_units(texts, [], m, edits)
    edits.apply()
    m.properties_cleared += cleared
    if cleared or edits.members:
        replaced[member] = _serialize(root)


@contextmanager
def _guarded(what: str) -> Iterator[None]:
    """Errors of the XML and document libraries on a damaged file as one-line Unreadable."""
    try:
        yield
    except (Unreadable, GeziError):
        raise  # GeziError: a broken recognizer catalog is the user's error, not the file's
    except Exception as exc:  # python-docx and lxml raise many types on damaged documents
        raise Unreadable(f"無法解析 {what} cannot parse document ({type(exc).__name__})") from None


# --- DOCX -------------------------------------------------------------------------------------

def _docx_paragraph(unit: _Unit, p: Any) -> None:
    """A ``w:p`` as python-docx's ``Paragraph.text``: runs and hyperlinks' runs, their text
    and the characters of tabs and breaks."""
    for child in p.xpath("w:r | w:hyperlink"):
        for run in (child.xpath("w:r") if child.tag == f"{_W}hyperlink" else [child]):
            for e in run.xpath("w:br | w:cr | w:noBreakHyphen | w:ptab | w:t | w:tab"):
                if e.tag == f"{_W}t":
                    unit.own(e, "text")
                else:
                    unit.shown(str(e))  # python-docx's text of the element: \t, \n, -, or ""


def _docx_table(table: Any, member: str) -> list[list[_Unit]]:
    """A table's rows as the scanner reads them (``row.cells``: a merged cell once per grid
    column it spans), each cell its paragraphs joined by line breaks (``cell.text``)."""
    rows = []
    for row in table.rows:
        cells = []
        for cell in row.cells:
            unit = _Unit(member)
            for k, paragraph in enumerate(cell.paragraphs):
                if k:
                    unit.shown("\n")
                _docx_paragraph(unit, paragraph._p)  # the XML of the paragraph python-docx reads
            cells.append(unit)
        rows.append(cells)
    return rows


def _member(part: Any) -> str:
    return str(part.partname).lstrip("/")


def _docx_units(document: Any) -> tuple[list[_Unit], list[list[list[_Unit]]]]:
    """What the scanner reads (``files.read_docx``), in its order: body paragraphs, text boxes,
    then each header and footer part once; the tables of the body and of those parts."""
    body = _member(document.part)
    paragraphs: list[_Unit] = []
    for p in document.paragraphs:
        paragraphs.append(unit := _Unit(body))
        _docx_paragraph(unit, p._p)
    for p in document.element.body.xpath(".//w:txbxContent//w:p"):
        paragraphs.append(unit := _Unit(body))
        for t in p.iter(f"{_W}t"):
            unit.own(t, "text")
    tables = [_docx_table(t, body) for t in document.tables]
    seen: set[int] = set()
    for section in document.sections:
        for hf in (section.header, section.footer, section.first_page_header,
                   section.first_page_footer, section.even_page_header, section.even_page_footer):
            if hf.is_linked_to_previous or id(hf.part) in seen:
                continue
            seen.add(id(hf.part))
            member = _member(hf.part)
            for paragraph in hf.paragraphs:
                paragraphs.append(unit := _Unit(member))
                _docx_paragraph(unit, paragraph._p)
            tables += [_docx_table(t, member) for t in hf.tables]
    return paragraphs, tables


def mask_docx(src: Path, out: IO[bytes], m: _Masker) -> None:
    """Write a masked copy of the Word document ``src`` to ``out`` (see the module docstring)."""
    import docx

    with _open_package(src, "DOCX") as package:
        with _guarded("DOCX"):
            try:
                document = docx.Document(str(src))
            except Exception as exc:  # python-docx: PackageNotFoundError, KeyError, ValueError…
                raise Unreadable(f"無法開啟 DOCX not a Word document ({type(exc).__name__})") from None
            parts = {_member(p): p for p in document.part.package.iter_parts()}
            for part in parts.values():
                if hasattr(part, "element"):
                    _refuse_dtd(part.element, "DOCX")
            paragraphs, tables = _docx_units(document)
            edits = _Edits()
            _mask_units(paragraphs, tables, m, edits)
            edits.apply()
            replaced = {member: parts[member].blob for member in edits.members}
            _properties(package, "docProps/core.xml", m, "DOCX", replaced)
            _write_package(package, out, replaced)


# --- ODT --------------------------------------------------------------------------------------

def _odf_paragraph(unit: _Unit, elem: Any) -> None:
    """An ODF paragraph as ``office._odf_text`` reads it (spans, links, frames inline;
    ``text:s`` as its spaces; tabs and line breaks as one space). The standard library's
    parser, which the scanner uses, drops comments: only their tails count here too."""
    unit.own(elem, "text")
    for child in elem:
        tag = child.tag
        if not isinstance(tag, str):
            pass  # an XML comment or processing instruction
        elif tag == f"{_TEXT}s":
            unit.shown(" " * _count(child, f"{_TEXT}c"))
        elif tag in (f"{_TEXT}tab", f"{_TEXT}line-break"):
            unit.shown(" ")
        else:
            _odf_paragraph(unit, child)
        unit.own(child, "tail")


def _odf_walk(elem: Any, paragraphs: list[_Unit], tables: list[Any]) -> None:
    """Paragraphs and tables in the scanner's order (``office._odf_walk``)."""
    for child in elem:
        if child.tag == f"{_TABLE}table":
            tables.append(child)
        elif child.tag in _ODF_PARAGRAPHS:
            paragraphs.append(unit := _Unit("content.xml"))
            _odf_paragraph(unit, child)
            _odf_walk(child, [], tables)  # a frame inside a paragraph may hold a table
        else:
            _odf_walk(child, paragraphs, tables)


def _odf_rows(table: Any) -> list[list[_Unit]]:
    """A table's rows as ``office._odf_rows`` reads them (repeats expanded, bounded)."""
    rows = []
    for row in table.iter(f"{_TABLE}table-row"):
        cells: list[_Unit] = []
        for cell in row:
            if cell.tag not in _ODF_CELLS:
                continue
            unit = _Unit("content.xml")
            for k, p in enumerate(p for p in cell.iter() if p.tag in _ODF_PARAGRAPHS):
                if k:
                    unit.shown("\n")
                _odf_paragraph(unit, p)
            cells.extend([unit] * _count(cell, f"{_TABLE}number-columns-repeated"))
        repeat = _count(row, f"{_TABLE}number-rows-repeated") if any(u.text for u in cells) else 1
        rows.extend([cells] * repeat)
    return rows


def _odt_units(root: Any) -> tuple[list[_Unit], list[list[list[_Unit]]]]:
    """What the scanner reads in content.xml (``office.read_odf_text``): paragraphs and
    headings, then the rows of each table."""
    paragraphs: list[_Unit] = []
    tables: list[Any] = []
    _odf_walk(root, paragraphs, tables)
    return paragraphs, [_odf_rows(t) for t in tables]


def mask_odt(src: Path, out: IO[bytes], m: _Masker) -> None:
    """Write a masked copy of the OpenDocument text ``src`` to ``out`` (see the module
    docstring); ``mimetype`` is copied first and stored, as ODF requires."""
    with _open_package(src, "ODT") as package:
        with _guarded("ODT"):
            names = package.namelist()
            if "content.xml" not in names:
                raise Unreadable("無法開啟 ODT not a document (no content.xml)")
            if ("META-INF/manifest.xml" in names
                    and b"encryption-data" in package.read("META-INF/manifest.xml")):
                raise Unreadable("ODT 已設密碼保護，請先移除密碼 password-protected document")
            root = _parse(package.read("content.xml"), "ODT")
            paragraphs, tables = _odt_units(root)
            edits = _Edits()
            _mask_units(paragraphs, tables, m, edits)
            edits.apply()
            replaced = {"content.xml": _serialize(root)} if edits.members else {}
            _properties(package, "meta.xml", m, "ODT", replaced)
            _write_package(package, out, replaced)
