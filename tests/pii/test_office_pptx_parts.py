"""PowerPoint (.pptx) beyond the slides' own files: slides in the order the presentation shows
them (``p:sldIdLst``, not the files' numbers; hidden slides too), the text of the slide masters,
layouts, notes and handout masters (a footer 「承辦人 王小明 0912-345-678」 printed on every
slide), and SmartArt (its data model and the drawing cached for showing it). The scanner reports
each under the slide number the user sees, and the masked copy holds none of the values."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from gezi.pii.mask_files import mask_file
from gezi.pii.scan import scan_paths

from .test_mask_documents import _bomb, _replace_member, refused_one_line
from .test_mask_sheets_slides import PML, REL, _a_p, _a_r, _rels, _sp, assert_none_left
from .test_xlsx_hidden_text import _findings, write_members

DGM = ('xmlns:dgm="http://schemas.openxmlformats.org/drawingml/2006/diagram" '
       'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
       'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')
DSP = ('xmlns:dsp="http://schemas.microsoft.com/office/drawing/2008/diagram" '
       'xmlns:dgm="http://schemas.openxmlformats.org/drawingml/2006/diagram" '
       'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"')
DIAGRAM_DRAWING = "http://schemas.microsoft.com/office/2007/relationships/diagramDrawing"
XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
BOLD = '<a:rPr lang="zh-TW" b="1"/>'


def _part(root: str, body: str, ns: str = PML, attrs: str = "") -> str:
    return f"{XML}<{root} {ns}{attrs}><p:cSld><p:spTree>{body}</p:spTree></p:cSld></{root}>"


def smartart(items: list[str]) -> tuple[str, str]:
    """A SmartArt list as PowerPoint, Word and Excel save it: the data model (a ``dgm:pt`` per
    item, its text in ``dgm:t``; the connections hold none) and the drawing cached for showing
    it (a ``dsp:sp`` per item, the same text, a name's surname bold: two runs)."""
    points = "".join(
        f'<dgm:pt modelId="{{{i}}}"><dgm:prSet phldrT="[文字]"/><dgm:spPr/><dgm:t><a:bodyPr/><a:lstStyle/>'
        f'<a:p>{_a_r(v[:5], BOLD)}{_a_r(v[5:])}</a:p></dgm:t></dgm:pt>'
        f'<dgm:pt modelId="{{s{i}}}" type="sibTrans" cxnId="{{c{i}}}"><dgm:prSet/><dgm:spPr/>'
        '<dgm:t><a:bodyPr/><a:lstStyle/><a:p><a:endParaRPr lang="zh-TW"/></a:p></dgm:t></dgm:pt>'
        for i, v in enumerate(items))
    data = (f'{XML}<dgm:dataModel {DGM}><dgm:ptLst><dgm:pt modelId="{{doc}}" type="doc"><dgm:prSet/><dgm:spPr/>'
            '<dgm:t><a:bodyPr/><a:lstStyle/><a:p><a:endParaRPr lang="zh-TW"/></a:p></dgm:t></dgm:pt>' + points + ''
            "</dgm:ptLst><dgm:cxnLst/><dgm:bg/><dgm:whole/></dgm:dataModel>")
    shapes = "".join(
        f'<dsp:sp modelId="{{d{i}}}"><dsp:nvSpPr><dsp:cNvPr id="0" name=""/><dsp:cNvSpPr/></dsp:nvSpPr>'
        f'<dsp:spPr/><dsp:txBody><a:bodyPr/><a:lstStyle/><a:p>{_a_r(v[:5], BOLD)}'
        f"{_a_r(v[5:])}</a:p></dsp:txBody><dsp:txXfrm/></dsp:sp>" for i, v in enumerate(items))
    drawing = (f'{XML}<dsp:drawing {DSP}><dsp:spTree><dsp:nvGrpSpPr><dsp:cNvPr id="0" name=""/><dsp:cNvGrpSpPr/>'
               f"</dsp:nvGrpSpPr><dsp:grpSpPr/>{shapes}</dsp:spTree></dsp:drawing>")
    return data, drawing


# File order and presentation order differ (the user moved slide 3 to the front): the findings
# must carry the number the user sees. Slide 2 (file slide1.xml) is hidden.
SLIDES = {"ppt/slides/slide3.xml": "投影片一 王小明 0912-345-678",
          "ppt/slides/slide1.xml": "投影片二 陳怡君 A123456789",
          "ppt/slides/slide2.xml": "投影片三 林志明 chen.yj@example.com"}
MASTERS = {"ppt/slideMasters/slideMaster1.xml": ("p:sldMaster", "承辦人 張家豪 02-2771-1234"),
           "ppt/slideLayouts/slideLayout1.xml": ("p:sldLayout", "製表 黃雅婷 huang.yt@example.com"),
           "ppt/notesMasters/notesMaster1.xml": ("p:notesMaster", "講者 吳建宏 B123456780"),
           "ppt/handoutMasters/handoutMaster1.xml": ("p:handoutMaster", "講義聯絡 李美玲 0933-111-222")}
SMARTART = ["聯絡人 王大明 0955-666-777", "經理 陳美玲 wang.xm@example.com"]
VALUES = ["王小明", "0912-345-678", "陳怡君", "A123456789", "林志明", "chen.yj@example.com", "張家豪", "02-2771-1234",
          "黃雅婷", "huang.yt@example.com", "吳建宏", "B123456780", "李美玲", "0933-111-222", "王大明",
          "0955-666-777", "陳美玲", "wang.xm@example.com", "鄭秀文", "0988-777-666"]


def make_deck(path: Path, listed: bool = True) -> Path:
    """Three slides whose files are numbered apart from their order (``listed``: the
    presentation lists them; else it has no ``p:sldIdLst``), the second hidden; a table on it;
    a master, layout, notes master and handout master with a footer each; SmartArt on the
    third slide; notes of the first."""
    order = list(SLIDES)
    members: dict[str, str] = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        "_rels/.rels": _rels(("rId1", f"{REL}/officeDocument", "ppt/presentation.xml", False)),
    }
    ids = "".join(f'<p:sldId id="{256 + i}" r:id="rId{10 + i}"/>' for i in range(len(order)))
    members["ppt/presentation.xml"] = (
        f'{XML}<p:presentation {PML}><p:sldMasterIdLst><p:sldMasterId id="2147483648" r:id="rId1"/>'
        f'</p:sldMasterIdLst>{f"<p:sldIdLst>{ids}</p:sldIdLst>" if listed else ""}</p:presentation>')
    members["ppt/_rels/presentation.xml.rels"] = _rels(
        ("rId1", f"{REL}/slideMaster", "slideMasters/slideMaster1.xml", False),
        *((f"rId{10 + i}", f"{REL}/slide", slide.removeprefix("ppt/"), False) for i, slide in enumerate(order)))
    table = ('<p:graphicFrame><a:graphic><a:graphicData><a:tbl>' + "".join(
        "<a:tr>" + "".join(f"<a:tc><a:txBody>{_a_p(_a_r(v))}</a:txBody></a:tc>" for v in row) + "</a:tr>"
        for row in (["姓名", "電話"], ["鄭秀文", "0988-777-666"]))
        + "</a:tbl></a:graphicData></a:graphic></p:graphicFrame>")
    for i, (slide, text) in enumerate(SLIDES.items()):
        hidden = ' show="0"' if i == 1 else ""
        members[slide] = _part("p:sld", _sp(_a_p(_a_r(text))) + (table if i == 1 else ""), attrs=hidden)
        rels = [("rId1", f"{REL}/slideLayout", "../slideLayouts/slideLayout1.xml", False)]
        if i == 0:
            rels.append(("rId2", f"{REL}/notesSlide", "../notesSlides/notesSlide1.xml", False))
        if i == 2:
            rels += [("rId3", f"{REL}/diagramData", "../diagrams/data1.xml", False),
                     ("rId4", DIAGRAM_DRAWING, "../diagrams/drawing1.xml", False),
                     ("rId5", f"{REL}/hyperlink", "https://example.com/", True)]
        members[slide.replace("slides/", "slides/_rels/") + ".rels"] = _rels(*rels)
    members["ppt/notesSlides/notesSlide1.xml"] = _part("p:notes", _sp(_a_p(_a_r("備註：無個資"))))
    for member, (root, text) in MASTERS.items():
        # a footer placeholder: the slide number field and the footer's text
        footer = ('<p:sp><p:nvSpPr><p:cNvPr id="5" name="頁尾版面配置區"/><p:cNvSpPr/><p:nvPr><p:ph type="ftr"/>'
                  f'</p:nvPr></p:nvSpPr><p:txBody><a:bodyPr/>{_a_p(_a_r(text))}<a:p><a:fld id="{{1}}" '
                  'type="slidenum"><a:t>‹#›</a:t></a:fld></a:p></p:txBody></p:sp>')
        members[member] = _part(root, footer)
    data, drawing = smartart(SMARTART)
    members["ppt/diagrams/data1.xml"], members["ppt/diagrams/drawing1.xml"] = data, drawing
    return write_members(path, {name: content.encode() for name, content in members.items()})


