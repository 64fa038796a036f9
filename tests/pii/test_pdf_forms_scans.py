"""PDF beyond the text layer: the values of a filled-in form (AcroForm fields, under the field's
name as the column hint), comments and their authors, link targets; pages without a text layer
(scanned images) said per file instead of a silent "no findings"; encrypted files still a
per-file error."""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from gezi.pii.files import NO_TEXT_LAYER
from gezi.pii.scan import scan_paths

from .builders import make_encrypted_pdf, make_pdf


def _dict(**items: object) -> DictionaryObject:
    out = DictionaryObject()
    for key, value in items.items():
        if isinstance(value, str):
            value = NameObject(value) if value.startswith("/") else TextStringObject(value)
        elif isinstance(value, int):
            value = NumberObject(value)
        out[NameObject(f"/{key}")] = value
    return out


def _scanned_page(writer: PdfWriter) -> None:
    """A page that paints one grey image and holds no text, as a scanner writes it."""
    page = writer.add_blank_page(200, 200)
    image = DecodedStreamObject()
    image.set_data(b"\x80")
    image.update(_dict(Type="/XObject", Subtype="/Image", Width=1, Height=1, ColorSpace="/DeviceGray",
                       BitsPerComponent=8))
    content = DecodedStreamObject()
    content.set_data(b"q 200 0 0 200 0 0 cm /Im1 Do Q")
    page[NameObject("/Resources")] = _dict(XObject=_dict(Im1=writer._add_object(image)))
    page[NameObject("/Contents")] = writer._add_object(content)


def _write(writer: PdfWriter, path: Path) -> Path:
    with path.open("wb") as fh:
        writer.write(fh)
    return path


def make_form(path: Path, text_page: Path | None = None) -> Path:
    """An application form: fields 身分證字號 and 申請人 (with kids 姓名, 電話), a checkbox, a
    list box with two choices; a sticky note with its author and a mailto: link."""
    writer = PdfWriter(clone_from=PdfReader(text_page)) if text_page else PdfWriter()
    if not text_page:
        _scanned_page(writer)
    page = writer.pages[0]

    def widget(**items: object):
        return writer._add_object(_dict(Type="/Annot", Subtype="/Widget", Rect=ArrayObject(
            [NumberObject(0), NumberObject(0), NumberObject(10), NumberObject(10)]), **items))

    nid = widget(FT="/Tx", T="身分證字號", V="A123456789")
    name = widget(FT="/Tx", T="姓名", V="王小明")
    phone = widget(FT="/Tx", T="電話", V="0912345678")
    applicant = writer._add_object(_dict(T="申請人", Kids=ArrayObject([name, phone])))
    agree = widget(FT="/Btn", T="同意", V="/Yes")
    choice = widget(FT="/Ch", T="Text7", TU="聯絡人", V=ArrayObject([TextStringObject("陳怡君"),
                                                                    TextStringObject("無")]))
    for ref in (name, phone):
        ref.get_object()[NameObject("/Parent")] = applicant
    note = writer._add_object(_dict(Type="/Annot", Subtype="/Text", T="林志強", Contents="請補身分證影本 B234567894",
                                    Rect=ArrayObject([NumberObject(0)] * 4)))
    link = writer._add_object(_dict(Type="/Annot", Subtype="/Link", Rect=ArrayObject([NumberObject(0)] * 4),
                                    A=_dict(S="/URI", URI="mailto:wang.xm@example.com")))
    page[NameObject("/Annots")] = ArrayObject([nid, name, phone, agree, choice, note, link])
    writer._root_object[NameObject("/AcroForm")] = _dict(Fields=ArrayObject([nid, applicant, agree, choice]))
    return _write(writer, path)


def _where(report) -> set[tuple]:
    return {(f.entity, f.line, f.column, f.value) for f in report.findings}


def test_a_filled_in_form_is_read_field_by_field_under_its_names(tmp_path):
    text = make_pdf(tmp_path / "text.pdf", ["Application form"])
    report = scan_paths([make_form(tmp_path / "申請書.pdf", text)], workers=1)
    assert report.files_scanned == 1 and report.files_skipped == []
    found = _where(report)
    assert {("TW_NATIONAL_ID", None, "表單欄位 form field 身分證字號", "A123456789"),
            ("PERSON_NAME", None, "表單欄位 form field 申請人.姓名", "王小明"),
            ("PHONE_NUMBER", None, "表單欄位 form field 申請人.電話", "0912345678"),
            ("PERSON_NAME", None, "表單欄位 form field Text7", "陳怡君"),  # hinted by its tooltip 聯絡人
            ("TW_NATIONAL_ID", None, "第 1 頁 page 1 註解 comment", "B234567894"),
            ("PERSON_NAME", None, "第 1 頁 page 1 author", "林志強"),
            ("EMAIL_ADDRESS", None, "第 1 頁 page 1 超連結 hyperlink", "wang.xm@example.com")} <= found
    assert not any(f.value in ("/Yes", "Yes", "無") for f in report.findings)


