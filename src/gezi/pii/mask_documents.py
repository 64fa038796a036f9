"""Masked copies of Word (.docx), PowerPoint (.pptx), Excel (.xlsx, .xlsm: see ``mask_xlsx``) and
OpenDocument (.odt, .ods, .odp) documents, formatting kept.

Agencies publish de-identified documents (seed 001, 20170106) in ODF, everyone else in DOCX: a
masked copy must still be the same document. So the package is rewritten at the ZIP/XML level:
the text is read by the very walkers the scanner uses (``office.docx_units``, ``office.odf_units``:
body, tables, headers and footers, text boxes, notes, comments, content controls, tracked
insertions and deletions), analyzed the same way, and each value's offsets are mapped back onto
the XML text nodes it came from. A value split over several runs (``<w:r>``, ``<text:span>``: bold on half a name, a
spell-check mark) gets its replacement in its first run; its part of the later runs is emptied.
Run properties, styles and every other package member stay as they were (members are copied in
order with their compression; ODF's ``mimetype`` stays first and stored).

Tabs, line breaks and runs of spaces are elements, not characters: inside a value they are kept
(they hold nothing of it). Document properties hold the author's name: creator, last-editor,
manager and company fields are emptied; title, subject, description, keywords, custom and
user-defined properties are masked as text. So are the names of who made each tracked change
and comment (``w:author``, ``w:initials``, ``people.xml``; ODF ``dc:creator`` of changes and
annotations): emptied whatever the method. Link targets (DOCX relationships, ODF
``xlink:href``) and Word's field codes are masked as the scanner reads them: a ``mailto:`` or
``tel:`` keeps its scheme, so the link stays a link.

A spreadsheet's cells are read as python-calamine (the scanner's reader) reads them, under their
header as in CSV and XLSX; a typed cell (a phone stored as a number) holds its value in an
attribute, so a masked one becomes a text cell (``office.CellValue``). Repeated rows and cells
are one XML element: masked once, they are masked in every repeat, never expanded. Slides are
read in the presentation's order with their SmartArt, notes, tables, comments and link targets,
then the masters and layouts (``office.pptx_parts``). A workbook's sheets are rewritten one at a
time (``mask_xlsx``).
"""

from __future__ import annotations

import base64
import copy
import posixpath
import re
import shutil
import struct
import tempfile
import zipfile
from bisect import bisect_right
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from gezi.core.errors import GeziError
from gezi.pii.files import HEADER_PREFIX_ROWS, Unreadable, _header_names, header_index
from gezi.pii.office import (
    CHART,
    EMBEDDED_NOT_CHECKED,
    EMBEDDED_NOT_MASKED,
    OLD_WORKBOOK_SUFFIXES,
    XLSX_SHEET_TAGS,
    AuthorField,
    SheetRefs,
    Table,
    TextUnit,
    XlsxParts,
    author_value,
    chart_units,
    docx_authors,
    docx_charts,
    docx_link_parts,
    docx_links,
    docx_parts,
    docx_people,
    docx_property_parts,
    docx_units,
    embedded_objects,
    embedded_previews,
    odf_reading,
    odf_roots,
    odf_subpackage,
    ods_values,
    parse_xml,
    pptx_authors,
    pptx_charts,
    pptx_parts,
    pptx_units,
    property_units,
    refuse_dtd,
    string_refs,
    xlsx_parts,
    xlsx_sheet_names,
    xlsx_sheet_stream,
    xlsx_sheet_units,
    xlsx_units,
    xlsx_unused_strings,
)

if TYPE_CHECKING:
    from gezi.pii.mask_files import _Masker

DOCUMENT_SUFFIXES = {".docx", ".odt", ".ods", ".odp", ".pptx"}
_X = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_TC = "{http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments}"
_C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
_CX = "{http://schemas.microsoft.com/office/drawing/2014/chartex}"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_W_PRESERVE = {f"{_W}{k}" for k in ("t", "delText", "instrText", "delInstrText")}  # Word trims their edges

# The scanner's ZIP guards: a document is small XML; more than this is a zip bomb.
_MAX_MEMBER = 256 << 20
_MAX_TOTAL = 1 << 30
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

Span = tuple[int, int, str]