@pytest.fixture(scope="module")
def deck(tmp_path_factory) -> Path:
    return make_deck(tmp_path_factory.mktemp("deck") / "簡報.pptx")


def _where(findings: list) -> dict[str, str | None]:
    return {f.value: f.column for f in findings}


def test_slides_reported_by_the_number_the_user_sees(deck):
    findings = _findings(deck)
    where = _where(findings)
    # slide3.xml comes first in the presentation, the hidden slide is still read
    assert where["王小明"] == where["0912-345-678"] == "投影片 slide 1"
    assert where["陳怡君"] == where["A123456789"] == "投影片 slide 2"
    assert where["林志明"] == where["chen.yj@example.com"] == "投影片 slide 3"
    assert where["鄭秀文"] == "投影片 slide 2!姓名" and where["0988-777-666"] == "投影片 slide 2!電話"
    lines = {f.value: f.line for f in findings}
    assert lines["王小明"] < lines["陳怡君"] < lines["林志明"]


def test_without_a_slide_list_files_are_in_number_order(tmp_path):
    where = _where(_findings(make_deck(tmp_path / "舊.pptx", listed=False)))
    assert where["陳怡君"] == "投影片 slide 1" and where["林志明"] == "投影片 slide 2"
    assert where["王小明"] == "投影片 slide 3"