def test_the_field_name_is_the_column_hint(tmp_path):
    """A bare 8-digit number is a UBN only where its field is named 統一編號, not under 備註."""
    writer = PdfWriter(clone_from=PdfReader(make_pdf(tmp_path / "text.pdf", ["Form"])))
    ubn = writer._add_object(_dict(FT="/Tx", T="統一編號", V="04595257"))
    memo = writer._add_object(_dict(FT="/Tx", T="備註", V="04595257"))
    writer._root_object[NameObject("/AcroForm")] = _dict(Fields=ArrayObject([ubn, memo]))
    report = scan_paths([_write(writer, tmp_path / "invoice.pdf")], workers=1)
    assert _where(report) == {("TW_UBN", None, "表單欄位 form field 統一編號", "04595257")}


def test_a_scanned_pdf_is_said_not_checked(tmp_path):
    writer = PdfWriter()
    _scanned_page(writer)
    _scanned_page(writer)
    writer.add_blank_page(200, 200)  # a blank separator page is not a scan
    path = _write(writer, tmp_path / "掃描檔.pdf")
    report = scan_paths([path], workers=1)
    assert report.files_scanned == 0 and report.findings == []
    assert report.files_skipped == [{"path": str(path), "reason": NO_TEXT_LAYER}]
    assert "無文字層（可能為掃描影像），未檢查內容" in NO_TEXT_LAYER


def test_scanned_pages_among_text_pages_are_named_per_file(tmp_path):
    writer = PdfWriter(clone_from=PdfReader(make_pdf(tmp_path / "t.pdf", ["ID A123456789"])))
    _scanned_page(writer)
    writer.add_blank_page(200, 200)
    _scanned_page(writer)
    path = _write(writer, tmp_path / "mixed.pdf")
    report = scan_paths([path], workers=1)
    assert report.files_scanned == 1
    assert [f.value for f in report.findings] == ["A123456789"]
    (note,) = report.files_skipped
    assert note["scanned"] is True and note["pages_without_text"] == 2
    assert "第 2、4 頁" in note["reason"] and "無文字層（可能為掃描影像），未檢查內容" in note["reason"]


def test_a_scanned_form_with_filled_fields_is_read_in_part(tmp_path):
    report = scan_paths([make_form(tmp_path / "掃描申請書.pdf")], workers=1)
    assert report.files_scanned == 1
    assert ("TW_NATIONAL_ID", None, "表單欄位 form field 身分證字號", "A123456789") in _where(report)
    (note,) = report.files_skipped
    assert note["pages_without_text"] == 1 and "第 1 頁" in note["reason"]


def test_a_text_pdf_reports_nothing_unread_and_encrypted_stays_an_error(tmp_path):
    plain = make_pdf(tmp_path / "plain.pdf", ["no personal data"])
    locked = make_encrypted_pdf(tmp_path / "locked.pdf", make_form(tmp_path / "f.pdf", plain))
    report = scan_paths([plain, locked], workers=1)
    assert report.files_scanned == 1 and report.findings == []
    assert report.files_skipped == [{"path": str(locked), "reason": "PDF 已加密 encrypted PDF"}]


def test_a_field_tree_that_loops_is_read_once(tmp_path):
    text = make_pdf(tmp_path / "text.pdf", ["Form"])
    writer = PdfWriter(clone_from=PdfReader(text))
    field = writer._add_object(_dict(FT="/Tx", T="身分證字號", V="A123456789"))
    field.get_object()[NameObject("/Kids")] = ArrayObject([field])  # a broken file: its own kid
    writer._root_object[NameObject("/AcroForm")] = _dict(Fields=ArrayObject([field, field]))
    report = scan_paths([_write(writer, tmp_path / "loop.pdf")], workers=1)
    assert [f.value for f in report.findings] == ["A123456789"] and report.files_skipped == []