# A package's thumbnail is a picture of its first page, sheet or slide, personal data and all
# (LibreOffice always saves one, PowerPoint by default): it is replaced by a blank image of the
# same format, so that the package stays as it was (relationships, manifest, content types).
_THUMBNAIL = re.compile(r"(?:Thumbnails|docProps)/thumbnail\.(\w+)", re.IGNORECASE)
_BLANK_PNG = base64.b64decode(  # 1×1 white
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR42mP4//8/AAX+Av4zEpUUAAAAAElFTkSuQmCC")
_BLANK_JPEG = base64.b64decode(  # 8×8 white, baseline
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1RV19iZ2hnPk1x"
    "eXBkeFxlZ2P/wAALCAAIAAgBAREA/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIh"
    "MUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWG"
    "h4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/9oACAEBAAA/APQK/9k=")
# The preview Office keeps of an embedded object is a metafile: an EMF (a header, 1 mm × 1 mm, and
# the end record) or a WMF (a header and the end record) that draws nothing.
_BLANK_EMF = (struct.pack("<II4i4iIIIIHHIII2i2i", 1, 88, 0, 0, 0, 0, 0, 0, 100, 100, 0x464D4520, 0x10000,
                          108, 2, 1, 0, 0, 0, 0, 1024, 768, 320, 240)
              + struct.pack("<5I", 14, 20, 0, 16, 20))
_BLANK_WMF = struct.pack("<HHHIHIH", 1, 9, 0x300, 12, 0, 3, 0) + struct.pack("<IH", 3, 0)


class _Edits:
    """Replacements gathered per text node, applied once all units are analyzed.

    A node can belong to two units (a table cell read once per column it spans, a frame's
    paragraph inside its anchor paragraph): ranges of one node are merged, so the same
    characters are never replaced twice and none is left over."""

    def __init__(self) -> None:
        self._nodes: dict[tuple[int, str], tuple[Any, str, list[Span]]] = {}
        self.members: set[str] = set()

    def add(self, unit: TextUnit, spans: list[Span]) -> None:
        """Map ``spans`` (offsets in ``unit.text``) onto the unit's nodes: the replacement
        goes into the first node the value touches, the value's part of later nodes is
        emptied."""
        starts = [p[2] for p in unit.pieces]
        for start, end, replacement in spans:
            placed = False
            for node, attr, offset, length, at in unit.pieces[max(0, bisect_right(starts, start) - 1):]:
                if offset >= end:
                    break
                lo, hi = max(start, offset), min(end, offset + length)
                if lo >= hi:
                    continue
                # ``at``: where the unit's piece starts in the node (a link's address after its scheme)
                entry = self._nodes.setdefault((id(node), attr), (node, attr, []))
                entry[2].append((lo - offset + at, hi - offset + at, "" if placed else replacement))
                placed = True
                self.members.add(unit.member)

    def apply(self) -> None:
        """Rewrite every node that holds part of a value."""
        for node, attr, ranges in self._nodes.values():
            text = getattr(node, attr) or ""
            for lo, hi, replacement in reversed(_merged(ranges)):
                text = text[:lo] + replacement + text[hi:]
            setattr(node, attr, text or None)
            if attr == "text" and node.tag in _W_PRESERVE:
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


def _mask_units(paragraphs: list[TextUnit], tables: list[Table], m: _Masker,
                edits: _Edits) -> None:
    """Analyze the units as the scanner does — paragraphs with no column name (link targets and
    properties under their hint), table cells under their header (``files.table_batches``) —
    and gather the masked spans."""
    from gezi.pii.mask_files import spans_grouped

    items = [(u.hint, u.text) for u in paragraphs if u.text]
    units = [u for u in paragraphs if u.text]
    for rows in tables:
        texts = [[u.text for u in row] for row in rows]
        at = header_index(texts[:HEADER_PREFIX_ROWS])
        header = [] if at is None else _header_names(texts[at])
        for r, row in enumerate(rows):
            for i, u in enumerate(row):
                if u.text:  # title rows and the header's own cells: no column name
                    column = (None if at is not None and r <= at
                              else header[i] if i < len(header) else f"#{i + 1}")
                    items.append((column, u.text))
                    units.append(u)
    for unit, spans in zip(units, spans_grouped(items, m), strict=True):
        edits.add(unit, spans)


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


def _write_package(package: zipfile.ZipFile, out: IO[bytes], replaced: dict[str, bytes],
                   dropped: frozenset[str] = frozenset(), files: dict[str, Path] | None = None) -> None:
    """Every member but the ``dropped`` ones in its order and with its compression; the
    ``replaced`` ones with new bytes, those of ``files`` with the content of that (temporary)
    file, a thumbnail blank, the others with their bytes unchanged."""
    files = files or {}
    with zipfile.ZipFile(out, "w") as dst:
        dst.comment = package.comment
        for info in package.infolist():
            if info.filename in dropped:
                continue
            # A fresh entry: the source's extra fields (zip64 sizes) would not fit the new data.
            entry = zipfile.ZipInfo(info.filename, info.date_time)
            entry.compress_type = info.compress_type
            entry.external_attr, entry.create_system = info.external_attr, info.create_system
            entry.comment = info.comment
            if (path := files.get(info.filename)) is not None:
                large = path.stat().st_size >= zipfile.ZIP64_LIMIT
                with path.open("rb") as fh, dst.open(entry, "w", force_zip64=large) as to:
                    shutil.copyfileobj(fh, to)
                continue
            data = replaced.get(info.filename)
            if data is None and (thumbnail := _THUMBNAIL.fullmatch(info.filename)):
                data = _BLANK_JPEG if thumbnail.group(1).lower() in ("jpeg", "jpg") else _BLANK_PNG
            if data is None:
                data = package.read(info)
            dst.writestr(entry, data)


# An object embedded deeper than this (a workbook in a document in a document…) is not masked but
# noted, as the scanner (``ScanLimits.max_zip_depth``) does not read it.
_MAX_DEPTH = 3
# The embedded objects a masking left as they were, noted for the caller (see ``embedded_not_checked``).
_NOT_CHECKED: ContextVar[list[dict[str, str]] | None] = ContextVar("gezi_embedded_not_checked", default=None)


@contextmanager
def embedded_not_checked() -> Iterator[list[dict[str, str]]]:
    """Collect the embedded objects the maskings in the block kept unmasked (a legacy OLE binary,
    a damaged or too deeply nested package): one dict per object, ``member`` (``word/embeddings/
    oleObject1.bin``, under its document's members for a nested one) and ``reason``."""
    found: list[dict[str, str]] = []
    token = _NOT_CHECKED.set(found)
    try:
        yield found
    finally:
        _NOT_CHECKED.reset(token)


def _not_checked(member: str, reason: str) -> None:
    if (found := _NOT_CHECKED.get()) is not None:
        found.append({"member": member, "reason": reason})


def _blank_picture(data: bytes) -> bytes:
    """A blank picture in the format of ``data`` (EMF, WMF, JPEG; PNG for any other: LibreOffice
    tells the format of an ``ObjectReplacements/`` picture from its bytes)."""
    if data[40:44] == b" EMF":
        return _BLANK_EMF
    if data[:4] in (b"\xd7\xcd\xc6\x9a", b"\x01\x00\x09\x00", b"\x02\x00\x09\x00"):
        return _BLANK_WMF
    return _BLANK_JPEG if data[:3] == b"\xff\xd8\xff" else _BLANK_PNG


def _mask_package(src: Path, out: IO[bytes], m: _Masker, depth: int) -> None:
    """Mask a package by its suffix (an embedded object written to a file of its own)."""
    from gezi.pii.mask_files import _mask_xlsx

    suffix = src.suffix.lower()
    if suffix == ".docx":
        mask_docx(src, out, m, depth)
    elif suffix == ".pptx":
        mask_pptx(src, out, m, depth)
    elif suffix in _ODF_KINDS:
        mask_odf(src, out, m, depth)
    else:
        _mask_xlsx(src, out, m, depth)


def _unmaskable(suffix: str | None, depth: int) -> str | None:
    """Why an embedded object of this format, at this depth, is kept as it is (None: it is masked)."""
    if suffix is None:
        return EMBEDDED_NOT_CHECKED
    if suffix in OLD_WORKBOOK_SUFFIXES:
        return EMBEDDED_NOT_MASKED
    if depth >= _MAX_DEPTH:
        return f"內嵌物件巢狀過深，未遮蔽 embedded deeper than {_MAX_DEPTH}: not masked"
    return None


def _mask_embedded(package: zipfile.ZipFile, what: str, m: _Masker, depth: int,
                   tmp: Path) -> tuple[dict[str, bytes], dict[str, Path]]:
    """Masked copies of the objects embedded in ``package`` (``office.embedded_objects``), each
    masked as a document of its own with the same masker, so that they still open from their
    document: (members replaced: an ODF sub-document's parts, the objects' preview pictures
    blanked; members replaced by a file in ``tmp``: an embedded OOXML package). What cannot be
    masked is kept and noted (``embedded_not_checked``); its preview is blanked too."""
    replaced: dict[str, bytes] = {}
    files: dict[str, Path] = {}
    if not (objects := embedded_objects(package)):
        return replaced, files
    for n, obj in enumerate(objects):
        if (reason := _unmaskable(obj.suffix, depth)) is not None:
            _not_checked(obj.name, reason)
            continue
        src, dst = Path(tmp, f"{n}{obj.suffix}"), Path(tmp, f"{n}-masked{obj.suffix}")
        single = obj.members == [obj.name]
        data = {member: package.read(member) for member in obj.members}
        src.write_bytes(data[obj.name] if single else odf_subpackage(obj, data))
        try:
            with embedded_not_checked() as inner, dst.open("wb") as fh:
                _mask_package(src, fh, m, depth + 1)
        except Unreadable as exc:
            _not_checked(obj.name, f"內嵌物件無法遮蔽，未遮蔽 embedded object not masked: {exc}")
            continue
        for item in inner:  # its own objects, named under it
            _not_checked(f"{obj.name}!{item['member']}", item["reason"])
        if single:
            files[obj.name] = dst
            continue
        with zipfile.ZipFile(dst) as masked:  # the sub-document's parts back into its folder
            for info in masked.infolist():
                member = f"{obj.name}/{info.filename}"
                if member in data and (new := masked.read(info)) != data[member]:
                    replaced[member] = new
    for member in embedded_previews(package, what):
        replaced[member] = _blank_picture(package.read(member))
    return replaced, files


def _write_masked(package: zipfile.ZipFile, out: IO[bytes], replaced: dict[str, bytes], what: str, m: _Masker,
                  depth: int, dropped: frozenset[str] = frozenset(), files: dict[str, Path] | None = None) -> None:
    """``_write_package`` with the package's embedded objects masked too (``_mask_embedded``)."""
    with tempfile.TemporaryDirectory(prefix="gezi-") as tmp:
        more, copies = _mask_embedded(package, what, m, depth, Path(tmp))
        _write_package(package, out, {**replaced, **more}, dropped, {**(files or {}), **copies})


def _apply_masking(paragraphs: list[TextUnit], tables: list[Table], people: list[AuthorField], m: _Masker,
                   preset: list[tuple[TextUnit, list[Span]]] | None = None) -> tuple[set[str], set[Any]]:
    """Mask the units (those of ``preset`` with the spans given) and empty the person fields;
    the members whose text changed, the roots whose person fields did."""
    edits = _Edits()
    for unit, spans in preset or []:
        edits.add(unit, spans)
    _mask_units(paragraphs, tables, m, edits)
    edits.apply()
    return edits.members, _clear_authors(people, m)


def _serialized(roots: dict[str, Any], changed: set[str], cleared: set[Any]) -> dict[str, bytes]:
    """The parts (member: root) that changed, by member or by root, serialized."""
    return {member: _serialize(root) for member, root in roots.items()
            if member in changed or root.getroottree().getroot() in cleared}


def _masked_parts(roots: dict[str, Any], paragraphs: list[TextUnit], tables: list[Table],
                  people: list[AuthorField], m: _Masker) -> dict[str, bytes]:
    """Mask the units, empty the person fields, and serialize the parts (member: root) that
    changed."""
    return _serialized(roots, *_apply_masking(paragraphs, tables, people, m))


@contextmanager
def _guarded(what: str) -> Iterator[None]:
    """Errors of the XML and document libraries on a damaged file as one-line Unreadable."""
    try:
        yield
    except (Unreadable, GeziError):
        raise  # GeziError: a broken recognizer catalog is the user's error, not the file's
    except Exception as exc:  # python-docx and lxml raise many types on damaged documents
        raise Unreadable(f"無法解析 {what} cannot parse document ({type(exc).__name__})") from None


def _clear_authors(fields: list[AuthorField], m: _Masker) -> set[Any]:
    """Empty every field naming a person, whatever the method (an attribute stays, empty:
    Word's schema requires ``w:author``); the roots of the parts changed."""
    touched: set[Any] = set()
    for field in fields:
        if not (value := author_value(field)):
            continue
        elem, attr = field
        if attr is None:
            elem.text = None
        else:
            elem.set(attr, "")
        m.properties_cleared += bool(value.strip())
        touched.add(elem.getroottree().getroot())
    return touched


# --- DOCX -------------------------------------------------------------------------------------

def mask_docx(src: Path, out: IO[bytes], m: _Masker, depth: int = 1) -> None:
    """Write a masked copy of the Word document ``src`` to ``out`` (see the module docstring);
    ``depth``: how deep it is embedded (1: a file of its own)."""
    import docx

    with _open_package(src, "DOCX") as package:
        with _guarded("DOCX"):
            try:
                document = docx.Document(str(src))
            except Exception as exc:  # python-docx: PackageNotFoundError, KeyError, ValueError…
                raise Unreadable(f"無法開啟 DOCX not a Word document ({type(exc).__name__})") from None
            for part in document.part.package.iter_parts():
                if hasattr(part, "element"):
                    refuse_dtd(part.element, "DOCX")
            paragraphs, tables = docx_units(document)
            links, properties = docx_link_parts(document), docx_property_parts(document)
            texts, people = property_units(properties)
            roots = {member: root.getroottree().getroot() for member, root, _ in docx_parts(document)}
            charts = [(member, root, CHART) for member, root in docx_charts(document)]
            roots.update(links + properties + [(member, root) for member, root, _ in charts])
            if (people_part := docx_people(document)) is not None:
                roots[people_part[0]] = people_part[1]
            units = [u for member, root, column in charts for u in chart_units(member, root, column)]
            changed, cleared = _apply_masking(paragraphs + docx_links(links) + texts + units, tables,
                                              docx_authors(document) + [f for f, _ in people], m)
            _fix_chart_numbers(charts, changed)
            _write_masked(package, out, _serialized(roots, changed, cleared), "DOCX", m, depth)


# --- ODF: ODT, ODS, ODP ------------------------------------------------------------------------

_ODF_KINDS = {".odt": "ODT", ".ods": "ODS", ".odp": "ODP"}


def mask_odf(src: Path, out: IO[bytes], m: _Masker, depth: int = 1) -> int:
    """Write a masked copy of the OpenDocument text, spreadsheet or presentation ``src`` to
    ``out`` (see the module docstring); ``mimetype`` is copied first and stored, as ODF
    requires. Returns how many typed cells of a spreadsheet became text (a masked value is no
    number: see ``office.CellValue``)."""
    what = _ODF_KINDS[src.suffix.lower()]
    with _open_package(src, what) as package:
        with _guarded(what):
            names = package.namelist()
            if "content.xml" not in names:
                raise Unreadable(f"無法開啟 {what} not a document (no content.xml)")
            if ("META-INF/manifest.xml" in names
                    and b"encryption-data" in package.read("META-INF/manifest.xml")):
                raise Unreadable(f"{what} 已設密碼保護，請先移除密碼 password-protected document")
            roots = odf_roots(package, what)
            reading = odf_reading(roots, spreadsheet=what == "ODS")
            replaced = _masked_parts(roots, reading.paragraphs + reading.labelled, reading.tables,
                                     reading.authors + [f for f, _ in reading.people], m)
            _write_masked(package, out, replaced, what, m, depth)
    return sum(v.changed for v in ods_values(reading.tables))


# --- PPTX -------------------------------------------------------------------------------------

def mask_pptx(src: Path, out: IO[bytes], m: _Masker, depth: int = 1) -> None:
    """Write a masked copy of the PowerPoint presentation ``src`` to ``out``: the slides' and
    notes' shapes and tables, comments, link targets and properties as the scanner reads them
    (``office.pptx_parts``); comment authors emptied."""
    with _open_package(src, "PPTX") as package:
        with _guarded("PPTX"):
            parts = pptx_parts(package)
            paragraphs, tables = pptx_units(parts)
            texts, people = property_units(parts.properties)
            roots = dict(parts.stories + parts.authors + parts.rels + parts.properties)
            roots.update((member, root) for member, root, _ in parts.charts)
            changed, cleared = _apply_masking(paragraphs + docx_links(parts.rels) + texts + pptx_charts(parts),
                                              tables, pptx_authors(parts) + [f for f, _ in people], m)
            _fix_chart_numbers(parts.charts, changed)
            _write_masked(package, out, _serialized(roots, changed, cleared), "PPTX", m, depth)


# --- XLSX -------------------------------------------------------------------------------------

# Cell values as openpyxl reads them: {sheet title: {coordinate: text}}.
SheetTexts = dict[str, dict[str, str]]


def _sheet_cells(data: Any) -> Iterator[tuple[str, Any]]:
    """The cells (``c``) of a ``sheetData`` with their coordinates, as openpyxl reads them: a
    cell's own ``r`` (its row too), else the next column in its row; a row without its ``r``
    (allowed, rarely written) follows the previous one."""
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, get_column_letter

    number = 0
    for row in data.iterchildren(f"{_X}row"):
        number = int(row.get("r") or number + 1)
        column = 0
        for cell in row.iterchildren(f"{_X}c"):
            if ref := cell.get("r"):
                letters, at = coordinate_from_string(ref)
                column = column_index_from_string(letters)
                yield f"{letters}{at}", cell
            else:
                column += 1
                yield f"{get_column_letter(column)}{number}", cell


def _set_inline(cell: Any, text: str) -> None:
    """Make ``cell`` a text cell holding ``text`` in itself (no shared string, no formula, no
    value left behind); its style stays."""
    for child in list(cell):
        if child.tag != f"{_X}extLst":
            cell.remove(child)
    for attr in ("vm", "cm"):  # value metadata of the old value (rich data types)
        cell.attrib.pop(attr, None)
    cell.set("t", "inlineStr")
    inline = cell.makeelement(f"{_X}is", {})
    t = inline.makeelement(f"{_X}t", {})
    t.text = text
    if text != text.strip():
        t.set(_XML_SPACE, "preserve")
    inline.append(t)
    cell.insert(0, inline)


def _patch_cells(root: Any, masked: dict[str, str], formulas: dict[str, str]) -> tuple[bool, bool]:
    """Write the masked texts into a worksheet's cells: a formula stays a formula when its
    masked text is one (``="王○明"&B2``), any other cell becomes a text cell. A formula's
    cached result is dropped (it may repeat what was masked; Excel computes it again, as it did
    for openpyxl's copy, which kept none). A shared formula whose group holds a masked cell is
    written out in each cell of the group (``formulas``: openpyxl's text of every formula cell),
    since the group's first cell may change. Returns (changed, results dropped)."""
    data = root.find(f"{_X}sheetData")
    if data is None:
        return False, False
    cells = list(_sheet_cells(data))
    groups = {f.get("si") for ref, c in cells if ref in masked
              and (f := c.find(f"{_X}f")) is not None and f.get("t") == "shared"}
    changed = dropped = False
    for ref, cell in cells:
        formula = cell.find(f"{_X}f")
        if formula is None:
            if ref in masked:
                _set_inline(cell, masked[ref])
                changed = True
            continue
        if (value := cell.find(f"{_X}v")) is not None:
            cell.remove(value)
            cell.attrib.pop("t", None)
            changed = dropped = True
        text = masked.get(ref)
        if formula.get("t") == "shared" and formula.get("si") in groups:
            text = text or formulas.get(ref)
        if text is None:
            continue
        changed = True
        if text.startswith("="):
            formula.text = text[1:]
            for attr in ("t", "ref", "si"):
                formula.attrib.pop(attr, None)
        else:
            _set_inline(cell, text)
    return changed, dropped


def _recalculate(workbook: Any) -> None:
    """Ask Excel to compute the formulas again on opening (their results were dropped)."""
    calc = workbook.find(f"{_X}calcPr")
    if calc is None:
        calc = workbook.makeelement(f"{_X}calcPr", {})
        before = [e for e in workbook if e.tag in {f"{_X}{k}" for k in (
            "fileVersion", "fileSharing", "workbookPr", "workbookProtection", "bookViews", "sheets",
            "functionGroups", "externalReferences", "definedNames")}]
        workbook.insert(workbook.index(before[-1]) + 1 if before else 0, calc)
    calc.set("fullCalcOnLoad", "1")


def _is_number(text: str | None) -> bool:
    try:
        float(text or "")
    except ValueError:
        return False
    return True


def _number_text(x: float) -> str:
    return str(int(x)) if x.is_integer() else repr(x)


def _items_state(shared: Any) -> list[tuple[str, str | None]]:
    return [(item.tag, item.get("v")) for item in shared] + [(a, shared.get(a)) for a in ("minValue", "maxValue")]


_TYPE_FLAGS = ("containsSemiMixedTypes", "containsNonDate", "containsDate", "containsString", "containsBlank",
               "containsMixedTypes", "containsNumber", "containsInteger", "minValue", "maxValue")


def _retype_items(shared: Any) -> None:
    """A pivot cache field's ``sharedItems`` after masking: an item whose number was masked
    (912345678 → 9123**678) is a text item now, and the flags saying which types the field
    holds, its smallest and largest number, are worked out again from the items (or, for a
    field whose values were only in the dropped records, no longer claim numbers)."""
    for item in shared:
        if item.tag == f"{_X}n" and not _is_number(item.get("v")):
            item.tag = f"{_X}s"
    if len(shared) == 0:
        if not all(_is_number(shared.get(a, "0")) for a in ("minValue", "maxValue")):
            for attr in _TYPE_FLAGS:  # no numbers any more: the defaults say text
                shared.attrib.pop(attr, None)
        return
    kinds = {item.tag.rpartition("}")[2] for item in shared}
    numbers = [float(item.get("v")) for item in shared if item.tag == f"{_X}n"]
    for attr in _TYPE_FLAGS:
        shared.attrib.pop(attr, None)
    flags = {"containsSemiMixedTypes": bool(kinds & {"s", "b", "e", "m"}), "containsString": "s" in kinds,
             "containsNonDate": kinds != {"d"}, "containsDate": "d" in kinds, "containsBlank": "m" in kinds,
             "containsMixedTypes": len(kinds - {"m"}) > 1, "containsNumber": bool(numbers),
             "containsInteger": bool(numbers) and all(x.is_integer() for x in numbers)}
    defaults = {"containsSemiMixedTypes", "containsString", "containsNonDate"}  # true unless said otherwise
    for attr, value in flags.items():
        if value != (attr in defaults):
            shared.set(attr, "1" if value else "0")
    if numbers:
        shared.set("minValue", _number_text(min(numbers)))
        shared.set("maxValue", _number_text(max(numbers)))


def _fix_chart_numbers(charts: list[tuple[str, Any, str]], changed: set[str]) -> None:
    """A chart's cached number that is no number any more (masked) is left out: the point shows
    blank until the chart's data is read again (Excel: the cells; Word, PowerPoint: its own
    workbook, masked too)."""
    for member, chart, _ in charts:
        if member in changed:
            for cache in chart.iter(f"{_C}numCache", f"{_C}numLit"):
                for point in cache.findall(f"{_C}pt"):
                    if not _is_number(point.findtext(f"{_C}v")):
                        cache.remove(point)
            for level in chart.iterfind(f".//{_CX}numDim/{_CX}lvl"):  # a chartEx's numbers
                for point in level.findall(f"{_CX}pt"):
                    if not _is_number(point.text):
                        level.remove(point)


def _fix_types(parts: XlsxParts, changed: set[str], before: list[tuple[Any, list]]) -> None:
    """Masked copies of numbers stay valid XML of their part: a pivot cache's items are retyped
    (``_retype_items``), a chart's cached number that is no number any more is left out
    (``_fix_chart_numbers``), a linked workbook's cached number becomes a text."""
    for shared, state in before:  # (element, its state): held, so that the element stays the same object
        if _items_state(shared) != state:
            _retype_items(shared)
    _fix_chart_numbers(parts.charts, changed)
    for member, link in parts.externals:
        if member in changed:
            for cell in link.iter(f"{_X}cell"):
                if cell.get("t", "n") == "n" and not _is_number(cell.findtext(f"{_X}v")):
                    cell.set("t", "str")


def _drop_records(package: zipfile.ZipFile, parts: XlsxParts, replaced: dict[str, bytes]) -> set[str]:
    """Drop each pivot cache's records (a full copy of the source range, typed values and all)
    and have Excel refresh the cache from the masked cells on opening (``saveData="0"``, as
    Excel writes a cache saved without its data; ``refreshOnLoad="1"``). The relationship to
    the records and their content type go too, so that nothing points to a missing part.
    Returns the members dropped; the definitions are to be written again."""
    dropped: set[str] = set()
    for definition, root in parts.pivots:
        root.set("saveData", "0")
        root.set("refreshOnLoad", "1")
        rid = root.attrib.pop(_R_ID, None)
        if (records := parts.records.get(definition)) is None:
            continue
        dropped.add(records)
        rels_member = f"{posixpath.dirname(definition)}/_rels/{posixpath.basename(definition)}.rels"
        rels = parse_xml(package.read(rels_member), "XLSX")
        for rel in list(rels.iter(f"{_RELS}Relationship")):
            if rel.get("Id") == rid or rel.get("Type", "").endswith("/pivotCacheRecords"):
                rels.remove(rel)
        if len(rels):
            replaced[rels_member] = _serialize(rels)
        else:
            dropped.add(rels_member)
    if dropped and "[Content_Types].xml" in package.namelist():
        types = parse_xml(package.read("[Content_Types].xml"), "XLSX")
        for override in list(types.iter(f"{_CT}Override")):
            if (override.get("PartName") or "").lstrip("/") in dropped:
                types.remove(override)
        replaced["[Content_Types].xml"] = _serialize(types)
    return dropped


def _header_cells(parts: XlsxParts, before: list[tuple[Any, str | None]], cells: SheetTexts) -> None:
    """A table's column name must be the text of its header cell (Excel repairs the file
    otherwise), and a pivot cache finds its fields by the source's headers when refreshed: a
    name that was masked (``before``: each column's or field's element and name) is written
    into that header cell too."""
    from openpyxl.utils.cell import get_column_letter, range_boundaries

    names = dict(before)
    ranges = [(sheet, table.get("ref"), table.iter(f"{_X}tableColumn")) for _, table, sheet in parts.tables
              if table.get("headerRowCount") != "0"]
    for _, definition in parts.pivots:
        for source in definition.iter(f"{_X}worksheetSource"):
            ranges.append((source.get("sheet"), source.get("ref"), definition.iter(f"{_X}cacheField")))
    for sheet, ref, columns in ranges:
        if not sheet or not ref:
            continue  # a pivot on a named range: no header cell to keep in step
        first_column, row, _, _ = range_boundaries(ref)
        for i, column in enumerate(columns):
            if column.get("name") != names.get(column) and first_column is not None:
                cells.setdefault(sheet, {})[f"{get_column_letter(first_column + i)}{row}"] = column.get("name") or ""


def _tostring(elem: Any) -> bytes:
    from lxml import etree

    return etree.tostring(elem)


def _put_back(root: Any, streamed: list[Any], before: dict[int, bytes]) -> bool:
    """Put the elements of a worksheet's stream (``XLSX_SHEET_TAGS``: headers, links,
    validations, filters) that the masking changed (``before``: their bytes then) in the place
    of theirs in the sheet's whole tree (``root``); whether any was. The k-th element of a tag in
    the stream is the k-th in the tree (none holds another of its own tag); one inside another
    such element (a filter's sort) goes with that one."""
    tags = set(XLSX_SHEET_TAGS)
    places = {tag: list(root.iter(tag)) for tag in {e.tag for e in streamed}}
    seen: dict[str, int] = {}
    put = False
    for elem in streamed:
        k = seen[elem.tag] = seen.get(elem.tag, -1) + 1
        if _tostring(elem) == before[id(elem)] or any(a.tag in tags for a in elem.iterancestors()):
            continue
        old = places[elem.tag][k]
        # a copy: the units hold the streamed element, and would keep the whole tree alive
        old.getparent().replace(old, copy.deepcopy(elem))
        put = True
    return put


def xlsx_sheet_refs(src: Path) -> SheetRefs:
    """The references to the sheets of the workbook ``src`` and of its linked workbooks (see
    ``office.SheetRefs``), for the masking of its formulas."""
    with _open_package(src, "XLSX") as package, _guarded("XLSX"):
        return SheetRefs(u.text for u in xlsx_sheet_names(xlsx_parts(package)))


def mask_xlsx(src: Path, out: IO[bytes], m: _Masker, cells: SheetTexts, formulas: SheetTexts,
              same: dict[str, str] | None = None, depth: int = 1) -> int:
    """Write a masked copy of the Excel workbook ``src`` to ``out`` at the ZIP/XML level: the
    cells masked as openpyxl read them (``cells``: the masked texts, from ``mask_files``), the
    rest as the scanner reads it (``office.xlsx_parts``): comments and threaded comments
    (authors and persons emptied, mentions removed: they point to a person), headers and
    footers, links, validity lists, shapes, defined names, properties, charts, tables, pivot
    caches and linked workbooks' cached values. A cached copy of a masked cell's value (``same``:
    cell text → its masked text) gets the cell's masked text, so a chart or pivot groups as the
    cells do; other copies are analyzed as text. Pivot cache records are dropped (the cache is
    refreshed on opening). The shared strings no cell uses any more are emptied. Every other
    member is copied as it was. Returns how many sheet names hold personal data: they are kept
    (see ``office.SheetRefs``)."""
    from gezi.pii.analyzer import hits_per_segment

    same = same or {}
    cells = {title: dict(texts) for title, texts in cells.items()}
    with _open_package(src, "XLSX") as package, tempfile.TemporaryDirectory(prefix="gezi-") as tmp:
        with _guarded("XLSX"):
            parts = xlsx_parts(package)
            units, people = xlsx_units(parts)
            roots = {member: root for member, root, _ in parts.stories + parts.charts + parts.tables
                     + parts.pivot_tables}
            roots.update([parts.workbook, *parts.persons, *parts.rels, *parts.properties, *parts.pivots,
                          *parts.externals])
            # A worksheet may be large: it is read as a stream here (only the elements outside its
            # rows kept) and rewritten below one sheet at a time.
            streamed: dict[str, list[Any]] = {}
            for title, member in parts.sheets:
                elements = streamed[member] = []
                for _ in xlsx_sheet_stream(package, member, "XLSX", elements, set()):
                    pass
                units += [u for e in elements for u in xlsx_sheet_units(e, member, title)]
            before = {id(e): _tostring(e) for elements in streamed.values() for e in elements}
            preset = [(u, [(0, len(u.text), same[u.text])]) for u in units if u.copy and u.text in same]
            items = [(shared, _items_state(shared)) for _, d in parts.pivots for shared in d.iter(f"{_X}sharedItems")]
            names = [(c, c.get("name")) for root in [t for _, t, _ in parts.tables] + [d for _, d in parts.pivots]
                     for c in root.iter(f"{_X}tableColumn", f"{_X}cacheField")]
            taken = {id(u) for u, _ in preset}
            changed, cleared = _apply_masking([u for u in units if id(u) not in taken], [], [f for f, _ in people],
                                              m, preset)
            _fix_types(parts, changed, items)
            _header_cells(parts, names, cells)
            replaced: dict[str, bytes] = {}
            dropped = _drop_records(package, parts, replaced)
            changed |= {member for member, _ in parts.pivots}
            sheets: dict[str, Path] = {}
            recalculate, used, refs = False, set(), 0
            for title, member in parts.sheets:
                root = parse_xml(package.read(member), "XLSX")
                swapped = _put_back(root, streamed.pop(member), before)
                patched, results_dropped = _patch_cells(root, cells.get(title, {}), formulas.get(title, {}))
                recalculate |= results_dropped
                strings = [c for c in root.iter(f"{_X}c") if c.get("t") == "s"]
                used |= string_refs(strings)
                refs += len(strings)
                if patched or swapped:  # written out, so that no two sheets are held at once
                    sheets[member] = Path(tmp, f"{len(sheets)}.xml")
                    sheets[member].write_bytes(_serialize(root))
                del root, strings  # one sheet's tree at a time
            if recalculate:
                _recalculate(parts.workbook[1])
                changed.add(parts.workbook[0])
            if parts.strings is not None:
                member, table = parts.strings
                for si in xlsx_unused_strings(parts.strings, used):
                    if "".join(si.itertext()):
                        si[:] = [si.makeelement(f"{_X}t", {})]  # kept, so that the indexes stay
                        roots[member] = table
                        changed.add(member)
                if member in changed and table.get("count") is not None:
                    table.set("count", str(refs))  # the references left
            for member, root, _ in parts.stories:
                for mentions in list(root.iter(f"{_TC}mentions")):
                    mentions.getparent().remove(mentions)
                    changed.add(member)
            replaced.update(_serialized(roots, changed, cleared))
            _write_masked(package, out, replaced, "XLSX", m, depth, frozenset(dropped), sheets)
            sheet_names = [u.text for u in xlsx_sheet_names(parts)]
    return sum(bool(hits) for hits in hits_per_segment(sheet_names, m.entities))
