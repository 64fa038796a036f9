"""Documents embedded in documents (an Excel customer list pasted into a Word file as an object,
a Word document on a slide, ODF's ``Object 1/``): scanned as members of their document, masked
in the masked copy (which still opens), their stale preview pictures blanked; what gezi cannot
read (a legacy OLE binary) noted per object."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from gezi.pii.scan import ScanLimits, scan_file

NAME, PHONE, ID = "王小明", "0912-345-678", "A123456789"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE = f"{_R}/package"
_OLE = f"{_R}/oleObject"
_IMAGE = f"{_R}/image"
_EMF = (b"\x01\x00\x00\x00" + b"\x00" * 36 + b" EMF" + b"\x00" * 48)  # only its signature is looked at
_W_OBJECT = ('<w:p><w:r><w:object w:dxaOrig="1000" w:dyaOrig="500" xmlns:v="urn:schemas-microsoft-com:vml" '
             'xmlns:o="urn:schemas-microsoft-com:office:office">'
             '<v:shape id="_x0000_i1025" type="#_x0000_t75" style="width:50pt;height:25pt">'
             '<v:imagedata r:id="{image}" o:title=""/></v:shape>'
             '<o:OLEObject Type="Embed" ProgID="{prog}" ShapeID="_x0000_i1025" DrawAspect="Content" '
             'ObjectID="_1" r:id="{obj}"/></w:object></w:r></w:p>')


def _xlsx_bytes(rows: list[list[str]], title: str = "客戶") -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _docx_bytes(paragraphs: list[str]) -> bytes:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _rewrite(data: bytes, change: dict[str, bytes | None]) -> bytes:
    """A package with members replaced (None: removed) or added."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename in change:
                if (new := change.pop(info.filename)) is not None:
                    dst.writestr(info.filename, new)
            else:
                dst.writestr(info, src.read(info))
        for name, new in change.items():
            if new is not None:
                dst.writestr(name, new)
    return out.getvalue()


def embed_in_docx(outer: bytes, objects: list[tuple[str, bytes, str, str]]) -> bytes:
    """A Word document (``outer``) with objects embedded as Word embeds them (``w:object``: a
    VML picture and an ``o:OLEObject``), each (file name, bytes, relationship type, ProgID),
    with an EMF preview ``word/media/previewN.emf``."""
    with zipfile.ZipFile(io.BytesIO(outer)) as z:
        document = z.read("word/document.xml").decode()
        rels = z.read("word/_rels/document.xml.rels").decode()
        types = z.read("[Content_Types].xml").decode()
    change: dict[str, bytes | None] = {}
    body = ""
    for n, (name, data, reltype, prog) in enumerate(objects, start=1):
        change[f"word/embeddings/{name}"] = data
        change[f"word/media/preview{n}.emf"] = _EMF
        rels = rels.replace("</Relationships>", f'<Relationship Id="rIdObj{n}" Type="{reltype}" '
                            f'Target="embeddings/{name}"/><Relationship Id="rIdImg{n}" Type="{_IMAGE}" '
                            f'Target="media/preview{n}.emf"/></Relationships>')
        body += _W_OBJECT.replace("{image}", f"rIdImg{n}").replace("{obj}", f"rIdObj{n}").replace("{prog}", prog)
    document = document.replace("<w:sectPr", body + "<w:sectPr", 1)
    defaults = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "bin": "application/vnd.openxmlformats-officedocument.oleObject", "emf": "image/x-emf",
                "xls": "application/vnd.ms-excel"}
    for ext, ctype in defaults.items():
        if f'Extension="{ext}"' not in types:
            types = types.replace("<Default ", f'<Default Extension="{ext}" ContentType="{ctype}"/><Default ', 1)
    change.update({"word/document.xml": document.encode(), "word/_rels/document.xml.rels": rels.encode(),
                   "[Content_Types].xml": types.encode()})
    return _rewrite(outer, change)


CUSTOMERS = [["姓名", "手機", "身分證字號"], [NAME, PHONE, ID], ["陳怡君", "0933-222-111", "B223456781"]]
OLE_NAME = "oleObject1.bin"