def test_the_scan_summary_tells_unread_pdfs_from_partly_read_ones(fresh_env, cli, tmp_path):
    writer = PdfWriter()
    _scanned_page(writer)
    _write(writer, tmp_path / "掃描檔.pdf")
    writer = PdfWriter(clone_from=PdfReader(make_pdf(tmp_path / "t.pdf", ["ID A123456789"])))
    _scanned_page(writer)
    _write(writer, tmp_path / "mixed.pdf")
    (tmp_path / "t.pdf").unlink()
    r = cli("pii", "scan", tmp_path, "--workers", "1")
    assert r.code == 0, r.err
    assert "略過 1 個 skipped; 部分未檢查 1 個 partly unread" in r.out
    assert f"略過 skipped {tmp_path / '掃描檔.pdf'}: {NO_TEXT_LAYER}" in r.out
    assert f"部分未檢查 partly unread {tmp_path / 'mixed.pdf'}: 1 頁無文字層" in r.out
    r = cli("pii", "scan", tmp_path, "--workers", "1", "--json")
    notes = {s["path"].rsplit("/", 1)[1]: s for s in r.json["summary"]["skipped"]}
    assert notes["mixed.pdf"]["pages_without_text"] == 1 and notes["mixed.pdf"]["scanned"] is True
    assert "scanned" not in notes["掃描檔.pdf"] and r.json["summary"]["files_scanned"] == 1


def test_a_page_whose_annotations_cannot_be_read_keeps_its_text(tmp_path, monkeypatch):
    from gezi.pii import files

    def broken(page, number):
        raise KeyError("/Annots")
        yield

    monkeypatch.setattr(files, "_pdf_annotations", broken)
    path = make_form(tmp_path / "a.pdf", make_pdf(tmp_path / "t.pdf", ["ID A123456789"]))
    report = scan_paths([path], workers=1)
    assert report.files_scanned == 1 and "A123456789" in {f.value for f in report.findings}
    (item,) = report.files_skipped
    assert item["scanned"] is True and item["reason"].startswith("第 1 頁的註解或影像無法讀取")


XFA_DATASETS = """<xfa:datasets xmlns:xfa="http://www.xfa.org/schema/xfa-data/1.0/"><xfa:data>
<form1><申請人><姓名>王小明</姓名><身分證字號>A123456789</身分證字號><電話>0912345678</電話></申請人>
<備註>04595257</備註><統一編號>04595257</統一編號><同意/></form1></xfa:data></xfa:datasets>"""


def _xfa_form(path: Path, datasets: str, acro_fields: list | None = None) -> Path:
    """A LiveCycle form: its data in the XFA datasets packet; a hybrid one has AcroForm fields too."""
    writer = PdfWriter(clone_from=PdfReader(make_pdf(path.with_suffix(".t.pdf"), ["Form"])))
    packet = DecodedStreamObject()
    packet.set_data(datasets.encode())
    xfa = ArrayObject([TextStringObject("datasets"), writer._add_object(packet)])
    fields = ArrayObject([writer._add_object(_dict(FT="/Tx", T=name, V=value)) for name, value in acro_fields or []])
    writer._root_object[NameObject("/AcroForm")] = _dict(Fields=fields, XFA=xfa)
    path.with_suffix(".t.pdf").unlink()
    return _write(writer, path)


def test_an_xfa_form_is_read_from_its_datasets(tmp_path):
    report = scan_paths([_xfa_form(tmp_path / "xfa.pdf", XFA_DATASETS)], workers=1)
    assert report.files_skipped == []
    assert _where(report) == {
        ("PERSON_NAME", None, "表單欄位 form field form1.申請人.姓名", "王小明"),
        ("TW_NATIONAL_ID", None, "表單欄位 form field form1.申請人.身分證字號", "A123456789"),
        ("PHONE_NUMBER", None, "表單欄位 form field form1.申請人.電話", "0912345678"),
        ("TW_UBN", None, "表單欄位 form field form1.統一編號", "04595257"),  # under its name only
    }


def test_a_hybrid_form_is_read_once_and_bad_xfa_is_noted(tmp_path):
    hybrid = _xfa_form(tmp_path / "hybrid.pdf", XFA_DATASETS, [("身分證字號", "A123456789")])
    bomb = _xfa_form(tmp_path / "bomb.pdf", '<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>')
    report = scan_paths([hybrid, bomb], workers=1)
    assert [(Path(f.path).name, f.column) for f in report.findings] == [
        ("hybrid.pdf", "表單欄位 form field 身分證字號")]  # the AcroForm copy alone
    (note,) = report.files_skipped
    assert Path(note["path"]).name == "bomb.pdf" and note["scanned"] is True
    assert note["reason"].startswith("PDF 表單資料無法讀取") and "DTD" in note["reason"]
