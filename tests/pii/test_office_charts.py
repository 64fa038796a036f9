"""Charts in Word documents and on slides (``word/charts/``, ``ppt/charts/``): their titles and
cached points (series names, categories: salespeople in a sales chart) are scanned and masked
as a workbook's charts are; their own workbooks (embedded) are read as documents."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from gezi.pii.mask_files import mask_file
from gezi.pii.scan import scan_file
from tests.pii.test_embedded_documents import _PACKAGE, _R, _docx_bytes, _pptx_bytes, _rewrite, _xlsx_bytes

PEOPLE = ["王小明", "陳怡君"]
_CHART_CT = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"


def _chart(title: str) -> bytes:
    """A bar chart whose categories are people, its series named after a person, its values cached."""
    points = "".join(f'<c:pt idx="{i}"><c:v>{p}</c:v></c:pt>' for i, p in enumerate(PEOPLE))
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<c:chartSpace xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" '
            f'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="{_R}"><c:chart>'
            f'<c:title><c:tx><c:rich><a:p><a:r><a:t>{title}</a:t></a:r></a:p></c:rich></c:tx></c:title>'
            '<c:plotArea><c:barChart><c:ser><c:idx val="0"/><c:tx><c:strRef><c:f>工作表1!$B$1</c:f><c:strCache>'
            '<c:ptCount val="1"/><c:pt idx="0"><c:v>業務 林志強</c:v></c:pt></c:strCache></c:strRef></c:tx>'
            f'<c:cat><c:strRef><c:f>工作表1!$A$2:$A$3</c:f><c:strCache><c:ptCount val="2"/>{points}</c:strCache>'
            '</c:strRef></c:cat><c:val><c:numRef><c:f>工作表1!$B$2:$B$3</c:f><c:numCache><c:ptCount val="2"/>'
            '<c:pt idx="0"><c:v>120</c:v></c:pt><c:pt idx="1"><c:v>0912345678</c:v></c:pt></c:numCache>'
            '</c:numRef></c:val></c:ser></c:barChart></c:plotArea></c:chart>'
            '<c:externalData r:id="rId1"/></c:chartSpace>').encode()


_CHART_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
               f'package/2006/relationships"><Relationship Id="rId1" Type="{_PACKAGE}" '
               'Target="../embeddings/Microsoft_Excel_Worksheet.xlsx"/></Relationships>').encode()
_WORKBOOK = _xlsx_bytes([["", "業務 林志強"], [PEOPLE[0], 120], [PEOPLE[1], 95]], "工作表1")


def _with_chart(data: bytes, folder: str, source: str, anchor: tuple[str, str]) -> bytes:
    """``data`` with a chart (and its workbook) that the part ``source`` shows at ``anchor``."""
    rels_member = f"{_folder(source)}/_rels/{source.rpartition('/')[2]}.rels"
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        part, rels, types = (z.read(n).decode() for n in (source, rels_member, "[Content_Types].xml"))
    target = "charts/chart1.xml" if _folder(source) == folder else "../charts/chart1.xml"
    rels = rels.replace("</Relationships>", f'<Relationship Id="rIdChart" Type="{_R}/chart" Target="{target}"/>'
                        "</Relationships>")
    types = types.replace("</Types>", f'<Override PartName="/{folder}/charts/chart1.xml" ContentType="{_CHART_CT}"/>'
                          '<Default Extension="xlsx" ContentType="application/vnd.openxmlformats-officedocument.'
                          'spreadsheetml.sheet"/></Types>')
    return _rewrite(data, {source: part.replace(*anchor).encode(), rels_member: rels.encode(),
                           "[Content_Types].xml": types.encode(), f"{folder}/charts/chart1.xml": _chart("業績"),
                           f"{folder}/charts/_rels/chart1.xml.rels": _CHART_RELS,
                           f"{folder}/embeddings/Microsoft_Excel_Worksheet.xlsx": _WORKBOOK})


def _folder(member: str) -> str:
    """The folder of a package member."""
    return member.rpartition("/")[0]


_GRAPHIC = ('<a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><a:graphicData '
            'uri="http://schemas.openxmlformats.org/drawingml/2006/chart"><c:chart '
            'xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" r:id="rIdChart"/></a:graphicData>'
            "</a:graphic>")
_W_CHART = ('<w:p><w:r><w:drawing><wp:inline xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/'
            'wordprocessingDrawing"><wp:extent cx="3000000" cy="2000000"/><wp:docPr id="1" name="Chart 1"/>'
            f"{_GRAPHIC}</wp:inline></w:drawing></w:r></w:p>")
_P_CHART = ('<p:graphicFrame><p:nvGraphicFramePr><p:cNvPr id="4" name="Chart 3"/><p:cNvGraphicFramePr/><p:nvPr/>'
            '</p:nvGraphicFramePr><p:xfrm><a:off x="0" y="0"/><a:ext cx="3000000" cy="2000000"/></p:xfrm>'
            f"{_GRAPHIC}</p:graphicFrame>")


def _check_masked(src: Path, out: Path, chart: str) -> None:
    mask_file(src, out)
    with zipfile.ZipFile(out) as z:
        masked = z.read(chart).decode()
        workbook = z.read(chart.replace("charts/chart1.xml", "embeddings/Microsoft_Excel_Worksheet.xlsx"))
    for value in [*PEOPLE, "林志強", "0912345678"]:
        assert value not in masked
    assert "業績" in masked and "<c:v>120</c:v>" in masked  # the title and a plain number kept
    assert masked.count("<c:pt ") == 4  # the masked phone left the number cache: 2 + 1 categories, 1 value
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(workbook))["工作表1"]
    assert sheet["A2"].value != PEOPLE[0] and sheet["A2"].value.startswith("王")
    rescan = {f.value for f in scan_file(out).findings}
    assert not rescan & {*PEOPLE, "林志強"}


def test_docx_chart_scanned_and_masked(tmp_path: Path) -> None:
    import docx

    src = tmp_path / "業績報告.docx"
    src.write_bytes(_with_chart(_docx_bytes(["本季業績如下圖。"]), "word", "word/document.xml",
                                ("<w:sectPr", _W_CHART + "<w:sectPr")))
    found = {(f.path, f.column, f.value) for f in scan_file(src).findings}
    assert {(str(src), "圖表 chart", p) for p in PEOPLE} <= found
    assert (str(src), "圖表 chart", "林志強") in found  # the series' name
    assert any(p == f"{src}!word/embeddings/Microsoft_Excel_Worksheet.xlsx" and v == PEOPLE[0] for p, _, v in found)
    out = tmp_path / "out.docx"
    _check_masked(src, out, "word/charts/chart1.xml")
    assert docx.Document(str(out)).paragraphs[0].text == "本季業績如下圖。"


def test_pptx_chart_scanned_and_masked(tmp_path: Path) -> None:
    src = tmp_path / "業績簡報.pptx"
    src.write_bytes(_with_chart(_pptx_bytes("業績"), "ppt", "ppt/slides/slide1.xml",
                                ("</p:spTree>", _P_CHART + "</p:spTree>")))
    found = {(f.path, f.column, f.value) for f in scan_file(src).findings}
    assert {(str(src), "投影片 slide 1!圖表 chart", p) for p in PEOPLE} <= found
    _check_masked(src, tmp_path / "out.pptx", "ppt/charts/chart1.xml")