@pytest.fixture
def report_docx(tmp_path: Path) -> Path:
    """A Word report with an embedded Excel customer list and a legacy OLE object."""
    outer = _docx_bytes(["季報告，客戶名單如附表。"])
    data = embed_in_docx(outer, [("Microsoft_Excel_Worksheet.xlsx", _xlsx_bytes(CUSTOMERS), _PACKAGE,
                                  "Excel.Sheet.12"),
                                 (OLE_NAME, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504, _OLE,
                                  "Excel.Sheet.8")])
    path = tmp_path / "報告.docx"
    path.write_bytes(data)
    return path


def test_scan_reports_embedded_workbook_as_member(report_docx: Path) -> None:
    res = scan_file(report_docx)
    inner = f"{report_docx}!word/embeddings/Microsoft_Excel_Worksheet.xlsx"
    found = {(f.path, f.column, f.value) for f in res.findings}
    assert (inner, "客戶!姓名", NAME) in found
    assert (inner, "客戶!身分證字號", ID) in found
    assert any(f.path == inner and f.column == "客戶!手機" for f in res.findings)
    notes = {s["path"]: s["reason"] for s in res.skipped}
    assert "未檢查" in notes[f"{report_docx}!word/embeddings/{OLE_NAME}"]
    assert res.files == 2  # the document and its workbook; the OLE binary is noted, not counted


def test_scan_nested_embedding_depth_is_bounded(tmp_path: Path) -> None:
    """A workbook in a document in a document… is read to the archive depth, then noted."""
    inner = _xlsx_bytes(CUSTOMERS)
    data = _docx_bytes(["最內層"])
    data = embed_in_docx(data, [("Microsoft_Excel_Worksheet.xlsx", inner, _PACKAGE, "Excel.Sheet.12")])
    for _ in range(3):
        data = embed_in_docx(_docx_bytes(["外層"]), [("Microsoft_Word_Document.docx", data, _PACKAGE,
                                                     "Word.Document.12")])
    path = tmp_path / "巢狀.docx"
    path.write_bytes(data)
    res = scan_file(path, limits=ScanLimits(max_zip_depth=3))
    assert not any(f.value == NAME for f in res.findings)  # four levels down: beyond the guard
    assert any("巢狀過深" in s["reason"] and s.get("scanned") for s in res.skipped)
    shallow = tmp_path / "淺.docx"
    shallow.write_bytes(embed_in_docx(_docx_bytes(["外層"]), [("Microsoft_Word_Document.docx", data, _PACKAGE,
                                                               "Word.Document.12")]))
    res = scan_file(shallow, limits=ScanLimits(max_zip_depth=6))
    assert any(f.value == NAME and f.path.count("!") == 5 for f in res.findings)


def test_scan_embedded_bomb_and_corrupt_are_notes(tmp_path: Path) -> None:
    """A corrupt embedded package or one over the size guard (a bomb's way) is a one-line note."""
    data = embed_in_docx(_docx_bytes(["附件"]), [("Microsoft_Excel_Worksheet.xlsx", b"PK\x03\x04broken", _PACKAGE,
                                                  "Excel.Sheet.12"),
                                                 ("Microsoft_Excel_Worksheet1.xlsx", b"1" * (3 << 20), _PACKAGE,
                                                  "Excel.Sheet.12")])
    path = tmp_path / "壞.docx"
    path.write_bytes(data)
    res = scan_file(path, limits=ScanLimits(max_member_bytes=2 << 20))
    notes = {s["path"].rpartition("!")[2]: s["reason"] for s in res.skipped}
    assert "無法" in notes["word/embeddings/Microsoft_Excel_Worksheet.xlsx"]
    assert "過大" in notes["word/embeddings/Microsoft_Excel_Worksheet1.xlsx"]


def _masked(src: Path, tmp_path: Path) -> tuple[Path, dict, list[dict[str, str]]]:
    """The masked copy, mask_file's result and the embedded objects it kept as they were."""
    from gezi.pii.mask_files import mask_file

    out = tmp_path / f"masked{src.suffix}"
    result = mask_file(src, out)
    return out, result, result.get("embedded_not_masked", [])