def test_masters_and_layouts_read(deck):
    where = _where(_findings(deck))
    assert where["張家豪"] == where["02-2771-1234"] == "投影片母片 slide master 1"
    assert where["黃雅婷"] == where["huang.yt@example.com"] == "版面配置 slide layout 1"
    assert where["吳建宏"] == where["B123456780"] == "備忘稿母片 notes master 1"
    assert where["李美玲"] == where["0933-111-222"] == "講義母片 handout master 1"


def test_smartart_data_and_drawing_read(deck):
    findings = [f for f in _findings(deck) if f.value in ("王大明", "0955-666-777", "陳美玲", "wang.xm@example.com")]
    # each value twice: in the data model and in the cached drawing, both on the slide showing it
    assert len(findings) == 8 and {f.column for f in findings} == {"投影片 slide 3"}


def test_masked_copy_holds_none_and_keeps_formatting(deck, tmp_path):
    out = tmp_path / "out.pptx"
    result = mask_file(deck, out)
    assert_none_left(out, set(VALUES))
    assert {f.value for f in _findings(out)}.isdisjoint(VALUES)
    assert result["by_entity"]["PERSON_NAME"] >= 12
    with zipfile.ZipFile(out) as zf:
        master = zf.read("ppt/slideMasters/slideMaster1.xml").decode()
        hidden = zf.read("ppt/slides/slide1.xml").decode()
        data, drawing = zf.read("ppt/diagrams/data1.xml").decode(), zf.read("ppt/diagrams/drawing1.xml").decode()
    assert "承辦人 張○豪 02-27**-*234" in master and "<a:t>‹#›</a:t></a:fld>" in master  # the field stays
    assert 'show="0"' in hidden and "陳○君 A12****789" in hidden
    # SmartArt: the replacement in the name's first run (its bold kept), data model and drawing alike
    for xml in (data, drawing):
        assert f'<a:r>{BOLD}<a:t>聯絡人 王○明</a:t></a:r><a:r><a:rPr lang="zh-TW"/><a:t> 0955-***-777</a:t>' in xml
    assert _texts(data) == _texts(drawing) == ["聯絡人 王○明 0955-***-777", "經理 陳○玲 w***@example.com"]


def _texts(xml: str) -> list[str]:
    """The non-empty paragraphs' text of a DrawingML part."""
    from lxml import etree

    a = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
    paragraphs = ["".join(t.text or "" for t in p.iter(f"{a}t")) for p in etree.fromstring(xml.encode()).iter(f"{a}p")]
    return [p for p in paragraphs if p]


def test_bad_presentation_part(deck, tmp_path, capsys):
    """A presentation part with a DTD is refused in one line; the scanner skips it with the reason."""
    with zipfile.ZipFile(deck) as zf:
        xml = zf.read("ppt/presentation.xml").decode()
    bad = tmp_path / "bad.pptx"
    _replace_member(deck, bad, "ppt/presentation.xml", (_bomb() + xml[xml.index("?>") + 2:]).encode())
    report = scan_paths([bad], workers=1)
    assert len(report.files_skipped) == 1 and "DTD" in report.files_skipped[0]["reason"]
    refused_one_line(bad, tmp_path / "out.pptx", capsys)
    broken = tmp_path / "broken.pptx"
    _replace_member(deck, broken, "ppt/_rels/presentation.xml.rels", b"<Relationships><unclosed>")
    assert "corrupt" in scan_paths([broken], workers=1).files_skipped[0]["reason"]