def test_mask_embedded_workbook_and_blank_preview(report_docx: Path, tmp_path: Path) -> None:
    import docx
    from openpyxl import load_workbook

    out, result, unchecked = _masked(report_docx, tmp_path)
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        inner = z.read("word/embeddings/Microsoft_Excel_Worksheet.xlsx")
        previews = [z.read(f"word/media/preview{n}.emf") for n in (1, 2)]
        ole = z.read(f"word/embeddings/{OLE_NAME}")
        everything = b"".join(z.read(n) for n in names)
    assert docx.Document(str(out)).paragraphs[0].text == "季報告，客戶名單如附表。"
    book = load_workbook(io.BytesIO(inner))  # the embedded workbook still opens
    rows = [[c.value for c in row] for row in book["客戶"].iter_rows()]
    assert rows[0] == ["姓名", "手機", "身分證字號"]
    assert rows[1][0] != NAME and rows[1][0].startswith("王")
    for value in (NAME, PHONE, ID, "陳怡君"):
        assert value not in str(rows)
        assert value.encode() not in inner  # no copy left in the workbook's package (shared strings)
    assert NAME.encode() not in everything
    assert result["by_entity"]["PERSON_NAME"] >= 2
    assert all(p[40:44] == b" EMF" and p != _EMF for p in previews)  # blank metafiles, not the table's picture
    assert ole.startswith(b"\xd0\xcf\x11\xe0")  # kept as it was, and said
    assert unchecked == [{"member": f"word/embeddings/{OLE_NAME}", "reason": unchecked[0]["reason"]}]
    assert "未檢查" in unchecked[0]["reason"]
    rescan = scan_file(out)
    assert not any(f.value in (NAME, ID) for f in rescan.findings)


_ODF_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
           'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
           'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
           'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
           'xmlns:chart="urn:oasis:names:tc:opendocument:xmlns:chart:1.0" '
           'xmlns:xlink="http://www.w3.org/1999/xlink"')
_ODF = "application/vnd.oasis.opendocument."
_PREVIEW_PNG = b"\x89PNG\r\n\x1a\n" + "the embedded table as a picture: 王小明".encode()


def _content(body: str) -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODF_NS} office:version="1.3">'
            f"<office:body>{body}</office:body></office:document-content>")


def _rows(rows: list[list[str]]) -> str:
    return "".join("<table:table-row>" + "".join(
        f'<table:table-cell office:value-type="string"><text:p>{v}</text:p></table:table-cell>' for v in row)
        + "</table:table-row>" for row in rows)


@pytest.fixture
def agency_odt(tmp_path: Path) -> Path:
    """An agency's letter (ODT) with an embedded spreadsheet (``Object 1/``), a chart whose own
    table names people (``Object 2/``), their preview pictures and a foreign OLE object."""
    frames = "".join(f'<draw:frame><draw:object xlink:href="./Object {n}"/>'
                     f'<draw:image xlink:href="./ObjectReplacements/Object {n}"/></draw:frame>' for n in (1, 2, 3))
    letter = _content(f"<office:text><text:p>承辦名冊如附件。{frames}</text:p></office:text>")
    sheet = _content(f'<office:spreadsheet><table:table table:name="客戶">{_rows(CUSTOMERS)}</table:table>'
                     "</office:spreadsheet>")
    chart = _content('<office:chart><chart:chart><table:table table:name="local-table">'
                     + _rows([["", "業績"], ["林志強", "120"], ["黃雅婷", "95"]])
                     + "</table:table></chart:chart></office:chart>")
    entries = "".join(f'<manifest:file-entry manifest:full-path="{p}" manifest:media-type="{t}"/>' for p, t in (
        ("/", f"{_ODF}text"), ("Object 1/", f"{_ODF}spreadsheet"), ("Object 2/", f"{_ODF}chart"),
        ("Object 3", "application/vnd.sun.star.oleobject")))
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                f'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">{entries}</manifest:manifest>')
    path = tmp_path / "公文.odt"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("mimetype", f"{_ODF}text", compress_type=zipfile.ZIP_STORED)
        for name, data in (("content.xml", letter), ("Object 1/content.xml", sheet), ("Object 2/content.xml", chart),
                           ("Object 3", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100),
                           *((f"ObjectReplacements/Object {n}", _PREVIEW_PNG) for n in (1, 2, 3)),
                           ("META-INF/manifest.xml", manifest)):
            z.writestr(name, data)
    return path


def test_scan_odf_sub_documents(agency_odt: Path) -> None:
    res = scan_file(agency_odt)
    found = {(f.path, f.column, f.value) for f in res.findings}
    assert (f"{agency_odt}!Object 1", "客戶!姓名", NAME) in found
    assert (f"{agency_odt}!Object 1", "客戶!身分證字號", ID) in found
    assert any(p == f"{agency_odt}!Object 2" and v == "林志強" for p, _, v in found)  # a chart's category
    assert any(s["path"] == f"{agency_odt}!Object 3" and "未檢查" in s["reason"] for s in res.skipped)


def test_mask_odf_sub_documents(agency_odt: Path, tmp_path: Path) -> None:
    out, _, unchecked = _masked(agency_odt, tmp_path)
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        assert names == zipfile.ZipFile(agency_odt).namelist()  # no member added or lost
        parts = {n: z.read(n) for n in names}
    for value in (NAME, PHONE, ID, "林志強", "黃雅婷"):
        assert value.encode() not in parts["Object 1/content.xml"] + parts["Object 2/content.xml"]
    assert "業績".encode() in parts["Object 2/content.xml"]
    assert all(parts[f"ObjectReplacements/Object {n}"].startswith(b"\x89PNG") for n in (1, 2, 3))
    assert NAME.encode() not in b"".join(parts.values())
    assert [u["member"] for u in unchecked] == ["Object 3"]
    rescan = scan_file(out)
    assert not any(f.value in (NAME, ID, "林志強") for f in rescan.findings)


def _pptx_bytes(text: str) -> bytes:
    """A one-slide presentation whose title is ``text``, as PowerPoint lays one out."""
    ns = ('xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
          f'xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:r="{_R}"')
    rels = '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{}</Relationships>'
    return _rewrite(_EMPTY_ZIP, {
        "[Content_Types].xml": b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                               b'<Default Extension="xml" ContentType="application/xml"/></Types>',
        "_rels/.rels": rels.format(f'<Relationship Id="rId1" Type="{_R}/officeDocument" '
                                   'Target="ppt/presentation.xml"/>').encode(),
        "ppt/presentation.xml": f'<p:presentation {ns}><p:sldIdLst><p:sldId id="256" r:id="rId2"/></p:sldIdLst>'
                                "</p:presentation>".encode(),
        "ppt/_rels/presentation.xml.rels": rels.format(f'<Relationship Id="rId2" Type="{_R}/slide" '
                                                       'Target="slides/slide1.xml"/>').encode(),
        "ppt/slides/slide1.xml": f'<p:sld {ns}><p:cSld><p:spTree><p:sp><p:txBody><a:p><a:r><a:t>{text}</a:t>'
                                 "</a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:sld>".encode(),
        "ppt/slides/_rels/slide1.xml.rels": rels.format("").encode()})


_EMPTY_ZIP = b"PK\x05\x06" + b"\x00" * 18


_P_FRAME = ('<p:graphicFrame xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
            '<p:nvGraphicFramePr><p:cNvPr id="9" name="Object 9"/><p:cNvGraphicFramePr/><p:nvPr/>'
            '</p:nvGraphicFramePr><p:xfrm><a:off x="0" y="0"/><a:ext cx="914400" cy="457200"/></p:xfrm>'
            '<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/presentationml/2006/ole">'
            '<mc:AlternateContent><mc:Choice Requires="v"><p:oleObj spid="_x0000_s1026" name="Document" '
            'r:id="rIdObj" imgW="100" imgH="50" progId="Word.Document.12"><p:embed/></p:oleObj></mc:Choice>'
            '<mc:Fallback><p:oleObj name="Document" r:id="rIdObj" imgW="100" imgH="50" progId="Word.Document.12">'
            '<p:embed/><p:pic><p:nvPicPr><p:cNvPr id="0" name=""/><p:cNvPicPr/><p:nvPr/></p:nvPicPr>'
            '<p:blipFill><a:blip r:embed="rIdImg"/><a:stretch><a:fillRect/></a:stretch></p:blipFill>'
            '<p:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="914400" cy="457200"/></a:xfrm>'
            '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></p:spPr></p:pic></p:oleObj></mc:Fallback>'
            '</mc:AlternateContent></a:graphicData></a:graphic></p:graphicFrame>')


def test_pptx_with_embedded_document(tmp_path: Path) -> None:
    """A Word document on a slide: scanned under the slide deck, masked in the copy (which
    python-docx opens), its picture blanked; a picture of the slide that is no object's stays."""
    import docx

    outer = _pptx_bytes("專案簡報")
    with zipfile.ZipFile(io.BytesIO(outer)) as z:
        slide = z.read("ppt/slides/slide1.xml").decode()
        rels = z.read("ppt/slides/_rels/slide1.xml.rels").decode()
        types = z.read("[Content_Types].xml").decode()
    rels = rels.replace("</Relationships>", f'<Relationship Id="rIdObj" Type="{_PACKAGE}" '
                        'Target="../embeddings/Microsoft_Word_Document.docx"/><Relationship Id="rIdImg" '
                        f'Type="{_IMAGE}" Target="../media/image1.png"/><Relationship Id="rIdLogo" '
                        f'Type="{_IMAGE}" Target="../media/logo.png"/></Relationships>')
    types = types.replace("<Default ", '<Default Extension="docx" ContentType="application/vnd.openxmlformats-'
                          'officedocument.wordprocessingml.document"/><Default Extension="png" '
                          'ContentType="image/png"/><Default ', 1)
    data = _rewrite(outer, {
        "ppt/slides/slide1.xml": slide.replace("</p:spTree>", _P_FRAME + "</p:spTree>").encode(),
        "ppt/slides/_rels/slide1.xml.rels": rels.encode(), "[Content_Types].xml": types.encode(),
        "ppt/embeddings/Microsoft_Word_Document.docx": _docx_bytes([f"聯絡人：{NAME}，手機 {PHONE}"]),
        "ppt/media/image1.png": _PREVIEW_PNG, "ppt/media/logo.png": b"\x89PNG\r\n\x1a\nlogo"})
    src = tmp_path / "簡報.pptx"
    src.write_bytes(data)
    res = scan_file(src)
    inner = f"{src}!ppt/embeddings/Microsoft_Word_Document.docx"
    assert {(f.path, f.value) for f in res.findings} >= {(inner, NAME), (inner, PHONE)}
    out, result, unchecked = _masked(src, tmp_path)
    assert unchecked == [] and result["values_masked"] >= 2
    with zipfile.ZipFile(out) as z:
        assert "專案簡報".encode() in z.read("ppt/slides/slide1.xml")
        text = docx.Document(io.BytesIO(z.read("ppt/embeddings/Microsoft_Word_Document.docx"))).paragraphs[0].text
        assert NAME not in text and PHONE not in text and text.startswith("聯絡人：")
        assert z.read("ppt/media/image1.png") != _PREVIEW_PNG  # the object's picture, blanked
        assert z.read("ppt/media/logo.png") == b"\x89PNG\r\n\x1a\nlogo"  # the slide's own picture, kept


_X_OLE = ('<oleObjects xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
          '<mc:AlternateContent><mc:Choice Requires="x14"><oleObject progId="Word.Document.12" shapeId="1025" '
          'r:id="rIdObj"><objectPr defaultSize="0" r:id="rIdImg"><anchor moveWithCells="1"><from><xdr:col>1'
          '</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>1</xdr:row><xdr:rowOff>0</xdr:rowOff></from><to><xdr:col>3'
          '</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>5</xdr:row><xdr:rowOff>0</xdr:rowOff></to></anchor>'
          '</objectPr></oleObject></mc:Choice><mc:Fallback><oleObject progId="Word.Document.12" shapeId="1025" '
          'r:id="rIdObj"/></mc:Fallback></mc:AlternateContent></oleObjects>')


def test_xlsx_with_embedded_document(tmp_path: Path) -> None:
    """A Word document embedded in a sheet: scanned and masked; the workbook still opens."""
    import docx
    from openpyxl import load_workbook

    outer = _xlsx_bytes([["說明"], ["見附件"]], "摘要")
    with zipfile.ZipFile(io.BytesIO(outer)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
        types = z.read("[Content_Types].xml").decode()
    sheet = sheet.replace("<worksheet ", '<worksheet xmlns:r="http://schemas.openxmlformats.org/officeDocument/'
                          '2006/relationships" xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/'
                          'spreadsheetDrawing" ', 1) if "xmlns:r=" not in sheet else sheet
    sheet = sheet.replace("</worksheet>", _X_OLE + "</worksheet>")
    rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            f'package/2006/relationships"><Relationship Id="rIdObj" Type="{_PACKAGE}" '
            'Target="../embeddings/Microsoft_Word_Document.docx"/>'
            f'<Relationship Id="rIdImg" Type="{_IMAGE}" Target="../media/image1.emf"/></Relationships>')
    types = types.replace("<Default ", '<Default Extension="docx" ContentType="application/vnd.openxmlformats-'
                          'officedocument.wordprocessingml.document"/><Default Extension="emf" '
                          'ContentType="image/x-emf"/><Default ', 1)
    data = _rewrite(outer, {"xl/worksheets/sheet1.xml": sheet.encode(), "[Content_Types].xml": types.encode(),
                            "xl/worksheets/_rels/sheet1.xml.rels": rels.encode(), "xl/media/image1.emf": _EMF,
                            "xl/embeddings/Microsoft_Word_Document.docx": _docx_bytes([f"身分證 {ID}"])})
    src = tmp_path / "摘要.xlsx"
    src.write_bytes(data)
    res = scan_file(src)
    assert (f"{src}!xl/embeddings/Microsoft_Word_Document.docx", ID) in {(f.path, f.value) for f in res.findings}
    out, _, _ = _masked(src, tmp_path)
    assert load_workbook(out)["摘要"]["A2"].value == "見附件"
    with zipfile.ZipFile(out) as z:
        inner = docx.Document(io.BytesIO(z.read("xl/embeddings/Microsoft_Word_Document.docx")))
        assert inner.paragraphs[0].text.startswith("身分證 ") and ID not in inner.paragraphs[0].text
        assert z.read("xl/media/image1.emf") not in (_EMF, b"")


def test_mask_keeps_and_notes_what_it_cannot_mask(tmp_path: Path) -> None:
    """A damaged embedded workbook and one whose part declares a DTD (an XML bomb's vehicle) are
    kept and noted, one line each; the document around them is masked."""
    dtd = _rewrite(_xlsx_bytes(CUSTOMERS), {"xl/workbook.xml": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>'
                                                               b"<workbook/>"})
    data = embed_in_docx(_docx_bytes([f"聯絡人 {NAME}"]), [
        ("Microsoft_Excel_Worksheet.xlsx", b"PK\x03\x04broken", _PACKAGE, "Excel.Sheet.12"),
        ("Microsoft_Excel_Worksheet1.xlsx", dtd, _PACKAGE, "Excel.Sheet.12")])
    src = tmp_path / "壞附件.docx"
    src.write_bytes(data)
    out, _, unchecked = _masked(src, tmp_path)
    assert [u["member"] for u in unchecked] == ["word/embeddings/Microsoft_Excel_Worksheet.xlsx",
                                                "word/embeddings/Microsoft_Excel_Worksheet1.xlsx"]
    assert all("未遮蔽" in u["reason"] and "\n" not in u["reason"] for u in unchecked)
    with zipfile.ZipFile(out) as z:
        assert NAME.encode() not in z.read("word/document.xml")
    res = scan_file(src)
    reasons = {s["path"].rpartition("!")[2]: s["reason"] for s in res.skipped}
    assert set(reasons) == {"word/embeddings/Microsoft_Excel_Worksheet.xlsx",
                            "word/embeddings/Microsoft_Excel_Worksheet1.xlsx"}


def test_embedded_old_workbook_read_not_masked(tmp_path: Path) -> None:
    """An Excel 97–2003 workbook embedded in a Word file is handed to the scanner's .xls reader
    (python-calamine; this one is damaged, so it is one note); gezi cannot write an .xls, so the
    masking keeps it and says so, and blanks its preview."""
    old = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    src = tmp_path / "舊附件.docx"
    src.write_bytes(embed_in_docx(_docx_bytes(["附件"]), [("Microsoft_Excel_97-2003_Worksheet.xls", old, _OLE,
                                                           "Excel.Sheet.8")]))
    inner = f"{src}!word/embeddings/Microsoft_Excel_97-2003_Worksheet.xls"
    assert next(s["reason"] for s in scan_file(src).skipped if s["path"] == inner).startswith("無法開啟試算表")
    out, _, unchecked = _masked(src, tmp_path)
    assert unchecked == [{"member": "word/embeddings/Microsoft_Excel_97-2003_Worksheet.xls",
                          "reason": unchecked[0]["reason"]}] and "未遮蔽" in unchecked[0]["reason"]
    with zipfile.ZipFile(out) as z:
        assert z.read("word/media/preview1.emf") != _EMF
